/*
 * boot_first: the bench's boot sector (row 9). Prints "A" through int 10h
 * teletype, then the same byte on port 0xe9 (for a VMM whose int 10h
 * output does not reach stdout, such as QEMU without a display), then
 * writes 0 to isa-debug-exit.
 */
    .code16
    .text
    .globl _start
_start:
    mov $0x0e41, %ax
    int $0x10
    mov $'A', %al
    out %al, $0xe9
    mov $0, %al
    out %al, $0xf4
1:  hlt
    jmp 1b
    .org 510
    .word 0xaa55
