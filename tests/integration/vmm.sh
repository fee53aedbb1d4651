#!/usr/bin/env bash
# Integration tests for build/vmm: runs the guests in tests/guests/ and
# guest/hello.S and checks stdout bytes, exit status, stderr and timing; then
# the command-line errors (exit 2) and signal/pipe handling.
# Run from the repository root after `make`. Every VMM run is bounded by
# `timeout`, or by a watchdog for the ones we signal ourselves.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=10
# One exit per byte: 1e6 port exits take ~8 s on the emulating KVM backend
# we test on, so this one run gets more time than the others.
TO_SLOW=60

# now_ms and need NAME [FILE...] (skip without KVM, fail if not built) are
# in tests/lib.sh.

# need_vmm NAME: true when build/vmm exists (tests that never run a guest).
need_vmm() {
    if [ ! -f "$VMM" ] || [ ! -x "$VMM" ]; then
        t_fail "$1" "$VMM missing (run make)"
        return 1
    fi
    return 0
}

# run_vmm TIMEOUT ARGS...: runs the VMM with stdout in $T_TMP/out and
# stderr in $T_TMP/err; sets RC and ELAPSED_MS.
run_vmm() {
    local to=$1 t0
    shift
    t0=$(now_ms)
    timeout "$to" "$VMM" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    RC=$?
    ELAPSED_MS=$(($(now_ms) - t0))
}

# why: a short description of the last run for failure messages.
why() {
    local e
    e=$(head -c 300 "$T_TMP/err" | tr '\n' '|')
    echo "exit $RC, ${ELAPSED_MS}ms, stdout $(wc -c <"$T_TMP/out") bytes, stderr: $e"
}

# expect_out NAME STATUS BYTES: last run exited STATUS and printed exactly
# BYTES (a printf format) on stdout.
expect_out() {
    printf "$3" >"$T_TMP/want"
    if [ "$RC" -ne "$2" ]; then
        t_fail "$1" "want exit $2; $(why)"
    elif ! cmp -s "$T_TMP/out" "$T_TMP/want"; then
        t_fail "$1" "stdout is $(od -An -c "$T_TMP/out" | head -c 200 | tr -s ' \n' ' ')"
    else
        t_pass "$1"
    fi
}

# --- guests ----------------------------------------------------------------

name="hello: --hlt-sleep 0 --max-halts 3 prints Hello x3, exit 0"
if need "$name" "$HELLO"; then
    run_vmm $TO --hlt-sleep 0 --max-halts 3 "$HELLO"
    expect_out "$name" 0 'Hello\nHello\nHello\n'
fi

name="hello: stdout through a pipe is identical"
if need "$name" "$HELLO"; then
    printf 'Hello\nHello\nHello\n' >"$T_TMP/want"
    timeout $TO "$VMM" --hlt-sleep 0 --max-halts 3 "$HELLO" 2>"$T_TMP/err" |
        cat >"$T_TMP/out"
    RC=${PIPESTATUS[0]}
    ELAPSED_MS=0
    if [ "$RC" -eq 0 ] && cmp -s "$T_TMP/out" "$T_TMP/want"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

name="hello: -v keeps stdout to guest bytes only"
if need "$name" "$HELLO"; then
    run_vmm $TO -v --hlt-sleep 0 --max-halts 2 "$HELLO"
    expect_out "$name" 0 'Hello\nHello\n'
fi

name="hello: --mem 2M runs"
if need "$name" "$HELLO"; then
    run_vmm $TO --mem 2M --hlt-sleep 0 --max-halts 1 "$HELLO"
    expect_out "$name" 0 'Hello\n'
fi

name="hello: -m 64K runs"
if need "$name" "$HELLO"; then
    run_vmm $TO -m 64K --hlt-sleep 0 --max-halts 1 "$HELLO"
    expect_out "$name" 0 'Hello\n'
fi

name="hello: image exactly as large as --mem 64K runs"
if need "$name" "$HELLO"; then
    cp "$HELLO" "$T_TMP/h64k.bin"
    truncate -s 65536 "$T_TMP/h64k.bin"
    run_vmm $TO --mem 64K --hlt-sleep 0 --max-halts 1 "$T_TMP/h64k.bin"
    expect_out "$name" 0 'Hello\n'
fi

name="hello: --max-halts 1 stops at the first HLT"
if need "$name" "$HELLO"; then
    run_vmm $TO --max-halts 1 "$HELLO"
    expect_out "$name" 0 'Hello\n'
fi

name="hello: --hlt-sleep 200 --max-halts 2 sleeps (>= 180ms)"
if need "$name" "$HELLO"; then
    run_vmm $TO --hlt-sleep 200 --max-halts 2 "$HELLO"
    if [ "$RC" -eq 0 ] && [ "$ELAPSED_MS" -ge 180 ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

name="--host-info: exit 0, report on stdout"
if need "$name"; then
    run_vmm $TO --host-info
    if [ "$RC" -eq 0 ] && grep -q 'KVM' "$T_TMP/out"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

name="rep_outsb: one rep outsb prints the whole string"
if need "$name" "$G/rep_outsb.bin"; then
    run_vmm $TO --hlt-sleep 0 --max-halts 1 "$G/rep_outsb.bin"
    expect_out "$name" 0 'rep outsb works\n'
fi

name="in_port: inb/inw/inl from unused ports read all ones"
if need "$name" "$G/in_port.bin"; then
    run_vmm $TO --hlt-sleep 0 --max-halts 1 "$G/in_port.bin"
    expect_out "$name" 0 'in ok\n'
fi

name="mmio: write+read outside RAM, read gives 0xff"
if need "$name" "$G/mmio.bin"; then
    run_vmm $TO --hlt-sleep 0 --max-halts 1 "$G/mmio.bin"
    expect_out "$name" 0 'mmio ok\n'
fi

name="ud: real-mode #UD goes through the guest IVT"
if need "$name" "$G/ud.bin"; then
    run_vmm $TO --hlt-sleep 0 --max-halts 1 "$G/ud.bin"
    expect_out "$name" 0 'ud\nud handled\n'
fi

name="watch: counter bytes 1,2,3 one per HLT"
if need "$name" "$G/watch.bin"; then
    run_vmm $TO --hlt-sleep 0 --max-halts 3 "$G/watch.bin"
    expect_out "$name" 0 '\001\002\003'
fi

name="triple: triple fault exits 1 with 'guest crashed' and registers"
if need "$name" "$G/triple.bin"; then
    run_vmm $TO --hlt-sleep 0 "$G/triple.bin"
    printf 'triple\n' >"$T_TMP/want"
    if [ "$RC" -ne 1 ]; then
        t_fail "$name" "want exit 1; $(why)"
    elif ! grep -q 'guest crashed' "$T_TMP/err"; then
        t_fail "$name" "no 'guest crashed' on stderr; $(why)"
    elif ! grep -qiw 'rip' "$T_TMP/err" || ! grep -qiw 'cs' "$T_TMP/err"; then
        t_fail "$name" "no rip/cs register dump on stderr; $(why)"
    elif ! cmp -s "$T_TMP/out" "$T_TMP/want"; then
        t_fail "$name" "stdout is not exactly 'triple\\n'; $(why)"
    else
        t_pass "$name"
    fi
fi

name="out_1m: 1,000,000 single-byte outs give exactly 1000000 bytes"
if need "$name" "$G/out_1m.bin"; then
    run_vmm $TO_SLOW --hlt-sleep 0 --max-halts 1 "$G/out_1m.bin"
    n=$(wc -c <"$T_TMP/out")
    if [ "$RC" -eq 0 ] && [ "$n" -eq 1000000 ] &&
        [ -z "$(tr -d . <"$T_TMP/out" | head -c 1)" ]; then
        t_pass "$name (${ELAPSED_MS}ms)"
    else
        t_fail "$name" "got $n bytes; $(why)"
    fi
fi

# signal_test SIG NAME PATTERN IMAGE ARGS...: start the VMM, wait until its
# stdout has PATTERN, send SIG; it must end cleanly within 2 s, exit 0.
signal_test() {
    local sig=$1 name=$2 pat=$3 img=$4
    local pid t0 i rc
    shift 4
    need "$name" "$img" || return
    : >"$T_TMP/out"
    # A background job of a non-interactive shell ignores SIGINT; undo
    # that, as a terminal's Ctrl-C would reach the VMM.
    (
        trap - INT QUIT
        exec "$VMM" "$@" "$img" >"$T_TMP/out" 2>"$T_TMP/err"
    ) &
    pid=$!
    T_PIDS+=("$pid")
    if ! wait_file_line "$T_TMP/out" "$pat" 1000; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        t_fail "$name" "guest never printed $pat"
        return
    fi
    t0=$(now_ms)
    kill -"$sig" "$pid"
    # Watchdog: give it TO seconds, then kill -9.
    for ((i = 0; i < TO * 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        t_fail "$name" "still running ${TO}s after SIG$sig (killed)"
        return
    fi
    wait "$pid"
    rc=$?
    RC=$rc
    ELAPSED_MS=$(($(now_ms) - t0))
    if [ "$rc" -eq 0 ] && [ "$ELAPSED_MS" -lt 2000 ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
}
# spin makes no exits at all: the signal must kick the vCPU out of KVM_RUN.
signal_test TERM "spin: SIGTERM ends a spinning guest, exit 0, < 2s" \
    spin "$G/spin.bin" --hlt-sleep 0
signal_test INT "spin: SIGINT ends a spinning guest, exit 0, < 2s" \
    spin "$G/spin.bin" --hlt-sleep 0
# The VMM sleeps 5 s after the HLT: the signal must cut the sleep short.
signal_test TERM "hello: SIGTERM during --hlt-sleep 5000, exit 0, < 2s" \
    Hello "$HELLO" --hlt-sleep 5000
signal_test INT "hello: SIGINT during --hlt-sleep 5000, exit 0, < 2s" \
    Hello "$HELLO" --hlt-sleep 5000

name="EPIPE: | head -c 3 ends the VMM quickly, exit 0, quiet"
if need "$name" "$HELLO"; then
    t0=$(now_ms)
    timeout $TO "$VMM" --hlt-sleep 0 "$HELLO" 2>"$T_TMP/err" |
        head -c 3 >"$T_TMP/out"
    RC=${PIPESTATUS[0]}
    ELAPSED_MS=$(($(now_ms) - t0))
    if [ "$RC" -eq 0 ] && [ "$(cat "$T_TMP/out")" = "Hel" ] &&
        [ ! -s "$T_TMP/err" ] && [ "$ELAPSED_MS" -lt 5000 ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

# With fd 1 closed the next open() gets fd 1: the VMM must not write guest
# bytes into whatever that is (/dev/kvm gives EINVAL, a socket would take
# them). Either it ends quietly with 0 or says that stdout is the problem.
name="stdout closed: terminates, no crash (0, or 1 with a stdout message)"
if need "$name" "$HELLO"; then
    : >"$T_TMP/out"
    t0=$(now_ms)
    timeout $TO "$VMM" --hlt-sleep 0 --max-halts 3 "$HELLO" >&- 2>"$T_TMP/err"
    RC=$?
    ELAPSED_MS=$(($(now_ms) - t0))
    if [ "$RC" -eq 0 ] || { [ "$RC" -eq 1 ] &&
        grep -qiE '^vmm: .*(stdout|standard output|bad file descriptor)' "$T_TMP/err"; }; then
        t_pass "$name (exit $RC)"
    else
        t_fail "$name" "$(why)"
    fi
fi

# --- command line ----------------------------------------------------------

# usage_err NAME NEEDLE ARGS...: the VMM exits 2, prints nothing on stdout,
# and stderr starts with "vmm: " and mentions NEEDLE (case-insensitive;
# empty NEEDLE: anything).
usage_err() {
    local name="usage: $1 exits 2" needle=$2
    shift 2
    run_vmm $TO "$@"
    if [ "$RC" -ne 2 ]; then
        t_fail "$name" "want exit 2; $(why)"
    elif [ -s "$T_TMP/out" ]; then
        t_fail "$name" "stdout not empty; $(why)"
    elif ! head -n 1 "$T_TMP/err" | grep -q '^vmm: '; then
        t_fail "$name" "stderr does not start with 'vmm: '; $(why)"
    elif [ -n "$needle" ] && ! grep -qiF -- "$needle" "$T_TMP/err"; then
        t_fail "$name" "stderr does not mention '$needle'; $(why)"
    else
        t_pass "$name"
    fi
}

# Pure option errors must be caught before /dev/kvm is touched, so these
# run without KVM too.
if need_vmm "usage tests"; then
    Q=(--hlt-sleep 0 --max-halts 1)
    usage_err "unknown option --bogus" bogus "${Q[@]}" --bogus "$HELLO"
    usage_err "missing image argument" "" "${Q[@]}"
    usage_err "two image arguments" "" "${Q[@]}" "$HELLO" "$HELLO"
    for v in 0 -1 abc 1Q 99999999999999G ""; do
        usage_err "--mem '$v'" mem "${Q[@]}" --mem "$v" "$HELLO"
    done
    usage_err "-m without a value" "" -m
    for v in -5 x 10x; do
        usage_err "--hlt-sleep '$v'" hlt-sleep --max-halts 1 --hlt-sleep "$v" "$HELLO"
    done
    for v in x -1; do
        usage_err "--max-halts '$v'" max-halts --hlt-sleep 0 --max-halts "$v" "$HELLO"
    done
    for v in 99999 abc host: 0x 0 unix:; do
        usage_err "--gdb '$v'" gdb "${Q[@]}" --gdb "$v" "$HELLO"
    done
    usage_err "--debug-mechanism foo" foo "${Q[@]}" --debug-mechanism foo "$HELLO"

    name="--help: exit 0, Usage on stdout"
    run_vmm $TO --help
    if [ "$RC" -eq 0 ] && grep -q 'Usage' "$T_TMP/out"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi

    name="-h: exit 0, Usage on stdout"
    run_vmm $TO -h
    if [ "$RC" -eq 0 ] && grep -q 'Usage' "$T_TMP/out"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi

    name="--version: exit 0, prints something"
    run_vmm $TO --version
    if [ "$RC" -eq 0 ] && [ -s "$T_TMP/out" ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

# Image errors may legitimately be found after /dev/kvm is opened, so these
# need KVM.
Q=(--hlt-sleep 0 --max-halts 1)
name="usage: image errors"
if need "$name"; then
    usage_err "nonexistent image" "$T_TMP/nope.bin" "${Q[@]}" "$T_TMP/nope.bin"
    mkdir -p "$T_TMP/dir.bin"
    usage_err "image is a directory" "$T_TMP/dir.bin" "${Q[@]}" "$T_TMP/dir.bin"
    : >"$T_TMP/empty.bin"
    usage_err "empty image" "$T_TMP/empty.bin" "${Q[@]}" "$T_TMP/empty.bin"
    head -c 8192 /dev/zero >"$T_TMP/8k.bin"
    usage_err "8K image with --mem 4K" "$T_TMP/8k.bin" "${Q[@]}" --mem 4K "$T_TMP/8k.bin"
    head -c $((1024 * 1024 + 1)) /dev/zero >"$T_TMP/big.bin"
    usage_err "1M+1 image with default 1M RAM" "$T_TMP/big.bin" "${Q[@]}" "$T_TMP/big.bin"
    if [ "$(id -u)" -ne 0 ]; then
        cp "$HELLO" "$T_TMP/noread.bin"
        chmod 000 "$T_TMP/noread.bin"
        usage_err "unreadable image" "$T_TMP/noread.bin" "${Q[@]}" "$T_TMP/noread.bin"
    fi
fi

t_done
