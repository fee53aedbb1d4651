#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Record mode on the pc machine with its timer interrupt running
# (vmm --machine pc --record), on pc_rec.bin (tests/guests/pc_rec.S: PIT
# IRQ0 about every 100 instructions, a handler counting ticks at 0x500,
# a loop reading the PIT and the ACPI PM timer, a HLT every 16 rounds):
# stepi N then reverse-stepi N lands on every state recorded forward,
# with interrupts taken inside the range (pc, registers, flags and the
# tick counter compared at every step); forward again the same; two
# separate runs see the same states (virtual time, not the host's); a
# HLT is followed by the interrupt at once; reverse-continue to an
# earlier breakpoint inside the handler and forward again to the same
# states; a write watchpoint on the tick counter hit backwards shows the
# old value; monitor record reports no divergence; keystrokes on stdin
# (COM1) are logged and re-fed, not read again. Run from the
# repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

PCREC=$G/pc_rec.bin
PC=(--machine pc --record)
REGS='printf "%d %x %x %x %x %x %x %x %x\n", $i, $pc, $eax, $ebx, $ecx, $edx, $esi, $eflags, *(short *)0x500'
HANDLER='^(101|105|107|109|10a)$'

# --- stepi N, reverse-stepi N, stepi N ---------------------------------------

N=450 # past three checkpoints (every 128), four or more ticks, two HLTs
name="pc: stepi $N then reverse-stepi $N with IRQ0 running: every state as recorded forward"
if need "$name" "$PCREC" && vmm_gdb_start "${PC[@]}" "$PCREC"; then
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
    exp_back=$(printf '%s\n' "$fwd" | head -n "$N")
    exp_again=$(printf '%s\n' "$fwd" | tail -n "$N")
    # States inside the handler, and the tick count at the end.
    inh=$(printf '%s\n' "$fwd" | awk '{print $2}' | grep -cE "$HANDLER")
    ticks=$(printf '%s\n' "$fwd" | tail -n 1 | awk '{print $9}')
    if [ "$nf" -ne $((N + 1)) ]; then
        t_fail "$name" "$nf forward states, want $((N + 1)); $(why)"
    elif [ "$inh" -lt 15 ] || [ "$((16#${ticks:-0}))" -lt 3 ]; then
        t_fail "$name" "$inh states in the handler, ticks '$ticks': the interrupt did not run; $(why)"
    elif [ "$back" != "$exp_back" ]; then
        t_fail "$name" "backward states differ: $(diff <(echo "$exp_back") <(echo "$back") | head -n 4 | tr '\n' '|')"
    elif [ "$again" != "$exp_again" ]; then
        t_fail "$name" "forward again differs: $(diff <(echo "$exp_again") <(echo "$again") | head -n 4 | tr '\n' '|')"
    else
        t_pass "$name"
    fi
    name="pc: the interrupt comes right after a HLT with interrupts on (virtual time skips to it)"
    # The HLT at 0x5f, then 0x60 (the interrupt is due: taken on the
    # next step, returning to 0x60), then the handler.
    seq=$(printf '%s\n' "$fwd" | awk '{print $2}' | tr '\n' ' ')
    t_check "$name" "$([[ " $seq" == *" 5f 60 101 "* ]] && echo 0 || echo 1)" \
        "pcs: $(echo "$seq" | cut -c1-300)"
    name="pc: monitor record: virtual time, no divergence"
    t_check "$name" "$(gdb_has 'virtual time: [0-9]+ ns \(1000 ns an instruction' &&
        gdb_has 'replay: every re-execution matched at the checkpoints \([1-9][0-9]* compared' && ! gdb_has DIVERGED &&
        echo 0 || echo 1)" "$(why)"
    FWD1=$fwd
fi

name="pc: a second VMM process steps through the same states (no host time in them)"
if need "$name" "$PCREC" && [ -n "${FWD1:-}" ] && vmm_gdb_start "${PC[@]}" "$PCREC"; then
    gdb_script "set \$i = 0
while \$i < $N
  printf \"F \"
  $REGS
  stepi
  set \$i = \$i + 1
end
printf \"F \"
$REGS
kill"
    vmm_wait_exit 10
    fwd2=$(grep -E '^F [0-9]+ ' "$GDB_OUT" | sed 's/^F //' | sort -n)
    t_check "$name" "$([ "$fwd2" = "$FWD1" ] && echo 0 || echo 1)" \
        "differs: $(diff <(echo "$FWD1") <(echo "$fwd2") | head -n 4 | tr '\n' '|')"
fi

# --- reverse-continue into the handler, watchpoints ---------------------------

name="pc: reverse-continue to an earlier breakpoint inside the interrupt handler"
if need "$name" "$PCREC" && vmm_gdb_start "${PC[@]}" "$PCREC"; then
    # 0x105: the handler's EOI, after incw ticks: the k-th hit has ticks k.
    gdb_script "set \$i = 0
break *0x105
continue
continue
continue
printf \"HIT3 \"
$REGS
continue
printf \"HIT4 \"
$REGS
continue
printf \"HIT5 \"
$REGS
reverse-continue
printf \"BACK4 \"
$REGS
reverse-continue
printf \"BACK3 \"
$REGS
continue
printf \"AGAIN4 \"
$REGS
continue
printf \"AGAIN5 \"
$REGS
delete
watch *(short *)0x500
reverse-continue
printf \"WBACK \"
$REGS
continue
printf \"WFWD \"
$REGS
monitor record
kill"
    vmm_wait_exit 10
    get() { grep -E "^$1 " "$GDB_OUT" | cut -d' ' -f2-; }
    hit3=$(get HIT3) hit4=$(get HIT4) hit5=$(get HIT5)
    if [ -n "$hit3" ] && [ -n "$hit4" ] && [ -n "$hit5" ] &&
        [ "$(echo "$hit3" | awk '{print $2, $9}')" = "105 3" ] &&
        [ "$(echo "$hit5" | awk '{print $2, $9}')" = "105 5" ] &&
        [ "$(get BACK4)" = "$hit4" ] && [ "$(get BACK3)" = "$hit3" ]; then
        t_pass "$name"
    else
        t_fail "$name" "hit3 '$hit3' hit4 '$hit4' back4 '$(get BACK4)' back3 '$(get BACK3)'; $(why)"
    fi
    name="pc: forward again after going back lands on the same states"
    t_check "$name" "$([ -n "$hit4" ] && [ "$(get AGAIN4)" = "$hit4" ] &&
        [ "$(get AGAIN5)" = "$hit5" ] && echo 0 || echo 1)" \
        "again4 '$(get AGAIN4)' want '$hit4', again5 '$(get AGAIN5)' want '$hit5'"
    # From the 5th tick's handler at 0x105 back: the write of ticks
    # 4 -> 5 is the incw at 0x101, with the old value 4.
    name="pc: a write watchpoint on the tick counter hit backwards shows the old value"
    wback=$(get WBACK)
    t_check "$name" "$(gdb_has 'Old value = 5' && gdb_has 'New value = 4' &&
        [ "$(echo "$wback" | awk '{print $2, $9}')" = "101 4" ] &&
        [ "$(get WFWD | awk '{print $2, $9}')" = "105 5" ] && echo 0 || echo 1)" \
        "wback '$wback' wfwd '$(get WFWD)'; $(why)"
fi

# --- keystrokes -------------------------------------------------------------

# pc_uart.bin echoes every byte COM1 receives (IRQ 4) and exits with 33 on
# a newline. Record mode reads stdin once and logs each byte with the
# instruction count: going back and forward again re-feeds the log (stdin
# is at its end by then), and the echo is written once.
UART=$G/pc_uart.bin
name="pc: keystrokes are inputs: reverse-continue and forward again see the same bytes from the log"
if need "$name" "$UART" "$G/pc_uart.elf"; then
    # The rx handler's `call putc`, with the byte read in AL.
    at=$(printf '%x' $((0x$(nm "$G/pc_uart.elf" | awk '$3 == "rx_irq" {print $1}') + 14)))
    printf 'xyz\n' >"$T_TMP/keys"
    if VMM_STDIN=$T_TMP/keys vmm_gdb_start "${PC[@]}" "$UART"; then
        K='printf "%x %x %x\n", $pc, $eax & 0xff, $esp'
        gdb_script "break *0x$at
continue
printf \"HIT1 \"
$K
continue
printf \"HIT2 \"
$K
continue
printf \"HIT3 \"
$K
reverse-continue
printf \"BACK2 \"
$K
reverse-continue
printf \"BACK1 \"
$K
continue
printf \"AGAIN2 \"
$K
continue
printf \"AGAIN3 \"
$K
continue
printf \"HIT4 \"
$K
delete
continue"
        vmm_wait_exit 10
        get() { grep -E "^$1 " "$GDB_OUT" | cut -d' ' -f2-; }
        if [ "$(get HIT1)" = "$at 78 6ff6" ] && [ "$(get HIT3)" = "$at 7a 6ff6" ] &&
            [ "$(get BACK2)" = "$(get HIT2)" ] && [ "$(get BACK1)" = "$(get HIT1)" ] &&
            [ "$(get AGAIN2)" = "$(get HIT2)" ] && [ "$(get AGAIN3)" = "$(get HIT3)" ] &&
            [ "$(get HIT4)" = "$at a 6ff6" ]; then
            t_pass "$name"
        else
            t_fail "$name" "hit1 '$(get HIT1)' hit2 '$(get HIT2)' back2 '$(get BACK2)' back1 '$(get BACK1)' again3 '$(get AGAIN3)' hit4 '$(get HIT4)'; $(why)"
        fi
        name="pc: the echo of the keystrokes is written once, and the guest exits with its status"
        t_check "$name" "$([ "$(cat "$VOUT")" = "$(printf 'uart ok\nxyz')" ] &&
            [ "${VRC:-}" = 33 ] && echo 0 || echo 1)" \
            "stdout '$(od -c "$VOUT" | head -n 3 | tr '\n' '|')' rc '${VRC:-}'"
    else
        t_fail "$name" "the VMM did not start; $(why)"
    fi
fi

# --- what record mode on the pc refuses ---------------------------------------

name="pc: --record with --kernel, --drive or --pit-lost-ticks: exit 2"
if need "$name" "$PCREC"; then
    ok=0
    for args in "--record --gdb 1 --kernel $PCREC" \
        "--record --gdb 1 --machine pc --drive $PCREC" \
        "--record --gdb 1 --machine pc --pit-lost-ticks discard $PCREC"; do
        # shellcheck disable=SC2086 # word splitting wanted
        timeout 10 "$VMM" $args >/dev/null 2>"$T_TMP/err"
        rc=$?
        [ "$rc" -eq 2 ] && grep -q 'record' "$T_TMP/err" || { ok=1; echo "# $args: rc $rc $(cat "$T_TMP/err")"; }
    done
    t_check "$name" "$ok"
fi

t_done
