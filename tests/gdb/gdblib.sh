# shellcheck shell=bash disable=SC2034
# Shared helpers for the gdb suites (session.sh, breakpoints.sh): start one
# VMM per test with --gdb on a free port, run a batch gdb against it, look
# at the outputs. Source tests/lib.sh first, from the repository root.
#
# Readiness: we poll for the VMM's "waiting for gdb on ..." line and the
# port's LISTEN state in /proc/net/tcp. We do not use lib.sh's
# wait_port here: its probe connection is taken by the stub for a debugger
# that attached and left, and the guest starts running before gdb arrives.

HELLO=$BUILD/guest/hello.bin
G=$BUILD/tests/guests
WATCH=$G/watch.bin
SPIN=$G/spin.bin
TRIPLE=$G/triple.bin
# Upper bound for one VMM (timeout(1) kills it) and for one gdb run.
VMM_TO=${VMM_TO:-120}
GDB_TO=${GDB_TO:-60}

if kvm_usable && command -v gdb >/dev/null 2>&1; then
    GDB_ENV=1
    GDB_ENV_WHY=
elif ! command -v gdb >/dev/null 2>&1; then
    GDB_ENV=0
    GDB_ENV_WHY="gdb not installed"
else
    GDB_ENV=0
    GDB_ENV_WHY="/dev/kvm not usable"
fi

# now_ms: wall clock in milliseconds (EPOCHREALTIME needs bash 5).
now_ms() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        local t=${EPOCHREALTIME/./}
        echo $((10#$t / 1000))
    else
        echo $(($(date +%s%N) / 1000000))
    fi
}

# need NAME [FILE...]: true when the test can run; otherwise records a skip
# (no KVM or no gdb) or a failure (VMM or guest image not built).
need() {
    local name=$1 f
    shift
    if [ "$GDB_ENV" -ne 1 ]; then
        t_skip "$name" "$GDB_ENV_WHY"
        return 1
    fi
    for f in "$VMM" "$@"; do
        if [ ! -f "$f" ]; then
            t_fail "$name" "$f missing (run make)"
            return 1
        fi
    done
    return 0
}

# is_listening PORT: something listens on 127.0.0.1:PORT (or 0.0.0.0).
# Reads /proc/net/tcp; no connection is made.
is_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" '$2 ~ (p "$") && $4 == "0A" { f = 1 } END { exit !f }' \
        /proc/net/tcp 2>/dev/null
}

# wait_listen PORT ERRFILE [TRIES]: poll (10 ms steps) until the VMM we
# started says it waits for gdb on PORT (it prints that after listen())
# and, where /proc/net/tcp exists, the port is in LISTEN state. Gives up
# early if the VMM exited (e.g. it lost the port to someone else).
wait_listen() {
    local i
    for ((i = 0; i < ${3:-1000}; i++)); do
        if grep -q "waiting for gdb on 127.0.0.1:$1 " "$2" 2>/dev/null; then
            [ -r /proc/net/tcp ] || return 0
            is_listening "$1" && return 0
        fi
        vmm_alive || return 1
        sleep 0.01
    done
    return 1
}

# child_of PID: pids whose parent is PID (the VMM under timeout(1)).
child_of() {
    local f st rest
    for f in /proc/[0-9]*/stat; do
        st=$(cat "$f" 2>/dev/null) || continue
        rest=${st##*) }
        rest=${rest#* }
        [ "${rest%% *}" = "$1" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
    done
    return 0
}

# vmm_alive: the VMM we started last still runs (not a zombie).
vmm_alive() {
    local st
    kill -0 "$VMM_PID" 2>/dev/null || return 1
    st=$(sed -E 's/.*\) ([A-Z]).*/\1/' "/proc/$VMM_PID/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

# vmm_start ARGS...: starts `timeout $VMM_TO $VMM --gdb PORT ARGS...` in
# the background on a free port. Sets PORT, VMM_PID (the timeout pid),
# VMM_OUT/VMM_ERR (its stdout/stderr files) and VMM_RC (empty while it
# runs). Retries a few ports if one was lost to a race. Returns non-zero
# if the VMM never listened.
VMM_N=0
vmm_start() {
    local try c
    for ((try = 0; try < 5; try++)); do
        VMM_N=$((VMM_N + 1))
        PORT=$(free_port)
        VMM_OUT=$T_TMP/vmm$VMM_N.out
        VMM_ERR=$T_TMP/vmm$VMM_N.err
        VMM_RC=
        timeout -s KILL "$VMM_TO" "$VMM" --gdb "$PORT" "$@" \
            >"$VMM_OUT" 2>"$VMM_ERR" &
        VMM_PID=$!
        T_PIDS+=("$VMM_PID")
        # timeout(1) forks the VMM: remember that pid too for the cleanup
        # (lib.sh kill -9s T_PIDS, which timeout would not pass on).
        for ((c = 0; c < 100; c++)); do
            VMM_CHILD=$(child_of "$VMM_PID" | head -n 1)
            [ -n "$VMM_CHILD" ] && break
            vmm_alive || break
            sleep 0.01
        done
        [ -n "$VMM_CHILD" ] && T_PIDS+=("$VMM_CHILD")
        if wait_listen "$PORT" "$VMM_ERR"; then
            return 0
        fi
        # Lost the port (exit 2 "address in use") or failed to start.
        if vmm_alive; then
            vmm_stop
            return 1
        fi
        wait "$VMM_PID" 2>/dev/null
        VMM_RC=$?
        grep -qi 'in use' "$VMM_ERR" || return 1
    done
    return 1
}

# vmm_wait_exit SECONDS: wait up to SECONDS for the VMM to exit; sets
# VMM_RC (empty if it did not exit). Returns 0 when it exited.
vmm_wait_exit() {
    local i n=$((${1:-5} * 100))
    for ((i = 0; i < n; i++)); do
        vmm_alive || break
        sleep 0.01
    done
    if vmm_alive; then
        VMM_RC=
        return 1
    fi
    wait "$VMM_PID" 2>/dev/null
    VMM_RC=$?
    return 0
}

# vmm_stop: end the VMM we started (TERM to the VMM itself, then KILL).
vmm_stop() {
    local i rc
    [ -n "${VMM_CHILD:-}" ] && kill -TERM "$VMM_CHILD" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        vmm_alive || break
        sleep 0.01
    done
    [ -n "${VMM_CHILD:-}" ] && kill -9 "$VMM_CHILD" 2>/dev/null
    kill -9 "$VMM_PID" 2>/dev/null
    wait "$VMM_PID" 2>/dev/null
    rc=$?
    [ -z "$VMM_RC" ] && VMM_RC=$rc
    return 0
}

# gdb_run ARGS...: one batch gdb connected to $PORT; ARGS are extra gdb
# arguments after the connection (-ex CMD, -x FILE). Output (stdout and
# stderr) in $GDB_OUT; sets GDB_RC and GDB_MS (wall time).
GDB_N=0
gdb_run() {
    local t0
    GDB_N=$((GDB_N + 1))
    GDB_OUT=$T_TMP/gdb$GDB_N.out
    t0=$(now_ms)
    timeout "$GDB_TO" gdb -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote 127.0.0.1:$PORT" \
        "$@" >"$GDB_OUT" 2>&1 </dev/null
    GDB_RC=$?
    GDB_MS=$(($(now_ms) - t0))
}

# gdb_script TEXT: gdb_run with TEXT (one command per line) as the script.
gdb_script() {
    local f=$T_TMP/script$((GDB_N + 1)).gdb
    printf '%s\n' "$1" >"$f"
    gdb_run -x "$f"
}

# gdb_has REGEX: the last gdb output matches the extended REGEX.
gdb_has() {
    grep -qE -- "$1" "$GDB_OUT"
}

# why: last gdb and VMM runs in one line, for failure messages.
why() {
    local o e
    o=$(grep -vE '^(warning: No executable|determining executable)' \
        "$GDB_OUT" 2>/dev/null | tail -n 12 | tr '\n' '|' | cut -c1-700)
    e=$(tr '\n' '|' <"$VMM_ERR" 2>/dev/null | cut -c1-300)
    echo "gdb rc ${GDB_RC:-?} ${GDB_MS:-?}ms: $o; vmm rc ${VMM_RC:-running} stderr: $e"
}

# vmm_out_count CHAR: how many times CHAR appears in the VMM's stdout.
vmm_out_count() {
    tr -cd "$1" <"$VMM_OUT" | wc -c
}

# stop_pcs: the "$pc" values gdb printed as "PC=0x..." lines (our
# scripts `printf "PC=%#x\n", $pc` after each stop), space separated.
stop_pcs() {
    grep -oE '^PC=0x[0-9a-f]+|^PC=0' "$GDB_OUT" | sed 's/^PC=//' | tr '\n' ' ' |
        sed 's/ $//'
}

# gdb_bg ARGS...: gdb_run in the background (for Ctrl-C tests); sets
# GDB_PID and GDB_OUT. Finish with gdb_bg_wait.
gdb_bg() {
    GDB_N=$((GDB_N + 1))
    GDB_OUT=$T_TMP/gdb$GDB_N.out
    GDB_T0=$(now_ms)
    timeout "$GDB_TO" gdb -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote 127.0.0.1:$PORT" \
        "$@" >"$GDB_OUT" 2>&1 </dev/null &
    GDB_PID=$!
    T_PIDS+=("$GDB_PID")
}

# gdb_bg_wait: wait for the background gdb; sets GDB_RC and GDB_MS.
gdb_bg_wait() {
    wait "$GDB_PID"
    GDB_RC=$?
    GDB_MS=$(($(now_ms) - GDB_T0))
}

# gdb_interrupt: Ctrl-C the background gdb, as a user at the terminal
# would: one SIGINT to gdb itself. Not to timeout(1), which would pass it
# on to gdb and again to its whole process group: a second Ctrl-C makes
# gdb give up waiting and disconnect. Sets INT_MS: signal to gdb's exit.
gdb_interrupt() {
    local t0 gp
    gp=$(child_of "$GDB_PID" | head -n 1)
    t0=$(now_ms)
    kill -INT "${gp:-$GDB_PID}" 2>/dev/null
    gdb_bg_wait
    INT_MS=$(($(now_ms) - t0))
}
