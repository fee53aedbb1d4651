#!/usr/bin/env bash
# The `make kut` runner (tests/kut/run.sh) against a fake kvm-unit-tests
# checkout and fake QEMU and kvmstub binaries: that it says "skipped"
# without a checkout, honours each unittests.cfg field, translates QEMU
# options for kvmstub (or says which one it lacks) and judges exit status,
# stderr and SUMMARY lines the way the checkout's run_tests.sh does. No
# guest runs; the real comparison is `make kut KUT=DIR`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

RUN=tests/kut/run.sh

out=$(bash "$RUN" 2>&1)
t_check "no KUT: skipped, status 0" $? "$out"
grep -q '^kut: skipped: KUT=DIR not given' <<<"$out"
t_check "no KUT: says KUT=DIR not given" $? "$out"

mkdir -p "$T_TMP/notbuilt/x86" && : >"$T_TMP/notbuilt/x86/unittests.cfg"
out=$(bash "$RUN" "$T_TMP/notbuilt" 2>&1) &&
    grep -q '^kut: skipped: .*not built' <<<"$out"
t_check "unbuilt checkout: skipped, status 0" $? "$out"

if ! kvm_usable; then
    t_skip "kut runner on a fake checkout" "/dev/kvm not usable"
    t_done
fi

# ---- the fake checkout
K=$T_TMP/kut
mkdir -p "$K/x86" "$T_TMP/bin"
printf 'ARCH=x86_64\nCONFIG_EFI=\nERRATATXT=%s/errata.txt\n' "$K" \
    >"$K/config.mak"
printf '0123456789ab : 4.1 : an erratum every kernel has\n' >"$K/errata.txt"
for f in pass fail skip hang warn err zero args; do
    : >"$K/x86/$f.flat"
done
echo Y >"$T_TMP/yes"
cat >"$K/x86/unittests.cfg" <<EOF
# comment
[pass]
file = pass.flat
smp = 2
qemu_params = -cpu max,host-phys-bits -m 256

[fail]
file = fail.flat

[skip]
file = skip.flat

[hang]
file = hang.flat
timeout = 1

[warn]
file = warn.flat

[err]
file = err.flat

[zero]
file = zero.flat

[args]
file = args.flat
test_args = "one \`echo two\`" 'three'
qemu_params = """-m
  2g"""

[needcpu]
file = pass.flat
qemu_params = -cpu qemu64,+x2apic

[needdev]
file = pass.flat
qemu_params = -machine pit=off

[i386only]
file = pass.flat
arch = i386

[manual]
file = pass.flat
groups = nodefault

[checked]
file = pass.flat
check = $T_TMP/yes=N

[checkok]
file = pass.flat
check = $T_TMP/yes=Y

[tcgonly]
file = pass.flat
accel = tcg

[disabled]
file = pass.flat
disabled_if = [[ "\$TARGET" = qemu ]]

[vmx_x]
file = pass.flat

[hyperv_x]
file = pass.flat

[missing]
file = nothere.flat
EOF

# One fake plays both: it records its arguments and acts on the kernel's
# name. As QEMU, a kernel it cannot find fails the way QEMU does (the
# runner's premature-failure probe).
cat >"$T_TMP/bin/fake" <<'EOF'
#!/usr/bin/env bash
if [ "${1:-}" = --help ]; then
    echo "usage: ... --kernel FILE ..."
    [ "${FAKE_NO_SMP:-0}" = 1 ] || echo "  --smp N"
    exit 0
fi
[ "${1:-}" = --version ] && { echo "QEMU emulator version 7.2.1 (fake)"; exit 0; }
k=
prev=
for a in "$@"; do
    case $prev in -kernel | --kernel) k=$a ;; esac
    prev=$a
done
[ -e "$k" ] || { echo "qemu: could not load kernel '$k'" >&2; exit 1; }
# The first entry that uses a kernel keeps its record.
f=$FAKE_LOG.$(basename "$0").$(basename "$k" .flat)
[ -e "$f" ] || printf '%s\n' "$@" >"$f"
case $(basename "$k" .flat) in
pass | args) printf 'PASS: a\r\nSUMMARY: 3 tests\r\n'; exit 1 ;;
fail) echo "SUMMARY: 3 tests, 1 unexpected failures"; exit 3 ;;
skip) echo "SUMMARY: 1 tests, 1 skipped"; exit 77 ;;
hang) exec sleep 30 ;;
warn) echo "qemu: warning: host lacks pni" >&2; exit 1 ;;
err) echo "KVM internal error" >&2; exit 1 ;;
zero) exit 0 ;;
esac
exit 2
EOF
chmod +x "$T_TMP/bin/fake"
ln -s fake "$T_TMP/bin/qemu"
ln -s fake "$T_TMP/bin/kvmstub"

export FAKE_LOG=$T_TMP/argv
KUT_TIMEOUT=2 QEMU=$T_TMP/bin/qemu KVMSTUB=$T_TMP/bin/kvmstub \
    KUT_JSON=$T_TMP/kut.json KUT_LOGS=$T_TMP/logs BUILD=$T_TMP/build \
    bash "$RUN" "$K" >"$T_TMP/table" 2>"$T_TMP/err"
t_check "fake checkout: runner exits 0" $? "$(tail -n 3 "$T_TMP/err")"

# row NAME: the table line of entry NAME.
row() { grep "^$1 " "$T_TMP/table"; }
# expect NAME QEMU-RESULT KVMSTUB-RESULT [NOTE-PATTERN]
expect() {
    local r
    r=$(row "$1")
    if [ -z "$r" ]; then
        t_fail "row $1" "missing"
        return
    fi
    read -r _ q _ k _ <<<"$r"
    if [ "$q" = "$2" ] && [ "$k" = "$3" ] &&
        { [ -z "${4:-}" ] || grep -q -- "$4" <<<"$r"; }; then
        t_pass "row $1: $2 $3"
    else
        t_fail "row $1" "got: $r"
    fi
}
expect pass PASS PASS "3 tests"
expect fail FAIL FAIL "exit(1): 3 tests, 1 unexpected failures"
expect skip SKIP SKIP "1 skipped"
expect hang FAIL FAIL "timeout"
expect warn PASS PASS
expect err FAIL FAIL "stderr: KVM internal error"
expect zero FAIL FAIL "no isa-debug-exit"
expect args PASS PASS
expect needcpu PASS - "kvmstub: needs -cpu qemu64,+x2apic"
expect needdev PASS - "needs -machine pit=off"
expect i386only - - "i386 only"
expect manual - - "nodefault"
expect checked - - "check failed: .*yes is Y, not N"
expect checkok PASS PASS
expect tcgonly - - "tcg only"
expect disabled - - "disabled_if"
expect vmx_x - - "nested virtualization"
expect hyperv_x - - "Hyper-V"
expect missing - - "nothere.flat not built"

# What each side was given.
a=$(tr '\n' ' ' <"$FAKE_LOG.kvmstub.pass")
[[ $a == *"--smp 2 "* && $a == *"--mem 256M "* && $a == *"--initrd "* ]]
t_check "kvmstub gets --smp, --mem from -m 256, --initrd" $? "$a"
a=$(tr '\n' ' ' <"$FAKE_LOG.qemu.pass")
[[ $a == *"-cpu max,-arch-capabilities,host-phys-bits -m 256 "* &&
    $a == *"-smp 2 "* && $a == *"-device isa-debug-exit,iobase=0xf4,iosize=0x4 "* ]]
t_check "QEMU gets the cfg's options and x86/run's devices" $? "$a"
grep -qx -- '--append' "$FAKE_LOG.kvmstub.args" &&
    grep -qx 'one two three' "$FAKE_LOG.kvmstub.args" &&
    grep -qx 'one two three' "$FAKE_LOG.qemu.args" &&
    grep -qx '2G' "$FAKE_LOG.kvmstub.args"
t_check "test_args expanded, multi-line qemu_params read" $?
! grep -qx -- '--append' "$FAKE_LOG.kvmstub.pass"
t_check "no --append without test_args" $?
envf=$(sed -n '/^--initrd$/{n;p}' "$FAKE_LOG.kvmstub.pass")
grep -qx 'ERRATA_0123456789ab=y' "$envf" &&
    grep -qx 'QEMU_MAJOR=7' "$envf" && grep -q '^KERNEL_VERSION=' "$envf"
t_check "env file: errata and versions" $? "$(cat "$envf" 2>/dev/null)"

grep -q '"test": "pass"' "$T_TMP/kut.json" &&
    grep -q '"both_pass": {"tests": \["pass", "warn", "args", "checkok"\]' \
        "$T_TMP/kut.json"
t_check "JSON rows and the passing-under-both list" $? \
    "$(grep both_pass "$T_TMP/kut.json")"

FAKE_NO_SMP=1 KUT_TESTS="pass manual" QEMU=/nonexistent/qemu \
    KVMSTUB=$T_TMP/bin/kvmstub \
    KUT_JSON=$T_TMP/kut2.json KUT_LOGS=$T_TMP/logs2 BUILD=$T_TMP/build \
    bash "$RUN" "$K" >"$T_TMP/table" 2>/dev/null
[ "$(grep -c '^[a-z]' "$T_TMP/table" | head -n 1)" -ge 2 ] &&
    row pass | grep -q 'not installed' &&
    row pass | grep -q 'needs -smp 2 (this kvmstub has no --smp)' &&
    row manual | grep -q '3 tests' &&
    ! row fail >/dev/null
t_check "KUT_TESTS subset (a nodefault entry named runs); no QEMU, no --smp" $? \
    "$(cat "$T_TMP/table")"

t_done
