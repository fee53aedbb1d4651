/*
 * pw_real: a real-mode target for page-protection watchpoints. Each round
 * does the accesses below, writes the counter to port 0xf1 and halts.
 * The data sits in another page than the code (0x1000-0x2001), across a
 * page boundary (0x1fff) and in the code's own page (0x300).
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x10 loop: incb 0x1000         read and write of the counter
 *   0x14       mov 0x1000, %al     a read of the counter
 *   0x17       movb %al, 0x1100    a write to the counter's page, elsewhere
 *   0x1a       movw %ax, 0x1fff    a write across 0x1fff/0x2000
 *   0x1d       incb 0x300          read and write in the code's page
 *   0x21       mov 0x300, %bl      a read in the code's page
 *   0x25       outb %al, $0xf1
 *   0x27       hlt
 *   0x28       jmp loop
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x8000, %sp
    jmp loop

    .org 0x10
loop:
    incb 0x1000
    mov 0x1000, %al
    movb %al, 0x1100
    movw %ax, 0x1fff
    incb 0x300
    mov 0x300, %bl
    outb %al, $0xf1
    hlt
    jmp loop

    .org 0x300
    .byte 0
    .org 0x2002
