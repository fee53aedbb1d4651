#!/usr/bin/env bash
# shellcheck disable=SC2016 # gdb expressions ($pc) in single quotes
# Stepping as users mean it. (1) KVM_GUESTDBG_BLOCKIRQ: on the pc machine
# with IRQ0 pending all the time, no interrupt gets in during `stepi`
# with `monitor step irqs on` (the default: the pc never in the handler,
# its tick count unchanged) and one does with `irqs off`; the handler
# still runs when the guest continues. (2) Range stepping: gdb's
# `next` over a loop line of a C kernel is one vCont;r and one stop
# (`set debug remote 1`), ends on the next line, and `monitor step`
# counts it as done in the VMM; `step` enters the called function at its
# first line; with `set range-stepping off` the same `next` ends on the
# same line by gdb's own steps; with --smp 2 the range is vCPU 0's while
# the other (waiting for SIPI) runs as `vCont;r...:1;c` says. Run from the
# repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

IRQ=$G/pc_irqstep.bin
IRQ_ELF=$BUILD/tests/guests/pc_irqstep.elf
K=$BUILD/tests/kernels/step32.elf
SRC=tests/kernels/step32.c

# sym NAME: the address of NAME in pc_irqstep.elf, as 0x...
sym() {
    printf '0x%s' "$(nm "$IRQ_ELF" | awk -v n="$1" '$3 == n { print $1 }')"
}

# line MARK: the line of step32.c with /* STEP32_LINE_MARK */.
line() {
    grep -n "STEP32_LINE_$1 " "$SRC" | cut -d: -f1
}

# steps_loop N TAG: up to N stepi, ending early once an interrupt got in:
# the pc in the handler, or its tick count moved (on hardware-like hosts
# the whole handler runs inside one step: TF is clear in it).
steps_loop() {
    local c="*(unsigned short *)$(sym count)"
    printf '%s\n' "set \$c0 = $c" "set \$n = 0" \
        "while (\$n < $1 && (\$pc < $(sym tick) || \$pc >= $(sym tick_end)) && $c == \$c0)" \
        "stepi" "set \$n = \$n + 1" "end" \
        "printf \"$2 N=%d PC=%#x TICKS=%d\\n\", \$n, \$pc, $c - \$c0"
}

name="pc: stepi with irqs on takes no IRQ0 (never in the handler), with irqs off it does, continue runs it"
if need "$name" "$IRQ" "$IRQ_ELF"; then
    if ! vmm_gdb_start --machine pc "$IRQ"; then
        t_fail "$name" "the VMM did not start: $(tr '\n' '|' <"$VERR" | cut -c1-300)"
    else
        # irqs off: rounds of continue-to-spin and 100 stepi until an
        # interrupt got in (on some hosts one round's steps take none).
        gdb_script "monitor step irqs off
monitor step
set \$got = 0
set \$round = 0
while (\$got == 0 && \$round < 20)
hbreak *$(sym spin)
continue
delete
$(steps_loop 100 OFF)
set \$got = \$n < 100
set \$round = \$round + 1
end
printf \"OFF GOT=%d ROUNDS=%d\\n\", \$got, \$round
monitor step irqs on
hbreak *$(sym spin)
continue
delete
monitor step
$(steps_loop 300 ON)
continue"
        vmm_wait_exit 20 || vmm_stop
        on=$(grep -oE '^ON N=[0-9]+' "$GDB_OUT" | cut -d= -f2)
        off=$(grep -oE '^OFF GOT=[01]' "$GDB_OUT" | cut -d= -f2)
        if ! gdb_has 'host KVM_GUESTDBG_BLOCKIRQ: (yes|no)'; then
            t_fail "$name" "monitor step said nothing of BLOCKIRQ; $(why)"
        elif ! gdb_has 'step irqs off: interrupts are delivered'; then
            t_fail "$name" "monitor step irqs off not shown; $(why)"
        elif [ "${off:-0}" != 1 ]; then
            t_fail "$name" "with irqs off no interrupt got in during 20 rounds of 100 stepi; $(why)"
        elif ! gdb_has 'exited with code 041'; then
            t_fail "$name" "the guest did not finish (status 33); $(why)"
        elif gdb_has 'host KVM_GUESTDBG_BLOCKIRQ: no'; then
            t_skip "$name" "this host's KVM has no KVM_GUESTDBG_BLOCKIRQ (irqs off part passed)"
        elif [ "${on:-0}" != 300 ]; then
            t_fail "$name" "with irqs on an interrupt got in after ${on:-?} stepi; $(why)"
        else
            t_pass "$name"
        fi
    fi
fi

# next_script RANGE(on|off): break on the loop line, next over it with
# the remote packets logged, then step into step32_add, then continue.
next_script() {
    printf '%s\n' "symbol-file $K" "set range-stepping $1" \
        "break $SRC:$(line LOOP)" continue delete "set debug remote 1" next \
        "set debug remote 0" 'info line *$pc' "monitor step" step \
        'info line *$pc' 'info symbol $pc' continue
}

for variant in on off smp; do
    mode=$variant smp=()
    [ "$variant" = smp ] && mode=on smp=(--smp 2)
    name="next over a 100-iteration loop line (range-stepping $mode${smp[*]:+, ${smp[*]}}) ends on the next line; step enters step32_add"
    need "$name" "$K" || continue
    if ! vmm_gdb_start "${smp[@]}" --kernel "$K"; then
        t_fail "$name" "the VMM did not start: $(tr '\n' '|' <"$VERR" | cut -c1-300)"
        continue
    fi
    gdb_script "$(next_script $mode)"
    vmm_wait_exit 20 || vmm_stop
    nr=$(grep -cE 'Sending packet: \$vCont;r' "$GDB_OUT")
    ns=$(grep -cE 'Sending packet: \$vCont;s' "$GDB_OUT")
    stops=$(grep -cE 'Packet received: T05' "$GDB_OUT")
    call=$(line CALL)
    add=$(line ADD)
    if ! gdb_has "^Line $call of \"[^\"]*step32.c\""; then
        t_fail "$name" "next did not end on line $call; $(why)"
    elif [ "$mode" = on ] && { [ "$nr" != 1 ] || [ "$stops" != 1 ]; }; then
        t_fail "$name" "want one vCont;r and one T05, got $nr and $stops; $(why)"
    elif [ "$mode" = on ] && ! gdb_has 'range steps \(vCont;r\) done in the VMM: 1, [0-9]{3,} instructions'; then
        t_fail "$name" "monitor step does not count one range step; $(why)"
    elif [ "$mode" = off ] && { [ "$nr" != 0 ] || [ "$ns" -lt 300 ]; }; then
        t_fail "$name" "range-stepping off: want no vCont;r and >= 300 vCont;s, got $nr and $ns; $(why)"
    elif ! gdb_has "^Line $add of \"[^\"]*step32.c\"" || ! gdb_has '^step32_add'; then
        t_fail "$name" "step did not stop in step32_add at line $add; $(why)"
    elif ! gdb_has 'exited with code 01'; then
        t_fail "$name" "the kernel did not finish; $(why)"
    else
        t_pass "$name"
    fi
done

# A breakpoint inside the loop line, by each mechanism this host has:
# `next` stops on its 5th hit (gdb resumes the range after each of the
# first four: ignore count), then finishes the line.
jnz=$(objdump -d "$K" 2>/dev/null |
    awk '/<mb32_main>:/ { f = 1 } f && $NF ~ /^<mb32_main/ && /\tjne / { sub(":", "", $1); print "0x" $1; exit }')
for mech in auto step; do
    name="a breakpoint in the range ($mech) stops next on its 5th hit, then next ends the line"
    need "$name" "$K" || continue
    if [ -z "$jnz" ]; then
        t_fail "$name" "no jne in mb32_main (objdump)"
        continue
    fi
    if ! vmm_gdb_start --debug-mechanism "$mech" --kernel "$K"; then
        t_fail "$name" "the VMM did not start: $(tr '\n' '|' <"$VERR" | cut -c1-300)"
        continue
    fi
    gdb_script "symbol-file $K
break $SRC:$(line LOOP)
continue
delete
break *$jnz
ignore 2 4
next
printf \"PC=%#x\\n\", \$pc
info breakpoints
delete
next
info line *\$pc
monitor step
continue"
    vmm_wait_exit 20 || vmm_stop
    if ! gdb_has "^PC=$jnz\$" || ! gdb_has 'already hit 5 times'; then
        t_fail "$name" "next did not stop at $jnz on the 5th hit; $(why)"
    elif ! gdb_has "^Line $(line CALL) of "; then
        t_fail "$name" "the second next did not end on line $(line CALL); $(why)"
    elif ! gdb_has 'range steps \(vCont;r\) done in the VMM: ([6-9]|[1-9][0-9]),'; then
        t_fail "$name" "want a range step in the VMM for each hit and the rest; $(why)"
    elif ! gdb_has 'exited with code 01'; then
        t_fail "$name" "the kernel did not finish; $(why)"
    else
        t_pass "$name"
    fi
done

t_done
