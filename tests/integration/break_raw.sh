#!/usr/bin/env bash
# shellcheck disable=SC2016 # literal '$' and '*' in rspclient globs
# Breakpoint manager over the raw protocol (tests/tools/rspclient), for
# what gdb cannot show or would take too long to send:
#   - real-mode code with CS != 0 (cs100.bin, at 0100:0000): Z0/Z1 at the
#     linear address 0x1005 stop with IP 5, and the next continue stops
#     there again one loop (one 'A') later, under every mechanism here;
#   - a debugger asking for 20,000 stepping watchpoints of 4 KiB: the
#     first 16 (64 KiB) are taken, the rest get E1c (ENOSPC), and the
#     VMM's memory stays small.
# The session ends with k, so the output is what ran while attached.
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

CS100=$G/cs100.bin
MECHS="dr step"
if [ -z "$T_NEED_WHY" ] && [ -x "$VMM" ] &&
    timeout 10 "$VMM" --host-info 2>&1 | grep -qiE '^int3 intercepted.*: *yes'; then
    MECHS="int3 dr step"
fi

# A stop at IP 5 (eip is register 8 in the i386 layout), with REASON.
at_ip5() {
    echo "expect:T05thread:1;$1:;08:05000000;*"
}

for M in $MECHS; do
    for Z in 0 1; do
        reason=swbreak
        [ "$Z" = 1 ] && reason=hwbreak
        name="[$M] Z$Z at linear 0x1005 in CS=0x100 code: stops at IP 5, once a loop"
        need "$name" "$RSP" "$CS100" || continue
        if ! vmm_gdb_start --debug-mechanism "$M" --hlt-sleep 0 "$CS100"; then
            t_fail "$name" "the VMM never announced its port; $(rsp_why)"
            vmm_stop
            continue
        fi
        st=0
        rsp "$T_TMP/cs.out" "pkt:Z$Z,1005,1" expect:OK \
            send:c reply "$(at_ip5 $reason)" 'pkt:m0,0' \
            send:c reply "$(at_ip5 $reason)" \
            send:c reply "$(at_ip5 $reason)" "pkt:z$Z,1005,1" expect:OK \
            send:k || st=1
        vmm_wait_exit 5
        out=$(cat "$VOUT")
        [ "$st" -eq 0 ] && [ "$out" = AA ] && [ "${VRC:-x}" = 0 ]
        t_check "$name" $? "output '$out'; $(rsp_why)"
        vmm_stop
    done
done

name="20,000 Z2 of 4 KiB (stepping): 16 taken, the rest E1c, RSS stays small"
if need "$name" "$RSP" "$SPIN"; then
    if vmm_gdb_start --debug-mechanism step "$SPIN"; then
        acts=()
        for ((i = 0; i < 20000; i++)); do
            acts+=("$(printf 'pkt:Z2,%x,1000' $((i * 16)))")
        done
        rsp "$T_TMP/z2.out" timeout:20000 "${acts[@]}" 'pkt:z2,0,1000' \
            expect:OK 'pkt:Z2,ff000,1000' expect:OK
        st=$?
        ok=$(grep -c '^< OK$' "$T_TMP/z2.out")
        refused=$(grep -c '^< E1c$' "$T_TMP/z2.out")
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$VPID/status" 2>/dev/null)
        echo "# 20,000 Z2: $ok OK, $refused E1c, VmRSS ${rss:-?} KiB"
        # 16 + the two after (a z2 and a Z2 into the room it made).
        [ "$st" -eq 0 ] && [ "$ok" -eq 18 ] && [ "$refused" -eq 19984 ] &&
            [ -n "$rss" ] && [ "$rss" -lt 16384 ] && vmm_alive
        t_check "$name" $? "st $st, $ok OK, $refused E1c, rss ${rss:-?}; $(rsp_why)"
    else
        t_fail "$name" "the VMM never announced its port; $(rsp_why)"
    fi
    vmm_stop
fi

t_done
