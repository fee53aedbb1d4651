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

# ---- --gdb unix:PATH ---------------------------------------------------------

# unix_start PATH [VMM-ARGS...]: vmm_bg --gdb unix:PATH VMM-ARGS... $HELLO;
# 0 once it says it waits there (the socket exists by then).
unix_start() {
    local path=$1 i
    shift
    vmm_bg --gdb "unix:$path" "$@" "$HELLO"
    for ((i = 0; i < 500; i++)); do
        grep -q "waiting for gdb on unix:$path " "$VERR" 2>/dev/null && return 0
        vmm_alive || return 1
        sleep 0.01
    done
    return 1
}

# A listener that never accepts and whose queue is full: a blocking
# connect(2) to it would wait forever. The VMM must say "in use" and exit
# 2 at once, and leave the other process's socket alone.
name="--gdb unix:PATH, a live socket with a full queue: exit 2 at once"
if need "$name" "$HELLO" "$BACKLOG"; then
    sock=$T_TMP/full.sock
    "$BACKLOG" "$sock" >"$T_TMP/bl.out" 2>"$T_TMP/bl.err" &
    bpid=$!
    T_PIDS+=("$bpid")
    if ! wait_file_line "$T_TMP/bl.out" '^backlog: full ' 500; then
        t_fail "$name" "backlog did not fill its queue: $(cat "$T_TMP/bl.err")"
    else
        ino=$(stat -c %i "$sock")
        timeout -s KILL "$TO" "$VMM" --gdb "unix:$sock" "$HELLO" \
            >"$T_TMP/out" 2>"$T_TMP/err"
        rc=$?
        if [ "$rc" -ne 2 ]; then
            t_fail "$name" "exit $rc (want 2; 137: hung ${TO}s): $(tr '\n' '|' <"$T_TMP/err")"
        elif ! grep -q "$sock" "$T_TMP/err" || ! grep -qi 'in use' "$T_TMP/err" ||
            ! grep -qi 'listening' "$T_TMP/err"; then
            t_fail "$name" "want a message naming the path, 'in use' and 'listening': $(tr '\n' '|' <"$T_TMP/err")"
        elif [ "$(stat -c %i "$sock" 2>/dev/null)" != "$ino" ] || ! is_alive "$bpid"; then
            t_fail "$name" "the other process's socket was replaced or removed"
        else
            t_pass "$name"
        fi
    fi
    kill "$bpid" 2>/dev/null
    wait "$bpid" 2>/dev/null
fi

# A second VMM on the path of a live one: exit 2, the first one serves on.
name="--gdb unix:PATH, another VMM listening there: exit 2, the first serves on"
if need "$name" "$HELLO" "$RSP"; then
    sock=$T_TMP/live.sock
    if ! unix_start "$sock"; then
        t_fail "$name" "the first VMM never listened: $(tr '\n' '|' <"$VERR")"
    else
        timeout -s KILL "$TO" "$VMM" --gdb "unix:$sock" "$HELLO" \
            >"$T_TMP/out" 2>"$T_TMP/err"
        rc=$?
        ADDR=unix:$sock
        if [ "$rc" -ne 2 ] || ! grep -qi 'in use' "$T_TMP/err" ||
            ! grep -qi 'listening' "$T_TMP/err"; then
            t_fail "$name" "exit $rc (want 2, 'in use', 'listening'): $(tr '\n' '|' <"$T_TMP/err")"
        elif ! rsp_retry "$T_TMP/o" 'pkt:?' 'expect:T05*'; then
            t_fail "$name" "the first VMM does not answer: $(rsp_why)"
        else
            t_pass "$name"
        fi
    fi
    vmm_stop
fi

# A socket left by a VMM that was killed (kill -9: no unlink) is taken over.
name="--gdb unix:PATH, a stale socket left by a killed VMM: replaced, works"
if need "$name" "$HELLO" "$RSP"; then
    sock=$T_TMP/stale.sock
    if ! unix_start "$sock"; then
        t_fail "$name" "the first VMM never listened: $(tr '\n' '|' <"$VERR")"
        vmm_stop
    else
        kill -9 "$VPID"
        wait "$VPID" 2>/dev/null
        if [ ! -S "$sock" ]; then
            t_fail "$name" "kill -9 left no socket behind"
        elif ! unix_start "$sock"; then
            t_fail "$name" "the second VMM did not take the stale socket: $(tr '\n' '|' <"$VERR")"
        else
            ADDR=unix:$sock
            rsp "$T_TMP/o" 'pkt:?' 'expect:T05*'
            t_check "$name" $? "$(rsp_why)"
        fi
        vmm_stop
    fi
fi

# The socket file is 0600 whatever the umask (0777 less the umask before).
for mask in 000 022 077; do
    name="--gdb unix:PATH under umask $mask: the socket is mode 600"
    need "$name" "$HELLO" "$RSP" || continue
    sock=$T_TMP/mode$mask.sock
    old=$(umask)
    umask "$mask"
    unix_start "$sock"
    started=$?
    umask "$old"
    if [ "$started" -ne 0 ]; then
        t_fail "$name" "the VMM never listened: $(tr '\n' '|' <"$VERR")"
    else
        mode=$(stat -c %a "$sock")
        ADDR=unix:$sock
        if [ "$mode" != 600 ]; then
            t_fail "$name" "mode $mode"
        elif ! rsp "$T_TMP/o" 'pkt:?' 'expect:T05*'; then
            t_fail "$name" "cannot connect: $(rsp_why)"
        else
            t_pass "$name"
        fi
    fi
    vmm_stop
done

# ---- which addresses are loopback -------------------------------------------

# tcp_start SPEC: vmm_bg --gdb SPEC (PORT in SPEC replaced by a free
# port) $HELLO; 0 once it waits for gdb.
tcp_start() {
    local i spec
    PORT=$(free_port)
    spec=${1//PORT/$PORT}
    vmm_bg --gdb "$spec" "$HELLO"
    for ((i = 0; i < 500; i++)); do
        grep -q "waiting for gdb on " "$VERR" 2>/dev/null && return 0
        vmm_alive || return 1
        sleep 0.01
    done
    return 1
}

HAVE_V6=1
grep -q . /proc/net/if_inet6 2>/dev/null || HAVE_V6=0
for spec in 127.0.0.1:PORT 127.0.0.2:PORT 127.255.255.254:PORT \
    '[::1]:PORT' '[::ffff:127.0.0.1]:PORT' '[::ffff:127.1.2.3]:PORT' \
    0.0.0.0:PORT; do
    warn=0
    [ "$spec" = 0.0.0.0:PORT ] && warn=1
    if [ "$warn" = 1 ]; then
        name="--gdb $spec warns that it is not loopback"
    else
        name="--gdb $spec is loopback: no warning"
    fi
    if [ "$HAVE_V6" = 0 ] && [ "${spec#\[}" != "$spec" ]; then
        t_skip "$name" "no IPv6 on this host"
        continue
    fi
    need "$name" "$HELLO" || continue
    if ! tcp_start "$spec"; then
        t_fail "$name" "the VMM never listened: $(tr '\n' '|' <"$VERR")"
    elif [ "$warn" = 1 ] && ! grep -q 'warning: .*not loopback' "$VERR"; then
        t_fail "$name" "no warning: $(tr '\n' '|' <"$VERR")"
    elif [ "$warn" = 0 ] && grep -q 'warning' "$VERR"; then
        t_fail "$name" "$(tr '\n' '|' <"$VERR")"
    else
        t_pass "$name"
    fi
    vmm_stop
done

# ---- connection log lines are rate-limited ------------------------------------

# N connections that send nothing (a port scan), then one debugger. Each
# scan connection is worth two lines (attached, closed without a packet)
# or, if the server sees it before the previous one's EOF, one (refused);
# the debugger two (attached, disconnected), each refusal of it one. At
# most GDB_SRV_LOG_BURST (5) are printed per second; the rest are counted
# in "N more connection message(s) suppressed" lines: printed and counted
# add up to one or two per connection.
name="a port scan of 200 connections: log lines rate-limited, none lost"
if need "$name" "$HELLO" "$RSP"; then
    N=200
    if ! vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(tr '\n' '|' <"$VERR")"
    else
        t0=$(now_ms)
        for ((i = 0; i < N; i++)); do
            (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
        done
        rsp_retry "$T_TMP/o" 'pkt:?' 'expect:T*'
        st=$?
        secs=$((($(now_ms) - t0) / 1000 + 1))
        vmm_stop
        shown=$(grep -cE 'vmm: (debugger |a connection closed|refused a second)' "$VERR")
        held=$(sed -n 's/^vmm: \([0-9]*\) more connection message(s) suppressed.*/\1/p' "$VERR" |
            awk '{ n += $1 } END { print n + 0 }')
        most=$((2 * N + 2 + ${RSP_REFUSED:-0}))
        least=$((N + 1))
        # Windows start at the first line of each: secs + 1 of them at most.
        max=$((5 * (secs + 1)))
        if [ "$st" -ne 0 ]; then
            t_fail "$name" "the debugger after the scan got no answer: $(rsp_why)"
        elif [ "$shown" -gt "$max" ]; then
            t_fail "$name" "$shown connection lines in ${secs}s (want <= $max)"
        elif [ "$((shown + held))" -lt "$least" ] ||
            [ "$((shown + held))" -gt "$most" ]; then
            t_fail "$name" "$shown shown + $held suppressed, want $least..$most: $(head -c 600 "$VERR" | tr '\n' '|')"
        else
            t_pass "$name ($shown shown, $held suppressed in ${secs}s)"
        fi
    fi
fi

t_done
