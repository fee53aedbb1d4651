# shellcheck shell=bash disable=SC2034
# Shared helpers for the gdb suites (session.sh, breakpoints.sh): one VMM
# per test with --gdb on a free port (vmm_gdb_start of tests/lib.sh, here
# bounded by timeout(1)), a batch gdb against it, a look at the outputs.
# Source tests/lib.sh first, from the repository root. need NAME [FILE...]
# (lib.sh) skips these tests without KVM or without gdb.

WATCH=$G/watch.bin
# Upper bound for one VMM (timeout(1) kills it) and for one gdb run.
VMM_TO=${VMM_TO:-120}
GDB_TO=${GDB_TO:-60}
VMM_BG_TO=$VMM_TO
need_cmd gdb

# gdb_run ARGS...: one batch gdb connected to $PORT; ARGS are extra gdb
# arguments after the connection (-ex CMD, -x FILE). Output (stdout and
# stderr) in $GDB_OUT; sets GDB_RC and GDB_MS (wall time).
GDB_N=0
gdb_run() {
    local t0
    GDB_N=$((GDB_N + 1))
    GDB_OUT=$T_TMP/gdb$GDB_N.out
    t0=$(now_ms)
    gdb_batch "$ADDR" "$@" >"$GDB_OUT" 2>&1
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
    e=$(tr '\n' '|' <"$VERR" 2>/dev/null | cut -c1-300)
    echo "gdb rc ${GDB_RC:-?} ${GDB_MS:-?}ms: $o; vmm rc ${VRC:-running} stderr: $e"
}

# vmm_out_count CHAR: how many times CHAR appears in the VMM's stdout.
vmm_out_count() {
    tr -cd "$1" <"$VOUT" | wc -c
}

# stop_pcs: the "$pc" values gdb printed as "PC=0x..." lines (our
# scripts `printf "PC=%#x\n", $pc` after each stop), space separated.
stop_pcs() {
    grep -oE '^PC=0x[0-9a-f]+|^PC=0' "$GDB_OUT" | sed 's/^PC=//' | tr '\n' ' ' |
        sed 's/ $//'
}

# gdb_bg ARGS...: gdb_run in the background (for Ctrl-C tests); sets
# GDB_PID (timeout's pid: not through gdb_batch, whose subshell would be
# one more process between us and gdb) and GDB_OUT. Finish with
# gdb_bg_wait.
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
