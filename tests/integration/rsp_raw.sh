#!/usr/bin/env bash
# Raw RSP tests of the VMM's gdb stub, for what gdb cannot script: Ctrl-C
# on a spinning guest and inside a HLT pause, a bad checksum, a megabyte of
# garbage, a client vanishing mid-packet, a second concurrent client, an
# oversized packet. Each test starts its own VMM with --gdb on a free port,
# talks to it with build/tests/tools/rspclient, and ends by checking that
# the VMM is still alive and still answers '?'.
# Run from the repository root after `make`.
# shellcheck disable=SC2016,SC2317 # literal '$' in raw packets; test
# functions are called through run().
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

# rsp, rsp_retry, rsp_why, need and the VMM helpers are in tests/lib.sh.

# finish NAME STATUS [DETAIL]: the test passes when STATUS is 0, the VMM is
# still alive and a fresh connection still gets a stop reply to '?'.
finish() {
    local name=$1 st=$2 detail=${3:-}
    if [ "$st" -eq 0 ] && ! vmm_alive; then
        st=1 detail="the VMM died; $(rsp_why)"
    fi
    if [ "$st" -eq 0 ] && ! reconnect_ok; then
        st=1 detail="no stop reply to '?' at the end; $(rsp_why)"
    fi
    if [ "$st" -eq 0 ] && ! vmm_alive; then
        st=1 detail="the VMM died at the end; $(rsp_why)"
    fi
    vmm_stop
    t_check "$name" "$st" "$detail"
}

# reconnect_ok: a new connection answers '?' with a stop reply (refusals
# while the server drains the previous client are retried, and said).
reconnect_ok() {
    rsp_retry "$T_TMP/re.out" 'pkt:?' 'expect:T*' || return 1
    [ "$RSP_REFUSED" -gt 0 ] && echo "# reconnect refused $RSP_REFUSED time(s) first"
    return 0
}

# run NAME FUNC VMM-ARGS... IMAGE: starts a VMM, runs FUNC (which returns
# non-zero and may set DETAIL on failure), then finish.
run() {
    local name=$1 fn=$2 st
    shift 2
    need "$name" "$RSP" "${@: -1}" || return
    : >"$T_TMP/rsp.err"
    if ! vmm_gdb_start "$@"; then
        vmm_stop
        t_fail "$name" "the VMM never announced its port; $(rsp_why)"
        return
    fi
    DETAIL=""
    "$fn"
    st=$?
    finish "$name" "$st" "${DETAIL:-$(rsp_why)}"
}

t_query() {
    rsp "$T_TMP/o" 'pkt:?' 'expect:T05*' \
        'pkt:qSupported:multiprocess+;swbreak+;hwbreak+' 'expect:*PacketSize=*'
}
run "'?' gives T05 first; qSupported has PacketSize" t_query "$HELLO"

# Memory views as raw packets: the memory map is advertised and served,
# Qqemu.PhyMemMode is accepted and answered (real mode: m reads the same).
t_views() {
    rsp "$T_TMP/o" 'pkt:qSupported' 'expect:*qXfer:memory-map:read+*' \
        'pkt:qXfer:memory-map:read::0,fff' 'expect:l<?xml*<memory type="ram" start="0x0" length="0x100000"/>*</memory-map>*' \
        'pkt:m0,2' 'expect:b048' \
        'pkt:qqemu.PhyMemMode' 'expect:0' \
        'pkt:Qqemu.PhyMemMode:1' 'expect:OK' \
        'pkt:qqemu.PhyMemMode' 'expect:1' \
        'pkt:m0,2' 'expect:b048' \
        'pkt:Qqemu.PhyMemMode:x' 'expect:E01'
}
run "memory map and Qqemu.PhyMemMode as raw packets" t_views "$HELLO"

# `monitor console gdb` (hex of "console gdb"), then c: each byte of
# "Hello\n" is an O packet before the stop reply; stdout gets none.
t_opkt() {
    rsp "$T_TMP/o" 'pkt:qRcmd,636f6e736f6c6520676462' 'expect:*' \
        'pkt:c' 'expect:O48' reply 'expect:O65' reply 'expect:O6c' \
        reply 'expect:O6c' reply 'expect:O6f' reply 'expect:O0a' \
        sleep:100 intr reply 'expect:T02*' || return 1
    if [ -s "$VOUT" ]; then
        DETAIL="stdout has '$(cat "$VOUT")'"
        return 1
    fi
}
run "monitor console gdb: O packets between c and its stop reply" t_opkt \
    --hlt-sleep 100000 "$HELLO"

# Ctrl-C on a guest that never exits to the VMM: T02, and it stays stopped
# (two g reads agree).
t_intr_spin() {
    local st
    rsp "$T_TMP/o" send:c sleep:200 intr reply 'expect:T02*' \
        'pkt:?' 'expect:T02*' pkt:g pkt:g
    st=$?
    [ "$st" -eq 0 ] || return "$st"
    if ! grep -q spin "$VOUT"; then
        DETAIL="the guest never printed spin"
        return 1
    fi
    if [ "$(sed -n 3p "$T_TMP/o")" != "$(sed -n 4p "$T_TMP/o")" ] ||
        [ "$(sed -n 3p "$T_TMP/o")" = "< " ]; then
        DETAIL="g changed while stopped: $(sed -n 3,4p "$T_TMP/o" | cut -c1-80)"
        return 1
    fi
    # Informational: how fast a second Ctrl-C stops the spinning guest.
    rsp "$T_TMP/o" send:c sleep:50 time-intr 'expect:T02*' || return 1
    echo "# spin: $(grep latency_us "$T_TMP/o")"
}
run "Ctrl-C stops a spinning guest (T02), it stays stopped" t_intr_spin "$SPIN"

# Ctrl-C while the VMM sleeps in a 100 s HLT pause: T02 within 5 s.
t_intr_hlt() {
    rsp "$T_TMP/o" send:c sleep:200 time-intr 'expect:T02*' \
        'pkt:?' 'expect:T02*' || return 1
    echo "# hlt-sleep: $(grep latency_us "$T_TMP/o")"
}
run "Ctrl-C inside a --hlt-sleep pause gives T02 within 5 s" t_intr_hlt \
    --hlt-sleep 100000 "$HELLO"

t_badsum() {
    rsp "$T_TMP/o" 'raw:$g#00' 'rawexpect:-*' pkt:g 'expect:?*' \
        'pkt:?' 'expect:T*'
}
run "a bad checksum gets '-', then g works" t_badsum "$HELLO"

t_garbage() {
    rsp "$T_TMP/o" garbage:1000000:1 close
}
run "1 MB of garbage, then a new client works" t_garbage "$HELLO"

t_half() {
    rsp "$T_TMP/o" 'pkt:?' half:m0,10
}
run "a client vanishing mid-packet, then a new client works" t_half "$HELLO"

t_reset() {
    rsp "$T_TMP/o" 'pkt:?' 'raw:$m0,1' reset
}
run "a client resetting (RST) mid-packet, then a new client works" \
    t_reset "$HELLO"

# gdb's "disconnect" then "target remote" at once: the server must see the
# old client's EOF before it judges the new one a second debugger.
t_reconnect() {
    rsp "$T_TMP/o" 'pkt:?' close connect 'pkt:?' 'expect:T*'
}
run "an immediate reconnect after a disconnect is accepted" t_reconnect \
    "$HELLO"

# A second debugger is refused (closed) while the first keeps working.
t_second() {
    local apid st=0
    timeout "$RSP_TO" "$RSP" "$ADDR" 'pkt:?' 'expect:T*' sleep:2000 \
        'pkt:?' 'expect:T*' pkt:g >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
    apid=$!
    if ! wait_file_line "$T_TMP/a.out" "^< T" 500; then
        DETAIL="client A got no stop reply: $(cat "$T_TMP/a.err")"
        st=1
    elif ! rsp "$T_TMP/o" connect timeout:1500 expect-eof; then
        DETAIL="client B was not closed: $(rsp_why)"
        st=1
    fi
    if ! wait "$apid"; then
        DETAIL="${DETAIL:+$DETAIL; }client A failed: $(cat "$T_TMP/a.err")"
        st=1
    fi
    return "$st"
}
run "a second client is refused, the first keeps working" t_second "$HELLO"

# PacketSize is 0x20000: one byte more gets '-' or an error reply.
t_big() {
    rsp "$T_TMP/o" bigpkt:131073 'expect:[-E]*' bigpkt:200000 'expect:[-E]*' \
        'pkt:?' 'expect:T*'
}
run "an oversized packet gets '-' or E, then '?' works" t_big "$HELLO"

t_maxpkt() {
    rsp "$T_TMP/o" bigpkt:131072 expect: 'pkt:?' 'expect:T*'
}
run "a packet of exactly PacketSize is accepted (empty reply)" t_maxpkt \
    "$HELLO"

# No-ack mode; a new connection starts in ack mode again (rspclient then
# waits for the '+', and times out if the server still thinks no-ack).
t_noack() {
    rsp "$T_TMP/o" pkt:QStartNoAckMode expect:OK 'pkt:?' 'expect:T05*' pkt:g \
        'raw:$g#00' timeout:300 'rawexpect:*' timeout:5000 'pkt:?' 'expect:T05*'
}
run "QStartNoAckMode; a new client is back in ack mode" t_noack "$HELLO"

# A run of zeros comes back run-length encoded; it decodes to 512 digits.
t_rle() {
    local got
    rsp "$T_TMP/o" pkt:m100,100 'expect:0000*' || return 1
    got=$(sed -n 1p "$T_TMP/o" | cut -c3- | tr -d '\n' | wc -c)
    if [ "$got" -ne 512 ]; then
        DETAIL="m100,100 decoded to $got hex digits, want 512"
        return 1
    fi
}
run "m of zeros decodes to 2 digits per byte" t_rle "$HELLO"

t_done
