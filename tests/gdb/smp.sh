#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# --smp N: the pc_smp guest starts N-1 APs with INIT/SIPI and counts them;
# every vCPU is a gdb thread: thread list and states, a breakpoint in the
# AP loop stops with that thread current, thread 1 shows the BSP where it
# was, Ctrl-C stops all, a watchpoint fires on the AP that wrote, stepping
# with scheduler-locking leaves the others alone, detach and reattach,
# kill; the raw thread packets. One fresh VMM per test, every VMM and gdb
# bounded by timeout(1). Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

SMP=$G/pc_smp.bin
RSP=${RSP:-$BUILD/tests/tools/rspclient}
RSP_TO=${RSP_TO:-30}
TO=30

# pc_smp.bin: `stay` (byte) at 0x200, counter (word) 0x202, ap_spins
# (dword) 0x208; ap_loop 0x300-0x30a (real mode, CS 0), bsp_loop
# 0x400-0x40a (32-bit); the BSP waits for the APs at 0x5b-0x90.
STAY=$T_TMP/pc_smp_stay.bin
[ -f "$SMP" ] && cp "$SMP" "$STAY" &&
    printf '\001' | dd of="$STAY" bs=1 seek=512 conv=notrunc status=none

in_range() { # HEX LO HI
    local v=$(($1))
    [ "$v" -ge $(($2)) ] && [ "$v" -le $(($3)) ]
}

# --- without gdb --------------------------------------------------------------

for n in 1 2 4; do
    name="--smp $n: the BSP starts $((n - 1)) AP(s), each counts once (exit 33)"
    if need "$name" "$SMP"; then
        timeout $TO "$VMM" --machine pc --smp "$n" "$SMP" >"$T_TMP/out" \
            2>"$T_TMP/err"
        rc=$?
        if [ "$rc" -eq 33 ] && [ "$(cat "$T_TMP/out")" = "smp $((n - 1))" ]; then
            t_pass "$name"
        else
            t_fail "$name" "exit $rc, out '$(cat "$T_TMP/out")', err $(head -c 300 "$T_TMP/err")"
        fi
    fi
done

for args in "--smp 2|bare" "--smp 0|0" "--smp 255|255" "--smp x|x"; do
    name="usage: ${args%%|*} ($([ "${args#*|}" = bare ] && echo "bare machine" || echo "--machine pc")) exits 2"
    if need "$name" "$SMP"; then
        extra=(--machine pc)
        [ "${args#*|}" = bare ] && extra=()
        # shellcheck disable=SC2086 # the option and its value
        timeout $TO "$VMM" "${extra[@]}" ${args%%|*} "$SMP" >"$T_TMP/out" \
            2>"$T_TMP/err"
        rc=$?
        if [ "$rc" -eq 2 ] && grep -q -- '--smp' "$T_TMP/err" &&
            [ ! -s "$T_TMP/out" ]; then
            t_pass "$name"
        else
            t_fail "$name" "exit $rc, err $(head -c 300 "$T_TMP/err")"
        fi
    fi
done

name="--smp 4, all spinning: SIGTERM ends the VMM with 0"
if need "$name" "$SMP"; then
    VMM_BG_TO=$TO vmm_bg --machine pc --smp 4 "$STAY"
    if wait_file_line "$VOUT" 'smp 3' 1000; then
        sleep 0.2
        kill -TERM "${VCHILD:-$VPID}"
        wait "$VPID"
        rc=$?
        if [ "$rc" -eq 0 ] && [ ! -s "$VERR" ]; then
            t_pass "$name"
        else
            t_fail "$name" "exit $rc, err $(head -c 300 "$VERR")"
        fi
    else
        t_fail "$name" "no 'smp 3': $(cat "$VOUT") $(head -c 300 "$VERR")"
        vmm_stop
    fi
fi

# --- gdb ----------------------------------------------------------------------

name="gdb --smp 4: 4 threads at connect, the APs wait for SIPI"
if need "$name" "$SMP"; then
    if vmm_gdb_start --machine pc --smp 4 "$SMP"; then
        gdb_run -ex 'info threads'
        if gdb_has '^\* 1 +Thread 1 \(CPU#0 \[running\]\)' &&
            gdb_has '^  4 +Thread 4 \(CPU#3 \[wait-for-SIPI\]\)' &&
            [ "$(grep -c 'wait-for-SIPI' "$GDB_OUT")" -eq 3 ]; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="gdb --smp 4: hbreak in the AP loop stops on an AP; thread 1 is the BSP; detach, reattach, kill"
if need "$name" "$SMP"; then
    if vmm_gdb_start --machine pc --smp 4 "$SMP"; then
        gdb_script 'set {char}0x200 = 1
hbreak *0x300
continue
printf "CUR=%d\n", $_thread
printf "PC=%#x\n", $pc
thread 1
printf "BSP=%#x\n", $pc
info threads
detach'
        cur=$(grep -oE '^CUR=[0-9]+' "$GDB_OUT" | cut -d= -f2)
        bsp=$(grep -oE '^BSP=0x[0-9a-f]+' "$GDB_OUT" | cut -d= -f2)
        if gdb_has '^Thread [234] hit Breakpoint 1, 0x00000300' &&
            [ "$(stop_pcs)" = 0x300 ] && [ "${cur:-0}" -ge 2 ] &&
            [ -n "$bsp" ] && { in_range "$bsp" 0x5b 0x90 ||
            in_range "$bsp" 0x400 0x40a; } &&
            [ "$(grep -cE '^[ *] +[1-4] +Thread [1-4] \(CPU#[0-3] ' "$GDB_OUT")" -eq 4 ]; then
            gdb_run -ex 'info threads' -ex 'x/hx 0x202' -ex 'kill'
            if [ "$(grep -cE '^[ *] +[1-4] +Thread [1-4] \(CPU#[0-3] ' "$GDB_OUT")" -eq 4 ] &&
                gdb_has 'in \?\? \(\)' && gdb_has '0x202:[[:space:]]+0x0003' &&
                vmm_wait_exit 500 && [ "$VRC" -eq 0 ]; then
                t_pass "$name"
            else
                t_fail "$name" "reattach: $(why)"
            fi
        else
            t_fail "$name" "cur '$cur' bsp '$bsp': $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="gdb --smp 4: Ctrl-C stops every vCPU (SIGINT, 4 threads, the AP loop among them)"
if need "$name" "$SMP"; then
    if vmm_gdb_start --machine pc --smp 4 "$SMP"; then
        gdb_bg -ex 'set {char}0x200 = 1' -ex 'continue' -ex 'info threads'
        if wait_file_line "$VOUT" 'smp 3' 1000; then
            sleep 0.2
            gdb_interrupt
            if gdb_has 'received signal SIGINT' &&
                [ "$(grep -cE '^[ *] +[0-9]+ +Thread [1-4] \(CPU#[0-3] ' "$GDB_OUT")" -eq 4 ] &&
                gdb_has 'Thread [234] \(CPU#[123] \[running\]\) 0x0000030'; then
                t_pass "$name"
            else
                t_fail "$name" "$(why)"
            fi
        else
            kill -INT "$GDB_PID" 2>/dev/null
            gdb_bg_wait
            t_fail "$name" "guest never counted: $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="gdb --smp 4: a write watchpoint on the counter stops on the AP that wrote it"
if need "$name" "$SMP"; then
    if vmm_gdb_start --machine pc --smp 4 "$SMP"; then
        gdb_script 'set {char}0x200 = 1
watch *(short *)0x202
continue
printf "CUR=%d\n", $_thread
delete
detach'
        cur=$(grep -oE '^CUR=[0-9]+' "$GDB_OUT" | cut -d= -f2)
        if gdb_has '^Thread [234] hit Hardware watchpoint 1: \*\(short \*\)0x202' &&
            gdb_has '^Old value = 0$' && gdb_has '^New value = 1$' &&
            [ "${cur:-0}" -ge 2 ]; then
            t_pass "$name"
        else
            t_fail "$name" "cur '$cur': $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="gdb --smp 4: stepi with scheduler-locking on moves thread 1 only"
if need "$name" "$SMP"; then
    if vmm_gdb_start --machine pc --smp 4 "$SMP"; then
        gdb_script 'set {char}0x200 = 1
hbreak *0x400
continue
delete
set scheduler-locking on
x/wx 0x208
printf "PC=%#x\n", $pc
stepi
printf "PC=%#x\n", $pc
stepi
printf "PC=%#x\n", $pc
x/wx 0x208
detach'
        spins=$(grep -oE '^0x208:[[:space:]]+0x[0-9a-f]+' "$GDB_OUT" |
            awk '{print $2}' | sort -u | wc -l)
        if gdb_has '^Thread 1 hit Breakpoint 1, 0x00000400' &&
            [ "$(stop_pcs)" = "0x400 0x406 0x400" ] && [ "$spins" -eq 1 ]; then
            t_pass "$name"
        else
            t_fail "$name" "pcs '$(stop_pcs)' spins $spins: $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

name="raw: qfThreadInfo, qC, qThreadExtraInfo, Hg, T with --smp 4; the MP tables"
if need "$name" "$SMP" "$RSP"; then
    if vmm_gdb_start --machine pc --smp 4 "$SMP"; then
        # "CPU#2 [wait-for-SIPI]" in hex; an AP waiting for its SIPI is at
        # the reset vector, CS base 0xffff0000 + IP 0xfff0 (gdb's pc is
        # linear in 16-bit code).
        hex=$(printf 'CPU#2 [wait-for-SIPI]' | od -An -tx1 | tr -d ' \n')
        if rsp "$T_TMP/r" pkt:qfThreadInfo expect:m1,2,3,4 \
            pkt:qsThreadInfo expect:l pkt:qC expect:QC1 \
            "pkt:qThreadExtraInfo,3" "expect:$hex" pkt:T4 expect:OK \
            pkt:T5 'expect:E*' pkt:Hg3 expect:OK pkt:qC expect:QC3 \
            pkt:p8 expect:f0ffffff pkt:Hg1 expect:OK pkt:p8 expect:00000000 \
            pkt:Hg5 'expect:E*' 'pkt:vCont;c:5' 'expect:E*' \
            'pkt:vCont;t:2' 'expect:T00thread:1;*' \
            pkt:m9fc00,4 expect:5f4d505f pkt:mee000,4 expect:50434d50; then
            t_pass "$name"
        else
            t_fail "$name" "$(tr '\n' '|' <"$T_TMP/r") $(tail -c 300 "$T_TMP/rsp.err")"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

t_done
