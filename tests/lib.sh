# Shared helpers for the shell test suites. Source it, call t_pass/t_fail/
# t_skip per test, and t_done last: it prints "N passed, N failed, N skipped"
# and exits non-zero on any failure.
BUILD=${BUILD:-build}
VMM=${VMM:-$BUILD/vmm}
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
