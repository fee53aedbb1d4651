#!/usr/bin/env bash
# Loads each target description the stub sends (dumped by test_arch --dump)
# into a real gdb with `set tdesc filename`, no target needed, and checks
# that gdb accepts it quietly, picks the right architecture, and numbers
# and sizes the remote registers (`maint print remote-registers`: Rmt Nr and
# g/G Offset columns) as gdbstub/arch.c does. Run from the repository root.
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TEST_ARCH=$BUILD/tests/unit/test_arch

if ! command -v gdb >/dev/null 2>&1; then
    t_skip "gdb xml check" "gdb not installed"
    t_done
fi
if [ ! -x "$TEST_ARCH" ]; then
    t_fail "gdb xml check" "$TEST_ARCH not built (make $TEST_ARCH)"
    t_done
fi
if ! "$TEST_ARCH" --dump "$T_TMP"; then
    t_fail "gdb xml check" "$TEST_ARCH --dump failed"
    t_done
fi

# check_arch NAME ARCH: NAME.xml should give gdb architecture ARCH and the
# registers of NAME.regs ("regno name size" lines).
check_arch() {
    local name=$1 arch=$2 out got want
    out=$T_TMP/$name.out
    timeout 60 gdb -q -n -batch \
        -ex "set tdesc filename $T_TMP/$name.xml" \
        -ex 'show architecture' \
        -ex 'maint print remote-registers' >"$out" 2>&1
    t_check "$name: gdb exits 0" $? "$(head -n 3 "$out")"

    if grep -qiE 'warning|error|could not load|ignoring' "$out"; then
        t_fail "$name: loads without warnings" \
            "$(grep -iE 'warning|error|could not load|ignoring' "$out" |
                head -n 3)"
    else
        t_pass "$name: loads without warnings"
    fi

    grep -qF "(currently \"$arch\")" "$out"
    t_check "$name: architecture is $arch" $? \
        "$(grep -F 'architecture' "$out" | head -n 1)"

    # Rows with a remote number: "Name Nr Rel Offset Size Type Rmt g/G".
    got=$(awk 'NF >= 8 && $NF ~ /^[0-9]+$/ && $(NF - 1) ~ /^[0-9]+$/ {
                   print $(NF - 1), $1, $5
               }' "$out" | sort -n)
    want=$(cat "$T_TMP/$name.regs")
    if [ "$got" = "$want" ]; then
        t_pass "$name: register numbers, names and sizes"
    else
        t_fail "$name: register numbers, names and sizes" \
            "$(diff <(echo "$want") <(echo "$got") | head -n 6 | tr '\n' ' ')"
    fi

    # The g packet is the registers back to back in regno order.
    awk 'NF >= 8 && $NF ~ /^[0-9]+$/ && $(NF - 1) ~ /^[0-9]+$/ {
             print $(NF - 1), $5, $NF
         }' "$out" | sort -n | awk '
        $3 != off { bad = bad " " $1 "@" $3 "!=" off }
        { off += $2 }
        END { if (bad != "") { print bad; exit 1 } }' >"$T_TMP/$name.off"
    t_check "$name: g packet offsets contiguous" $? "$(cat "$T_TMP/$name.off")"
}

check_arch i8086 i8086
check_arch i386 i386
check_arch x86-64 i386:x86-64

t_done
