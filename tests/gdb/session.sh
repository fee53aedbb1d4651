#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# A stock gdb against build/vmm --gdb: connect, read and write registers and
# memory, stepi (over OUT and HLT too), continue to breakpoints, the end of
# the run, detach and reconnect, kill, monitor commands, FPU/SSE registers,
# disassembly, and a triple-faulting guest. One fresh VMM per test, every
# VMM and gdb bounded by timeout(1).
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

# vmm_out_at NAME: a gdb script line that copies the VMM's stdout as it is
# now to $T_TMP/NAME (so we can check what the guest printed by a stop).
vmm_out_at() {
    echo "shell cp '$VOUT' '$T_TMP/$1'"
}

# --- connecting -------------------------------------------------------------

name="connect: x/i \$pc is 'mov \$0x48,%al', architecture i8086 from the stub"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'x/i $pc' -ex 'show architecture'
        if gdb_has '=> 0x0:[[:space:]]+mov +\$0x48,%al' &&
            gdb_has 'currently "?i8086'; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="connect: info registers shows eip 0x0 and cs 0x0"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'info registers'
        if gdb_has '^eip +0x0 +0x0' && gdb_has '^cs +0x0 +0$'; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="memory: x/4xb 0 is b0 48 e6 f1"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'x/4xb 0'
        gdb_has '^0x0:[[:space:]]+0xb0[[:space:]]+0x48[[:space:]]+0xe6[[:space:]]+0xf1$'
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- stepping ---------------------------------------------------------------

name="stepi: \$pc 0x2, then stepi 3 -> 0x8"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_script 'stepi
printf "PC=%#x\n", $pc
stepi 3
printf "PC=%#x\n", $pc'
        got=$(stop_pcs)
        [ "$got" = "0x2 0x8" ]
        t_check "$name" $? "pcs '$got'; $(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="stepi over 'out' prints H exactly once, by the time the step stops"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script "stepi
$(vmm_out_at before)
stepi
$(vmm_out_at after)
printf \"PC=%#x\\n\", \$pc
stepi 2
$(vmm_out_at after2)"
        b=$(od -An -c "$T_TMP/before" 2>/dev/null | tr -d ' ')
        a=$(od -An -c "$T_TMP/after" 2>/dev/null | tr -d ' ')
        a2=$(od -An -c "$T_TMP/after2" 2>/dev/null | tr -d ' ')
        if [ -z "$b" ] && [ "$a" = H ] && [ "$a2" = He ] &&
            [ "$(stop_pcs)" = 0x4 ]; then
            t_pass "$name"
        else
            t_fail "$name" "stdout after mov '$b', after out '$a', two more '$a2'; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="stepi over hlt at 0x18 lands at 0x19 at once (--hlt-sleep 1000)"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 1000 "$HELLO"; then
        gdb_script 'stepi 12
printf "PC=%#x\n", $pc
shell echo T0 $(date +%s%N)
stepi
shell echo T1 $(date +%s%N)
printf "PC=%#x\n", $pc
stepi
printf "PC=%#x\n", $pc'
        t0=$(sed -n 's/^T0 //p' "$GDB_OUT")
        t1=$(sed -n 's/^T1 //p' "$GDB_OUT")
        ms=$(((${t1:-0} - ${t0:-0}) / 1000000))
        got=$(stop_pcs)
        if [ "$got" = "0x18 0x19 0" ] && [ -n "$t0" ] && [ -n "$t1" ] &&
            [ "$ms" -lt 500 ]; then
            t_pass "$name"
        else
            t_fail "$name" "pcs '$got', stepi over hlt took ${ms}ms; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- writing registers and memory -------------------------------------------

name="registers: set \$eax = 0x1234 reads back, survives a stepi"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        # mov $0x48,%al keeps the 0x12 in %ah.
        gdb_script 'set $eax = 0x1234
p/x $eax
stepi
p/x $eax'
        gdb_has '^\$1 = 0x1234$' && gdb_has '^\$2 = 0x1248$'
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="registers: set \$pc = 0x4, stepi -> 0x6 and eax has 'e'"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script 'set $pc = 0x4
printf "PC=%#x\n", $pc
stepi
printf "PC=%#x\n", $pc
p/x $al'
        got=$(stop_pcs)
        [ "$got" = "0x4 0x6" ] && gdb_has '^\$1 = 0x65$'
        t_check "$name" $? "pcs '$got'; $(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="registers: xmm0 and st0 writes read back after a stepi"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script 'set $xmm0.v4_int32[1] = 0x55aa
set $st0 = 1.5
stepi
p/x $xmm0.v4_int32
p $st0'
        gdb_has '^\$1 = \{0x0, 0x55aa, 0x0, 0x0\}$' && gdb_has '^\$2 = 1\.5$'
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="memory: set {char}1 = 0x4a, continue -> guest prints Jello"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 2 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'set {char}1 = 0x4a' -ex 'x/2xb 0' -ex 'continue'
        vmm_wait_exit 10
        if gdb_has '^0x0:[[:space:]]+0xb0[[:space:]]+0x4a$' &&
            [ "$(cat "$VOUT")" = "$(printf 'Jello\nJello')" ]; then
            t_pass "$name"
        else
            t_fail "$name" "stdout '$(head -c 40 "$VOUT" | tr '\n' '|')'; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- breakpoints and continuing ---------------------------------------------

name="hbreak *0x8 + continue stops at 0x8 (Breakpoint 1, 0x00000008)"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script 'hbreak *0x8
continue
printf "PC=%#x\n", $pc'
        got=$(stop_pcs)
        gdb_has '^Breakpoint 1, 0x00000008 in' && [ "$got" = 0x8 ]
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="break *0x4 + continue x3: stops at 0x4 each time, one H per loop"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_script "break *0x4
continue
printf \"PC=%#x\\n\", \$pc
$(vmm_out_at o1)
continue
printf \"PC=%#x\\n\", \$pc
$(vmm_out_at o2)
continue
printf \"PC=%#x\\n\", \$pc
$(vmm_out_at o3)"
        got=$(stop_pcs)
        n1=$(tr -cd H <"$T_TMP/o1" 2>/dev/null | wc -c)
        n2=$(tr -cd H <"$T_TMP/o2" 2>/dev/null | wc -c)
        n3=$(tr -cd H <"$T_TMP/o3" 2>/dev/null | wc -c)
        hits=$(grep -c '^Breakpoint 1, 0x00000004' "$GDB_OUT")
        if [ "$got" = "0x4 0x4 0x4" ] && [ "$hits" -eq 3 ] &&
            [ "$n1$n2$n3" = 123 ] &&
            [ "$(cat "$T_TMP/o3")" = "$(printf 'Hello\nHello\nH')" ]; then
            t_pass "$name"
        else
            t_fail "$name" "pcs '$got', $hits hits, H counts $n1 $n2 $n3; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="continue to the end (--max-halts 1): gdb says exited normally, VMM exits 0"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'continue'
        vmm_wait_exit 5
        if gdb_has 'exited normally' && [ "${VRC:-x}" = 0 ] &&
            [ "$(cat "$VOUT")" = Hello ]; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- detach, reconnect, kill ------------------------------------------------

name="detach: the guest runs on, a second gdb connects and sees a stop"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 10 "$HELLO"; then
        gdb_run -ex 'stepi' -ex 'detach'
        out1=$GDB_OUT
        if ! grep -q 'detached' "$out1"; then
            t_fail "$name" "first gdb: $(why)"
        elif ! wait_file_line "$VOUT" 'Hello' 500; then
            t_fail "$name" "no guest output after detach; $(why)"
        else
            gdb_run -ex 'printf "PC=%#x\n", $pc' -ex 'info registers eip' \
                -ex 'x/xb 0' -ex 'detach'
            n=$(vmm_out_count H)
            if gdb_has '^PC=0x[0-9a-f]+$|^PC=0$' &&
                gdb_has '^eip +0x[0-9a-f]+' && gdb_has '^0x0:[[:space:]]+0xb0' &&
                vmm_alive; then
                t_pass "$name"
            else
                t_fail "$name" "second gdb ($n H printed): $(why)"
            fi
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="protected mode: a debugger attaching then is told i386 and sees 32-bit code"
UD_PM=$G/ud_pm.bin
if need "$name" "$UD_PM"; then
    # ud_pm enters protected mode, takes #UD through its IDT and halts;
    # the long HLT pause keeps it there while the second gdb attaches.
    if vmm_gdb_start --hlt-sleep 100000 "$UD_PM"; then
        gdb_run -ex 'show architecture' -ex 'detach'
        first_i8086=1
        gdb_has 'currently "?i8086' || first_i8086=0
        if wait_file_line "$VOUT" 'ud handled' 500; then
            gdb_run -ex 'show architecture' -ex 'info registers cs' \
                -ex 'x/i $pc' -ex 'monitor sregs'
            if [ "$first_i8086" -eq 1 ] && gdb_has 'currently "?i386"?\)' &&
                gdb_has '^cs +0x8 ' && gdb_has '^=> 0x[0-9a-f]+:' &&
                gdb_has '^cr0 0*6000001[01]'; then
                t_pass "$name"
            else
                t_fail "$name" "$(why)"
            fi
        else
            t_fail "$name" "the guest never reached its #UD handler; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="kill: the VMM exits 0 within 2 s"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'stepi' -ex 'kill'
        t0=$(now_ms)
        vmm_wait_exit 2
        ms=$(($(now_ms) - t0))
        [ "${VRC:-x}" = 0 ]
        t_check "$name" $? "exit waited ${ms}ms; $(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="kill: gdb reports no error (vKill gets its OK before the close)"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'kill' -ex 'echo AFTER-KILL\n' -ex 'info inferiors'
        vmm_wait_exit 2
        if [ "$GDB_RC" -eq 0 ] && ! gdb_has 'Remote connection closed|rror' &&
            gdb_has '^AFTER-KILL'; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- monitor commands -------------------------------------------------------

name="monitor help lists regs [N], sregs [N], cpus, host, stats, breakpoints"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'monitor help'
        ok=0
        for c in 'regs \[N\]' 'sregs \[N\]' cpus host stats breakpoints; do
            gdb_has "^$c +[a-zA-Z]" || ok=1
        done
        t_check "$name" $ok "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="monitor sregs shows cr0 (PE clear) and gdtr; monitor regs cs:ip"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'monitor sregs' -ex 'monitor regs' -ex 'monitor stats' \
            -ex 'monitor host'
        cr0=$(grep -oE 'cr0 [0-9a-f]+' "$GDB_OUT" | head -n 1 | cut -d' ' -f2)
        if [ -n "$cr0" ] && [ $((0x$cr0 & 1)) -eq 0 ] && gdb_has '^gdtr ' &&
            gdb_has '^idtr ' && gdb_has 'cs:ip 0000:0000' &&
            ! gdb_has 'unknown monitor command'; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="monitor with an unknown command answers, the session goes on"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'monitor no-such-command' -ex 'printf "PC=%#x\n", $pc'
        gdb_has 'unknown monitor command' && [ "$(stop_pcs)" = 0 ]
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- FPU/SSE registers, disassembly -----------------------------------------

# Plain `info registers` is gdb's "general" group, which never has st0 on
# x86 (not with gdbserver or QEMU either): we ask for st0 by name/group.
name="info registers st0 / float group; info all-registers has xmm0 and mxcsr"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'info registers st0' -ex 'info registers float' \
            -ex 'info all-registers'
        if gdb_has '^st0 +0 +\(raw 0x0+\)' && gdb_has '^fctrl +0x37f' &&
            gdb_has '^xmm0 +\{' && gdb_has '^mxcsr +0x' &&
            gdb_has '^st7 ' && gdb_has '^xmm7 '; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="x/2i 0x18 shows hlt and jmp 0x0"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'x/2i 0x18'
        gdb_has '0x18:[[:space:]]+hlt' && gdb_has '0x19:[[:space:]]+jmp +0x0$'
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="disassemble 0,0x1b: 14 instructions, 16-bit"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$HELLO"; then
        gdb_run -ex 'disassemble 0,0x1b'
        n=$(grep -cE '^(=>)? +0x000000[01][0-9a-f]:' "$GDB_OUT")
        if [ "$n" -eq 14 ] &&
            gdb_has '0x00000000:[[:space:]]+mov +\$0x48,%al' &&
            gdb_has '0x00000016:[[:space:]]+out +%al,\$0xf1' &&
            gdb_has '0x00000018:[[:space:]]+hlt' &&
            gdb_has '0x00000019:[[:space:]]+jmp +0x0'; then
            t_pass "$name"
        else
            t_fail "$name" "$n instructions; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# hello's instructions decode the same in 32-bit mode; watch.bin's
# "incb 0x200" (fe 06 00 02) does not, so it shows gdb decodes 16-bit.
name="disassemble watch.bin 0x10,0x1c: incb 0x200, mov 0x200,%al (16-bit)"
if need "$name" "$WATCH"; then
    if vmm_gdb_start --max-halts 1 --hlt-sleep 0 "$WATCH"; then
        gdb_run -ex 'disassemble 0x10,0x1c'
        gdb_has '0x00000010:[[:space:]]+incb +0x200$' &&
            gdb_has '0x00000014:[[:space:]]+mov +0x200,%al$' &&
            gdb_has '0x00000019:[[:space:]]+hlt' &&
            gdb_has '0x0000001a:[[:space:]]+jmp +0x10$'
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- a crashing guest -------------------------------------------------------

name="triple fault: gdb gets SIGSEGV, registers still readable"
if need "$name" "$TRIPLE"; then
    if vmm_gdb_start --hlt-sleep 0 "$TRIPLE"; then
        gdb_run -ex 'continue' -ex 'info registers eip cs' -ex 'x/2xb $pc'
        if gdb_has 'Program received signal SIGSEGV' &&
            gdb_has '^eip +0x3f ' && gdb_has '^cs +0x8 ' &&
            gdb_has '^0x3f:[[:space:]]+0x0f[[:space:]]+0x0b$' &&
            [ "$(cat "$VOUT")" = triple ]; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# --- Ctrl-C, a vanished gdb, big memory transfers ----------------------------

name="Ctrl-C in gdb stops a spinning guest (SIGINT, pc in the loop at 0x14)"
if need "$name" "$SPIN"; then
    if vmm_gdb_start --hlt-sleep 0 "$SPIN"; then
        gdb_bg -ex 'continue' -ex "printf \"PC=%#x\\n\", \$pc" -ex 'x/i $pc'
        if wait_file_line "$VOUT" spin 500; then
            gdb_interrupt
            if gdb_has 'Program received signal SIGINT' &&
                [ "$(stop_pcs)" = 0x14 ] && gdb_has 'jmp +0x14' &&
                [ "$INT_MS" -lt 3000 ]; then
                t_pass "$name"
            else
                t_fail "$name" "gdb ended ${INT_MS}ms after SIGINT; $(why)"
            fi
        else
            kill -INT "$GDB_PID" 2>/dev/null
            gdb_bg_wait
            t_fail "$name" "guest never ran; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="Ctrl-C in gdb during a 5 s HLT pause stops within 1 s"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 5000 "$HELLO"; then
        gdb_bg -ex 'continue' -ex "printf \"PC=%#x\\n\", \$pc"
        if wait_file_line "$VOUT" Hello 500; then
            gdb_interrupt
            if gdb_has 'Program received signal SIGINT' &&
                [ -n "$(stop_pcs)" ] && [ "$INT_MS" -lt 1000 ]; then
                t_pass "$name"
            else
                t_fail "$name" "gdb ended ${INT_MS}ms after SIGINT; $(why)"
            fi
        else
            kill -INT "$GDB_PID" 2>/dev/null
            gdb_bg_wait
            t_fail "$name" "guest never ran; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

# gdb dies (kill -9) with a breakpoint inserted: the stub must drop it (the
# guest runs on, not stopped at 0x4 with nobody to tell), and a new gdb
# finds no stale breakpoint.
name="gdb killed with a breakpoint inserted: guest runs on, next gdb sees none"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        gdb_bg -ex 'set breakpoint always-inserted on' -ex 'break *0x4' \
            -ex 'monitor breakpoints' -ex 'shell kill -9 $PPID'
        gdb_bg_wait 2>/dev/null
        first=$GDB_OUT
        if ! grep -qE '0x4' "$first"; then
            t_fail "$name" "breakpoint not inserted: $(why)"
        elif ! wait_file_line "$VOUT" 'Hello' 500 ||
            ! wait_file_line "$VERR" 'disconnected\|connection lost' 100; then
            t_fail "$name" "guest did not run on; $(why)"
        else
            gdb_run -ex 'monitor breakpoints' -ex "printf \"PC=%#x\\n\", \$pc"
            gdb_has 'no breakpoints' && [ -n "$(stop_pcs)" ] &&
                [ "$(vmm_out_count H)" -ge 2 ]
            t_check "$name" $? "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="memory: 1 MiB dump matches the image, 64 KiB restore reads back, bt ok"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        head -c 65536 /dev/urandom >"$T_TMP/rand64k"
        gdb_run -ex "dump binary memory $T_TMP/dump1m 0 0x100000" \
            -ex "restore $T_TMP/rand64k binary 0x10000" \
            -ex "dump binary memory $T_TMP/dump64k 0x10000 0x20000" \
            -ex 'bt' -ex 'x/xb 0x100000'
        size=$(wc -c <"$T_TMP/dump1m" 2>/dev/null || echo 0)
        if [ "$size" -eq 1048576 ] &&
            cmp -s <(head -c "$(wc -c <"$HELLO")" "$T_TMP/dump1m") "$HELLO" &&
            cmp -s "$T_TMP/rand64k" "$T_TMP/dump64k" &&
            gdb_has '^#0 +0x00000000 in' &&
            gdb_has 'Cannot access memory at address 0x100000'; then
            t_pass "$name"
        else
            t_fail "$name" "dump $size bytes; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="stepi over the HLT that reaches --max-halts: exited normally, VMM exit 0"
if need "$name" "$HELLO"; then
    if vmm_gdb_start --hlt-sleep 0 --max-halts 1 "$HELLO"; then
        gdb_run -ex 'stepi 12' -ex "printf \"PC=%#x\\n\", \$pc" -ex 'stepi'
        vmm_wait_exit 5
        [ "$(stop_pcs)" = 0x18 ] && gdb_has 'exited normally' &&
            [ "${VRC:-x}" = 0 ]
        t_check "$name" $? "$(why)"
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

t_done
