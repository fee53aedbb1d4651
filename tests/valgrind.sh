#!/usr/bin/env bash
# `make valgrind`: the VMM under memcheck, for memory errors and leaks:
#   a plain run (--hlt-sleep 0 --max-halts 3 hello.bin);
#   a full gdb session (registers, memory, stepi, breakpoints, a watchpoint,
#   continue, register and memory writes, detach), then a second gdb that
#   attaches and kills;
#   hostile raw RSP input (bad checksums, garbage, oversized packets, half
#   packets, a refused second client) ending in vKill;
#   a guest crash (triple fault, exit 1), and one inspected under gdb;
#   SIGTERM while the guest spins without exits.
# Every run must end with its normal exit status (never valgrind's 99),
# "ERROR SUMMARY: 0 errors" and no definite or indirect leak. Lines where
# valgrind says it does not know an ioctl are shown as notes.
#
# Valgrind 3.19 and later model the KVM ioctls (KVM_RUN, KVM_GET_REGS,
# ...), so no suppressions are needed; if an older one reports definedness
# noise from KVM ioctl results, put ONLY those in tests/valgrind.supp (it
# is used when present, with a comment per entry) and never a leak.
# Valgrind makes KVM_RUN slow: every wait here is generous (60 s).
# Run from the repository root after `make`.
# shellcheck disable=SC2016 # literal '$' in gdb commands and raw packets
set -u
cd "$(dirname "$0")/.." || exit 1
source tests/lib.sh

RSP=$BUILD/tests/tools/rspclient
HELLO=$BUILD/guest/hello.bin
SPIN=$BUILD/tests/guests/spin.bin
TRIPLE=$BUILD/tests/guests/triple.bin
TO=60

VG=(valgrind --error-exitcode=99 --leak-check=full
    '--errors-for-leak-kinds=definite,indirect')
[ -f tests/valgrind.supp ] && VG+=(--suppressions=tests/valgrind.supp)

if ! command -v valgrind >/dev/null 2>&1; then
    WHY_SKIP="valgrind not installed"
elif ! kvm_usable; then
    WHY_SKIP="/dev/kvm not usable"
else
    WHY_SKIP=
fi

# need NAME [FILE...]: true when the test can run; else a skip (no valgrind
# or KVM) or a failure (not built).
need() {
    local name=$1 f
    shift
    if [ -n "$WHY_SKIP" ]; then
        t_skip "$name" "$WHY_SKIP"
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

# is_alive PID: the process exists and is not a zombie.
is_alive() {
    local st
    kill -0 "$1" 2>/dev/null || return 1
    st=$(sed -E 's/.*\) ([A-Z]).*/\1/' "/proc/$1/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ]
}

# vg_start ARGS...: the VMM under valgrind in the background (valgrind runs
# it in its own process: VPID is the VMM). Log $VLOG, stdout $VOUT, stderr
# $VERR.
N=0
vg_start() {
    N=$((N + 1))
    VLOG=$T_TMP/vg$N.log
    VOUT=$T_TMP/vg$N.out
    VERR=$T_TMP/vg$N.err
    (exec "${VG[@]}" --log-file="$VLOG" "$VMM" "$@" >"$VOUT" 2>"$VERR") &
    VPID=$!
    T_PIDS+=("$VPID")
}

# vg_gdb ARGS...: vg_start with --gdb on a free port, waiting (up to 60 s)
# for "waiting for gdb". Sets PORT, ADDR. Retries if the port was taken.
vg_gdb() {
    local try i
    for ((try = 0; try < 5; try++)); do
        PORT=$(free_port)
        ADDR=127.0.0.1:$PORT
        vg_start --gdb "$PORT" "$@"
        for ((i = 0; i < TO * 20; i++)); do
            grep -q "waiting for gdb" "$VERR" 2>/dev/null && return 0
            is_alive "$VPID" || break
            sleep 0.05
        done
        if ! grep -q "in use" "$VERR" 2>/dev/null; then
            kill -9 "$VPID" 2>/dev/null
            wait "$VPID" 2>/dev/null
            return 1
        fi
        wait "$VPID" 2>/dev/null
    done
    return 1
}

# vg_wait: wait (up to 60 s, then kill -9) for the VMM; sets RC.
vg_wait() {
    local i
    for ((i = 0; i < TO * 20; i++)); do
        is_alive "$VPID" || break
        sleep 0.05
    done
    if is_alive "$VPID"; then
        kill -9 "$VPID" 2>/dev/null
        echo "# killed: still running after ${TO}s"
    fi
    wait "$VPID" 2>/dev/null
    RC=$?
}

# vg_check NAME WANT-RC [DETAIL]: the last run exited WANT-RC and valgrind
# found no error and no definite/indirect leak.
vg_check() {
    local name=$1 want=$2 detail=${3:-} errs
    grep -i 'unhandled ioctl\|noted but unhandled' "$VLOG" 2>/dev/null |
        sort -u | head -n 3 | sed 's/^/# note: /'
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$VLOG" | tail -n 1)
    if [ -n "$detail" ]; then
        t_fail "$name" "$detail"
    elif [ "$RC" -eq 99 ] || [ "${errs:-x}" != 0 ]; then
        t_fail "$name" "valgrind: $(grep -E 'Invalid|uninitialised|definitely|indirectly|ERROR SUMMARY' "$VLOG" | head -n 6 | tr '\n' '|')"
    elif [ "$RC" -ne "$want" ]; then
        t_fail "$name" "exit $RC, want $want; stderr: $(tail -c 300 "$VERR" | tr '\n' '|')"
    elif grep -Eq 'definitely lost: [1-9]|indirectly lost: [1-9]' "$VLOG"; then
        t_fail "$name" "leaks: $(grep -E 'lost:' "$VLOG" | tr '\n' '|')"
    else
        t_pass "$name"
    fi
}

# gdb_batch OUT ARGS...: a batch gdb on $ADDR, bounded.
gdb_batch() {
    local out=$1
    shift
    timeout "$TO" gdb -q -n -batch -ex 'set confirm off' \
        -ex 'set pagination off' -ex "target remote $ADDR" "$@" \
        >"$out" 2>&1 </dev/null
}

name="valgrind: plain run --hlt-sleep 0 --max-halts 3 hello.bin"
if need "$name" "$HELLO"; then
    vg_start --hlt-sleep 0 --max-halts 3 "$HELLO"
    vg_wait
    d=
    [ "$(cat "$VOUT")" = "$(printf 'Hello\nHello\nHello')" ] ||
        d="stdout is not Hello x3: $(head -c 80 "$VOUT" | od -An -c | tr -s ' \n' ' ')"
    vg_check "$name" 0 "$d"
fi

name="valgrind: gdb session (regs, memory, stepi, breakpoints, watch, continue, detach), second gdb kills"
if ! command -v gdb >/dev/null 2>&1; then
    t_skip "$name" "gdb not installed"
elif need "$name" "$HELLO"; then
    if ! vg_gdb --hlt-sleep 100000 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(tr '\n' '|' <"$VERR")"
    else
        d=
        gdb_batch "$T_TMP/gdb1.out" -ex 'info registers' -ex 'x/8xb 0' \
            -ex 'info registers eflags' -ex 'stepi' -ex 'stepi' \
            -ex 'break *0x8' -ex 'continue' -ex 'hbreak *0xc' -ex 'continue' \
            -ex 'watch *(char*)0x300' -ex 'delete' -ex 'set {char}0x300 = 1' \
            -ex 'x/1xb 0x300' -ex 'set {char}0x300 = 0' -ex 'p $eax' \
            -ex 'set $ebx = 0x1234' -ex 'set $ebx = 0' \
            -ex 'maint print xml-tdesc' -ex 'monitor help' -ex 'detach'
        g1=$?
        if [ "$g1" -ne 0 ] || ! grep -q 'Breakpoint 2, 0x0*c ' "$T_TMP/gdb1.out" ||
            ! grep -q detached "$T_TMP/gdb1.out"; then
            d="first gdb (rc $g1): $(tail -n 6 "$T_TMP/gdb1.out" | tr '\n' '|')"
        else
            gdb_batch "$T_TMP/gdb2.out" -ex 'info registers eip' -ex 'kill'
            g2=$?
            if [ "$g2" -ne 0 ] || ! grep -q killed "$T_TMP/gdb2.out"; then
                d="second gdb (rc $g2): $(tail -n 6 "$T_TMP/gdb2.out" | tr '\n' '|')"
            fi
        fi
        vg_wait
        vg_check "$name" 0 "$d"
    fi
fi

name="valgrind: hostile raw RSP input, refused second client, vKill"
if need "$name" "$HELLO" "$RSP"; then
    if ! vg_gdb "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(tr '\n' '|' <"$VERR")"
    else
        d=
        R=(timeout "$TO" "$RSP" "$ADDR")
        if ! "${R[@]}" timeout:20000 'raw:$g#00' 'rawexpect:-*' \
            'pkt:m0,zz' 'expect:E*' 'pkt:mffffffffffffffff,10' 'expect:E*' \
            'pkt:M0,2:00' 'expect:E*' 'pkt:G00' 'expect:E*' 'pkt:p999' \
            'expect:E*' 'pkt:Z2,0,3' 'pkt:z2,0,3' 'pkt:vCont;c:1;;' \
            'pkt:qXfer:features:read:target.xml:ffffff,10' \
            'pkt:qXfer:features:read:bad.xml:0,10' 'pkt:qRcmd,abc' \
            'pkt:qSupported:multiprocess+;swbreak+' 'pkt:qXfer:features:read:target.xml:0,ffff' \
            bigpkt:131073 bigpkt:300000 garbage:300000:5 close \
            >"$T_TMP/h1.out" 2>"$T_TMP/h1.err"; then
            d="hostile client: $(cat "$T_TMP/h1.err")"
        elif ! "${R[@]}" 'pkt:?' 'half:M0,4:deadbeef' >/dev/null 2>"$T_TMP/h1.err"; then
            d="half packet client: $(cat "$T_TMP/h1.err")"
        else
            # A attached; B refused; then A kills.
            "${R[@]}" 'pkt:?' 'expect:T*' sleep:3000 'pkt:g' 'pkt:vKill;1' \
                'expect:OK' >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
            apid=$!
            wait_file_line "$T_TMP/a.out" '^< T' 3000
            "${R[@]}" connect timeout:10000 expect-eof >/dev/null \
                2>"$T_TMP/b.err" || d="client B was not closed: $(cat "$T_TMP/b.err")"
            wait "$apid" || d="${d:+$d; }client A: $(cat "$T_TMP/a.err")"
        fi
        vg_wait
        vg_check "$name" 0 "$d"
    fi
fi

name="valgrind: guest crash (triple fault) exits 1 cleanly"
if need "$name" "$TRIPLE"; then
    vg_start --hlt-sleep 0 "$TRIPLE"
    vg_wait
    d=
    grep -q 'guest crashed' "$VERR" || d="no 'guest crashed': $(tail -c 300 "$VERR" | tr '\n' '|')"
    vg_check "$name" 1 "$d"
fi

name="valgrind: guest crash under gdb (T0b), inspected, then kill"
if need "$name" "$TRIPLE" "$RSP"; then
    if ! vg_gdb "$TRIPLE"; then
        t_fail "$name" "the VMM never announced its port: $(tr '\n' '|' <"$VERR")"
    else
        d=
        timeout "$TO" "$RSP" "$ADDR" timeout:30000 send:c reply 'expect:T0b*' \
            pkt:g pkt:m0,100 'pkt:?' 'expect:T0b*' 'pkt:vKill;1' 'expect:OK' \
            >"$T_TMP/t.out" 2>"$T_TMP/t.err" || d="client: $(cat "$T_TMP/t.err")"
        vg_wait
        vg_check "$name" 0 "$d"
    fi
fi

name="valgrind: SIGTERM while the guest spins without exits"
if need "$name" "$SPIN"; then
    vg_start "$SPIN"
    d=
    if wait_file_line "$VOUT" spin $((TO * 100)); then
        sleep 0.5
        kill -TERM "$VPID" 2>/dev/null
    else
        d="the guest never printed spin"
    fi
    vg_wait
    vg_check "$name" 0 "$d"
fi

t_done
