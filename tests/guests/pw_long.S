/*
 * pw_long: page-protection watchpoints in 64-bit long mode (4-level
 * paging, identity map: linear = physical). After the mode switch, each
 * round increments the qword at 0x5000, reads it with a RIP-relative and
 * a base+index operand, writes its low byte to port 0xf1 and halts.
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x200 lm_loop: incq 0x5000        (absolute: read and write)
 *   0x208          mov data(%rip), %rax
 *   0x20f          mov (%rsi,%rcx,8), %rdx  (rsi 0x4ff8, rcx 1: 0x5000)
 *   0x213          movb %al, 0x5100    (the page, outside the qword)
 *   0x21a          out %al, $0xf1
 *   0x21c          hlt
 *   0x21d          jmp lm_loop
 */
    .code16
    .text
    .globl _start
_start:
    .include "tests/guests/enter_long.inc"
    mov $0x4ff8, %esi
    mov $1, %ecx
    jmp lm_loop

    .org 0x200
lm_loop:
    incq 0x5000
    mov data(%rip), %rax
    mov (%rsi,%rcx,8), %rdx
    movb %al, 0x5100
    out %al, $0xf1
    hlt
    jmp lm_loop

    .include "tests/guests/long_tables.inc"

    .org 0x5000
data:
    .quad 0
    .org 0x5108
