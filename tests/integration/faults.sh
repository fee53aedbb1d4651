#!/usr/bin/env bash
# Faults as tested behaviour. Guest faults: a triple fault (exit 1 with a
# report; under gdb a SIGSEGV stop that stays inspectable), an invalid
# opcode in protected mode with and without a handler, writes outside RAM,
# a guest that never exits (signals, Ctrl-C). Host faults: RAM that cannot
# be mapped, images that are not regular files, a port in use, a closed or
# full or broken stdout, signals during gdb sessions, and no leaked fds or
# threads across many (hostile) debugger connections.
# Run from the repository root after `make`. Every VMM run is bounded: by
# timeout(1), or (when we signal it ourselves) by bounded polls and a
# kill -9 of the pid we started.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=10
# rsp: rsp.err holds the last run's errors only (the messages cat it).
RSP_ERR_FRESH=1

# now_ms, is_alive, need, rsp and the VMM helpers (vmm_bg, vmm_gdb_start,
# vmm_stop) are in tests/lib.sh.

# wait_gone PID MS: poll until PID is gone (or a zombie); 0 if it went.
wait_gone() {
    local i
    for ((i = 0; i < $2 / 10; i++)); do
        is_alive "$1" || return 0
        sleep 0.01
    done
    ! is_alive "$1"
}

# run_vmm ARGS...: the VMM under timeout, stdout $T_TMP/out, stderr
# $T_TMP/err; sets RC and ELAPSED_MS.
run_vmm() {
    local t0
    t0=$(now_ms)
    timeout -s KILL "$TO" "$VMM" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    RC=$?
    ELAPSED_MS=$(($(now_ms) - t0))
}

# why: the last run in one line.
why() {
    echo "exit ${RC:-?}, ${ELAPSED_MS:-?}ms, stdout $(head -c 60 "$T_TMP/out" 2>/dev/null | od -An -c | tr -s ' \n' ' '), stderr: $(head -c 400 "$T_TMP/err" 2>/dev/null | tr '\n' '|')"
}

# term_within NAME MS: SIGTERM the background VMM; it must exit 0 within
# MS milliseconds. Reports NAME; kills it if it does not.
term_within() {
    local name=$1 ms=$2 t0 dt
    t0=$(now_ms)
    kill -TERM "$VPID" 2>/dev/null
    if ! wait_gone "$VPID" 5000; then
        kill -9 "$VPID" 2>/dev/null
        wait "$VPID" 2>/dev/null
        t_fail "$name" "still running 5 s after SIGTERM (killed); stderr: $(tail -c 300 "$VERR" | tr '\n' '|')"
        return 1
    fi
    dt=$(($(now_ms) - t0))
    wait "$VPID" 2>/dev/null
    RC=$?
    if [ "$RC" -ne 0 ]; then
        t_fail "$name" "exit $RC after SIGTERM (want 0); stderr: $(tail -c 300 "$VERR" | tr '\n' '|')"
    elif [ "$dt" -gt "$ms" ]; then
        t_fail "$name" "took ${dt}ms after SIGTERM (want <= ${ms}ms)"
    else
        t_pass "$name (${dt}ms)"
        return 0
    fi
    return 1
}

nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# fd_list PID: "fd->target" for each open fd, for messages.
fd_list() {
    local f
    for f in /proc/"$1"/fd/*; do
        printf '%s->%s ' "${f##*/}" "$(readlink "$f" 2>/dev/null)"
    done
}

# ntasks PID: the process's own threads. Not counted: kernel workers that
# live in its thread group with PF_USER_WORKER (0x4000) set in the stat
# flags, such as the "kvm-nx-lpage-recovery" vhost task KVM starts at the
# first KVM_RUN on newer kernels.
ntasks() {
    local t s fl n=0
    for t in /proc/"$1"/task/*; do
        s=$(cat "$t/stat" 2>/dev/null) || continue
        s=${s##*) }
        read -ra fl <<<"$s"
        (((fl[6] & 0x4000) == 0)) && n=$((n + 1))
    done
    echo "$n"
}

# ---- guest faults ----------------------------------------------------------

name="triple fault, no gdb: exit 1, 'guest crashed', register dump"
if need "$name" "$TRIPLE"; then
    run_vmm --hlt-sleep 0 "$TRIPLE"
    if [ "$RC" -ne 1 ]; then
        t_fail "$name" "want exit 1; $(why)"
    elif ! grep -q 'vmm: guest crashed' "$T_TMP/err"; then
        t_fail "$name" "no 'vmm: guest crashed'; $(why)"
    elif ! grep -q 'rip' "$T_TMP/err" || ! grep -q 'cs' "$T_TMP/err" ||
        ! grep -q 'cr0' "$T_TMP/err"; then
        t_fail "$name" "no register dump (rip, cs, cr0); $(why)"
    elif [ "$(cat "$T_TMP/out")" != triple ]; then
        t_fail "$name" "stdout is not 'triple'; $(why)"
    else
        t_pass "$name"
    fi
fi

# Under gdb: T0b (SIGSEGV), then registers and memory still readable, '?'
# still says T0b, the VMM is alive while the debugger is attached, and it
# is single-threaded.
name="triple fault under gdb: T0b, g and m still work, VMM alive"
if need "$name" "$TRIPLE" "$RSP"; then
    if ! vmm_gdb_start "$TRIPLE"; then
        t_fail "$name" "the VMM never announced its port: $(tr '\n' '|' <"$VERR")"
    else
        want=$(od -An -tx1 -N16 -v "$TRIPLE" | tr -d ' \n')
        timeout 30 "$RSP" "$ADDR" send:c reply 'expect:T0b*' pkt:g \
            'expect:?*' pkt:m0,10 "expect:$want" 'pkt:?' 'expect:T0b*' \
            sleep:1000 pkt:p8 'expect:3f000000' >"$T_TMP/o" \
            2>"$T_TMP/rsp.err" &
        cpid=$!
        wait_file_line "$T_TMP/o" '^< T0b' 1000 &&
            wait_file_line "$T_TMP/o" "^< $want" 200
        sleep 0.2
        alive=0
        is_alive "$VPID" && alive=1
        tasks=$(ntasks "$VPID")
        wait "$cpid"
        cst=$?
        if [ "$cst" -ne 0 ]; then
            t_fail "$name" "$(cat "$T_TMP/rsp.err"); got $(head -c 300 "$T_TMP/o" | tr '\n' '|')"
        elif [ "$alive" -ne 1 ]; then
            t_fail "$name" "the VMM died while gdb was attached"
        elif [ "$tasks" -ne 1 ]; then
            t_fail "$name" "$tasks threads (want 1)"
        else
            t_pass "$name"
        fi
        vmm_stop
    fi
fi

name="invalid opcode in protected mode without handlers (triple.S) is a crash"
if need "$name" "$TRIPLE"; then
    run_vmm --hlt-sleep 0 "$TRIPLE"
    if [ "$RC" -eq 1 ] && grep -q 'triple fault' "$T_TMP/err" &&
        grep -q '0f 0b' "$T_TMP/err"; then
        t_pass "$name"
    else
        t_fail "$name" "want exit 1, 'triple fault' and the ud2 bytes 0f 0b at CS:IP; $(why)"
    fi
fi

name="invalid opcode in protected mode with an IDT handler: handled, exit 0"
if need "$name" "$G/ud_pm.bin"; then
    run_vmm --hlt-sleep 0 --max-halts 1 "$G/ud_pm.bin"
    if [ "$RC" -eq 0 ] && [ "$(cat "$T_TMP/out")" = "$(printf 'ud_pm\nud handled')" ] &&
        ! grep -q crashed "$T_TMP/err"; then
        t_pass "$name"
    else
        t_fail "$name" "want exit 0 and 'ud_pm\\nud handled\\n'; $(why)"
    fi
fi

name="a guest writing outside RAM: 'mmio ok', exit 0"
if need "$name" "$G/mmio.bin"; then
    run_vmm --hlt-sleep 0 --max-halts 1 "$G/mmio.bin"
    if [ "$RC" -eq 0 ] && [ "$(cat "$T_TMP/out")" = "mmio ok" ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

name="a guest spinning without exits: SIGTERM ends it, exit 0, within 1 s"
if need "$name" "$SPIN"; then
    vmm_bg "$SPIN"
    if ! wait_file_line "$VOUT" spin 500; then
        vmm_stop
        t_fail "$name" "the guest never printed spin"
    else
        sleep 0.1
        term_within "$name" 1000
    fi
fi

name="a guest spinning without exits: gdb Ctrl-C stops it (T02), stays stopped"
if need "$name" "$SPIN" "$RSP"; then
    if ! vmm_gdb_start "$SPIN"; then
        t_fail "$name" "the VMM never announced its port"
    elif ! rsp "$T_TMP/o" send:c sleep:200 intr reply 'expect:T02*' pkt:g \
        sleep:200 pkt:g; then
        t_fail "$name" "$(cat "$T_TMP/rsp.err")"
        vmm_stop
    elif [ "$(sed -n 2p "$T_TMP/o")" != "$(sed -n 3p "$T_TMP/o")" ]; then
        t_fail "$name" "registers changed while stopped"
        vmm_stop
    else
        t_pass "$name"
        vmm_stop
    fi
fi

# ---- host faults -----------------------------------------------------------

# 200 MB of address space cannot hold 1 GiB of guest RAM: a clean exit 1
# that names the problem, no crash (no signal, no core).
name="--mem 1G under ulimit -v 200000: exit 1, message names guest RAM/mmap"
# AddressSanitizer and ThreadSanitizer reserve terabytes of shadow address
# space at start, so a sanitizer build cannot run under any ulimit -v.
if grep -q __asan_init "$VMM" 2>/dev/null; then
    t_skip "$name" "AddressSanitizer build cannot run under ulimit -v"
elif grep -q __tsan_init "$VMM" 2>/dev/null; then
    t_skip "$name" "ThreadSanitizer build cannot run under ulimit -v"
elif need "$name" "$HELLO"; then
    t0=$(now_ms)
    (
        ulimit -v 200000 -c 0
        exec timeout -s KILL "$TO" "$VMM" --mem 1G --hlt-sleep 0 \
            --max-halts 1 "$HELLO"
    ) >"$T_TMP/out" 2>"$T_TMP/err"
    RC=$?
    ELAPSED_MS=$(($(now_ms) - t0))
    if [ "$RC" -eq 1 ] && grep -Eqi 'guest ram|mmap' "$T_TMP/err" &&
        ! grep -Eqi 'segmentation|abort|core' "$T_TMP/err"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

# bad_image NAME FILE STATUS PATTERN: the VMM exits STATUS quickly (a FIFO
# must not block the open) with PATTERN on stderr.
bad_image() {
    local name=$1 f=$2 want=$3 pat=$4
    # The VMM opens /dev/kvm before the image: without KVM it says so (1).
    need "$name" || return
    run_vmm "$f"
    if [ "$RC" -eq "$want" ] && grep -Eqi -- "$pat" "$T_TMP/err" &&
        [ "$ELAPSED_MS" -lt 5000 ] && [ ! -s "$T_TMP/out" ]; then
        t_pass "$name"
    else
        t_fail "$name" "want exit $want and /$pat/ at once; $(why)"
    fi
}
mkdir "$T_TMP/dir.bin"
: >"$T_TMP/empty.bin"
mkfifo "$T_TMP/fifo.bin"
bad_image "image is a directory: exit 2" "$T_TMP/dir.bin" 2 'directory|not a regular file'
bad_image "image is empty: exit 2" "$T_TMP/empty.bin" 2 'empty'
bad_image "image is /dev/null (char device): exit 2, not a regular file" /dev/null 2 'not a regular file'
# Opening a FIFO for reading blocks until a writer comes: the VMM must not
# (and, with SIGTERM blocked for its signalfd, it could not even be ended
# but by SIGKILL). run_vmm's timeout -s KILL bounds it.
bad_image "image is a FIFO: exit 2 at once, not a regular file" "$T_TMP/fifo.bin" 2 'not a regular file'

name="port already in use: the second VMM exits 2 with a clear message"
if need "$name" "$HELLO"; then
    if ! vmm_gdb_start "$HELLO"; then
        t_fail "$name" "the first VMM never announced its port"
    else
        run_vmm --gdb "$PORT" "$HELLO"
        if [ "$RC" -eq 2 ] && grep -qi "in use" "$T_TMP/err" &&
            grep -q "$PORT" "$T_TMP/err" && is_alive "$VPID"; then
            t_pass "$name"
        else
            t_fail "$name" "want exit 2 naming the port and 'in use', first VMM alive; $(why)"
        fi
        vmm_stop
    fi
fi

name="stdout closed: exit 1 with a message about stdout"
if need "$name" "$HELLO"; then
    t0=$(now_ms)
    timeout -s KILL "$TO" "$VMM" --hlt-sleep 0 --max-halts 3 "$HELLO" \
        >&- 2>"$T_TMP/err"
    RC=$?
    ELAPSED_MS=$(($(now_ms) - t0))
    : >"$T_TMP/out"
    if [ "$RC" -eq 1 ] && grep -qi stdout "$T_TMP/err"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

# A reader that never reads: the pipe fills and the VMM waits to write.
# SIGTERM must still end it at once. "Full" = /proc/PID/io wchar at least
# 64 KiB and not growing for 300 ms.
name="stdout a full pipe: SIGTERM ends the VMM, exit 0 within 1 s"
if need "$name" "$HELLO"; then
    mkfifo "$T_TMP/full"
    # shellcheck disable=SC2217 # a reader that holds the FIFO and never reads
    sleep 60 <"$T_TMP/full" &
    rpid=$!
    T_PIDS+=("$rpid")
    VMM_STDOUT=$T_TMP/full vmm_bg --hlt-sleep 0 "$HELLO"
    last=-1 same=0
    for ((i = 0; i < 300 && same < 3; i++)); do
        w=$(sed -n 's/^wchar: //p' "/proc/$VPID/io" 2>/dev/null)
        w=${w:-0}
        if [ "$w" -ge 65536 ] && [ "$w" -eq "$last" ]; then
            same=$((same + 1))
        else
            same=0
        fi
        last=$w
        sleep 0.1
    done
    if [ "$same" -lt 3 ]; then
        kill -9 "$VPID" 2>/dev/null
        wait "$VPID" 2>/dev/null
        t_fail "$name" "the pipe never filled (wchar $last)"
    else
        term_within "$name" 1000
    fi
    kill "$rpid" 2>/dev/null
    wait "$rpid" 2>/dev/null
fi

# The same under gdb: while the VMM waits to write guest output, the
# debugger must still be served: Ctrl-C gives T02 and g/m work.
name="stdout a full pipe under gdb: Ctrl-C still stops the guest (T02)"
if need "$name" "$HELLO" "$RSP"; then
    mkfifo "$T_TMP/full2"
    # shellcheck disable=SC2217 # a reader that holds the FIFO and never reads
    sleep 60 <"$T_TMP/full2" &
    rpid=$!
    T_PIDS+=("$rpid")
    st=1 detail="the VMM never announced its port"
    if VMM_STDOUT=$T_TMP/full2 vmm_gdb_start --hlt-sleep 0 "$HELLO"; then
        # Continue, let the pipe fill (64 KiB at 6 bytes a loop), Ctrl-C.
        timeout 30 "$RSP" "$ADDR" send:c sleep:3000 time-intr 'expect:T02*' \
            pkt:p8 pkt:m0,4 'expect:b048e6f1' >"$T_TMP/o" 2>"$T_TMP/rsp.err"
        st=$?
        w=$(sed -n 's/^wchar: //p' "/proc/$VPID/io" 2>/dev/null)
        detail="pipe holds ${w:-?} bytes written; $(cat "$T_TMP/rsp.err")"
    fi
    kill -9 "$VPID" 2>/dev/null
    wait "$VPID" 2>/dev/null
    kill "$rpid" 2>/dev/null
    wait "$rpid" 2>/dev/null
    t_check "$name" "$st" "$detail"
fi

# The reader exits without reading: EPIPE (SIGPIPE ignored or handled) ends
# the VMM with 0 and nothing on stderr.
name="stdout reader exits (SIGPIPE/EPIPE): exit 0, quiet"
if need "$name" "$HELLO"; then
    t0=$(now_ms)
    timeout -s KILL "$TO" "$VMM" --hlt-sleep 0 "$HELLO" 2>"$T_TMP/err" |
        (sleep 0.3)
    RC=${PIPESTATUS[0]}
    ELAPSED_MS=$(($(now_ms) - t0))
    : >"$T_TMP/out"
    if [ "$RC" -eq 0 ] && [ ! -s "$T_TMP/err" ]; then
        t_pass "$name"
    else
        t_fail "$name" "$(why)"
    fi
fi

# sigterm_gdb NAME IMAGE VMM-ARGS -- CLIENT-ACTIONS: a client attached and
# doing CLIENT-ACTIONS then waiting for EOF; SIGTERM once it printed its
# first reply: the VMM exits 0 within 1 s, the client sees EOF.
sigterm_gdb() {
    local name=$1 img=$2 vargs=() cpid cst
    shift 2
    while [ "$1" != -- ]; do
        vargs+=("$1")
        shift
    done
    shift
    need "$name" "$img" "$RSP" || return
    if ! vmm_gdb_start "${vargs[@]}" "$img"; then
        t_fail "$name" "the VMM never announced its port"
        return
    fi
    timeout 30 "$RSP" "$ADDR" "$@" timeout:5000 expect-eof >"$T_TMP/o" \
        2>"$T_TMP/rsp.err" &
    cpid=$!
    if ! wait_file_line "$T_TMP/o" '^< ' 500; then
        kill "$cpid" 2>/dev/null
        wait "$cpid"
        vmm_stop
        t_fail "$name" "the client got no reply: $(cat "$T_TMP/rsp.err")"
        return
    fi
    sleep 0.2
    term_within "$name" 1000
    wait "$cpid"
    cst=$?
    if [ "$cst" -ne 0 ]; then
        t_fail "$name: the client sees EOF" "$(cat "$T_TMP/rsp.err")"
    else
        t_pass "$name: the client sees EOF"
    fi
}
sigterm_gdb "SIGTERM with gdb attached and idle" "$HELLO" -- 'pkt:?' 'expect:T*'
sigterm_gdb "SIGTERM while the guest runs under gdb (spin, no exits)" \
    "$SPIN" -- 'pkt:?' 'expect:T*' send:c
sigterm_gdb "SIGTERM while the guest sits in a HLT pause under gdb" \
    "$HELLO" --hlt-sleep 100000 -- 'pkt:?' 'expect:T*' send:c

# ---- fds and threads -------------------------------------------------------

# wait_fds N: poll up to 3 s until the VMM has N fds; prints the count.
wait_fds() {
    local i n
    for ((i = 0; i < 300; i++)); do
        n=$(nfds "$VPID")
        [ "$n" -eq "$1" ] && break
        sleep 0.01
    done
    echo "$n"
}

# One VMM, 20 debugger connections of all kinds; after each the fd count
# is back to what it was before the first, and there is one thread.
CLIENTS=(
    "normal|pkt:? expect:T* pkt:g close"
    "half packet|pkt:? half:m0,10"
    "RST mid-packet|raw:\$m0,1 reset"
    "100 KB garbage|garbage:100000:3 close"
    "sends nothing|sleep:300 close"
    "second client refused|@second"
    "detach (D)|pkt:? pkt:D expect:OK close"
    "oversized packet|bigpkt:200000 close"
    "continue, Ctrl-C|send:c sleep:100 intr reply expect:T02* close"
    "continue, vanish while running|send:c sleep:100 close"
    "no-ack mode|pkt:QStartNoAckMode expect:OK pkt:? expect:T* close"
    "qXfer target.xml|pkt:qXfer:features:read:target.xml:0,fff pkt:? close"
    "half M|pkt:? half:M0,1:00"
    "0x03 while stopped|pkt:? intr intr pkt:? expect:T* close"
    "breakpoints, vanish|pkt:Z1,14,1 pkt:Z2,200,1 half:g"
    "stepi x3|pkt:? pkt:s pkt:s pkt:s close"
    "1 MB garbage|timeout:20000 garbage:1000000:9 close"
    "RST right after connect|reset"
    "monitor command|pkt:qRcmd,$(printf 'help' | od -An -tx1 | tr -d ' \n') close"
    "normal again|pkt:? expect:T* pkt:g close"
)
name="fd/thread leaks"
if need "$name" "$SPIN" "$RSP"; then
    if ! vmm_gdb_start "$SPIN"; then
        t_fail "$name" "the VMM never announced its port"
    else
        base=$(nfds "$VPID")
        echo "# baseline: $base fds, $(ntasks "$VPID") thread(s)"
        k=0
        for c in "${CLIENTS[@]}"; do
            k=$((k + 1))
            cname="client $k (${c%%|*}): fds back to $base, 1 thread"
            read -ra acts <<<"${c#*|}"
            st=0 detail=
            if [ "${acts[0]}" = @second ]; then
                timeout 30 "$RSP" "$ADDR" 'pkt:?' 'expect:T*' sleep:1500 \
                    'pkt:?' 'expect:T*' >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
                apid=$!
                if ! wait_file_line "$T_TMP/a.out" '^< T' 500; then
                    st=1 detail="client A got no stop reply: $(cat "$T_TMP/a.err")"
                else
                    during=$(wait_fds $((base + 1)))
                    if ! rsp "$T_TMP/b.out" timeout:1000 expect-eof; then
                        st=1 detail="client B was not closed: $(cat "$T_TMP/rsp.err")"
                    fi
                    after_b=$(wait_fds $((base + 1)))
                    if [ "$during" -ne $((base + 1)) ] ||
                        [ "$after_b" -ne $((base + 1)) ]; then
                        st=1 detail="with A attached: $during fds, after B refused: $after_b (want $((base + 1)))"
                    fi
                fi
                wait "$apid" || { st=1 detail="client A failed: $(cat "$T_TMP/a.err")"; }
            elif ! rsp "$T_TMP/o" "${acts[@]}"; then
                st=1 detail="rspclient: $(cat "$T_TMP/rsp.err")"
            fi
            n=$(wait_fds "$base")
            nt=$(ntasks "$VPID")
            if ! is_alive "$VPID"; then
                st=1 detail="${detail:+$detail; }the VMM died: $(tail -c 300 "$VERR" | tr '\n' '|')"
            elif [ "$n" -ne "$base" ]; then
                st=1 detail="${detail:+$detail; }$n fds, want $base: $(fd_list "$VPID")"
            elif [ "$nt" -ne 1 ]; then
                st=1 detail="${detail:+$detail; }$nt threads"
            fi
            t_check "$cname" "$st" "$detail"
            is_alive "$VPID" || break
        done
        vmm_stop
    fi
fi

# A full gdb session (registers, memory, stepi, breakpoint, continue,
# detach), then a new attach: the fd count is what it was before gdb.
name="a gdb session ending in detach, then a new attach: no fd leaked"
if ! command -v gdb >/dev/null 2>&1; then
    t_skip "$name" "gdb not installed"
elif need "$name" "$HELLO" "$RSP"; then
    if ! vmm_gdb_start --hlt-sleep 100000 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port"
    else
        base=$(nfds "$VPID")
        gdb_batch "$ADDR" -ex 'info registers' -ex 'x/8xb 0' -ex 'stepi' -ex 'stepi' \
            -ex 'break *0x8' -ex 'continue' -ex 'hbreak *0xc' \
            -ex 'continue' -ex 'delete' -ex 'set {char}0x300 = 1' \
            -ex 'set {char}0x300 = 0' -ex 'detach' >"$T_TMP/gdb.out" 2>&1
        grc=$?
        n1=$(wait_fds "$base")
        rsp "$T_TMP/o" 'pkt:?' 'expect:T*' pkt:g close
        rrc=$?
        n2=$(wait_fds "$base")
        nt=$(ntasks "$VPID")
        if [ "$grc" -ne 0 ] || ! grep -q 'Breakpoint 1, 0x0*8 ' "$T_TMP/gdb.out" ||
            ! grep -Eqi 'detach(ed|ing)' "$T_TMP/gdb.out"; then
            t_fail "$name" "gdb rc $grc: $(tail -n 8 "$T_TMP/gdb.out" | tr '\n' '|')"
        elif [ "$rrc" -ne 0 ]; then
            t_fail "$name" "the new attach failed: $(cat "$T_TMP/rsp.err")"
        elif [ "$n1" -ne "$base" ] || [ "$n2" -ne "$base" ] || [ "$nt" -ne 1 ]; then
            t_fail "$name" "fds $base -> $n1 after gdb -> $n2 after the new attach; $nt thread(s)"
        else
            t_pass "$name"
        fi
        vmm_stop
    fi
fi

t_done
