#!/usr/bin/env bash
# The vCPU model under the VMM, no debugger: the CPUID table the guest sees
# (hypervisor bit, KVM signature leaf, long mode), a guest that goes real ->
# protected -> long mode, and a hlt at the last byte of a 16-bit segment.
# Run from the repository root after `make`; every VMM run is bounded by
# timeout(1).
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=20

# run_guest NAME WANT ARGS...: runs the VMM with ARGS; passes when it exits
# 0 and its stdout is exactly WANT (a printf format).
run_guest() {
    local name=$1 want=$2 rc
    shift 2
    timeout $TO "$VMM" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    rc=$?
    # shellcheck disable=SC2059 # WANT is a printf format by design
    printf "$want" >"$T_TMP/want"
    if [ "$rc" -eq 0 ] && cmp -s "$T_TMP/out" "$T_TMP/want"; then
        t_pass "$name"
    else
        t_fail "$name" "exit $rc, stdout '$(tr '\n' '|' <"$T_TMP/out" |
            head -c 80)', stderr: $(head -c 200 "$T_TMP/err" | tr '\n' '|')"
    fi
}

name="cpuid: hypervisor bit, KVMKVMKVM leaf 0x40000000, APIC ID 0, LM bit"
if need "$name" "$G/cpuid.bin"; then
    run_guest "$name" 'cpuid ok\n' --hlt-sleep 0 --max-halts 1 "$G/cpuid.bin"
fi

name="longmode: real -> protected -> long mode prints 'R P L'"
if need "$name" "$G/longmode.bin"; then
    run_guest "$name" 'R P L\n' --hlt-sleep 0 --max-halts 3 \
        "$G/longmode.bin"
fi

# KVM advances RIP past a HLT it executes itself without the 16-bit wrap;
# the VMM wraps it at the HLT exit.
name="hlt at CS:FFFF (run): the next instruction is at CS:0000, no #GP"
if need "$name" "$G/hlt_ffff.bin"; then
    run_guest "$name" 'ffff\nwrap ok\n' --hlt-sleep 0 --max-halts 2 \
        "$G/hlt_ffff.bin"
fi

name="user_hlt: a hlt at CPL 3 raises #GP into the guest's handler"
if need "$name" "$G/user_hlt.bin"; then
    run_guest "$name" 'R P L\ngp\n' --hlt-sleep 0 --max-halts 1 \
        "$G/user_hlt.bin"
fi

t_done
