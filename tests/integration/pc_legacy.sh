#!/usr/bin/env bash
# Guests that check the pc machine's legacy devices themselves and report
# PASS or "FAIL x" on port 0xf1:
#  - uart_probe: COM1 register by register ("thr" through THR first), exit
#    through isa-debug-exit (status 33); on the bare machine, with no
#    UART, it must fail its first check: the probe can tell;
#  - kbc_reset, p92_reset: the 8042 and port 0x92, then a reset through
#    each; the pc machine ends the VMM with status 0 on a guest reset (a
#    guest still running after it says "no reset", status 3).
# Skips where the VMM has no --machine pc.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=30

# probe NAME GUEST WANT-STATUS WANT-OUTPUT ARGS...
probe() {
    local name=$1 guest=$G/$2.bin want_rc=$3 want=$4 rc
    shift 4
    need "$name" "$guest" || return
    timeout "$TO" "$VMM" "$@" "$guest" </dev/null >"$T_TMP/out" 2>"$T_TMP/err"
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

NAMES=("uart probe on the pc machine" "uart probe fails without a UART"
    "8042 checks, then reset by 0x64 0xfe" "port 0x92 checks, then fast reset")
if [ -x "$VMM" ] && ! "$VMM" --help 2>&1 | grep -q -- '--machine'; then
    for n in "${NAMES[@]}"; do
        t_skip "$n" "this VMM has no --machine pc"
    done
    t_done
fi
probe "${NAMES[0]}" uart_probe 33 'thr\nPASS\n' --machine pc
probe "${NAMES[1]}" uart_probe 3 'FAIL a\n' \
    --machine bare --max-halts 1 --hlt-sleep 0
probe "${NAMES[2]}" kbc_reset 0 'PASS\n' --machine pc
probe "${NAMES[3]}" p92_reset 0 'PASS\n' --machine pc
t_done
