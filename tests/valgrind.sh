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

TO=60

VG=(valgrind --error-exitcode=99 --leak-check=full
    '--errors-for-leak-kinds=definite,indirect')
[ -f tests/valgrind.supp ] && VG+=(--suppressions=tests/valgrind.supp)

# need NAME [FILE...] (tests/lib.sh) skips without valgrind or KVM.
need_cmd valgrind

# The VMM helpers of tests/lib.sh, under valgrind. It runs the VMM in its
# own process, so VPID is the VMM and %p in the log name is VPID.
VMM_WRAP=("${VG[@]}" "--log-file=$T_TMP/vg%p.log")
VMM_START_WAIT=$TO

# vg_wait: wait (up to 60 s, then kill -9) for the VMM; sets RC.
vg_wait() {
    if ! vmm_wait_exit "$TO"; then
        kill -9 "$VPID" 2>/dev/null
        echo "# killed: still running after ${TO}s"
        wait "$VPID" 2>/dev/null
        VRC=$?
    fi
    RC=$VRC
}

# vg_check NAME WANT-RC [DETAIL]: the last run exited WANT-RC and valgrind
# found no error and no definite/indirect leak.
vg_check() {
    local name=$1 want=$2 detail=${3:-} errs VLOG=$T_TMP/vg$VPID.log
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

name="valgrind: plain run --hlt-sleep 0 --max-halts 3 hello.bin"
if need "$name" "$HELLO"; then
    vmm_bg --hlt-sleep 0 --max-halts 3 "$HELLO"
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
    if ! vmm_gdb_start --hlt-sleep 100000 "$HELLO"; then
        t_fail "$name" "the VMM never announced its port: $(tr '\n' '|' <"$VERR")"
    else
        d=
        gdb_batch "$ADDR" -ex 'info registers' -ex 'x/8xb 0' \
            -ex 'info registers eflags' -ex 'stepi' -ex 'stepi' \
            -ex 'break *0x8' -ex 'continue' -ex 'hbreak *0xc' -ex 'continue' \
            -ex 'watch *(char*)0x300' -ex 'delete' -ex 'set {char}0x300 = 1' \
            -ex 'x/1xb 0x300' -ex 'set {char}0x300 = 0' -ex 'p $eax' \
            -ex 'set $ebx = 0x1234' -ex 'set $ebx = 0' \
            -ex 'maint print xml-tdesc' -ex 'monitor help' -ex 'detach' \
            >"$T_TMP/gdb1.out" 2>&1
        g1=$?
        if [ "$g1" -ne 0 ] || ! grep -q 'Breakpoint 2, 0x0*c ' "$T_TMP/gdb1.out" ||
            ! grep -q detached "$T_TMP/gdb1.out"; then
            d="first gdb (rc $g1): $(tail -n 6 "$T_TMP/gdb1.out" | tr '\n' '|')"
        else
            gdb_batch "$ADDR" -ex 'info registers eip' -ex 'kill' \
                >"$T_TMP/gdb2.out" 2>&1
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
    if ! vmm_gdb_start "$HELLO"; then
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
    vmm_bg --hlt-sleep 0 "$TRIPLE"
    vg_wait
    d=
    grep -q 'guest crashed' "$VERR" || d="no 'guest crashed': $(tail -c 300 "$VERR" | tr '\n' '|')"
    vg_check "$name" 1 "$d"
fi

name="valgrind: guest crash under gdb (T0b), inspected, then kill"
if need "$name" "$TRIPLE" "$RSP"; then
    if ! vmm_gdb_start "$TRIPLE"; then
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
    vmm_bg "$SPIN"
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
