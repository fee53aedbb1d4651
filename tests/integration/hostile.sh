#!/usr/bin/env bash
# Hostile input to the gdb stub over a real TCP connection, table-driven.
# Each row of the table below gets its own VMM (spin.bin, --gdb on a free
# port) and:
#   1. a "before" snapshot: continue, Ctrl-C (so the guest sits in its
#      one-instruction loop, where every later stop finds the same state),
#      then g, p8 and memory (the first 4 KiB and the last 4 KiB of RAM);
#   2. the hostile input: the row's rspclient actions, on a new connection
#      (rows marked @NAME run a shell function instead);
#   3. an "after" snapshot on a new connection, which must start with a stop
#      reply to '?' and be byte-identical to the before one: every rejected
#      request changed nothing;
#   4. the VMM process must still be alive.
# Run from the repository root after `make`.
# shellcheck disable=SC2016,SC2317 # literal '$' in raw packets; row
# functions (@NAME) are called indirectly.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

# Where spin.bin loops forever ("jmp ." at 0x14), as p8 shows it.
SPIN_EIP=14000000

# Registers, then memory: 0..0x1ff, 0..0xfff, the last 4 KiB of the 1 MiB
# of RAM and its last 256 bytes.
SNAP=('pkt:g' 'pkt:p8' 'pkt:m0,200' 'pkt:m0,1000' 'pkt:mff000,1000' 'pkt:mfff00,100')

# rsp, rsp_retry, rsp_why, need and the VMM helpers are in tests/lib.sh.

# hex STRING: its bytes as lowercase hex digits (qRcmd arguments).
hex() {
    printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'
}

# frame PAYLOAD: "raw:$PAYLOAD#cs" with the right checksum, PAYLOAD taken
# as is (no '}' escaping: that is the point) after rspclient's C escapes
# (\xNN). For frames the rspclient pkt: action would escape or refuse.
frame() {
    local s=0 b
    for b in $(printf '%b' "$1" | od -An -tu1 -v); do
        s=$(((s + b) & 255))
    done
    printf 'raw:$%s#%02x' "$1" "$s"
}

# The row table: NAME | EXTRA-VMM-ARGS ("-" for none) | ACTIONS.
# ACTIONS are rspclient actions separated by blanks (a literal blank in a
# packet is \x20), plus:
#   frame:P     a raw frame with payload P and a correct checksum (frame)
#   @FUNC       run the shell function FUNC instead of rspclient
#   %MON_BP%    the hex of "breakpoints" (qRcmd argument)
#   %NO_BP%     a glob matching the hex of "no breakpoints"
#   %BIG_M%     a 200 KB M packet, sent raw with a correct checksum
# A packet the stub must refuse gets E (error) or the empty reply
# (unsupported): the rows spell out which, as the stub answers today.
ROWS=$(
    cat <<'EOF'
bad checksums get '-' and are not executed | - | raw:$g#00 rawexpect:-* raw:$M0,4:deadbeef#00 rawexpect:-* raw:$G00#00 rawexpect:-* raw:$m0,4#zz rawexpect:-* raw:$P8=00000000#ff rawexpect:-* pkt:? expect:T*
non-hex digits in m/M/X arguments get E | - | pkt:mzz,1 expect:E* pkt:m0,zz expect:E* pkt:m0x10,1 expect:E* pkt:Mzz,1:00 expect:E* pkt:M0,zz:00 expect:E* pkt:M0,1:zz expect:E* pkt:M0,2:00zz expect:E* pkt:Xzz,0: expect:E* pkt:X0,zz: expect:E* pkt:M-1,1:00 expect:E*
non-hex digits in p/P/G/Z arguments get E | - | pkt:pzz expect:E* pkt:p-1 expect:E* pkt:Pzz=00000000 expect:E* pkt:P0=zz expect:E* pkt:P8=zzzzzzzz expect:E* pkt:P8 expect:E* pkt:Gzz expect:E* pkt:Z0,zz,1 expect:E* pkt:Zzz,0,1 expect:E* pkt:Z0,0,zz expect:E* pkt:z0,zz,1 expect:E* pkt:Z1,0 expect:E*
hex numbers wider than 64 bits get E | - | pkt:m10000000000000000,1 expect:E* pkt:m0,10000000000000000 expect:E* pkt:M10000000000000000,1:00 expect:E* pkt:Z1,10000000000000000,1 expect:E* pkt:p10000000000000008 expect:E*
NUL and control bytes inside a packet get E | - | frame:g\x00 rawexpect:*$E* frame:m0,4\x00 rawexpect:*$E* frame:M0,1\x00:ff rawexpect:*$E* frame:\x00\x01\x02 rawexpect:*$* pkt:? expect:T*
missing '#': the next '$' starts over, a valid packet works | - | raw:$M0,4:deadbeef pkt:? expect:T* raw:$m0,4 raw:$G0000 pkt:g expect:0a00*
a '$' inside a packet: the partial packet is dropped | - | raw:$M0,4:dead$g#67 rawexpect:* pkt:? expect:T* frame:m0,$M0,1:ff rawexpect:* pkt:? expect:T*
a packet of PacketSize+1 bytes gets '-' or E | - | bigpkt:131073 expect:[-E]* pkt:? expect:T*
a 1 MB packet gets '-' or E, the stub keeps up | - | timeout:20000 bigpkt:1048576 expect:[-E]* timeout:5000 pkt:? expect:T*
a 200 KB M packet is refused whole, nothing written | - | %BIG_M% rawexpect:*[-E]* pkt:? expect:T*
1 MB of random bytes, then a valid packet on a new connection | - | timeout:20000 garbage:1000000:7 close connect pkt:? expect:T*
1 MB of random bytes (another seed) then a valid packet at once | - | timeout:20000 garbage:1000000:12345 raw:#00$?#3f rawexpect:*$T* pkt:? expect:T*
m with an address or length that overflows | - | pkt:mffffffffffffffff,10 expect:E* pkt:mfffffffffffffff0,20 expect:E* pkt:m0,ffffffffffffffff expect:?* pkt:?
m that leaves RAM (1 MiB) gets E | - | pkt:m100000,1 expect:E* pkt:mfffff,2 expect:E* pkt:mffffffff,1 expect:E*
M with an address or length that overflows, or leaves RAM | - | pkt:Mffffffffffffffff,2:0000 expect:E* pkt:Mfffffffffffffff0,20:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 expect:E* pkt:M0,ffffffffffffffff:00 expect:E* pkt:M100000,1:00 expect:E* pkt:Mfffff,2:0000 expect:E*
X with an address or length that overflows, or leaves RAM | - | pkt:Xffffffffffffffff,2:ab expect:E* pkt:X0,ffffffffffffffff:a expect:E* pkt:X100000,1:a expect:E* pkt:Xfffff,2:ab expect:E*
M with data shorter or longer than the length gets E | - | pkt:M0,2:00 expect:E* pkt:M0,1:0000 expect:E* pkt:M0,4: expect:E* pkt:M0,1:0 expect:E* pkt:M0,1 expect:E* pkt:M0,0:00 expect:E*
X with bad escapes or a wrong length is refused | - | frame:X0,1:} rawexpect:* pkt:? expect:T* frame:X0,2:}] rawexpect:*$E* frame:X0,1:ab rawexpect:*$E* frame:X0,2:a rawexpect:*$E* frame:X0,1:* rawexpect:* pkt:? expect:T*
G of the wrong length gets E | - | pkt:G00 expect:E* pkt:G%G%00 expect:E* pkt:G%G%0 expect:E* pkt:G expect:E*
p/P of unknown registers or wrong sizes get E | - | pkt:p999 expect:E* pkt:pffffffff expect:E* pkt:pffffffffffffffff expect:E* pkt:P999=00 expect:E* pkt:P0=zz expect:E* pkt:P0=001122 expect:E* pkt:P8=0000000000 expect:E* pkt:P8= expect:E*
Z/z of an unknown type are unsupported (empty reply) | - | pkt:Z9,0,1 expect: pkt:z9,0,1 expect: pkt:Zffffffff,0,1 expect:
Z/z of a bad kind get E | - | pkt:Z0,0,zz expect:E* pkt:Z2,0,0 expect:E* pkt:Z2,0,ffffffffffffffff expect:E* pkt:Z2,fffffffffffffff8,10 expect:E* pkt:Z0,0,ffffffffffffffff expect:E*
Z2 of an odd length (3) is split; z removes it (and is idempotent) | - | pkt:Z2,0,3 expect:OK pkt:z2,0,3 expect:OK pkt:z2,0,3 expect:OK pkt:qRcmd,%MON_BP% expect:%NO_BP%
malformed vCont gets E and does not resume | - | timeout:2000 pkt:vCont; expect:E* pkt:vCont;x expect:E* pkt:vCont;c:2 expect:E* pkt:vCont;s:zz expect:E* pkt:vCont;c:1;; expect:E* pkt:vCont;C expect:E* pkt:vCont;c: expect:E* pkt:vCont;r1, expect:E* pkt:vCont;r1 expect:E* pkt:vContx expect: pkt:? expect:T*
malformed c/s/C/S get E and do not resume | - | timeout:2000 pkt:czz expect:E* pkt:szz expect:E* pkt:C expect:E* pkt:Czz expect:E* pkt:S expect:E* pkt:cffffffffffffffffff expect:E* pkt:? expect:T*
qXfer past the end gives 'l' | - | pkt:qXfer:features:read:target.xml:ffffff,10 expect:l pkt:qXfer:features:read:target.xml:ffffffffffffffff,ffffffffffffffff expect:l pkt:qXfer:features:read:target.xml:fffffffffffffff0,100 expect:l
qXfer with a bad annex or object gets E or empty | - | pkt:qXfer:features:read:bad.xml:0,10 expect:E* pkt:qXfer:features:read:../../../etc/passwd:0,100 expect:E* pkt:qXfer:features:read::0,10 expect:E* pkt:qXfer:foo:read:target.xml:0,10 expect: pkt:qXfer:features:write:target.xml:0:00 expect:
qXfer with a malformed offset or length gets E | - | pkt:qXfer:features:read:target.xml:zz,10 expect:E* pkt:qXfer:features:read:target.xml:0,zz expect:E* pkt:qXfer:features:read:target.xml:0 expect:E* pkt:qXfer:features:read:target.xml:,10 expect:E* pkt:qXfer:features:read:target.xml:-1,10 expect:E*
qRcmd with odd-length or non-hex arguments gets E | - | pkt:qRcmd,abc expect:E* pkt:qRcmd,zz expect:E* pkt:qRcmd,6 expect:E* pkt:qRcmd,6g expect:E* frame:qRcmd,} rawexpect:* pkt:? expect:T*
0x03 while stopped is ignored | - | intr intr pkt:? expect:T* pkt:g expect:0a00* intr timeout:500 rawexpect: timeout:5000 pkt:g expect:0a00*
a client that connects and sends nothing, then another works | - | sleep:500 close connect pkt:? expect:T*
a client that vanishes mid-packet (half an M): nothing written | - | pkt:? expect:T* half:M0,4:deadbeef connect pkt:? expect:T* half:G00000000 connect pkt:? expect:T*
a client that resets mid-packet (RST): nothing written | - | raw:$M0,4:dead reset connect pkt:? expect:T*
a client that vanishes with breakpoints set: they are removed | - | pkt:Z1,14,1 expect:OK pkt:Z0,0,1 expect:OK pkt:Z2,200,1 expect:OK half:m0,4 connect pkt:qRcmd,%MON_BP% expect:%NO_BP%
a second client while one is attached is refused | - | @second_client
H and T with bad thread ids get E | - | pkt:Hgzz expect:E* pkt:Hg5 expect:E* pkt:Hc-2 expect:E* pkt:Hx1 expect:E* pkt:H expect:E* pkt:Hg expect:E* pkt:Hgp2.1 expect:E* pkt:Hgp1.zz expect:E* pkt:Tzz expect:E* pkt:T5 expect:E* pkt:T0 expect:E* pkt:T-1 expect:E*
D with a bad pid gets E and does not detach | - | pkt:D;zz expect:E* pkt:D;2 expect:E* pkt:? expect:T*
vKill with a malformed or wrong pid gets E and does not kill | - | pkt:vKill;zz expect:E* pkt:vKill;2 expect:E* pkt:? expect:T*
unknown and unsupported packets get the empty reply | - | pkt:qzz expect: pkt:Qzz expect: pkt:! expect: pkt:R00 expect: pkt:r expect: pkt:i expect: pkt:bc expect: pkt:vFile:open:2f6574632f706173737764,0,0 expect: pkt:vRun; expect: pkt:vAttach;1 expect:
EOF
)

# second_client: client A attached and idle; client B is closed at once
# (and its M packet is not executed); A still works afterwards.
second_client() {
    local apid st=0
    timeout "$RSP_TO" "$RSP" "$ADDR" 'pkt:?' 'expect:T*' sleep:2000 \
        'pkt:?' 'expect:T*' pkt:g 'expect:0a00*' \
        >"$T_TMP/a.out" 2>"$T_TMP/a.err" &
    apid=$!
    if ! wait_file_line "$T_TMP/a.out" "^< T" 500; then
        DETAIL="client A got no stop reply: $(cat "$T_TMP/a.err")"
        st=1
    elif ! rsp "$T_TMP/b.out" timeout:1500 expect-eof; then
        DETAIL="client B was not closed: $(rsp_why)"
        st=1
    else
        # B again, writing at once: refused or not, it must write nothing
        # (checked by the after snapshot). Its exit status is not ours to
        # judge: the server may close before or after the write.
        rsp "$T_TMP/b.out" "$(frame 'M0,4:deadbeef')" timeout:1500 \
            'rawexpect:*'
    fi
    if ! wait "$apid"; then
        DETAIL="${DETAIL:+$DETAIL; }client A failed: $(cat "$T_TMP/a.err")"
        st=1
    fi
    return "$st"
}

# big_m: "$M0,4:deadbeef" + 200000 '0' + "#cs" as four raw: actions, each
# under the 128 KiB limit of one argv string. A stub that cut the packet at
# PacketSize and executed the head would write deadbeef at 0.
big_m() {
    local head='M0,4:deadbeef' s=0 b z
    for b in $(printf '%s' "$head" | od -An -tu1 -v); do
        s=$(((s + b) & 255))
    done
    s=$(((s + 200000 * 48) & 255))
    z=$(head -c 100000 /dev/zero | tr '\0' 0)
    BIG_M=("raw:\$$head" "raw:$z" "raw:$z" "$(printf 'raw:#%02x' "$s")")
}

# expand ACTION...: the row's actions with frame:, %X% tokens replaced, into
# the array ACTS.
expand() {
    local a
    ACTS=()
    for a in "$@"; do
        case "$a" in
        frame:*) ACTS+=("$(frame "${a#frame:}")") ;;
        %BIG_M%) ACTS+=("${BIG_M[@]}") ;;
        *)
            a=${a//%G%/$BEFORE_G}
            a=${a//%MON_BP%/$(hex breakpoints)}
            a=${a//%NO_BP%/*$(hex 'no breakpoints')*}
            ACTS+=("$a")
            ;;
        esac
    done
}

# snap_diff: which snapshot replies differ between before and after, and
# at which byte (two hex digits per byte) first, with both values there.
snap_diff() {
    local i b a j
    for ((i = 0; i < ${#SNAP[@]}; i++)); do
        b=$(sed -n "$((i + 2))p" "$T_TMP/before" | cut -c3-)
        a=$(sed -n "$((i + 2))p" "$T_TMP/after" | cut -c3-)
        [ "$b" = "$a" ] && continue
        for ((j = 0; j < ${#b} && j < ${#a}; j += 2)); do
            [ "${b:j:2}" = "${a:j:2}" ] || break
        done
        printf '%s: byte 0x%x was %s, now %s; ' "${SNAP[i]#pkt:}" $((j / 2)) \
            "${b:j:16}" "${a:j:16}"
    done
}

# run_row NAME VMM-ARGS ACTIONS: one row of the table.
run_row() {
    local name=$1 vargs=$2 acts=$3 st=0 words vw=()
    DETAIL=""
    : >"$T_TMP/rsp.err"
    read -ra words <<<"$acts"
    [ "$vargs" = "-" ] || read -ra vw <<<"$vargs"
    if ! vmm_gdb_start "${vw[@]}" "$SPIN"; then
        vmm_stop
        t_fail "$name" "the VMM never announced its port; $(rsp_why)"
        return
    fi
    # Before: let the guest reach its loop, stop it there, snapshot.
    if ! rsp "$T_TMP/before" send:c sleep:100 intr reply 'expect:T02*' \
        "${SNAP[@]}"; then
        vmm_stop
        t_fail "$name" "before snapshot failed; $(rsp_why)"
        return
    fi
    if [ "$(sed -n 3p "$T_TMP/before")" != "< $SPIN_EIP" ]; then
        vmm_stop
        t_fail "$name" "the guest is not in its loop: $(sed -n 3p "$T_TMP/before")"
        return
    fi
    BEFORE_G=$(sed -n 2p "$T_TMP/before" | cut -c3-)

    # The hostile input.
    if [ "${words[0]}" != "${words[0]#@}" ]; then
        "${words[0]#@}"
        st=$?
    else
        expand "${words[@]}"
        rsp "$T_TMP/hostile" "${ACTS[@]}"
        st=$?
        [ "$st" -eq 0 ] || DETAIL="hostile input: $(rsp_why)"
    fi
    if [ "$st" -eq 0 ] && ! vmm_alive; then
        st=1 DETAIL="the VMM died; $(rsp_why)"
    fi

    # After: a stop reply to '?', then the same snapshot. The server may
    # still be draining the previous client: retry a refused connection
    # for up to 2 s.
    if [ "$st" -eq 0 ]; then
        if ! rsp_retry "$T_TMP/after" 'pkt:?' 'expect:T*' "${SNAP[@]}"; then
            st=1 DETAIL="no stop reply to '?' after the hostile input; $(rsp_why)"
        elif ! cmp -s <(sed 1d "$T_TMP/before") <(sed 1d "$T_TMP/after"); then
            st=1 DETAIL="state changed: $(snap_diff)"
        fi
    fi
    if [ "$st" -eq 0 ] && ! vmm_alive; then
        st=1 DETAIL="the VMM died at the end; $(rsp_why)"
    fi
    vmm_stop
    t_check "$name" "$st" "$DETAIL"
}

big_m
while IFS="|" read -r -u 3 name vargs acts; do
    while [ "${name% }" != "$name" ]; do name=${name% }; done
    vargs=$(echo "$vargs" | xargs)
    [ -n "$name" ] || continue
    need "$name" "$RSP" "$SPIN" || continue
    run_row "$name" "$vargs" "$acts"
done 3<<<"$ROWS"

t_done
