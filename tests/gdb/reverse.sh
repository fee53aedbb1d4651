#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Record mode (vmm --record) under gdb, on rec.bin (a counting loop, see
# tests/guests/rec.S): stepi N then reverse-stepi N lands on every state
# recorded on the way forward (pc and registers compared at each step);
# going forward again is the same; reverse-continue back to an earlier
# breakpoint hit; a write watchpoint hit backwards shows the old value;
# reverse-continue to the start of the history ("No more reverse-execution
# history"); the guest's output is written once however often it is
# re-executed; a small --record budget drops the oldest history; the
# stub advertises reverse execution only in record mode; option errors.
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

REC=$G/rec.bin
REGS='printf "%d %x %x %x %x %x %x %x\n", $i, $pc, $eax, $ebx, $ecx, $edx, $eflags, *(short *)0x600'

# The guest's letters for rounds 1..n: 'a' + (round & 7).
letters() {
    local i s=""
    for ((i = 1; i <= $1; i++)); do
        s+=$(printf "\\$(printf '%03o' $((97 + (i & 7))))")
    done
    printf '%s' "$s"
}

# --- stepi N, reverse-stepi N, stepi N ---------------------------------------

N=300 # past a checkpoint (every 256 instructions): both paths of seek
name="stepi $N then reverse-stepi $N: every state as recorded forward"
if need "$name" "$REC" && vmm_gdb_start --record "$REC"; then
    gdb_script "set \$i = 0
while \$i < $N
  printf \"F \"
  $REGS
  stepi
  set \$i = \$i + 1
end
printf \"F \"
$REGS
while \$i > 0
  reverse-stepi
  set \$i = \$i - 1
  printf \"B \"
  $REGS
end
reverse-stepi
while \$i < $N
  stepi
  set \$i = \$i + 1
  printf \"A \"
  $REGS
end
monitor record
kill"
    vmm_wait_exit 10
    fwd=$(grep -E '^F [0-9]+ ' "$GDB_OUT" | sed 's/^F //' | sort -n)
    back=$(grep -E '^B [0-9]+ ' "$GDB_OUT" | sed 's/^B //' | sort -n)
    again=$(grep -E '^A [0-9]+ ' "$GDB_OUT" | sed 's/^A //' | sort -n)
    nf=$(printf '%s\n' "$fwd" | grep -c .)
    # Forward: states 0..N; back: N-1..0; again: 1..N.
    exp_back=$(printf '%s\n' "$fwd" | head -n "$N")
    exp_again=$(printf '%s\n' "$fwd" | tail -n "$N")
    if [ "$nf" -ne $((N + 1)) ]; then
        t_fail "$name" "$nf forward states, want $((N + 1)); $(why)"
    elif [ "$back" != "$exp_back" ]; then
        t_fail "$name" "backward states differ: $(diff <(echo "$exp_back") <(echo "$back") | head -n 4 | tr '\n' '|')"
    elif [ "$again" != "$exp_again" ]; then
        t_fail "$name" "forward again differs: $(diff <(echo "$exp_again") <(echo "$again") | head -n 4 | tr '\n' '|')"
    else
        t_pass "$name"
    fi
    name="reverse-stepi at the start of the history: No more reverse-execution history"
    t_check "$name" "$(gdb_has 'No more reverse-execution history' && echo 0 || echo 1)" "$(why)"
    # 300 instructions: 6 setup + 27 rounds of 11 (+ the 28th begun).
    rounds=$(((N - 6) / 11))
    want=$(letters "$rounds")
    got=$(cat "$VOUT")
    name="guest output written once over forward, back and forward again"
    t_check "$name" "$([ "$got" = "$want" ] && echo 0 || echo 1)" \
        "stdout '$got', want '$want'"
fi

# --- reverse-continue to breakpoints and watchpoints ------------------------

name="reverse-continue stops at the previous breakpoint hit"
if need "$name" "$REC" && vmm_gdb_start --record "$REC"; then
    gdb_script 'break *0x20
continue
continue
continue
printf "HIT3 %x %x %x\n", $ebx, $ecx, $edx
continue
continue
printf "HIT5 %x\n", $ebx
reverse-continue
printf "BACK1 %x\n", $ebx
reverse-continue
printf "BACK2 %x %x %x\n", $ebx, $ecx, $edx
delete
watch *(short *)0x600
continue
continue
printf "W %x\n", *(short *)0x600
reverse-continue
printf "WBACK %x %x\n", *(short *)0x600, $pc
delete
reverse-continue
printf "START %x %x\n", $pc, $ebx
kill'
    vmm_wait_exit 10
    hit3=$(grep -E '^HIT3 ' "$GDB_OUT" | cut -d' ' -f2-)
    back2=$(grep -E '^BACK2 ' "$GDB_OUT" | cut -d' ' -f2-)
    if gdb_has '^HIT5 4$' && gdb_has '^BACK1 3$' && [ -n "$hit3" ] &&
        [ "$hit3" = "$back2" ]; then
        t_pass "$name"
    else
        t_fail "$name" "hit3 '$hit3' back2 '$back2'; $(why)"
    fi
    # Two continues from round 3 at 0x20: round 3 then 4 write 0x600; back
    # over round 4's write: the value before it (3), at the mov (0x21).
    name="a write watchpoint hit backwards shows the old value, at the writing instruction"
    t_check "$name" "$(gdb_has '^W 4$' && gdb_has '^WBACK 3 21$' &&
        gdb_has 'Old value = 4' && gdb_has 'New value = 3' && echo 0 || echo 1)" "$(why)"
    name="reverse-continue with nothing set goes back to the start of the recording"
    t_check "$name" "$(gdb_has '^START 0 0$' &&
        gdb_has 'No more reverse-execution history' && echo 0 || echo 1)" "$(why)"
fi

# --- the budget --------------------------------------------------------------

name="--record=1M: the oldest history goes first, the newest stays exact"
if need "$name" "$REC" && vmm_gdb_start --record=1M "$REC"; then
    # ~10 KiB a checkpoint: 1 MiB keeps about 100 of them (25k instructions).
    gdb_script 'stepi 40000
printf "AT %x %x %x\n", $pc, $ebx, $ecx
stepi
reverse-stepi
printf "BK %x %x %x\n", $pc, $ebx, $ecx
monitor record
reverse-continue
printf "FIRST %x\n", $ebx
monitor record
kill'
    vmm_wait_exit 10
    at=$(grep -E '^AT ' "$GDB_OUT" | cut -d' ' -f2-)
    bk=$(grep -E '^BK ' "$GDB_OUT" | cut -d' ' -f2-)
    first=$(grep -E '^FIRST ' "$GDB_OUT" | cut -d' ' -f2)
    if [ -n "$at" ] && [ "$at" = "$bk" ] && gdb_has '[1-9][0-9]* dropped' &&
        [ -n "$first" ] && [ "$((16#$first))" -gt 0 ]; then
        t_pass "$name"
    else
        t_fail "$name" "at '$at' back '$bk' first bx '$first'; $(why)"
    fi
fi

# --- without --record --------------------------------------------------------

name="without --record: no ReverseStep+ in qSupported, bs and bc unsupported"
if need "$name" "$REC" && vmm_gdb_start "$REC"; then
    gdb_script 'reverse-stepi
kill'
    vmm_wait_exit 10
    t_check "$name" "$(gdb_has "Target remote does not support this direction|does not support" && echo 0 || echo 1)" "$(why)"
fi

name="--record with --kernel, without --gdb, or with --debug-mechanism dr: exit 2"
if need "$name" "$REC"; then
    ok=0
    for args in "--record --kernel $REC --gdb 1" "--record $REC" \
        "--record --debug-mechanism dr --gdb 1 $REC" "--record=10 --gdb 1 $REC"; do
        # shellcheck disable=SC2086 # word splitting wanted
        timeout 10 "$VMM" $args >/dev/null 2>"$T_TMP/err"
        rc=$?
        [ "$rc" -eq 2 ] && grep -q 'record' "$T_TMP/err" || { ok=1; echo "# $args: rc $rc $(cat "$T_TMP/err")"; }
    done
    t_check "$name" "$ok"
fi

t_done
