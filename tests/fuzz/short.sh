#!/usr/bin/env bash
# Short, deterministic libFuzzer runs over each fuzz target (the codec and
# dispatcher; the Multiboot loader; the snapshot file parser): a fixed seed and a fixed number of
# runs, so CI stays repeatable. Skipped where clang or its libFuzzer
# runtime is missing. `make fuzz` runs longer.
source "$(dirname "$0")/../lib.sh"
RUNS=${FUZZ_SHORT_RUNS:-3000}

# fuzz_short NAME MAX_LEN CORPUS SOURCES...: build and run one target.
fuzz_short() {
    local name=$1 max_len=$2 corpus=$3 bin=$T_TMP/fuzz_$1
    shift 3
    if ! clang -std=c11 -D_GNU_SOURCE -g -O1 -I. \
        -fsanitize=fuzzer,address,undefined -o "$bin" "$@" \
        >"$T_TMP/build-$name.log" 2>&1; then
        if grep -q -i 'fuzzer' "$T_TMP/build-$name.log"; then
            t_skip "libFuzzer short run: $name" "clang has no libFuzzer runtime"
            return
        fi
        cat "$T_TMP/build-$name.log"
        t_fail "libFuzzer short run: $name" "the fuzz target does not build"
        return
    fi
    mkdir -p "$T_TMP/corpus-$name"
    if "$bin" -runs="$RUNS" -seed=1 -max_len="$max_len" "$T_TMP/corpus-$name" \
        "$corpus" >"$T_TMP/fuzz-$name.log" 2>&1; then
        echo "# $name: $(grep -E '^Done [0-9]+ runs' "$T_TMP/fuzz-$name.log")"
        t_pass "libFuzzer short run: $name ($RUNS runs, seed 1)"
    else
        tail -40 "$T_TMP/fuzz-$name.log"
        t_fail "libFuzzer short run: $name" "a crash or invariant failure: see above"
    fi
}

if ! command -v clang >/dev/null 2>&1; then
    t_skip "libFuzzer short runs" "clang is not installed"
    t_done
fi
fuzz_short rsp 65536 tests/fuzz/corpus tests/fuzz/fuzz_rsp.c gdbstub/*.c
fuzz_short multiboot 16384 tests/fuzz/corpus_multiboot tests/fuzz/fuzz_multiboot.c \
    vmm/boot/multiboot.c vmm/boot/multiboot_load.c vmm/boot/memmap.c \
    vmm/mem.c vmm/vm.c
# The snapshot parser links with the whole VMM (snap_free, the device
# states' layout) but calls no KVM.
fuzz_short snapfile 131072 tests/fuzz/corpus_snapfile tests/fuzz/fuzz_snapfile.c \
    $(ls vmm/*.c vmm/hw/*.c vmm/boot/*.c | grep -v '^vmm/main\.c$') gdbstub/*.c
t_done
