/*
 * pc_smp: the bootstrap processor starts the others, as PC firmware does
 * (Intel SDM vol. 3, "MP Initialization Protocol Algorithm"; MP spec 1.4
 * appendix B.4): it reads the CPU count from fw_cfg (key 0x05), goes to
 * 32-bit protected mode to reach its local APIC at 0xfee00000, and sends
 * INIT then two STARTUP IPIs with vector 1 to all but itself through the
 * ICR (0xfee00300). Each AP starts in real mode at 0x1000 (the vector's
 * page), takes a ticket from `counter` with lock xadd and halts; the one
 * with ticket 0 spins in ap_loop (0x300) instead. When counter reaches
 * the CPU count - 1 the BSP prints "smp N\n" (N = counter) on port 0xf1
 * and writes 0x10 to isa-debug-exit (status 33), unless `stay` (0x200) is
 * set: then it spins in bsp_loop (0x400). Fixed addresses, for the tests.
 */
    .code16
    .text
    .globl _start
_start:
    .include "tests/guests/smp_bsp.inc"

/* Real-mode AP code, entered from the trampoline with CS = 0. */
ap_main:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $1, %ax
    lock xadd %ax, counter
    test %ax, %ax
    jnz ap_halt
    jmp ap_loop
ap_halt:
    hlt
    jmp ap_halt

    .code32
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7000, %esp
    mov $0xfee00300, %edi
    movl $0x000c4500, (%edi) /* INIT, level assert, all excluding self */
    movl $0x000c4601, (%edi) /* STARTUP, vector 1: start at 0x1000 */
    movl $0x000c4601, (%edi) /* and again, as the MP spec says */
    movzwl ncpus, %ecx
    dec %ecx
1:  pause
    movzwl counter, %eax
    cmp %ecx, %eax
    jb 1b
    mov $'s', %al
    out %al, $0xf1
    mov $'m', %al
    out %al, $0xf1
    mov $'p', %al
    out %al, $0xf1
    mov $' ', %al
    out %al, $0xf1
    movzwl counter, %eax
    add $'0', %al
    out %al, $0xf1
    mov $'\n', %al
    out %al, $0xf1
    cmpb $0, stay
    jne bsp_loop
    mov $0x10, %al
    out %al, $0xf4
    jmp bsp_loop

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff /* 0x10: flat 32-bit data */
gdtr:
    .word 23
    .long gdt

    .org 0x200
    .globl stay
stay:
    .byte 0
    .org 0x202
counter:
    .word 0
    .org 0x204
ncpus:
    .word 0
    .org 0x208
ap_spins:
    .long 0
    .org 0x20c
bsp_spins:
    .long 0

    .code16
    .org 0x300
    .globl ap_loop
ap_loop:
    incl ap_spins
    jmp ap_loop

    .code32
    .org 0x400
    .globl bsp_loop
bsp_loop:
    incl bsp_spins
    jmp bsp_loop

    .code16
    .org 0x1000
ap_tramp:
    ljmp $0, $ap_main
