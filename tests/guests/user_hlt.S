/*
 * user_hlt: a hlt at CPL 3, which must raise #GP (Intel SDM vol. 2, HLT:
 * "#GP(0) if the current privilege level is not 0"). Enters long mode as
 * longmode.S does ("R P L\n"), with the pages user-accessible, loads a TSS
 * (RSP0 for the switch back to ring 0) and an IDT with #GP and #UD
 * handlers, and goes to ring 3 with iretq. There it executes hlt, then ud2.
 * The #GP handler prints "gp\n" and halts for good in ring 0; the #UD
 * handler prints "ud\n" (the hlt did not fault: wrong) and halts too.
 *
 * Gates and TSS: Intel SDM vol. 3, "64-Bit Mode IDT", "Task Management in
 * 64-bit Mode" and "64-Bit Mode Stack Frame" (the switch to RSP0).
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x300 user_hlt: hlt (CPL 3)
 *   0x301           ud2
 */
    .code16
    .text
    .globl _start
_start:
    .include "tests/guests/enter_long.inc"
    mov $idt_desc, %eax         /* absolute addresses through a register: */
    lidt (%rax)                 /* an ELF32 object has no 32S relocation */
    mov $0x30, %ax
    ltr %ax
    pushq $0x23                 /* SS: user data, RPL 3 */
    pushq $0x7000               /* RSP */
    pushq $0x2                  /* RFLAGS: IF=0, IOPL=0 */
    pushq $0x2b                 /* CS: user 64-bit code, RPL 3 */
    mov $user_hlt, %eax
    push %rax                   /* RIP */
    iretq

gp_handler:
    mov $'g', %al
    outb %al, $0xf1
    mov $'p', %al
    jmp report
ud_handler:
    mov $'u', %al
    outb %al, $0xf1
    mov $'d', %al
report:
    outb %al, $0xf1
    mov $'\n', %al
    outb %al, $0xf1
1:
    hlt
    jmp 1b

    .org 0x300
user_hlt:
    hlt                         /* CPL 3: #GP */
    ud2
    jmp user_hlt

    .p2align 3
gdt:
    .quad 0                         /* null */
    .quad 0x00cf9a000000ffff        /* 0x08: code, 32-bit, base 0, 4 GiB */
    .quad 0x00cf92000000ffff        /* 0x10: data, base 0, 4 GiB */
    .quad 0x00af9a000000ffff        /* 0x18: code, 64-bit, DPL 0 */
    .quad 0x00cff2000000ffff        /* 0x20: data, DPL 3 */
    .quad 0x00affa000000ffff        /* 0x28: code, 64-bit, DPL 3 */
    .word tss_end - tss - 1         /* 0x30: 64-bit TSS, limit 15..0 */
    .word tss                       /*       base 15..0 (image < 64 KiB) */
    .byte 0                         /*       base 23..16 */
    .byte 0x89                      /*       P=1, type 9: available TSS */
    .byte 0, 0                      /*       limit 19..16, base 31..24 */
    .long 0, 0                      /*       base 63..32, reserved */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .p2align 3
tss:
    .long 0
    .long 0x9000, 0                 /* RSP0 */
    .fill 0x68 - 12, 1, 0
tss_end:

    .p2align 3
idt:
    .fill 6 * 16, 1, 0              /* vectors 0..5: not present */
    .word ud_handler, 0x18, 0x8e00, 0   /* 6: #UD, interrupt gate, DPL 0 */
    .long 0, 0
    .fill 6 * 16, 1, 0              /* vectors 7..12 */
    .word gp_handler, 0x18, 0x8e00, 0   /* 13: #GP */
    .long 0, 0
idt_end:
idt_desc:                           /* 64-bit lidt reads a 64-bit base */
    .word idt_end - idt - 1
    .long idt, 0

    .p2align 12
pml4:
    .long pdpt + 0x7, 0             /* present, writable, user */
    .fill 511, 8, 0
pdpt:
    .long pd + 0x7, 0
    .fill 511, 8, 0
pd:
    .long 0x87, 0                   /* 2 MiB page at 0: P, RW, US, PS */
    .fill 511, 8, 0
