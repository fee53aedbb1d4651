#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Stock gdb against guests that change CPU mode: a guest debugged in 64-bit
# long mode (hbreak there, detach, reconnect as i386:x86-64, stepi), and
# stepping a hlt at the last byte of a 16-bit code segment (IP wraps to 0)
# and a hlt at CPL 3 (it faults; a step must not skip it).
# One fresh VMM per test, every VMM and gdb bounded by timeout(1).
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

LONGMODE=$G/longmode.bin
HLT_FFFF=$G/hlt_ffff.bin
USER_HLT=$G/user_hlt.bin

# --- long mode --------------------------------------------------------------

# longmode.bin: lm_loop (hlt) at 0x200, then movabs $0x1122334455667788,%rax
# at 0x201 (10 bytes) and inc %rbx at 0x20b. The first gdb connects in real
# mode (i8086) and breaks in 64-bit code; after detach the guest runs into
# the hlt, whose long pause keeps it there while the second gdb connects:
# the stub then describes long mode.
name="long mode: hbreak in 64-bit code, reconnect: i386:x86-64, rip, x/i, stepi"
if need "$name" "$LONGMODE"; then
    if vmm_gdb_start --hlt-sleep 100000 "$LONGMODE"; then
        gdb_script 'show architecture
hbreak *0x200
continue
printf "PC=%#x\n", $pc
detach'
        first=$GDB_OUT
        first_ok=1
        gdb_has 'currently "?i8086' && gdb_has '^Breakpoint 1, 0x0+200 in' &&
            [ "$(stop_pcs)" = 0x200 ] && gdb_has 'detached' || first_ok=0
        if [ "$first_ok" -ne 1 ]; then
            t_fail "$name" "first gdb: $(why)"
        elif ! wait_file_line "$VOUT" 'R P L' 500; then
            t_fail "$name" "guest printed '$(tr '\n' '|' <"$VOUT")'; $(why)"
        else
            gdb_script 'show architecture
info registers rip
x/i $pc
stepi
printf "PC=%#x\n", $pc
info registers rax
x/i $pc
monitor sregs'
            if gdb_has 'currently "?i386:x86-64"?\)' &&
                gdb_has '^rip +0x201 +0x201' &&
                gdb_has '^=> 0x201:[[:space:]]+movabs +\$0x1122334455667788,%rax' &&
                [ "$(stop_pcs)" = 0x20b ] &&
                gdb_has '^rax +0x1122334455667788 ' &&
                gdb_has '^=> 0x20b:[[:space:]]+inc +%rbx' &&
                gdb_has 'efer 0*500$'; then
                t_pass "$name"
            else
                t_fail "$name" "$(why) (first: $(tr '\n' '|' <"$first" | cut -c1-200))"
            fi
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- a hlt at the end of a 16-bit segment -----------------------------------

# hlt_ffff.bin: jmp main at 0, main at 0x400, hlt at 0xffff. Stepping the
# hlt must wrap IP to 0 (16-bit code); an IP of 0x10000 is past the CS
# limit and the next step takes #GP into the guest's handler.
name="stepi over a hlt at 0xffff (16-bit): pc 0x0, the next stepi reaches main"
if need "$name" "$HLT_FFFF"; then
    if vmm_gdb_start --hlt-sleep 0 --max-halts 2 "$HLT_FFFF"; then
        gdb_script 'hbreak *0xffff
continue
printf "PC=%#x\n", $pc
delete
stepi
printf "PC=%#x\n", $pc
info registers eip cs
x/i $pc
stepi
printf "PC=%#x\n", $pc
continue'
        vmm_wait_exit 5
        got=$(stop_pcs)
        if [ "$got" = "0xffff 0 0x400" ] && gdb_has '^eip +0x0 +0x0' &&
            gdb_has '^=> 0x0:[[:space:]]+jmp +0x400' &&
            [ "$(cat "$VOUT")" = "$(printf 'ffff\nwrap ok')" ]; then
            t_pass "$name"
        else
            t_fail "$name" "pcs '$got', stdout '$(tr '\n' '|' <"$VOUT")'; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# user_hlt.bin: in ring 3 (CS 0x2b) a hlt at 0x300, then ud2; the #GP
# handler (ring 0, CS 0x18) prints "gp", the #UD one "ud". A step must not
# emulate that hlt as a no-op: at CPL 3 it raises #GP.
name="stepi over a hlt at CPL 3: #GP into the ring-0 handler, not IP + 1"
if need "$name" "$USER_HLT"; then
    if vmm_gdb_start --hlt-sleep 0 --max-halts 2 "$USER_HLT"; then
        gdb_script 'hbreak *0x300
continue
printf "PC=%#x\n", $pc
info registers cs
delete
stepi
info registers cs
printf "PC=%#x\n", $pc
continue'
        vmm_wait_exit 5
        got=$(stop_pcs)
        ncs=$(grep -cE '^cs +0x' "$GDB_OUT")
        if [ "${got%% *}" = 0x300 ] && [ "${got#* }" != 0x301 ] &&
            [ "$ncs" -eq 2 ] && gdb_has '^cs +0x2b ' && gdb_has '^cs +0x18 ' &&
            gdb_has 'exited normally' &&
            [ "$(cat "$VOUT")" = "$(printf 'R P L\ngp')" ]; then
            t_pass "$name"
        else
            t_fail "$name" "pcs '$got', stdout '$(tr '\n' '|' <"$VOUT")'; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

t_done
