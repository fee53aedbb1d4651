#!/usr/bin/env bash
# shellcheck disable=SC2059,SC2086 # printf formats build \x escapes; set -- splits
# Writes the Multiboot fuzz seed corpus (tests/fuzz/corpus_multiboot/): a
# few tiny kernels, valid and not, built byte by byte so each file says
# what it tests. Run from the repository root; the output is committed.
set -eu
out=tests/fuzz/corpus_multiboot
mkdir -p "$out"

# le32 V: V as 4 little-endian bytes; le16 V: 2 bytes.
le32() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"; }
le16() { printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))"; }
zeros() { head -c "$1" /dev/zero; }
# mbhdr FLAGS [SUM-ADJUST]: magic, flags, checksum.
mbhdr() {
    le32 0x1BADB002
    le32 "$1"
    le32 $(((-(0x1BADB002 + $1) + ${2:-0}) & 0xffffffff))
}
# 32-bit code: mov $0x2a,%al; out %al,$0xf1; hlt; jmp .-1 (8 bytes)
code() { printf '\xb0\x2a\xe6\xf1\xf4\xeb\xfd\x90'; }

# a.out kludge, header at 0 loaded at 1 MiB, to the end of the file, bss.
{ mbhdr 0x10003; le32 0x100000; le32 0x100000; le32 0; le32 0x102000
  le32 0x100020; code; } >"$out/aout-min"
# The same with a wrong checksum.
{ mbhdr 0x10003 1; le32 0x100000; le32 0x100000; le32 0; le32 0x102000
  le32 0x100020; code; } >"$out/aout-bad-checksum"
# a.out kludge whose load_end_addr runs past the end of the file.
{ mbhdr 0x10000; le32 0x100000; le32 0x100000; le32 0x109000; le32 0
  le32 0x100020; code; } >"$out/aout-truncated"
# a.out kludge over QEMU's info page at 0x9000: the info must move.
{ mbhdr 0x10000; le32 0x9000; le32 0x9000; le32 0; le32 0xa000
  le32 0x9020; code; } >"$out/aout-low"

# elf32 EPHNUM SEGMENTS...: an ELF32 i386 executable with its program
# headers at 52; each segment "TYPE OFF VADDR PADDR FILESZ MEMSZ"; the
# Multiboot header (flags 0) and code at file offset 0x100; 0x200 bytes.
elf32() {
    local class=$1 entry=$2
    shift 2
    printf '\x7fELF'; printf "\\x$(printf %02x "$class")"; printf '\x01\x01'
    zeros 9
    le16 2; le16 3; le32 1; le32 "$entry"; le32 52; le32 0; le32 0
    le16 52; le16 32; le16 $#; le16 40; le16 0; le16 0
    local s
    for s in "$@"; do
        set -- $s
        le32 "$1"; le32 "$2"; le32 "$3"; le32 "$4"; le32 "$5"; le32 "$6"
        le32 7; le32 0x1000
    done
}
pad_to() { local n; n=$(wc -c <"$2"); zeros $(($1 - n)) >>"$2"; }
mk_elf() {
    local f=$1
    shift
    elf32 "$@" >"$f"
    pad_to 256 "$f"
    { mbhdr 0; code; } >>"$f"
    pad_to 512 "$f"
}
mk_elf "$out/elf32-min" 1 0x100100 "1 0 0x100000 0x100000 0x200 0x200"
mk_elf "$out/elf32-bss-2seg" 1 0x100100 \
    "1 0 0x100000 0x100000 0x180 0x180" "1 0x180 0x101000 0x101000 0x80 0x3000"
mk_elf "$out/elf32-vaddr" 1 0xc0100100 "1 0 0xc0100000 0x100000 0x200 0x200"
mk_elf "$out/elf32-truncated" 1 0x100100 "1 0 0x100000 0x100000 0x2000 0x2000"
mk_elf "$out/elf32-overlap" 1 0x100100 \
    "1 0 0x100000 0x100000 0x200 0x200" "1 0 0x100100 0x100100 0x200 0x200"
mk_elf "$out/elf64-unconverted" 2 0x100100 "1 0 0x100000 0x100000 0x200 0x200"
zeros 64 >"$out/no-header"
