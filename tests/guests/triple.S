/*
 * triple: prints "triple\n" on port 0xf1, then triple-faults, which the
 * VMM must report as a guest crash (KVM_EXIT_SHUTDOWN) and exit 1.
 *
 * It enters 32-bit protected mode with a minimal flat GDT, loads an IDT
 * with limit 0 and executes ud2. The #UD (vector 6) is outside the IDT
 * limit, so delivery raises #GP; #GP is outside too, which makes a #DF;
 * #DF is also outside the limit, which is a triple fault and a shutdown
 * (Intel SDM vol. 3, 6.15 "Interrupt 8 - Double Fault Exception (#DF)").
 *
 * Not used: the same trick in real mode (the emulating KVM backend we test
 * on ignores the real-mode IDTR limit and goes through the IVT anyway) and
 * int3 instead of ud2 (that backend fails to emulate a software interrupt
 * through a bad IDT and returns KVM_EXIT_INTERNAL_ERROR, not a shutdown).
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    cld
    mov $0xf1, %dx
    mov $msg, %si
    mov $msg_len, %cx
    rep outsb

    lgdtl gdt_desc
    mov %cr0, %eax
    or $1, %eax             /* CR0.PE */
    mov %eax, %cr0
    ljmpl $0x08, $pm32      /* reload CS from the GDT */

    .code32
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x8000, %esp
    lidt idt_desc           /* limit 0: no vector is deliverable */
    ud2                     /* #UD -> #GP -> #DF -> triple fault */
1:
    hlt                     /* not reached */
    jmp 1b

    .p2align 3
gdt:
    .quad 0                         /* null */
    .quad 0x00cf9a000000ffff        /* 0x08: code, base 0, 4 GiB, 32-bit */
    .quad 0x00cf92000000ffff        /* 0x10: data, base 0, 4 GiB */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
idt_desc:
    .word 0
    .long 0

msg:
    .ascii "triple\n"
    .set msg_len, . - msg
