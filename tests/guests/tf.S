/*
 * tf: a guest that single-steps itself. IVT entry 1 (#DB) points at a
 * handler printing 'D', entry 3 (#BP) at one printing 'B'. It sets
 * RFLAGS.TF with popf, runs a few instructions, clears TF, executes int3,
 * prints "done" and halts for good. Alone, it prints "DDDDDDDDBdone": a
 * trap after each of the 8 instructions that start with TF set (the one
 * after the setting popf through the clearing popf; Intel SDM vol. 3,
 * 17.3.1.4 "Single-Step Exception Condition"). A debugger must not change
 * that: the guest's own #DB and #BP are the guest's.
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x410 popf that sets TF (IP after it: 0x411)
 *   0x411 first traced instruction
 *   0x300 counter byte the traced code increments (a watchpoint target)
 */
    .code16
    .text
    .globl _start
_start:
    jmp main                /* 3 bytes: IVT[0], unused */

    .org 0x4
    .word db_handler, 0     /* IVT[1] #DB */
    .word 0, 0
    .word bp_handler, 0     /* IVT[3] #BP */

    .org 0x300
counter:
    .byte 0

    .org 0x400
main:
    cli
    xor %ax, %ax            /* 0x401 */
    mov %ax, %ds            /* 0x403 */
    mov %ax, %ss            /* 0x405 */
    mov $0x8000, %sp        /* 0x407 */
    pushf                   /* 0x40a */
    pop %ax                 /* 0x40b */
    or $0x100, %ax          /* 0x40c: TF */
    push %ax                /* 0x40f */
    popf                    /* 0x410: TF on after this one */
    nop                     /* 0x411: trap 1 */
    incb counter            /* 0x412: trap 2 */
    nop                     /* 0x416: trap 3 */
    pushf                   /* 0x417: trap 4 */
    pop %ax                 /* trap 5 */
    and $0xfeff, %ax        /* trap 6 */
    push %ax                /* trap 7 */
    popf                    /* trap 8: TF was on when it started */
    int3
    mov $done_msg, %si
    mov $done_len, %cx
    mov $0xf1, %dx
    cld
    rep outsb
halt:
    hlt
    jmp halt

db_handler:
    push %ax
    mov $'D', %al
    outb %al, $0xf1
    pop %ax
    iret

bp_handler:
    push %ax
    mov $'B', %al
    outb %al, $0xf1
    pop %ax
    iret

done_msg:
    .ascii "done"
    .set done_len, . - done_msg
