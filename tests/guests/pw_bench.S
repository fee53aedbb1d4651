/*
 * pw_bench: guest speed with a write watchpoint set. A loop of 20000
 * rounds writes a byte elsewhere in RAM (0x3000, another page), then the
 * watched byte at 0x2000 is written once, then hlt.
 *
 * Fixed offsets (the bench relies on them):
 *   0x2000 the watched byte
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    mov $20000, %cx
1:
    movb %cl, 0x3000
    dec %cx
    jnz 1b
    movb $1, 0x2000
    hlt
    jmp _start

    .org 0x2000
    .byte 0
    .org 0x3001
