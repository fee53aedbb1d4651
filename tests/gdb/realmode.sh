#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Real-mode addresses that agree: bootsect.bin far-jumps to 07C0:0005, and
# gdb's $pc (CS base + IP by default), `break *0x7c05`, hbreak, a watch on
# the linear address of DS:0x300 and `set $pc` all name the same bytes;
# `monitor pc offset` gives IP instead. One fresh VMM per test, every VMM
# and gdb bounded by timeout(1). Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

BOOTSECT=$G/bootsect.bin

name="07C0:0005: break *0x7c05, x/i \$pc, stepi, hbreak, watch, set \$pc agree"
if need "$name" "$BOOTSECT"; then
    if vmm_gdb_start --hlt-sleep 0 "$BOOTSECT"; then
        gdb_script 'break *0x7c05
continue
printf "PC=%#x\n", $pc
x/i $pc
info registers eip cs
stepi
printf "PC=%#x\n", $pc
x/i $pc
hbreak *0x7c11
continue
printf "PC=%#x\n", $pc
x/i $pc
delete
watch *(char *)0x7f00
continue
printf "PC=%#x\n", $pc
delete
set $pc = 0x7c05
stepi
printf "PC=%#x\n", $pc
info registers eax cs
monitor pc offset
maintenance flush register-cache
printf "PC=%#x\n", $pc
monitor pc linear
maintenance flush register-cache
printf "PC=%#x\n", $pc
monitor pc'
        if [ "$(stop_pcs)" = "0x7c05 0x7c07 0x7c11 0x7c11 0x7c07 0x7 0x7c07" ] &&
            gdb_has '^Breakpoint 1, 0x0+7c05 in' &&
            gdb_has '^=> 0x7c05:[[:space:]]+mov +\$0x42,%al' &&
            gdb_has '^eip +0x7c05 ' && gdb_has '^cs +0x7c0 ' &&
            gdb_has '^=> 0x7c07:[[:space:]]+out +%al,\$0xf1' &&
            gdb_has '^Breakpoint 2, 0x0+7c11 in' &&
            gdb_has '^=> 0x7c11:[[:space:]]+hlt' &&
            gdb_has '^Old value = 1 ' && gdb_has '^New value = 2 ' &&
            gdb_has '^eax +0x[0-9a-f]*42 ' &&
            gdb_has '^pc: offset' && gdb_has '^pc: linear'; then
            t_pass "$name"
        else
            t_fail "$name" "pcs '$(stop_pcs)'; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# With `monitor pc offset`, the old view: $pc is IP (breakpoints stay
# linear, so gdb would not know a stop at one as its own: step instead).
name="monitor pc offset: \$pc is IP (5) after the far jump to 07C0:0005"
if need "$name" "$BOOTSECT"; then
    if vmm_gdb_start --hlt-sleep 0 "$BOOTSECT"; then
        gdb_script 'monitor pc offset
stepi 3
printf "PC=%#x\n", $pc
info registers eip cs'
        if [ "$(stop_pcs)" = "0x5" ] && gdb_has '^eip +0x5 ' &&
            gdb_has '^cs +0x7c0 '; then
            t_pass "$name"
        else
            t_fail "$name" "pcs '$(stop_pcs)'; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

t_done
