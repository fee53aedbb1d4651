#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Memory views and the console in gdb (issue 13 items 6 and 7): gdb's
# memory map (`info mem`), a break on the pc machine's BIOS becoming a
# hardware breakpoint (Z1) that is hit, `monitor xp`, `monitor info mem`
# and `monitor info tlb` in long mode where linear and physical differ,
# Qqemu.PhyMemMode as raw packets, and `monitor console gdb|both`
# (guest output as O packets in gdb, not or also on the VMM's stdout,
# with one vCPU and with --smp 2). One fresh VMM per test, every VMM and
# gdb bounded by timeout(1). Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

ALIAS=$G/lm_alias.bin
BOOT=$G/boot_gdb.bin

name="info mem: the bare machine's RAM, and RAM above it for paging"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script 'info mem
kill'
        if gdb_has 'Using memory regions provided by the target' &&
            gdb_has '^0 +y[[:space:]]+0x0+ 0x0*100000 rw' &&
            gdb_has '^1 +y[[:space:]]+0x0*100000 0x10+ rw'; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# boot_gdb: hbreak at the boot sector, then a plain `break` on the int
# 10h handler in the BIOS (0xf0000 + IVT[0x10]): gdb must insert it as a
# hardware breakpoint (Z1, the map says ROM) and stop there.
name="pc: info mem shows the BIOS as ROM; break in the BIOS is a hit Z1"
if need "$name" "$BOOT"; then
    if vmm_gdb_start --drive "$BOOT"; then
        gdb_script 'info mem
hbreak *0x7c00
continue
set $h = 0xf0000 + *(unsigned short *)0x40
delete
set debug remote 1
break *$h
continue
set debug remote 0
printf "PC=%#x H=%#x\n", $pc, $h
kill'
        pc=$(grep -oE '^PC=0x[0-9a-f]+ H=0x[0-9a-f]+' "$GDB_OUT")
        if ! gdb_has '^1 +y[[:space:]]+0x0*c0000 0x0*100000 ro'; then
            t_fail "$name" "no ROM region at 0xc0000; $(why)"
        elif ! gdb_has 'Sending packet: \$Z1,f[0-9a-f]{4},1#'; then
            t_fail "$name" "no Z1 in the BIOS; $(why)"
        elif gdb_has 'Sending packet: \$Z0,f[0-9a-f]{4},'; then
            t_fail "$name" "a Z0 in the BIOS; $(why)"
        elif ! [[ "$pc" =~ ^PC=(0x[0-9a-f]+)\ H=(0x[0-9a-f]+)$ ]] ||
            [ "${BASH_REMATCH[1]}" != "${BASH_REMATCH[2]}" ] ||
            ! gdb_has '^Breakpoint 2, '; then
            t_fail "$name" "not stopped at the handler: '$pc'; $(why)"
        else
            t_pass "$name"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# lm_alias: linear 0x400000 and 0x401000 -> physical 0x5000 ("PHYSMARK");
# physical 0x400000 is no RAM.
name="long mode: monitor xp reads physical memory, info mem/tlb the tables"
if need "$name" "$ALIAS"; then
    if vmm_gdb_start --hlt-sleep 0 "$ALIAS"; then
        gdb_script 'hbreak *0x200
continue
x/s 0x400000
monitor xp 0x5000 8
monitor xp 0x400000 8
monitor xp /1xg 0x5000
monitor info mem
monitor info tlb
kill'
        if ! gdb_has '^0x400000:[[:space:]]+"PHYSMARK'; then
            t_fail "$name" "linear 0x400000 is not the marker; $(why)"
        elif ! gdb_has '^0000000000005000: 0x50 0x48 0x59 0x53 0x4d 0x41 0x52 0x4b$' ||
            ! gdb_has '^0000000000005000: 0x4b52414d53594850$'; then
            t_fail "$name" "xp 0x5000 is not the marker; $(why)"
        elif ! gdb_has '^0000000000400000: cannot read \(not RAM or ROM\)$'; then
            t_fail "$name" "xp 0x400000 read something; $(why)"
        elif ! gdb_has '^4-level paging, CR3 0x1000; linear ranges' ||
            ! gdb_has '^0000000000000000-0000000000200000 0000000000200000 -rwx$' ||
            ! gdb_has '^0000000000400000-0000000000401000 0000000000001000 -rwx$' ||
            ! gdb_has '^0000000000401000-0000000000402000 0000000000001000 -r-x$'; then
            t_fail "$name" "monitor info mem; $(why)"
        elif ! gdb_has '^0000000000400000: 0000000005000 4K .*W$' ||
            ! gdb_has '^0000000000401000: 0000000005000 4K -+$' ||
            ! gdb_has '^0000000000000000: 0000000000000 2M '; then
            t_fail "$name" "monitor info tlb; $(why)"
        else
            t_pass "$name"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="real mode: monitor info mem says paging is disabled"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script 'monitor info mem
monitor info tlb
kill'
        if [ "$(grep -c '^paging disabled: linear addresses are physical$' "$GDB_OUT")" = 2 ]; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# Raw packets (gdb's `maint packet`): while PhyMemMode is 1, m reads
# physical memory: 0x400000 is then no RAM and 0x5000 the marker.
name="Qqemu.PhyMemMode: raw packets switch m and M to physical addresses"
if need "$name" "$ALIAS"; then
    if vmm_gdb_start --hlt-sleep 0 "$ALIAS"; then
        gdb_script 'hbreak *0x200
continue
maint packet qqemu.PhyMemMode
maint packet m400000,4
maint packet Qqemu.PhyMemMode:1
maint packet qqemu.PhyMemMode
maint packet m400000,4
maint packet m5000,4
maint packet M5004,4:21212121
maint packet Qqemu.PhyMemMode:0
maint packet m400000,8
maint packet Qqemu.PhyMemMode:7
kill'
        got=$(grep -oE '^received: ".*"' "$GDB_OUT" | tr '\n' ' ')
        want='received: "0" received: "50485953" received: "OK" received: "1" received: "E0e" received: "50485953" received: "OK" received: "OK" received: "5048595321212121" received: "E01" '
        if [ "$got" = "$want" ]; then
            t_pass "$name"
        else
            t_fail "$name" "got '$got', want '$want'; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# console_test NAME MODE ON_STDOUT VMM-ARGS...: `monitor console MODE`, then
# continue to the hbreak after the guest printed: gdb shows the output;
# the VMM's stdout has it only if ON_STDOUT is 1.
console_test() {
    local name=$1 mode=$2 on_stdout=$3 word=$4 script=$5
    shift 5
    if ! need "$name" "${@: -1}"; then
        return
    fi
    if ! vmm_gdb_start "$@"; then
        t_fail "$name" "VMM did not listen: $(why)"
        vmm_stop
        return
    fi
    gdb_script "monitor console $mode
$script
monitor console
kill"
    vmm_wait_exit 20
    local out
    out=$(cat "$VOUT")
    if ! gdb_has "^console: $mode "; then
        t_fail "$name" "monitor console $mode refused; $(why)"
    elif ! gdb_has "$word"; then
        t_fail "$name" "gdb did not show '$word'; $(why)"
    elif [ "$on_stdout" = 1 ] && [[ "$out" != *"${word//^/}"* ]]; then
        t_fail "$name" "stdout '$out' lacks it; $(why)"
    elif [ "$on_stdout" = 0 ] && [ -n "$out" ]; then
        t_fail "$name" "stdout has '$out'; $(why)"
    else
        t_pass "$name"
    fi
    vmm_stop
}

console_test "monitor console gdb: Hello in gdb, not on stdout" gdb 0 '^Hello' \
    'hbreak *0x18
continue' --hlt-sleep 0 "$HELLO"
console_test "monitor console both: Hello in gdb and on stdout" both 1 '^Hello' \
    'hbreak *0x18
continue' --hlt-sleep 0 "$HELLO"
# boot_gdb prints AB through int 10h, then exits through isa-debug-exit;
# with --smp 2 the output comes from a vCPU thread.
console_test "monitor console gdb on the pc machine, --smp 2" gdb 0 '^AB' \
    'continue' --smp 2 --drive "$BOOT"
console_test "monitor console both on the pc machine" both 1 '^AB' \
    'continue' --drive "$BOOT"

# After a detach the guest runs on with its output on stdout, and the
# next debugger finds the console back at stdout.
name="monitor console gdb, then detach: stdout again, also for the next gdb"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 10 "$HELLO"; then
        gdb_script 'monitor console gdb
hbreak *0x18
continue
delete
detach'
        first_ok=0
        gdb_has '^Hello' && first_ok=1
        wait_file_line "$VOUT" '^Hello$' 1000
        gdb_script 'monitor console
kill'
        n=$(grep -c '^Hello$' "$VOUT")
        if [ "$first_ok" = 1 ] && [ "$n" -ge 1 ] &&
            gdb_has '^console: stdout '; then
            t_pass "$name"
        else
            t_fail "$name" "first gdb Hello: $first_ok, stdout Hello x$n; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

t_done
