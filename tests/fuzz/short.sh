#!/usr/bin/env bash
# A short, deterministic libFuzzer run over the codec and dispatcher: a
# fixed seed and a fixed number of runs, so CI stays repeatable. Skipped
# where clang or its libFuzzer runtime is missing. `make fuzz` runs longer.
source "$(dirname "$0")/../lib.sh"
RUNS=${FUZZ_SHORT_RUNS:-3000}
bin=$T_TMP/fuzz_rsp

if ! command -v clang >/dev/null 2>&1; then
    t_skip "libFuzzer short run" "clang is not installed"
    t_done
fi
if ! clang -std=c11 -D_GNU_SOURCE -g -O1 -I. -fsanitize=fuzzer,address,undefined \
    -o "$bin" tests/fuzz/fuzz_rsp.c gdbstub/*.c >"$T_TMP/build.log" 2>&1; then
    if grep -q -i 'fuzzer' "$T_TMP/build.log"; then
        t_skip "libFuzzer short run" "clang has no libFuzzer runtime"
        t_done
    fi
    cat "$T_TMP/build.log"
    t_fail "libFuzzer short run" "the fuzz target does not build"
    t_done
fi
mkdir -p "$T_TMP/corpus"
if "$bin" -runs="$RUNS" -seed=1 -max_len=65536 "$T_TMP/corpus" tests/fuzz/corpus \
    >"$T_TMP/fuzz.log" 2>&1; then
    echo "# $(grep -E '^Done [0-9]+ runs' "$T_TMP/fuzz.log")"
    t_pass "libFuzzer short run ($RUNS runs, seed 1)"
else
    tail -40 "$T_TMP/fuzz.log"
    t_fail "libFuzzer short run" "a crash or invariant failure: see above"
fi
t_done
