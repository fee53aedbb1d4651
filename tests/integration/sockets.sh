#!/usr/bin/env bash
# The VMM and its sockets: stdout on a Unix socket whose reader stalls
# (SIGTERM and Ctrl-C still heard, output intact), --gdb unix:PATH on a
# live socket with a full listen queue (exit 2 at once), on a stale one
# (replaced) and the socket's mode (0600 whatever the umask), which
# listening addresses count as loopback (no warning), and the rate limit
# on per-connection log lines (a port scan cannot flood stderr).
# Every VMM run is bounded by timeout(1) or by bounded polls and a kill -9
# of the pid we started. Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

SOCKOUT=$BUILD/tests/tools/sockout
BACKLOG=$BUILD/tests/tools/backlog
TO=10
RSP_ERR_FRESH=1

# wait_gone PID SECONDS: poll until PID is gone (or a zombie); 0 if it went.
wait_gone() {
    local i
    for ((i = 0; i < $2 * 100; i++)); do
        is_alive "$1" || return 0
        sleep 0.01
    done
    ! is_alive "$1"
}

# is_hello_prefix FILE: FILE is exactly the first N bytes of "Hello\n"
# repeated (what HELLO prints), N its size.
is_hello_prefix() {
    local n
    n=$(stat -c %s "$1")
    yes Hello | head -c "$n" | cmp -s - "$1"
}

# ---- stdout a socket whose reader stops reading ---------------------------

# sockout runs the VMM with stdout a socketpair; it reads the first 12
# bytes, then nothing until the VMM exits, then all that is queued. With
# a small SO_SNDBUF the VMM soon has nothing but a full socket.
name="stdout a stalled socket: SIGTERM ends the VMM, exit 0, output intact"
if need "$name" "$HELLO" "$SOCKOUT"; then
    "$SOCKOUT" -r 12 -f "$T_TMP/full1" -- "$VMM" --hlt-sleep 0 \
        "$HELLO" >"$T_TMP/s1.out" 2>"$T_TMP/s1.err" &
    spid=$!
    T_PIDS+=("$spid")
    wait_file_line "$T_TMP/s1.err" '^sockout: pid ' 500
    vpid=$(sed -n 's/^sockout: pid //p' "$T_TMP/s1.err")
    [ -n "$vpid" ] && T_PIDS+=("$vpid")
    if [ -z "$vpid" ]; then
        t_fail "$name" "sockout did not start: $(tr '\n' '|' <"$T_TMP/s1.err")"
    elif ! wait_file_line "$T_TMP/s1.err" '^sockout: full ' 3000; then
        t_fail "$name" "the socket never filled: $(tr '\n' '|' <"$T_TMP/s1.err")"
    else
        queued=$(sed -n 's/^sockout: full //p' "$T_TMP/s1.err")
        kill -TERM "$vpid"
        if ! wait_gone "$spid" "$TO"; then
            t_fail "$name" "the VMM still runs ${TO}s after SIGTERM (killed); stderr: $(tr '\n' '|' <"$T_TMP/s1.err")"
        else
            wait "$spid"
            rc=$?
            size=$(stat -c %s "$T_TMP/s1.out")
            if [ "$rc" -ne 0 ]; then
                t_fail "$name" "exit $rc (want 0); stderr: $(tr '\n' '|' <"$T_TMP/s1.err")"
            elif [ "$size" -lt $((12 + queued)) ] ||
                ! is_hello_prefix "$T_TMP/s1.out"; then
                t_fail "$name" "output: $size bytes (want >= $((12 + queued)) of Hello\\n...): $(head -c 60 "$T_TMP/s1.out" | od -An -c | tr -s ' \n' ' ')"
            else
                t_pass "$name ($size bytes arrived)"
            fi
        fi
    fi
    kill -9 "$vpid" "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
fi

# The same under gdb: with the guest waiting for room on the socket,
# Ctrl-C (0x03) gets its stop reply and the stub answers; after SIGTERM
# (passed on by sockout) everything the guest wrote arrives.
name="stdout a stalled socket under gdb: Ctrl-C gets T02, output intact"
if need "$name" "$HELLO" "$SOCKOUT" "$RSP"; then
    VMM_WRAP=("$SOCKOUT" -r 12 -f "$T_TMP/full2" --)
    if ! vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(tr '\n' '|' <"$VERR")"
    else
        vpid=$(sed -n 's/^sockout: pid //p' "$VERR")
        [ -n "$vpid" ] && T_PIDS+=("$vpid")
        rsp "$T_TMP/o" send:c timeout:30000 "waitfile:$T_TMP/full2" \
            timeout:5000 time-intr 'expect:T02*' pkt:m0,4 'expect:b048e6f1'
        st=$?
        detail="$(cat "$T_TMP/rsp.err"); stderr: $(tr '\n' '|' <"$VERR")"
        vmm_stop
        size=$(stat -c %s "$VOUT")
        queued=$(sed -n 's/^sockout: full //p' "$VERR")
        if [ "$st" -ne 0 ]; then
            t_fail "$name" "$detail"
        elif [ "$VRC" -ne 0 ]; then
            t_fail "$name" "exit $VRC after SIGTERM (want 0): $detail"
        elif [ "$size" -lt $((12 + ${queued:-0})) ] ||
            ! is_hello_prefix "$VOUT"; then
            t_fail "$name" "output: $size bytes (want >= $((12 + ${queued:-0})) of Hello\\n...)"
        else
            t_pass "$name ($size bytes arrived)"
        fi
        [ -n "$vpid" ] && kill -9 "$vpid" 2>/dev/null
    fi
    VMM_WRAP=()
fi

# The reader goes away (closes its end): EPIPE ends the VMM quietly, as
# with a pipe.
name="stdout a socket whose reader leaves: exit 0, quiet"
if need "$name" "$HELLO" "$SOCKOUT"; then
    timeout -s KILL "$TO" "$SOCKOUT" -r 12 -x -- "$VMM" --hlt-sleep 0 \
        "$HELLO" >"$T_TMP/s3.out" 2>"$T_TMP/s3.err"
    rc=$?
    errs=$(grep -v '^sockout: ' "$T_TMP/s3.err")
    if [ "$rc" -ne 0 ]; then
        t_fail "$name" "exit $rc (want 0; 137: still running after ${TO}s): $(tr '\n' '|' <"$T_TMP/s3.err")"
    elif [ -n "$errs" ]; then
        t_fail "$name" "stderr not empty: $(echo "$errs" | tr '\n' '|')"
    elif [ "$(cat "$T_TMP/s3.out")" != "$(printf 'Hello\nHello')" ]; then
        t_fail "$name" "the first 12 bytes are not Hello\\nHello\\n"
    else
        t_pass "$name"
    fi
fi

t_done
