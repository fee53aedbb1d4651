/*
 * boot_gdb: a boot sector for gdb tests (tests/gdb/bios.sh). Runs at
 * 0000:7C00 (CS 0): prints "A" and "B" through int 10h teletype, then
 * writes 2 to isa-debug-exit (exit status 5). Offsets from 0x7C00:
 *   0 mov, 3 int 10h, 5 mov, 8 int 10h, 0Ah mov, 0Ch out.
 */
    .code16
    .text
    .globl _start
_start:
    mov $0x0e41, %ax
    int $0x10
    mov $0x0e42, %ax
    int $0x10
    mov $2, %al
    out %al, $0xf4
1:  hlt
    jmp 1b
    .org 510
    .word 0xaa55
