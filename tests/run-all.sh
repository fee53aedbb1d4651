#!/usr/bin/env bash
# Runs every suite and sums their closing "N passed, N failed[, N skipped]"
# lines into one such line, printed last. Exit status non-zero on any failure.
set -u
BUILD=${BUILD:-build}
export BUILD
passed=0 failed=0 skipped=0

run_suite() {
    local name=$1
    shift
    local out rc line p f s
    echo "== $name"
    out=$("$@" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^ok ' | grep -v '^[0-9]* passed, ' | sed 's/^/   /'
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    if [ -z "$line" ]; then
        echo "   suite $name printed no summary (exit $rc): counted as 1 failure"
        failed=$((failed + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
    echo "   $line"
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + ${s:-0}))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "   suite $name exited $rc with no failure counted: counted as 1 failure"
        failed=$((failed + 1))
    fi
}

for t in "$BUILD"/tests/unit/test_*; do
    [ -x "$t" ] || continue
    run_suite "unit/$(basename "$t")" "$t"
done
if [ -x "$BUILD/tests/fuzz/replay" ]; then
    run_suite "fuzz-replay" "$BUILD/tests/fuzz/replay" tests/fuzz/corpus
fi
if [ -x "$BUILD/tests/fuzz/replay_multiboot" ]; then
    run_suite "fuzz-replay-multiboot" "$BUILD/tests/fuzz/replay_multiboot" \
        tests/fuzz/corpus_multiboot
fi
if [ -x "$BUILD/tests/fuzz/replay_snapfile" ]; then
    run_suite "fuzz-replay-snapfile" "$BUILD/tests/fuzz/replay_snapfile" \
        tests/fuzz/corpus_snapfile
fi
# The bench only as a smoke run with tiny counts, to keep it from rotting.
# Memcheck cannot run a sanitizer build: valgrind only in the plain one.
extra=(tests/bench/smoke.sh)
case "$BUILD" in
*sanitize* | *tsan*) ;;
*) extra+=(tests/valgrind.sh) ;;
esac
for t in tests/fuzz/short.sh tests/integration/*.sh tests/gdb/*.sh \
    "${extra[@]}"; do
    [ -f "$t" ] || continue
    case "$t" in *lib.sh) continue ;; esac # helpers, not suites
    run_suite "$t" bash "$t"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
