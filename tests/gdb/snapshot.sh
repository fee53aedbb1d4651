#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Snapshots: monitor savevm/loadvm/delvm/info snapshots round trips on the
# bare machine (registers, memory, console output going on the same) and
# on the pc machine (device state: the UART scratch register and CMOS
# bytes the guest counts in); monitor savevm-file and --restore in a fresh
# process, with --gdb (stopped at the saved point) and without (running,
# output continuing where it was); bad snapshot files end with exit 2 and
# a message, never a crash.
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

REC=$G/rec.bin
PCS=$G/pc_snap.bin
REGS='printf "R %x %x %x %x %x %x %x\n", $pc, $eax, $ebx, $ecx, $edx, $eflags, $esp'

# The rec.bin letters for rounds 1..n: 'a' + (round & 7).
letters() {
    local i s=""
    for ((i = 1; i <= $1; i++)); do
        s+=$(printf "\\$(printf '%03o' $((97 + (i & 7))))")
    done
    printf '%s' "$s"
}

# regs_at N: the N-th "R ..." line of the last gdb output (1-based).
regs_at() {
    grep -E '^R ' "$GDB_OUT" | sed -n "${1}p"
}

# round_trip NAME MACHINE-ARGS... : stepi 60, savevm, stepi 150, loadvm,
# stepi 150: the registers after loadvm are the saved ones, those 150
# steps later the same as the first time.
round_trip() {
    local name=$1
    shift
    gdb_script "set {short}0x700 = 0x1111
stepi 60
monitor savevm s1
$REGS
printf \"M %x\\n\", *(short *)0x700
set {short}0x700 = 0x2222
stepi 150
$REGS
monitor info snapshots
monitor loadvm s1
maint flush register-cache
$REGS
printf \"M %x\\n\", *(short *)0x700
stepi 150
$REGS
monitor loadvm nosuch
monitor delvm s1
monitor info snapshots
kill"
    vmm_wait_exit 10
    local r1 r2 r3 r4
    r1=$(regs_at 1) r2=$(regs_at 2) r3=$(regs_at 3) r4=$(regs_at 4)
    if [ -z "$r1" ] || [ "$r1" = "$r2" ] || [ "$r1" != "$r3" ] ||
        [ "$r2" != "$r4" ]; then
        t_fail "$name" "saved '$r1' later '$r2' loaded '$r3' again '$r4'; $(why)"
    elif ! gdb_has "snapshot 's1' saved" || ! gdb_has '^1 +s1 ' ||
        [ "$(grep -cE '^M 1111$' "$GDB_OUT")" -ne 2 ]; then
        t_fail "$name" "memory or listing wrong; $(why)"
    elif ! gdb_has "no snapshot named 'nosuch'" ||
        ! gdb_has 'There is no snapshot available'; then
        t_fail "$name" "loadvm/delvm errors; $(why)"
    else
        t_pass "$name"
    fi
}

name="bare: savevm/loadvm: registers, memory, then the same path again"
if need "$name" "$REC" && vmm_gdb_start "$REC"; then
    round_trip "$name"
    # 60 steps: 6 setup, 4 rounds of 11 and 10 instructions of the fifth
    # (its OUT done): A = 5 letters; the 150 steps after the save print B
    # (13 letters), and again after loadvm: A + B + B.
    out=$(cat "$VOUT")
    all=$(letters 40)
    want="${all:0:18}${all:5:13}"
    name="bare: console output after loadvm goes on as from the save point"
    t_check "$name" "$([ "$out" = "$want" ] && echo 0 || echo 1)" \
        "stdout '$out', want '$want'"
fi

name="pc: savevm/loadvm: registers and device state (UART, CMOS) restored"
if need "$name" "$PCS" && vmm_gdb_start --machine pc "$PCS"; then
    round_trip "$name"
fi

# --- files ------------------------------------------------------------------

SNAP=$T_TMP/rec.snap
name="savevm-file, then --restore --gdb in a fresh process: stopped at the saved point"
if need "$name" "$REC" && vmm_gdb_start "$REC"; then
    gdb_script "break *0x20
$(for ((i = 0; i < 11; i++)); do echo continue; done)
delete
$REGS
monitor savevm-file $SNAP
stepi 100
$REGS
kill"
    vmm_wait_exit 10
    saved=$(regs_at 1) later=$(regs_at 2)
    if [ ! -s "$SNAP" ] || ! gdb_has "snapshot written to"; then
        t_fail "$name" "no file; $(why)"
    elif vmm_gdb_start --restore "$SNAP"; then
        gdb_script "$REGS
printf \"M %x\\n\", *(short *)0x600
stepi 100
$REGS
kill"
        vmm_wait_exit 10
        if [ "$(regs_at 1)" = "$saved" ] && [ "$(regs_at 2)" = "$later" ] &&
            gdb_has '^M a$'; then
            t_pass "$name"
        else
            t_fail "$name" "saved '$saved' restored '$(regs_at 1)', later '$later' vs '$(regs_at 2)'; $(why)"
        fi
    else
        t_fail "$name" "restored VMM did not start: $(cat "$VERR")"
    fi
    name="--restore without --gdb runs on from the saved point (output continues)"
    # Saved at the loop head with BX 10: rounds 11..2000 remain, then hlt.
    timeout 60 "$VMM" --restore "$SNAP" --max-halts 1 >"$T_TMP/out" 2>"$T_TMP/err"
    rc=$?
    all=$(letters 2000)
    t_check "$name" "$([ "$rc" -eq 0 ] && [ "$(cat "$T_TMP/out")" = "${all:10}" ] && echo 0 || echo 1)" \
        "rc $rc, $(wc -c <"$T_TMP/out") bytes, stderr $(cat "$T_TMP/err")"
fi

name="pc: savevm-file and --restore: the devices go on where they were"
PSNAP=$T_TMP/pc.snap
if need "$name" "$PCS" && vmm_gdb_start --machine pc "$PCS"; then
    gdb_script "stepi 200
monitor savevm-file $PSNAP
stepi 100
$REGS
kill"
    vmm_wait_exit 10
    later=$(regs_at 1)
    if vmm_gdb_start --restore "$PSNAP"; then
        gdb_script "stepi 100
$REGS
kill"
        vmm_wait_exit 10
        t_check "$name" "$([ -n "$later" ] && [ "$(regs_at 1)" = "$later" ] && echo 0 || echo 1)" \
            "first '$later' restored '$(regs_at 1)'; $(why)"
    else
        t_fail "$name" "restored VMM did not start: $(cat "$VERR")"
    fi
    name="--record on a pc snapshot: exit 2"
    timeout 10 "$VMM" --restore "$PSNAP" --record --gdb 1 >/dev/null 2>"$T_TMP/err"
    rc=$?
    t_check "$name" "$([ "$rc" -eq 2 ] && grep -q 'record on the pc machine starts from an image' "$T_TMP/err" && echo 0 || echo 1)" "rc $rc"
fi

# --- bad files ----------------------------------------------------------------

name="bad snapshot files: exit 2 with a message, never a crash"
if need "$name" && [ -s "$SNAP" ]; then
    ok=0
    size=$(stat -c %s "$SNAP")
    bad() { # FILE WHAT
        timeout 10 "$VMM" --restore "$1" >/dev/null 2>"$T_TMP/err"
        local rc=$?
        if [ "$rc" -ne 2 ] || ! grep -q "^vmm: --restore .*: ." "$T_TMP/err"; then
            ok=1
            echo "# $2: rc $rc: $(head -c 200 "$T_TMP/err")"
        fi
    }
    for n in 0 1 15 16 23 24 40 100 1000 $((size / 2)) $((size - 9)) $((size - 1)); do
        head -c "$n" "$SNAP" >"$T_TMP/t.snap"
        bad "$T_TMP/t.snap" "truncated to $n"
    done
    cp "$SNAP" "$T_TMP/f.snap"
    printf '\x55' | dd of="$T_TMP/f.snap" bs=1 seek=$((size - 2000)) conv=notrunc 2>/dev/null
    bad "$T_TMP/f.snap" "one byte changed"
    timeout 10 "$VMM" --restore "$T_TMP/f.snap" >/dev/null 2>"$T_TMP/err"
    grep -q checksum "$T_TMP/err" || { ok=1; echo "# no checksum message: $(cat "$T_TMP/err")"; }
    { cat "$SNAP"; printf 'x'; } >"$T_TMP/g.snap"
    bad "$T_TMP/g.snap" "a byte appended"
    printf 'KVMSTUB-SNAPSHOT\x02\0\0\0\0\0\0\0' >"$T_TMP/v.snap"
    bad "$T_TMP/v.snap" "version 2"
    bad "$T_TMP" "a directory"
    bad "$T_TMP/none.snap" "missing"
    bad "$HELLO" "not a snapshot"
    timeout 10 "$VMM" --restore "$SNAP" "$REC" >/dev/null 2>&1
    [ $? -eq 2 ] || { ok=1; echo "# --restore with an IMAGE not refused"; }
    t_check "$name" "$ok"
fi

# A boot floppy: the snapshot records its identity, and loadvm refuses
# once the image changed (disk contents from two points in time).
name="loadvm refuses when a boot disk image changed since savevm"
FLOPPY_SRC=$BUILD/tests/guests/boot_gdb.bin
if need "$name" "$FLOPPY_SRC"; then
    cp "$FLOPPY_SRC" "$T_TMP/fl.img" && truncate -s 1474560 "$T_TMP/fl.img"
    if vmm_gdb_start --floppy "$T_TMP/fl.img"; then
        gdb_script "monitor savevm a
monitor loadvm a
shell printf X | dd of=$T_TMP/fl.img bs=1 seek=1000 conv=notrunc status=none
monitor loadvm a
kill"
        if [ "$(grep -c "snapshot 'a' loaded" "$GDB_OUT")" -eq 1 ] &&
            gdb_has 'changed since the snapshot \(contents\)'; then
            t_pass "$name"
        else
            t_fail "$name" "$(why)"
        fi
    else
        t_fail "$name" "the VMM did not start: $(head -c 300 "$VERR")"
    fi
    vmm_stop
fi

t_done
