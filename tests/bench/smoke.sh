#!/usr/bin/env bash
# Smoke test of `make bench`, so that the bench does not rot: a quick run
# (BENCH_QUICK=1, tiny counts, about 15 s) must complete, print its table
# and write JSON with every row, each kvmstub cell holding a measurement
# (or "host lacks" for a breakpoint mechanism this host's KVM cannot do).
# It checks that the bench works, not how fast anything is.
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

ROWS=(cold_first_byte cold_gdb pio_rate stepi stepi_wall stepi_cpu stepi_own
    stepi_share stepi_ioctls stepi_wall0 stepi_own0 stepi_share0 stepi_ioctls0
    bp_dr bp_step bp_int3 bp_loop
    mem_dump mem_restore intr_spin intr_hlt rss_1m hwm_1m rss_1g hwm_1g
    mb_first_byte kut_both boot_first_byte rec_speed norec_speed rev_stepi savevm loadvm pc_rec pc_norec smp_intr smp_bp
    watch_page watch_step next_range next_stepi)
# Rows whose kvmstub cell may say why it is empty ("n/a: no --kernel",
# "n/a: quick run", ...): they need a Multiboot kernel or kvm-unit-tests.
OPTIONAL=" mb_first_byte kut_both "
JSON=$T_TMP/bench.json

if ! kvm_usable; then
    t_skip "bench smoke" "/dev/kvm not usable"
    t_done
fi
if ! command -v "${GDB:-gdb}" >/dev/null; then
    t_skip "bench smoke" "gdb not installed"
    t_done
fi

BENCH_QUICK=1 BENCH_JSON=$JSON timeout 300 bash tests/bench/run.sh \
    >"$T_TMP/out" 2>"$T_TMP/err"
rc=$?
if [ "$rc" -ne 0 ]; then
    t_fail "bench quick run" "exit $rc: $(tail -n 3 "$T_TMP/err" | tr '\n' ' ')"
    t_done
fi
t_pass "bench quick run"

head -n 1 "$T_TMP/out" | grep -q '^row .*kvmstub.*floor.*QEMU'
t_check "bench prints the table header" $?
[ "$(sed -n "1,/^$/p" "$T_TMP/out" | grep -c "^[1-9]")" -eq "${#ROWS[@]}" ]
t_check "bench table has one line per row" $?
[ -s "$JSON" ] && grep -q '"rows": \[' "$JSON" && grep -q '"quick": true' "$JSON"
t_check "bench writes JSON" $?

for r in "${ROWS[@]}"; do
    line=$(grep -A1 "\"id\": \"$r\"" "$JSON" | tail -n 1)
    if [ -z "$line" ]; then
        t_fail "bench row $r" "missing from the JSON"
    elif grep -q '"kvmstub": {"median": [0-9]' <<<"$line" ||
        grep -q '"kvmstub": {"status": "host lacks"}' <<<"$line" ||
        { [[ $OPTIONAL == *" $r "* ]] &&
            grep -q '"kvmstub": {"status": "n/a' <<<"$line"; }; then
        t_pass "bench row $r"
    else
        t_fail "bench row $r" "$line"
    fi
done

# QEMU cells say why they are empty when QEMU is absent.
QEMU=/nonexistent/qemu BENCH_QUICK=1 BENCH_JSON=$T_TMP/noqemu.json \
    timeout 300 bash tests/bench/run.sh >"$T_TMP/out2" 2>/dev/null &&
    grep -q 'not installed' "$T_TMP/out2" &&
    ! grep -q '"qemu": {"median"' "$T_TMP/noqemu.json"
t_check "bench without QEMU says not installed" $?

t_done
