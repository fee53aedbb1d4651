/*
 * rep_outsb: prints "rep outsb works\n" on port 0xf1 with a single
 * "rep outsb" (string port I/O: KVM reports one exit with count > 1, or
 * several exits, and the VMM must write every byte in order), then halts
 * for good.
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds            /* outsb reads DS:SI */
    cld                     /* SI goes up */
    mov $0xf1, %dx
    mov $msg, %si
    mov $msg_len, %cx
    rep outsb
halt:
    hlt
    jmp halt                /* --max-halts 1 ends the run here */

msg:
    .ascii "rep outsb works\n"
    .set msg_len, . - msg
