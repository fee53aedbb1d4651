/*
 * ud_pm: an invalid opcode in 32-bit protected mode WITH a handler, the
 * counterpart of triple.S (which has none and must crash). Prints "ud_pm\n"
 * on port 0xf1, enters protected mode with a flat GDT and an IDT whose
 * vector 6 (#UD) is a 32-bit interrupt gate, executes ud2. The handler
 * checks that the pushed EIP is the ud2's address (a fault, not a trap),
 * prints "ud handled\n" (or "ud bad eip\n") and halts for good. A VMM that
 * reports a crash here is wrong: the guest handles its own exception.
 *
 * Intel SDM vol. 3, 6.11 "IDT Descriptors" (interrupt gate: type 0xE,
 * P=1, DPL=0) and 6.12.1 (the return address pushed for a fault).
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
    lidt idt_desc           /* vectors 0..6; only 6 is present */
ud_at:
    ud2                     /* #UD -> ud_handler, EIP = ud_at pushed */
    mov $bad_msg, %esi      /* not reached */
    mov $bad_len, %ecx
    jmp print

ud_handler:
    cmpl $ud_at, (%esp)     /* the pushed EIP */
    jne bad_eip
    mov $ok_msg, %esi
    mov $ok_len, %ecx
    jmp print
bad_eip:
    mov $bad_msg, %esi
    mov $bad_len, %ecx
print:
    mov $0xf1, %dx
    rep outsb
halt:
    hlt
    jmp halt

    .p2align 3
gdt:
    .quad 0                         /* null */
    .quad 0x00cf9a000000ffff        /* 0x08: code, base 0, 4 GiB, 32-bit */
    .quad 0x00cf92000000ffff        /* 0x10: data, base 0, 4 GiB */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .p2align 3
idt:
    .fill 6, 8, 0                   /* vectors 0..5: not present */
    .word ud_handler                /* 6: offset 15..0 */
    .word 0x08                      /*    selector: the code segment */
    .word 0x8e00                    /*    P=1 DPL=0 32-bit interrupt gate */
    .word 0                         /*    offset 31..16 (image is < 64 KiB) */
idt_end:
idt_desc:
    .word idt_end - idt - 1
    .long idt

msg:
    .ascii "ud_pm\n"
    .set msg_len, . - msg
ok_msg:
    .ascii "ud handled\n"
    .set ok_len, . - ok_msg
bad_msg:
    .ascii "ud bad eip\n"
    .set bad_len, . - bad_msg
