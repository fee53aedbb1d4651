/*
 * touch64: touches 64 MiB of RAM, for the snapshot bench. Enters 32-bit
 * protected mode with flat segments (no interrupts are taken, so no IDT),
 * writes one byte in every 4 KiB page of [1 MiB, 65 MiB), prints 'T' on
 * port 0xf1 and halts at the label done (offset 0x80), in a loop. Run
 * it with --mem 80M or more.
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    lgdtl gdt_desc
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $pm

    .code32
pm:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x100000, %edi
    mov $16384, %ecx
1:  movb $1, (%edi)
    add $4096, %edi
    loop 1b
    mov $'T', %al
    outb %al, $0xf1
    jmp done

    .org 0x80
done:
    hlt
    jmp done

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* 0x08: code, base 0, 4 GiB, 32-bit */
    .quad 0x00cf92000000ffff /* 0x10: data, base 0, 4 GiB */
gdt_desc:
    .word gdt_desc - gdt - 1
    .long gdt
