#!/usr/bin/env bash
# The Multiboot loader end to end: the test kernels of tests/kernels/
# under `build/vmm --kernel`, their output (the boot information they
# printed) and their isa-debug-exit status ((code << 1) | 1); loader errors
# (exit 2 and the message); where QEMU is installed, the same kernel under
# QEMU's -kernel gets the same command line and modules. Skips everything
# ("no --kernel") when the VMM has no --kernel option yet.
# Run from the repository root after `make`.
set -u
cd "$(dirname "$0")/../.." || exit 1
source tests/lib.sh

TO=60
KD=$BUILD/tests/kernels
MB32=$KD/mb32.elf
AOUT=$KD/mb32_aout.bin
MB64=$KD/mb64.elf

if [ -x "$VMM" ] && ! "$VMM" --help 2>&1 | grep -q -- '--kernel'; then
    # shellcheck disable=SC2034 # read by need (tests/lib.sh)
    T_NEED_WHY="no --kernel"
fi

# run_vmm ARGS...: the VMM with stdout in $T_TMP/out, stderr in $T_TMP/err;
# sets RC.
run_vmm() {
    timeout "$TO" "$VMM" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
    RC=$?
}

why() {
    echo "exit $RC; stdout: $(head -c 400 "$T_TMP/out" | tr '\n' '|'); stderr: $(head -c 300 "$T_TMP/err" | tr '\n' '|')"
}

# has LINE...: every LINE is a whole line of the last stdout.
has() {
    local l
    for l in "$@"; do
        grep -qxF -- "$l" "$T_TMP/out" || { MISSING=$l; return 1; }
    done
}

# expect NAME STATUS LINE...: exit STATUS, no "FAIL" line, every LINE.
expect() {
    local name=$1 status=$2
    shift 2
    MISSING=
    if [ "$RC" -ne "$status" ]; then
        t_fail "$name" "want exit $status; $(why)"
    elif grep -q 'FAIL' "$T_TMP/out"; then
        t_fail "$name" "the kernel found a problem: $(grep FAIL "$T_TMP/out" | head -3 | tr '\n' '|')"
    elif ! has "$@"; then
        t_fail "$name" "no line '$MISSING'; $(why)"
    else
        t_pass "$name"
    fi
}

printf 'hello world\n' >"$T_TMP/m1"
head -c 5000 /dev/zero | tr '\0' '\252' >"$T_TMP/m2"
printf 'comma' >"$T_TMP/a,b"
MODS="$T_TMP/m1 a b,$T_TMP/m2"
MOD_LINES=("mb: 2 modules"
    "mb: mod 0: 12 bytes, string \"$T_TMP/m1 a b\", first bytes 68 65 6c 6c 6f 20 77 6f"
    "mb: mod 1: 5000 bytes, string \"$T_TMP/m2\", first bytes aa aa aa aa aa aa aa aa")
# memmap_pc for 64 MiB, as the kernels print it.
MMAP_LINES=("mb: mem_lower 639 KiB, mem_upper 64512 KiB"
    "mb: mmap 0x0000000000000000 +0x000000000009fc00 type 1"
    "mb: mmap 0x000000000009fc00 +0x0000000000000400 type 2"
    "mb: mmap 0x00000000000e0000 +0x0000000000020000 type 2"
    "mb: mmap 0x0000000000100000 +0x0000000003f00000 type 1"
    "mb: mmap 0x00000000fec00000 +0x0000000000001000 type 2"
    "mb: mmap 0x00000000fee00000 +0x0000000000001000 type 2")

# --- the kernels --------------------------------------------------------------

for k in "$MB32" "$AOUT"; do
    name="$(basename "$k"): boot information, modules, memory map, exit=5 -> status 11"
    if need "$name" "$k"; then
        run_vmm --kernel "$k" -m 64M --append "foo exit=5" --initrd "$MODS"
        expect "$name" 11 "mb32: hello, console port 0xe9" \
            "mb: magic ok, flags 0x24d" \
            "mb: cmdline \"$k foo exit=5\"" "mb: loader \"kvmstub\"" \
            "${MOD_LINES[@]}" "${MMAP_LINES[@]}" "mb32: done, exit 5"
    fi
done

name="mb32.elf without --append: the command line is QEMU's \"PATH \"; exit 0 -> status 1"
if need "$name" "$MB32"; then
    run_vmm --kernel "$MB32"
    expect "$name" 1 "mb: cmdline \"$MB32 \"" "mb: 0 modules" "mb32: done, exit 0"
fi

name="--initrd: \",,\" is a literal comma in a module's file name"
if need "$name" "$MB32"; then
    run_vmm --kernel "$MB32" --initrd "$T_TMP/a,,b x"
    expect "$name" 1 "mb: 1 modules" \
        "mb: mod 0: 5 bytes, string \"$T_TMP/a,b x\", first bytes 63 6f 6d 6d 61"
fi

name="mb64.elf (elf32-i386 from x86-64): long mode, boot information, #UD handled"
if need "$name" "$MB64"; then
    run_vmm --kernel "$MB64" -m 64M --append "exit=5" --initrd "$MODS"
    expect "$name" 11 "mb64: hello from long mode, console port 0xe9" \
        "mb: cmdline \"$MB64 exit=5\"" "${MOD_LINES[@]}" "${MMAP_LINES[@]}" \
        "idt: #UD handled" "mb64: done, exit 5"
fi

name="mb64.elf timer: PIT interrupts through the 8259 in long mode"
if need "$name" "$MB64"; then
    run_vmm --kernel "$MB64" --append "timer"
    expect "$name" 1 "idt: 3 timer interrupts (PIT IRQ0 via the 8259)" \
        "mb64: done, exit 0"
fi

name="-m 4G: modules load, the memory map has the RAM above 4 GiB"
if need "$name" "$MB32"; then
    run_vmm --kernel "$MB32" -m 4G --initrd "$MODS"
    expect "$name" 1 "${MOD_LINES[@]}" \
        "mb: mmap 0x0000000100000000 +0x0000000040000000 type 1"
fi

# --- loader errors: exit 2 and a message --------------------------------------

# bad NAME PATTERN ARGS...: the VMM exits 2, stderr matches PATTERN.
bad() {
    local name=$1 pat=$2
    shift 2
    if need "$name" "$MB32"; then
        run_vmm "$@"
        if [ "$RC" -eq 2 ] && grep -qF -- "$pat" "$T_TMP/err"; then
            t_pass "$name"
        else
            t_fail "$name" "want exit 2 and '$pat'; $(why)"
        fi
    fi
}

bad "error: an unconverted ELF64 kernel" "objcopy -O elf32-i386" \
    --kernel "$KD/mb64.elf64"
bad "error: a file without a Multiboot header" \
    "no Multiboot header in the first 8192 bytes" --kernel "$HELLO"
bad "error: a missing module" \
    "module '$T_TMP/nope' (--initrd): No such file or directory" \
    --kernel "$MB32" --initrd "$T_TMP/nope args"
head -c $((3 << 20)) /dev/zero >"$T_TMP/big"
bad "error: a module larger than RAM" "does not fit in RAM" \
    --kernel "$MB32" -m 2M --initrd "$T_TMP/big"
bad "error: a missing kernel" "No such file or directory" \
    --kernel "$T_TMP/nokernel"
bad "error: a directory as kernel" "Is a directory" --kernel "$T_TMP"
# The ELF headers and the Multiboot header (at 0x1000), not the code.
head -c $((0x1000 + 64)) "$MB32" >"$T_TMP/trunc.elf"
bad "error: a truncated ELF kernel" \
    "runs past the end of the file (0x1040 bytes; truncated?)" \
    --kernel "$T_TMP/trunc.elf"

# --- the same kernel under QEMU ---------------------------------------------

name="QEMU -kernel gives mb32.elf the same command line and modules"
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    t_skip "$name" "qemu-system-x86_64 not installed"
elif need "$name" "$MB32"; then
    run_vmm --kernel "$MB32" --append "foo exit=5" --initrd "$MODS"
    grep -E '^mb: (magic|cmdline|[0-9]+ modules|mod )|done' "$T_TMP/out" |
        sed 's/flags 0x[0-9a-f]*//' >"$T_TMP/ours"
    timeout "$TO" qemu-system-x86_64 -accel kvm -m 64 -display none \
        -nodefaults -no-reboot -kernel "$MB32" -append "foo exit=5" \
        -initrd "$MODS" -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -chardev "file,id=dc,path=$T_TMP/qemu.out" \
        -device isa-debugcon,iobase=0xe9,chardev=dc >/dev/null 2>"$T_TMP/qemu.err"
    QRC=$?
    grep -E '^mb: (magic|cmdline|[0-9]+ modules|mod )|done' "$T_TMP/qemu.out" 2>/dev/null |
        sed 's/flags 0x[0-9a-f]*//' >"$T_TMP/theirs"
    if [ "$QRC" -ne 11 ]; then
        t_skip "$name" "QEMU did not run the kernel here (exit $QRC: $(head -c 200 "$T_TMP/qemu.err" | tr '\n' '|'))"
    elif [ "$RC" -eq 11 ] && cmp -s "$T_TMP/ours" "$T_TMP/theirs" &&
        [ -s "$T_TMP/ours" ]; then
        t_pass "$name"
    else
        t_fail "$name" "differs: $(diff "$T_TMP/ours" "$T_TMP/theirs" | head -6 | tr '\n' '|')"
    fi
fi

t_done
