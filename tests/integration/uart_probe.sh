#!/usr/bin/env bash
# The uart_probe guest (tests/guests/uart_probe.S) on the pc machine: COM1
# checked register by register by the guest itself, which prints "thr"
# through THR and PASS or "FAIL x" on port 0xf1, then exits through
# isa-debug-exit (status 33 on pass). On the bare machine, with no UART,
# the same guest must fail its first check: the probe can tell.
# Skips where the VMM has no --machine pc.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

PROBE=$G/uart_probe.bin
TO=30

# probe NAME WANT-STATUS WANT-OUTPUT ARGS...
probe() {
    local name=$1 want_rc=$2 want=$3 rc
    shift 3
    need "$name" "$PROBE" || return
    timeout "$TO" "$VMM" "$@" "$PROBE" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
    rc=$?
    printf '%b' "$want" >"$T_TMP/want"
    if [ "$rc" -ne "$want_rc" ]; then
        t_fail "$name" "exit $rc, want $want_rc: $(head -c 300 "$T_TMP/err")"
    elif ! cmp -s "$T_TMP/out" "$T_TMP/want"; then
        t_fail "$name" "stdout $(od -c "$T_TMP/out" | head -3 | tr '\n' ' ')"
    else
        t_pass "$name"
    fi
}

if [ -x "$VMM" ] && ! "$VMM" --help 2>&1 | grep -q -- '--machine'; then
    t_skip "uart probe on the pc machine" "this VMM has no --machine pc"
    t_skip "uart probe fails without a UART" "this VMM has no --machine pc"
    t_done
fi
probe "uart probe on the pc machine" 33 'thr\nPASS\n' --machine pc
probe "uart probe fails without a UART" 3 'FAIL a\n' \
    --machine bare --max-halts 1 --hlt-sleep 0
t_done
