/*
 * backreal: real -> 32-bit protected -> 16-bit protected -> real mode,
 * printing "R P R\n" (one letter in real mode, one in 32-bit code, one
 * after coming back), then a loop in real mode: hlt, jmp. The way back
 * follows Intel SDM vol. 3, "Switching Back to Real-Address Mode": a far
 * jump to a 16-bit code segment (limit 64 KiB), 16-bit data segments in
 * every data register, CR0.PE cleared, a far jump to real-mode code.
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x40  pm32: mov $0x10,%ax          (32-bit code)
 *   0x80  pm16: mov $0x20,%ax          (16-bit protected mode)
 *   0xc0  rm:   xor %ax,%ax            (real mode again)
 *   0xd0  rm_loop: hlt, then jmp rm_loop
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x8000, %sp
    mov $'R', %al
    outb %al, $0xf1
    mov $' ', %al
    outb %al, $0xf1
    lgdtl gdt_desc
    mov %cr0, %eax
    or $1, %eax
    mov %eax, %cr0
    ljmpl $0x08, $pm32

    .code32
    .org 0x40
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $'P', %al
    outb %al, $0xf1
    mov $' ', %al
    outb %al, $0xf1
    ljmp $0x18, $pm16

    .code16
    .org 0x80
pm16:
    mov $0x20, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov %cr0, %eax
    and $0xfffffffe, %eax
    mov %eax, %cr0
    ljmp $0x0, $rm

    .org 0xc0
rm:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $'R', %al
    outb %al, $0xf1
    mov $'\n', %al
    outb %al, $0xf1
    .org 0xd0
rm_loop:
    hlt
    jmp rm_loop

    .p2align 3
gdt:
    .quad 0                         /* null */
    .quad 0x00cf9a000000ffff        /* 0x08: code, 32-bit, base 0, 4 GiB */
    .quad 0x00cf92000000ffff        /* 0x10: data, 32-bit, base 0, 4 GiB */
    .quad 0x00009a000000ffff        /* 0x18: code, 16-bit, base 0, 64 KiB */
    .quad 0x000092000000ffff        /* 0x20: data, 16-bit, base 0, 64 KiB */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
