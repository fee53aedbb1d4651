/*
 * out_1m: writes exactly 1,000,000 '.' bytes to port 0xf1, one outb (one
 * exit) each, then halts for good. Measures exit cost and checks that no
 * byte is lost or doubled on the way to stdout.
 */
    .code16
    .text
    .globl _start
_start:
    mov $'.', %al
    movl $1000000, %ecx     /* 32-bit counter: 1e6 > 0xffff */
1:
    outb %al, $0xf1
    decl %ecx
    jnz 1b
halt:
    hlt
    jmp halt
