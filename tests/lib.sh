# shellcheck shell=bash disable=SC2034 # globals set here are read by the suites
# Shared helpers for the shell test suites. Source it from the repository
# root, call t_pass/t_fail/t_skip per test (or need first, which records a
# skip or failure itself), and t_done last: it prints "N passed, N failed,
# N skipped" and exits non-zero on any failure.
# Also here: paths of what `make` builds, now_ms, is_alive, need/need_cmd,
# one background VMM (vmm_bg, vmm_gdb_start, vmm_wait_exit, vmm_stop) and
# talking to its stub (rsp, rsp_retry, rsp_why, gdb_batch). Helpers that
# only one suite uses stay in that suite (tests/gdb/gdblib.sh for the gdb
# suites).
BUILD=${BUILD:-build}
VMM=${VMM:-$BUILD/vmm}
RSP=$BUILD/tests/tools/rspclient
HELLO=$BUILD/guest/hello.bin
G=$BUILD/tests/guests
SPIN=$G/spin.bin
TRIPLE=$G/triple.bin
T_PASSED=0
T_FAILED=0
T_SKIPPED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/kvmstub-test.XXXXXX")
T_PIDS=()
trap 't_cleanup' EXIT

t_cleanup() {
    local p
    for p in "${T_PIDS[@]}"; do
        kill -9 "$p" 2>/dev/null
    done
    rm -rf "$T_TMP"
}

t_pass() { T_PASSED=$((T_PASSED + 1)); echo "ok $1"; }
t_fail() { T_FAILED=$((T_FAILED + 1)); echo "not ok $1${2:+: $2}"; }
t_skip() { T_SKIPPED=$((T_SKIPPED + 1)); echo "skip $1${2:+: $2}"; }

# t_check NAME COND-EXIT-STATUS [DETAIL]: pass when the status is 0.
t_check() {
    if [ "$2" -eq 0 ]; then t_pass "$1"; else t_fail "$1" "${3:-}"; fi
}

t_done() {
    echo "$T_PASSED passed, $T_FAILED failed, $T_SKIPPED skipped"
    [ "$T_FAILED" -eq 0 ]
    exit $?
}

# True when /dev/kvm can be opened read-write (tests that need it skip
# otherwise, never pass silently).
kvm_usable() {
    [ -c /dev/kvm ] && { exec 9<>/dev/kvm; } 2>/dev/null && exec 9>&-
}

# A TCP port on 127.0.0.1 that nobody listens on right now (bash only: the
# project needs no python). Callers that lose a race see the VMM exit 2.
free_port() {
    local p i
    for ((i = 0; i < 50; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo 0
    return 1
}

# wait_port PORT [TRIES]: poll until 127.0.0.1:PORT accepts (no sleeping
# for a fixed time). Returns non-zero if it never does.
wait_port() {
    local i
    for ((i = 0; i < ${2:-500}; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
            return 0
        fi
        sleep 0.01
    done
    return 1
}

# wait_file_line FILE PATTERN [TRIES]: poll until FILE has a line matching.
wait_file_line() {
    local i
    for ((i = 0; i < ${3:-500}; i++)); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.01
    done
    return 1
}

# now_ms: wall clock in milliseconds (EPOCHREALTIME needs bash 5).
now_ms() {
    if [ -n "${EPOCHREALTIME:-}" ]; then
        local t=${EPOCHREALTIME/./}
        echo $((10#$t / 1000))
    else
        echo $(($(date +%s%N) / 1000000))
    fi
}

# is_alive PID: the process exists and is not a zombie.
is_alive() {
    local st
    kill -0 "$1" 2>/dev/null || return 1
    st=$(sed -E 's/.*\) ([A-Z]).*/\1/' "/proc/$1/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

# child_of PID: pids whose parent is PID (e.g. the VMM under timeout(1)).
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

# ---- skipping and missing builds ------------------------------------------
#
# T_NEED_WHY: why the tests that run a guest skip on this host, empty when
# they can run. lib.sh sets it from kvm_usable; a suite that needs a tool
# as well calls need_cmd TOOL after sourcing lib.sh.
#
# Test hook: KVMSTUB_TEST_NO_KVM=1 in the environment makes kvm_usable
# false, as on a host without /dev/kvm, to check that every KVM test then
# reports skip (none pass or fail), e.g.
#   KVMSTUB_TEST_NO_KVM=1 bash tests/integration/rsp_raw.sh
if [ "${KVMSTUB_TEST_NO_KVM:-0}" = 1 ]; then
    kvm_usable() { return 1; }
fi
if kvm_usable; then
    T_NEED_WHY=
else
    T_NEED_WHY="/dev/kvm not usable"
fi

# need_cmd CMD: tests that call need skip, saying "CMD not installed",
# when CMD is missing (this reason wins over a missing /dev/kvm).
need_cmd() {
    command -v "$1" >/dev/null 2>&1 || T_NEED_WHY="$1 not installed"
}

# need NAME [FILE...]: true when the test can run. Otherwise records a skip
# (T_NEED_WHY: no KVM, or a tool from need_cmd missing) or a failure ($VMM
# or one of FILE not built) and returns non-zero.
need() {
    local name=$1 f
    shift
    if [ -n "$T_NEED_WHY" ]; then
        t_skip "$name" "$T_NEED_WHY"
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

# ---- one VMM in the background ---------------------------------------------
#
# vmm_bg and vmm_gdb_start set:
#   VPID  the pid we started (the VMM, or the wrapper given below), in T_PIDS
#   VOUT, VERR  its stdout and stderr: new files under $T_TMP for every start
#   VRC   its exit status, empty until vmm_wait_exit or vmm_stop learns it
#   PORT, ADDR  (vmm_gdb_start) the port and 127.0.0.1:PORT it waits on
# Knobs, set by a suite before the calls:
#   VMM_WRAP=(CMD...)  run "${VMM_WRAP[@]}" $VMM ... instead (a wrapper that
#                      execs the VMM in its own process, e.g. valgrind)
#   VMM_BG_TO=SECONDS  bound the VMM with timeout -s KILL SECONDS; VCHILD is
#                      then the VMM itself (the child of timeout) and gets
#                      the signals (t_cleanup kill -9s it too, as T_PIDS)
#   VMM_START_WAIT=SECONDS  how long vmm_gdb_start waits (default 5)
#   VMM_STDOUT=FILE    the VMM's stdout goes to FILE (e.g. a FIFO), VOUT too
#   VMM_STDIN=FILE     the VMM's stdin (default /dev/null, as bash gives a
#                      background job)
VMM_WRAP=()
VMM_BG_TO=
T_VMM_N=0
vmm_bg() {
    local c
    T_VMM_N=$((T_VMM_N + 1))
    VOUT=${VMM_STDOUT:-$T_TMP/vmm$T_VMM_N.out}
    VERR=$T_TMP/vmm$T_VMM_N.err
    VRC=
    VCHILD=
    if [ -n "$VMM_BG_TO" ]; then
        timeout -s KILL "$VMM_BG_TO" "$VMM" "$@" <"${VMM_STDIN:-/dev/null}" \
            >"$VOUT" 2>"$VERR" &
        VPID=$!
        T_PIDS+=("$VPID")
        for ((c = 0; c < 100; c++)); do
            VCHILD=$(child_of "$VPID" | head -n 1)
            [ -n "$VCHILD" ] && break
            is_alive "$VPID" || break
            sleep 0.01
        done
        [ -n "$VCHILD" ] && T_PIDS+=("$VCHILD")
    else
        (exec "${VMM_WRAP[@]}" "$VMM" "$@" <"${VMM_STDIN:-/dev/null}" \
            >"$VOUT" 2>"$VERR") &
        VPID=$!
        T_PIDS+=("$VPID")
    fi
}

# vmm_alive: the VMM we started last still runs (not a zombie).
vmm_alive() {
    is_alive "$VPID"
}

# is_listening PORT: something listens on 127.0.0.1:PORT (or 0.0.0.0).
# Reads /proc/net/tcp; no connection is made.
is_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" '$2 ~ (p "$") && $4 == "0A" { f = 1 } END { exit !f }' \
        /proc/net/tcp 2>/dev/null
}

# vmm_gdb_start ARGS...: vmm_bg --gdb PORT ARGS... on a free port. Ready
# when the VMM says "waiting for gdb on 127.0.0.1:PORT" (it prints that
# after listen()) and, where /proc/net/tcp exists, the port is in LISTEN
# state. Never a probe connection (wait_port): the stub would take it for
# a debugger that attached and left, and let the guest run. If the VMM
# lost the port to someone else (exit 2, "in use"), retries on another
# one. Returns non-zero, the VMM stopped, if it never got ready.
vmm_gdb_start() {
    local try i n=$((${VMM_START_WAIT:-5} * 100))
    for ((try = 0; try < 5; try++)); do
        PORT=$(free_port)
        ADDR=127.0.0.1:$PORT
        vmm_bg --gdb "$PORT" "$@"
        for ((i = 0; i < n; i++)); do
            if grep -q "waiting for gdb on $ADDR " "$VERR" 2>/dev/null; then
                [ -r /proc/net/tcp ] || return 0
                is_listening "$PORT" && return 0
            fi
            vmm_alive || break
            sleep 0.01
        done
        if vmm_alive || ! grep -qi 'in use' "$VERR" 2>/dev/null; then
            vmm_stop
            return 1
        fi
        wait "$VPID" 2>/dev/null
        VRC=$?
    done
    return 1
}

# vmm_wait_exit SECONDS: wait up to SECONDS (default 5) for the VMM to
# exit; sets VRC (left empty if it did not exit). 0 when it exited.
vmm_wait_exit() {
    local i n=$((${1:-5} * 100))
    for ((i = 0; i < n; i++)); do
        vmm_alive || break
        sleep 0.01
    done
    vmm_alive && return 1
    wait "$VPID" 2>/dev/null
    VRC=$?
    return 0
}

# vmm_stop: end the VMM we started: SIGTERM to the VMM itself, SIGKILL if
# it still runs 2 s later. Sets VRC unless it was known already.
vmm_stop() {
    local i rc
    kill -TERM "${VCHILD:-$VPID}" 2>/dev/null
    for ((i = 0; i < 200; i++)); do
        vmm_alive || break
        sleep 0.01
    done
    [ -n "${VCHILD:-}" ] && kill -9 "$VCHILD" 2>/dev/null
    kill -9 "$VPID" 2>/dev/null
    wait "$VPID" 2>/dev/null
    rc=$?
    [ -z "${VRC:-}" ] && VRC=$rc
    return 0
}

# ---- talking to the stub ----------------------------------------------------

# RSP_TO: upper bound in seconds for one rspclient run (its own reads time
# out after 5 s).
RSP_TO=30

# rsp OUTFILE ACTION...: rspclient on $ADDR, bounded by RSP_TO, stdout to OUTFILE,
# stderr appended to $T_TMP/rsp.err (emptied first when RSP_ERR_FRESH=1:
# then it holds this run's errors only). Returns its exit status.
rsp() {
    local out=$1
    shift
    [ "${RSP_ERR_FRESH:-0}" = 1 ] && : >"$T_TMP/rsp.err"
    timeout "$RSP_TO" "$RSP" "$ADDR" "$@" >"$out" 2>>"$T_TMP/rsp.err"
}

# rsp_retry OUTFILE ACTION...: rsp on a new connection, retried for up to
# 2 s while the server refuses it (one debugger at a time: it may still be
# draining the previous client), and only then. Sets RSP_REFUSED to the
# number of refusals before the answer.
rsp_retry() {
    local i
    for ((i = 0; i < 40; i++)); do
        RSP_REFUSED=$i
        : >"$T_TMP/rsp.err"
        rsp "$@" && return 0
        grep -Eq 'reset by peer|closed by the server' "$T_TMP/rsp.err" ||
            return 1
        vmm_alive || return 1
        sleep 0.05
    done
    return 1
}

# rsp_why: the last rspclient error and the VMM's stderr, for messages.
rsp_why() {
    local e v
    e=$(tail -n 1 "$T_TMP/rsp.err" 2>/dev/null)
    v=$(tail -c 300 "$VERR" 2>/dev/null | tr '\n' '|')
    echo "${e:-no rspclient error}; vmm stderr: $v"
}

# gdb_batch ADDR GDB-ARGS...: a batch gdb (no init files, no confirmation,
# no paging) connected to ADDR, stdin /dev/null, bounded by GDB_TO seconds
# (default 60). Redirect its output where you want it.
gdb_batch() {
    local addr=$1
    shift
    timeout "${GDB_TO:-60}" gdb -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote $addr" "$@" </dev/null
}
