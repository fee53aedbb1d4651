/*
 * in_port: reads unused ports with inb, inw and inl (immediate port 0x80
 * and DX port 0x1234) and prints "in ok\n" on port 0xf1 if every read gave
 * all ones, as an open ISA bus does, else "in bad\n". Then halts for good.
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    cld

    xor %eax, %eax
    inb $0x80, %al
    cmp $0xff, %al
    jne bad

    xor %eax, %eax
    inw $0x80, %ax
    cmp $0xffff, %ax
    jne bad

    xor %eax, %eax
    inl $0x80, %eax
    cmp $0xffffffff, %eax
    jne bad

    mov $0x1234, %dx
    xor %eax, %eax
    inb %dx, %al
    cmp $0xff, %al
    jne bad

    xor %eax, %eax
    inw %dx, %ax
    cmp $0xffff, %ax
    jne bad

    xor %eax, %eax
    inl %dx, %eax
    cmp $0xffffffff, %eax
    jne bad

    mov $ok_msg, %si
    mov $ok_len, %cx
    jmp print
bad:
    mov $bad_msg, %si
    mov $bad_len, %cx
print:
    mov $0xf1, %dx
    rep outsb
halt:
    hlt
    jmp halt

ok_msg:
    .ascii "in ok\n"
    .set ok_len, . - ok_msg
bad_msg:
    .ascii "in bad\n"
    .set bad_len, . - bad_msg
