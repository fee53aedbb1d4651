#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Snapshots with several vCPUs (--smp 2 and 3, tests/guests/pc_smpsnap.S:
# the BSP prints a letter a round, AP 1 counts in ap_count and ECX, AP 2
# halts with interrupts off). savevm with an AP waiting for its SIPI and
# with the APs running; continuing changes the counters and prints; after
# loadvm every thread's registers (`thread apply all`, `info registers`),
# the thread states (`info threads`) and memory are the saved ones, and
# continuing prints what it printed after the save; loadvm of the boot
# snapshot gives back APs waiting for SIPI that start again. A halted AP
# comes back halted (it never runs past its hlt). savevm-file, then
# --restore in a fresh process (vCPU count from the file, or --smp that
# agrees) with and without gdb goes on identically; a --smp that differs
# is exit 2. Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

SS=$G/pc_smpsnap.bin
SNAP=$T_TMP/smp.snap
# Every thread's registers, all of them, memory, the thread states.
DUMP='thread apply all printf "R %x %x %x %x %x %x %x %x\n", $pc, $eax, $ebx, $ecx, $edx, $esi, $esp, $eflags
thread apply all info registers
x/6wx 0x200
info threads
echo ==/==\n'
# The same without `info registers` (whose layout follows the BSP's mode).
SHORT='thread apply all printf "R %x %x %x %x %x %x %x %x\n", $pc, $eax, $ebx, $ecx, $edx, $esi, $esp, $eflags
x/6wx 0x200
info threads
echo ==/==\n'

# section NAME: the lines of the last gdb output after "==NAME==" up to
# the next "==...==" marker, gdb's own thread numbers taken out ("Thread
# 3 (Thread 2 (CPU#1 ...)):" and "* 3    Thread 2 ..." become "Thread 2
# (CPU#1 ...)"): gdb renumbers threads after an exec event and in a new
# session, the vCPUs keep theirs.
section() {
    awk -v m="==$1==" '$0 == m { on = 1; next } /^==.*==$/ { on = 0 } on' \
        "$GDB_OUT" | sed -E 's/^Thread [0-9]+ \((Thread [0-9]+ \(CPU#[0-9]+ \[[^]]*\]\))\):$/\1:/; s/^[* ] +[0-9]+ +(Thread [0-9]+ \(CPU#)/\1/; s/ +$//'
}

# cpu_line SECTION N: vCPU N's "R ..." line in SECTION (of section()).
cpu_line() {
    section "$1" | awk -v h="^Thread $(($2 + 1)) \\\\(CPU#$2 " \
        '$0 ~ h && /:$/ { on = 1; next } on && /^R / { print; exit }'
}

# word ADDR SECTION: the 32-bit word at ADDR (0x200 + 4k) in SECTION.
word() {
    section "$2" | awk -v k=$((($1 - 0x200) / 4 + 2)) \
        '/^0x200:/ { print $k; exit }'
}

# --- two vCPUs: an AP waiting for SIPI, then running ----------------------------

name="--smp 2: savevm with the AP running, continue, loadvm: every thread, memory and states back"
if need "$name" "$SS" && vmm_gdb_start --machine pc --smp 2 "$SS"; then
    gdb_script "echo ==boot==\\n
$SHORT
monitor savevm boot
hbreak *0x400
continue
continue
continue
monitor savevm run
monitor savevm-file $SNAP
echo ==run==\\n
$DUMP
continue
continue
continue
continue
echo ==later==\\n
$DUMP
monitor loadvm run
maint flush register-cache
echo ==loaded==\\n
$DUMP
continue
continue
continue
continue
echo ==again==\\n
$DUMP
monitor loadvm boot
maint flush register-cache
echo ==reboot==\\n
$SHORT
continue
continue
continue
echo ==rerun==\\n
x/6wx 0x200
info threads
kill"
    vmm_wait_exit 10
    run=$(section run) loaded=$(section loaded)
    bsp_later=$(cpu_line later 0) bsp_again=$(cpu_line again 0)
    if [ -z "$run" ] || [ "$run" != "$loaded" ] ||
        ! grep -q 'CPU#1 \[running\]' <<<"$run" ||
        [ "$(grep -c '^R ' <<<"$run")" -ne 2 ]; then
        t_fail "$name" "after loadvm: $(diff <(echo "$run") <(echo "$loaded") | head -c 600); $(why)"
    elif [ "$(word 0x204 later)" = "$(word 0x204 run)" ] ||
        [ "$(word 0x208 later)" = "$(word 0x208 run)" ] ||
        [ "$(cpu_line later 1)" = "$(cpu_line run 1)" ]; then
        t_fail "$name" "continuing changed nothing: bsp_count $(word 0x204 run)/$(word 0x204 later) ap_count $(word 0x208 run)/$(word 0x208 later)"
    elif [ -z "$bsp_later" ] || [ "$bsp_later" != "$bsp_again" ] ||
        [ "$(word 0x204 later)" != "$(word 0x204 again)" ]; then
        t_fail "$name" "the BSP after loadvm went elsewhere: '$bsp_later' vs '$bsp_again'"
    else
        t_pass "$name"
    fi

    name="--smp 2: loadvm of the boot snapshot: the AP waits for SIPI again, then starts"
    boot=$(section boot) reboot=$(section reboot) rerun=$(section rerun)
    if [ -z "$boot" ] || [ "$boot" != "$reboot" ] ||
        ! grep -q 'CPU#1 \[wait-for-SIPI\]' <<<"$reboot"; then
        t_fail "$name" "$(diff <(echo "$boot") <(echo "$reboot") | head -c 600); $(why)"
    elif ! grep -q 'CPU#1 \[running\]' <<<"$rerun" ||
        [ "$(word 0x200 rerun)" != 0x00010002 ]; then
        # 0x200: ncpus 2 (word), checkin 1 (word)
        t_fail "$name" "after the boot snapshot: $(echo "$rerun" | tr '\n' '|')"
    else
        t_pass "$name"
    fi

    name="--smp 2: console output after loadvm goes on as after the save"
    # "bc" to the third hit, "defg" after the save, again after loadvm
    # run, "bc" from the boot snapshot to its third hit.
    out=$(cat "$VOUT")
    t_check "$name" "$([ "$out" = bcdefgdefgbc ] && echo 0 || echo 1)" \
        "stdout '$out', want 'bcdefgdefgbc'"
    SAVED_RUN=$run SAVED_BSP=$bsp_later
else
    SAVED_RUN=
fi

name="--smp 2: savevm while gdb steps the BSP (the AP running): loadvm, the same steps again"
if need "$name" "$SS" && vmm_gdb_start --machine pc --smp 2 "$SS"; then
    # After the second hit 'b' is out; 5 steps reach the division, 7 more
    # print 'c' (once after the save, again after loadvm).
    gdb_script "hbreak *0x400
continue
continue
delete
stepi 5
monitor savevm st
echo ==s0==\\n
$SHORT
stepi 7
echo ==s1==\\n
$SHORT
monitor loadvm st
maint flush register-cache
echo ==s2==\\n
$SHORT
stepi 7
echo ==s3==\\n
$SHORT
kill"
    vmm_wait_exit 10
    s0=$(section s0) s2=$(section s2)
    if [ -z "$s0" ] || [ "$s0" != "$s2" ]; then
        t_fail "$name" "$(diff <(echo "$s0") <(echo "$s2") | head -c 600); $(why)"
    elif [ -z "$(cpu_line s1 0)" ] || [ "$(cpu_line s1 0)" != "$(cpu_line s3 0)" ] ||
        [ "$(cat "$VOUT")" != bcc ]; then
        t_fail "$name" "BSP '$(cpu_line s1 0)' vs '$(cpu_line s3 0)', stdout '$(cat "$VOUT")'; $(why)"
    else
        t_pass "$name"
    fi
fi

# --- the file in a fresh process ----------------------------------------------

name="--restore of a 2-vCPU file with --smp 2 --gdb: every thread as saved, the same output on"
if need "$name" "$SS" && [ -s "$SNAP" ] && [ -n "$SAVED_RUN" ] &&
    vmm_gdb_start --restore "$SNAP" --smp 2; then
    gdb_script "echo ==r==\\n
$DUMP
hbreak *0x400
continue
continue
continue
continue
echo ==later==\\n
$DUMP
kill"
    vmm_wait_exit 10
    got=$(section r)
    if [ "$got" != "$SAVED_RUN" ]; then
        t_fail "$name" "$(diff <(echo "$SAVED_RUN") <(echo "$got") | head -c 600); $(why)"
    elif [ "$(cpu_line later 0)" != "$SAVED_BSP" ] ||
        [ "$(cat "$VOUT")" != defg ]; then
        t_fail "$name" "BSP '$(cpu_line later 0)' want '$SAVED_BSP', stdout '$(cat "$VOUT")'"
    else
        t_pass "$name"
    fi
fi

name="--restore of a 2-vCPU file without --smp or gdb: runs on from the save (exit 33)"
if need "$name" && [ -s "$SNAP" ]; then
    timeout 60 "$VMM" --restore "$SNAP" >"$T_TMP/out" 2>"$T_TMP/err"
    rc=$?
    # Rounds 3..40 of 'a' + round % 26, then the newline.
    want=$(printf 'defghijklmnopqrstuvwxyzabcdefghijklmno')
    t_check "$name" "$([ "$rc" -eq 33 ] && [ "$(cat "$T_TMP/out")" = "$want" ] && echo 0 || echo 1)" \
        "rc $rc, stdout '$(cat "$T_TMP/out")', stderr $(head -c 300 "$T_TMP/err")"
fi

for n in 1 3; do
    name="--restore of a 2-vCPU file with --smp $n: exit 2 with a message"
    if need "$name" && [ -s "$SNAP" ]; then
        timeout 10 "$VMM" --restore "$SNAP" --smp $n >"$T_TMP/out" 2>"$T_TMP/err"
        rc=$?
        t_check "$name" "$([ "$rc" -eq 2 ] && grep -q "the snapshot has 2 vCPU(s), --smp says $n" "$T_TMP/err" && [ ! -s "$T_TMP/out" ] && echo 0 || echo 1)" \
            "rc $rc, stderr $(head -c 300 "$T_TMP/err")"
    fi
done

name="--restore of the fuzz seed (2 vCPUs, a pc with 16 KiB of RAM): exit 2, not a crash"
if need "$name"; then
    timeout 10 "$VMM" --restore tests/fuzz/corpus_snapfile/pc-smp2 \
        >/dev/null 2>"$T_TMP/err"
    rc=$?
    t_check "$name" "$([ "$rc" -eq 2 ] && grep -q 'less than 2M' "$T_TMP/err" && echo 0 || echo 1)" \
        "rc $rc, stderr $(head -c 300 "$T_TMP/err")"
fi

name="--record with --smp 2 is refused (exit 2)"
if need "$name" "$SS"; then
    timeout 10 "$VMM" --machine pc --smp 2 --record --gdb 1 "$SS" \
        >/dev/null 2>"$T_TMP/err"
    rc=$?
    t_check "$name" "$([ "$rc" -eq 2 ] && grep -q -- '--record knows one vCPU' "$T_TMP/err" && echo 0 || echo 1)" \
        "rc $rc, stderr $(head -c 300 "$T_TMP/err")"
fi

# --- three vCPUs: a halted AP ----------------------------------------------------

# The boot snapshot at connect, then the guest runs (a long loop) with no
# debugger until AP 2 halted (it stays halted: interrupts are off); each
# look is one attach, `info threads`, detach.
name="--smp 3: a halted AP comes back halted from loadvm (after one of the boot snapshot)"
if need "$name" "$SS" && vmm_gdb_start --machine pc --smp 3 "$SS"; then
    gdb_script 'monitor savevm boot
set {int}0x210 = 100000000
detach'
    halted=1
    for ((i = 0; i < 20; i++)); do
        gdb_script 'info threads
detach'
        if gdb_has 'CPU#2 \[halted\]'; then
            halted=0
            break
        fi
    done
    if [ "$halted" -ne 0 ]; then
        t_fail "$name" "AP 2 never halted: $(why)"
    else
        gdb_script "monitor savevm h
echo ==h==\\n
$DUMP
monitor loadvm boot
maint flush register-cache
echo ==boot==\\n
$SHORT
monitor loadvm h
maint flush register-cache
echo ==hl==\\n
$DUMP
hbreak *0x400
continue
continue
echo ==after==\\n
$SHORT
kill"
        h=$(section h) hl=$(section hl) boot=$(section boot) after=$(section after)
        if [ -z "$h" ] || [ "$h" != "$hl" ] || ! grep -q 'CPU#2 \[halted\]' <<<"$hl"; then
            t_fail "$name" "$(diff <(echo "$h") <(echo "$hl") | head -c 600); $(why)"
        elif [ "$(grep -cE "^Thread [23] \(CPU#[12] \[wait-for-SIPI\]\) +0x" <<<"$boot")" -ne 2 ]; then
            t_fail "$name" "the boot snapshot: $(echo "$boot" | tr '\n' '|')"
        elif ! grep -q 'CPU#2 \[halted\]' <<<"$after" ||
            [ "$(word 0x20c h)" != 0x00000000 ] ||
            [ "$(word 0x20c after)" != 0x00000000 ] ||
            [ "$(cpu_line after 2)" != "$(cpu_line h 2)" ]; then
            t_fail "$name" "after continuing: $(echo "$after" | tr '\n' '|')"
        else
            t_pass "$name"
        fi
    fi
    vmm_stop
fi

t_done
