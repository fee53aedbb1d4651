#!/usr/bin/env bash
# Debugger clients other than gdb's usual path, and command forms gdb
# itself tidies up: the `k` packet (raw, from gdb with vKill off, and
# lldb's `process kill`, which waits for an exit status), and monitor
# commands with extra whitespace (raw and from lldb, which sends it as
# typed). gdb's own `kill` over vKill is in session.sh. Each test starts
# its own VMM, bounded by timeout(1); lldb tests skip where lldb is not
# installed. Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

VMM_BG_TO=120
LLDB_TO=60

# hex TEXT: TEXT hex-encoded (qRcmd's argument).
hex() {
    printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

# unhex HEX: the text HEX encodes.
unhex() {
    printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"
}

# stderr_why: the VMM's stderr in one line.
stderr_why() {
    tr '\n' '|' <"$VERR" 2>/dev/null | cut -c1-400
}

# ---- k ---------------------------------------------------------------------

name="raw k: the reply is X09, then EOF, the VMM exits 0"
if need "$name" "$HELLO" "$RSP"; then
    if ! vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(stderr_why)"
    elif ! rsp "$T_TMP/o" 'pkt:?' 'expect:T05*' pkt:k expect:X09 expect-eof; then
        t_fail "$name" "$(rsp_why)"
        vmm_stop
    elif ! vmm_wait_exit 10 || [ "$VRC" -ne 0 ]; then
        t_fail "$name" "VMM status ${VRC:-still running} (want 0): $(stderr_why)"
        vmm_stop
    else
        t_pass "$name"
    fi
fi

# gdb sends k (not vKill) with the vKill packet turned off, and reads no
# reply: the X09 must not upset it.
name="gdb kill over k (vKill off): no error, the VMM exits 0"
if ! command -v gdb >/dev/null 2>&1; then
    t_skip "$name" "gdb not installed"
elif need "$name" "$HELLO"; then
    if ! vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(stderr_why)"
    else
        gdb_batch "$ADDR" -ex 'set remote kill-packet off' -ex 'stepi' \
            -ex 'kill' -ex 'echo AFTER-KILL\n' -ex 'info inferiors' \
            >"$T_TMP/gdb.out" 2>&1
        grc=$?
        vmm_wait_exit 10
        if [ "$grc" -ne 0 ] || grep -qE 'Remote connection closed|rror' "$T_TMP/gdb.out" ||
            ! grep -q '^AFTER-KILL' "$T_TMP/gdb.out" ||
            ! grep -q 'killed' "$T_TMP/gdb.out"; then
            t_fail "$name" "gdb rc $grc: $(tail -n 8 "$T_TMP/gdb.out" | tr '\n' '|')"
        elif [ "${VRC:-x}" != 0 ]; then
            t_fail "$name" "VMM status ${VRC:-still running} (want 0): $(stderr_why)"
        else
            t_pass "$name"
        fi
    fi
    vmm_stop
fi

# lldb_run ARGS...: lldb -b connected to $ADDR, then ARGS (-o CMD...);
# output in $T_TMP/lldb.out (lldb's Python complaints filtered out), rc
# in LLDB_RC.
lldb_run() {
    timeout "$LLDB_TO" lldb -b -o "gdb-remote $ADDR" "$@" </dev/null \
        >"$T_TMP/lldb.raw" 2>&1
    LLDB_RC=$?
    grep -vE '^(Traceback|  File |ModuleNotFoundError)' "$T_TMP/lldb.raw" \
        >"$T_TMP/lldb.out"
}

name="lldb process kill: exit status 9 (X09), the VMM exits 0"
if ! command -v lldb >/dev/null 2>&1; then
    t_skip "$name" "lldb not installed"
elif need "$name" "$HELLO"; then
    if ! vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(stderr_why)"
    else
        lldb_run -o 'process kill'
        vmm_wait_exit 10
        if [ "$LLDB_RC" -ne 0 ] ||
            ! grep -q 'exited with status = 9 ' "$T_TMP/lldb.out" ||
            grep -qi 'failed' "$T_TMP/lldb.out"; then
            t_fail "$name" "lldb rc $LLDB_RC: $(tail -n 6 "$T_TMP/lldb.out" | tr '\n' '|')"
        elif [ "${VRC:-x}" != 0 ]; then
            t_fail "$name" "VMM status ${VRC:-still running} (want 0): $(stderr_why)"
        else
            t_pass "$name"
        fi
    fi
    vmm_stop
fi

# ---- monitor commands with extra whitespace -----------------------------------

# Each spelling gets the same output as the plain command (the guest is
# stopped, so regs and stats do not change in between).
name="raw qRcmd: whitespace around and inside monitor commands is ignored"
if need "$name" "$HELLO" "$RSP"; then
    if ! vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(stderr_why)"
    else
        acts=()
        for form in help '  help' 'help ' breakpoints 'breakpoints ' \
            $'\tbreakpoints' regs ' regs  ' stats $'stats\t\t'; do
            acts+=("pkt:qRcmd,$(hex "$form")")
        done
        if ! rsp "$T_TMP/o" "${acts[@]}"; then
            t_fail "$name" "$(rsp_why)"
        else
            mapfile -t got <"$T_TMP/o"
            bad=
            for i in 1 2 4 5 7 9; do
                base=0
                ((i >= 3)) && base=3
                ((i >= 6)) && base=6
                ((i >= 8)) && base=8
                if [ "${got[$i]}" != "${got[$base]}" ]; then
                    bad="form $i: $(unhex "${got[$i]#< }" | head -c 80)"
                    break
                fi
            done
            if [ -n "$bad" ]; then
                t_fail "$name" "$bad"
            elif unhex "${got[4]#< }" | grep -qi unknown; then
                t_fail "$name" "breakpoints is unknown"
            else
                t_pass "$name"
            fi
        fi
    fi
    vmm_stop
fi

# lldb sends the command as typed, trailing space and all.
name="lldb: 'monitor breakpoints ' (trailing space) is 'monitor breakpoints'"
if ! command -v lldb >/dev/null 2>&1; then
    t_skip "$name" "lldb not installed"
elif need "$name" "$HELLO"; then
    if ! vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(stderr_why)"
    else
        lldb_run -o 'process plugin packet monitor breakpoints ' \
            -o 'process plugin packet monitor   help'
        mapfile -t resp < <(sed -n 's/^response: //p' "$T_TMP/lldb.out")
        bp=$(unhex "${resp[0]:-}")
        help=$(unhex "${resp[1]:-}")
        if [ "$LLDB_RC" -ne 0 ] || [ "${#resp[@]}" -ne 2 ]; then
            t_fail "$name" "lldb rc $LLDB_RC: $(tail -n 6 "$T_TMP/lldb.out" | tr '\n' '|')"
        elif [ "${bp#breakpoints by }" = "$bp" ]; then
            t_fail "$name" "breakpoints: $(echo "$bp" | head -n 1)"
        elif [ "${help#breakpoints  list}" = "$help" ]; then
            t_fail "$name" "help: $(echo "$help" | head -n 1)"
        else
            t_pass "$name"
        fi
    fi
    vmm_stop
fi

t_done
