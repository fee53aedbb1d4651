#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2317 # gdb expressions ($pc) in single quotes; checks run through "$check"
# The architecture follows the CPU mode within one gdb session: longmode.bin
# goes real -> 32-bit protected -> 64-bit long mode; at each stop in a new
# mode the stub reports an exec event, gdb re-reads target.xml, and
# `show architecture`, `x/i $pc` and `info registers rip` are right at once.
# Continue across the switches and stepi across them (from a breakpoint and
# not), with and without a symbol-file, in batch and in MI; and back to
# real mode (backreal.bin).
# One fresh VMM per test, every VMM and gdb bounded by timeout(1).
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh
source tests/gdb/gdblib.sh

LONGMODE=$G/longmode.bin
LONGMODE_ELF=$G/longmode.elf

# longmode.bin: 0x1f mov %eax,%cr0 (still 16-bit code after it), 0x22
# ljmpl $0x8,$0x2a (to 32-bit code), 0x2a mov $0x10,%ax, 0x6b ljmp
# $0x18,$0x72 (to 64-bit code), 0x72 mov $0x4c,%al, 0x200 hlt (lm_loop).

# Lines gdb prints that are not noise: the stub's note of the mode change
# (gdb calls it a new program and cannot open it: it is named so that no
# file can be meant) and gdb's own note that no executable was given.
noise() {
    grep -E 'warning|[Ee]rror|Invalid|too long|Could not load|Traceback' \
        "$GDB_OUT" | grep -vE 'kvmstub: the vCPU switched to|No executable has been specified|determining executable automatically' 
}

CONT_SCRIPT='show architecture
hbreak *0x2a
hbreak *0x200
continue
show architecture
x/i $pc
info registers eip
continue
show architecture
x/i $pc
info registers rip
info symbol $pc'

# check_cont SYMS: the output of CONT_SCRIPT; SYMS=1 with the symbol file.
check_cont() {
    local sym='' sym2=''
    [ "$1" = 1 ] && sym=' <pm32>' && sym2=' <lm_loop>'
    gdb_has 'currently "?i8086' &&
        gdb_has "^Breakpoint 1, 0x0+2a in " &&
        gdb_has 'currently "?i386"?\)' &&
        gdb_has "^=> 0x2a${sym}:[[:space:]]+mov +\\\$0x10,%ax" &&
        gdb_has '^eip +0x2a ' &&
        gdb_has "^Breakpoint 2, 0x0+200 in " &&
        gdb_has 'currently "?i386:x86-64"?\)' &&
        gdb_has "^=> 0x200${sym2}:[[:space:]]+hlt" &&
        gdb_has '^rip +0x200 +0x200' &&
        { [ "$1" = 0 ] || gdb_has '^lm_loop in section \.text'; } &&
        [ -z "$(noise)" ]
}

STEP_SCRIPT='hbreak *0x1f
continue
delete
stepi
printf "PC=%#x\n", $pc
show architecture
stepi
printf "PC=%#x\n", $pc
show architecture
x/i $pc
info registers eip cs
hbreak *0x6b
continue
stepi
printf "PC=%#x\n", $pc
show architecture
x/i $pc
info registers rip cs
stepi
printf "PC=%#x\n", $pc
x/i $pc'

# check_step: stepi from 0x1f (no switch yet: 16-bit code), from 0x22 (no
# breakpoint there: into 32-bit code), from the breakpoint at 0x6b (into
# 64-bit code), one more in 64-bit code.
check_step() {
    [ "$(stop_pcs)" = "0x22 0x2a 0x72 0x74" ] &&
        gdb_has 'currently "?i386"?\)' &&
        gdb_has '^=> 0x2a( <pm32>)?:[[:space:]]+mov +\$0x10,%ax' &&
        gdb_has '^eip +0x2a ' && gdb_has '^cs +0x8 ' &&
        gdb_has 'currently "?i386:x86-64"?\)' &&
        gdb_has '^=> 0x72( <lm64>)?:[[:space:]]+mov +\$0x4c,%al' &&
        gdb_has '^rip +0x72 ' && gdb_has '^cs +0x18 ' &&
        gdb_has '^=> 0x74( <lm64\+2>)?:[[:space:]]+out +%al,\$0xf1' &&
        [ "$(grep -c 'Program stopped' "$GDB_OUT")" -eq 2 ] &&
        [ -z "$(noise)" ]
}

run_case() { # NAME SCRIPT CHECK SYMS [IMAGE]
    local name=$1 script=$2 check=$3 syms=$4 image=${5:-$LONGMODE}
    need "$name" "$image" || return
    if ! vmm_gdb_start --hlt-sleep 100000 "$image"; then
        t_fail "$name" "VMM did not listen: $(why)"
        vmm_stop
        return
    fi
    if [ "$syms" = 1 ]; then
        gdb_script "symbol-file $LONGMODE_ELF
$script"
    else
        gdb_script "$script"
    fi
    if "$check" "$syms"; then
        t_pass "$name"
    else
        t_fail "$name" "$(why) noise: $(noise | tr '\n' '|')"
    fi
    vmm_stop
}

run_case "continue real -> protected -> long: arch, x/i, rip at each stop" \
    "$CONT_SCRIPT" check_cont 0
run_case "the same with a symbol-file: symbols kept across the switches" \
    "$CONT_SCRIPT" check_cont 1
run_case "stepi across the switches (from a breakpoint and not)" \
    "$STEP_SCRIPT" check_step 0
run_case "stepi across the switches with a symbol-file" \
    "$STEP_SCRIPT" check_step 1

# org.kvmstub.sys: control registers, EFER, descriptor caches, GDTR, the
# guest's own debug registers, in each mode; writes read back and survive
# a step; dr0 is the guest's, untouched by the stub's hbreak in DR0.
SYS_SCRIPT='p/x $cr0
info registers cr3 efer cs_limit cs_attr
set $cr2 = 0x1234
p/x $cr2
set $dr0 = 0x5000
p/x $dr0
hbreak *0x2a
hbreak *0x200
continue
info registers cs_attr gdtr_base gdtr_limit ss_attr
continue
p/x $cr0
info registers cr3 cr4 efer cs_attr
set $cr0 = 0xe0010011
set $cr2 = 0xabcd
stepi
p/x $cr0
p/x $cr2
p/x $dr0
info registers rip
info registers idtr_limit dr7'

check_sys() {
    gdb_has '^\$1 = 0x60000010$' &&
        gdb_has '^cr3 +0x0 ' && gdb_has '^efer +0x0 ' &&
        gdb_has '^cs_limit +0xffff ' && gdb_has '^cs_attr +0x9b ' &&
        gdb_has '^\$2 = 0x1234$' && gdb_has '^\$3 = 0x5000$' &&
        gdb_has '^cs_attr +0xc09b ' && gdb_has '^gdtr_base +0x210 ' &&
        gdb_has '^gdtr_limit +0x1f ' && gdb_has '^ss_attr +0x93 ' &&
        gdb_has '^\$4 = 0xe0000011$' && gdb_has '^cr3 +0x1000 ' &&
        gdb_has '^cr4 +0x20 ' && gdb_has '^efer +0x500 ' &&
        gdb_has '^cs_attr +0xa09b ' &&
        gdb_has '^\$5 = 0xe0010011$' && gdb_has '^\$6 = 0xabcd$' &&
        gdb_has '^\$7 = 0x5000$' && gdb_has '^rip +0x201 ' &&
        gdb_has '^idtr_limit +0x' && gdb_has '^dr7 +0x' &&
        [ -z "$(noise)" ]
}

run_case "system registers: p/x \$cr0, set \$cr0/\$cr2/\$dr0, info registers cr3, in each mode" \
    "$SYS_SCRIPT" check_sys 0

# backreal.bin goes back: 0x40 32-bit code, 0x50 ljmp $0x18,$0x80 (to a
# 16-bit code segment), 0x80 16-bit protected mode, 0xc0 real mode again.
BACKREAL=$G/backreal.bin
BACK_SCRIPT='hbreak *0x40
hbreak *0xc0
continue
show architecture
x/i $pc
hbreak *0x50
continue
x/i $pc
stepi
printf "PC=%#x\n", $pc
show architecture
x/i $pc
continue
printf "PC=%#x\n", $pc
show architecture
x/i $pc
info registers eip cs'

check_back() {
    [ "$(stop_pcs)" = "0x80 0xc0" ] &&
        gdb_has '^Breakpoint 1, 0x0+40 in' &&
        gdb_has '^=> 0x40:[[:space:]]+mov +\$0x10,%ax' &&
        gdb_has '^=> 0x50:[[:space:]]+ljmp +\$0x18,\$0x80' &&
        gdb_has '^=> 0x80:[[:space:]]+mov +\$0x20,%ax' &&
        gdb_has '^Breakpoint 2, 0x0+c0 in' &&
        gdb_has '^=> 0xc0:[[:space:]]+xor +%ax,%ax' &&
        gdb_has '^eip +0xc0 ' && gdb_has '^cs +0x0 ' &&
        [ "$(grep -c 'currently "*i8086' "$GDB_OUT")" -eq 2 ] &&
        [ -z "$(noise)" ]
}

run_case "back: 32-bit -> 16-bit protected (stepi) -> real mode (continue)" \
    "$BACK_SCRIPT" check_back 0 "$BACKREAL"

# MI: the frontend sees one *stopped per user-visible stop, each with the
# new arch, and nothing about the exec itself but a console line.
name="MI: *stopped with arch i386 then i386:x86-64, no error records"
if need "$name" "$LONGMODE"; then
    if vmm_gdb_start --hlt-sleep 100000 "$LONGMODE"; then
        f=$T_TMP/mi.gdb
        printf '%s\n' 'hbreak *0x22' continue stepi 'hbreak *0x200' \
            continue >"$f"
        GDB_OUT=$T_TMP/mi.out
        timeout "$GDB_TO" gdb -q -n -i=mi -batch -ex 'set confirm off' \
            -ex "target remote $ADDR" -x "$f" -ex kill \
            >"$GDB_OUT" 2>&1 </dev/null
        # shellcheck disable=SC2034 # read by why
        GDB_RC=$?
        nstop=$(grep -c '^\*stopped' "$GDB_OUT")
        if [ "$nstop" -eq 4 ] &&
            gdb_has '^\*stopped,reason="breakpoint-hit",.*addr="0x00000022".*arch="i8086"' &&
            gdb_has '^\*stopped,reason="signal-received",signal-name="0",.*addr="0x0000002a".*arch="i386"' &&
            gdb_has '^\*stopped,reason="breakpoint-hit",.*addr="0x0000000000000200".*arch="i386:x86-64"' &&
            ! gdb_has '^\^error' && [ -z "$(noise)" ]; then
            t_pass "$name"
        else
            t_fail "$name" "$nstop stops; $(why)"
        fi
    else
        t_fail "$name" "VMM did not listen: $(why)"
    fi
    vmm_stop
fi

t_done
