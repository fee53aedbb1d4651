#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Stock gdb on the built-in BIOS and on --bios firmware: the first stop is
# the reset vector F000:FFF0; a boot sector's `int 0x10` is stepped into
# (stepi lands on the BIOS handler the IVT names) and over (advance to the
# next instruction: gdb's nexti cannot tell a real-mode int is a call);
# `monitor screen` shows what int 10h wrote. Run from the repository root
# after `make`; every VMM and gdb is bounded by timeout(1).
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

BOOT=$G/boot_gdb.bin
FW=$G/fw_reset.bin

# boot_gdb at 0x7C00: mov (3 bytes), int 10h at 0x7c03, mov at 0x7c05,
# int 10h at 0x7c08, then isa-debug-exit 2 (status 5).
name="boot sector: reset vector first, stepi into int 0x10, over the next, monitor screen"
if need "$name" "$BOOT"; then
    if vmm_gdb_start --drive "$BOOT"; then
        gdb_script 'printf "PC=%#x CS=%#x\n", $pc, $cs
hbreak *0x7c00
continue
printf "PC=%#x CS=%#x\n", $pc, $cs
stepi
printf "PC=%#x CS=%#x\n", $pc, $cs
stepi
printf "PC=%#x CS=%#x\n", $pc, $cs
printf "IVT10=%#x\n", *(unsigned short *)0x40
delete
hbreak *0x7c05
continue
printf "PC=%#x CS=%#x\n", $pc, $cs
stepi
printf "PC=%#x CS=%#x\n", $pc, $cs
advance *0x7c0a
printf "PC=%#x CS=%#x\n", $pc, $cs
monitor screen
continue'
        ivt=$(grep -oE '^IVT10=0x[0-9a-f]+' "$GDB_OUT" | sed 's/IVT10=//')
        got=$(grep -oE '^PC=0x[0-9a-f]+ CS=0x?[0-9a-f]*' "$GDB_OUT" |
            tr '\n' ' ')
        want="PC=0xfff0 CS=0xf000 PC=0x7c00 CS=0 PC=0x7c03 CS=0 PC=$ivt CS=0xf000 PC=0x7c05 CS=0 PC=0x7c08 CS=0 PC=0x7c0a CS=0 "
        vmm_wait_exit 20
        if [ -z "$ivt" ] || [ "$got" != "$want" ]; then
            t_fail "$name" "stops '$got', want '$want'; $(why)"
        elif ! gdb_has '^AB *$'; then
            t_fail "$name" "monitor screen has no 'AB' line; $(why)"
        elif [ "$(cat "$VOUT")" != AB ] || [ "${VRC:-}" != 5 ]; then
            t_fail "$name" "stdout '$(cat "$VOUT")' exit ${VRC:-}; $(why)"
        else
            t_pass "$name"
        fi
    else
        t_fail "$name" "VMM did not start: $(cat "$VERR")"
    fi
    vmm_stop
fi

# fw_reset: `jmp high` (to offset 0) at F000:FFF0, CS base FFFF0000.
name="--bios: gdb stops on the reset vector F000:FFF0 and steps"
if need "$name" "$FW"; then
    if vmm_gdb_start --bios "$FW"; then
        gdb_script 'printf "PC=%#x CS=%#x\n", $pc, $cs
stepi
printf "PC=%#x CS=%#x\n", $pc, $cs
continue'
        got=$(grep -oE '^PC=0x?[0-9a-f]* CS=0x?[0-9a-f]*' "$GDB_OUT" |
            tr '\n' ' ')
        vmm_wait_exit 20
        if [ "$got" != "PC=0xfff0 CS=0xf000 PC=0 CS=0xf000 " ]; then
            t_fail "$name" "stops '$got'; $(why)"
        elif ! grep -qx 'fw ok' "$VOUT" || [ "${VRC:-}" != 3 ]; then
            t_fail "$name" "stdout '$(cat "$VOUT")' exit ${VRC:-}; $(why)"
        else
            t_pass "$name"
        fi
    else
        t_fail "$name" "VMM did not start: $(cat "$VERR")"
    fi
    vmm_stop
fi

t_done
