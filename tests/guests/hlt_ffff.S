/*
 * hlt_ffff: a hlt at the last byte of a 16-bit code segment, CS:FFFF. The
 * instruction after it is at CS:0000: in 16-bit code the IP wraps at 64 KiB
 * (Intel SDM vol. 1, "Operand-Size and Address-Size Attributes").
 * An IP of 0x10000 instead is past the CS limit and the next fetch faults
 * (#GP, vector 13), which this guest's handler reports as "gp\n".
 *
 * Run: prints "ffff\n", jumps to the hlt at 0xffff; after it, IP 0 jumps to
 * main again, which now prints "wrap ok\n" and halts for good.
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x0000  jmp main
 *   0x0400  main
 *   0xffff  hlt
 */
    .code16
    .text
    .globl _start
_start:
    jmp main

    .org 0x400              /* bytes 2..0x3ff: the (zeroed) IVT */
main:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x8000, %sp
    cld
    movw $gp_handler, 13 * 4        /* IVT[13].offset */
    movw $0, 13 * 4 + 2             /* IVT[13].segment */
    incb rounds
    cmpb $1, rounds
    jne second
    mov $ffff_msg, %si
    mov $ffff_len, %cx
    mov $0xf1, %dx
    rep outsb
    jmp hlt_at
second:
    mov $ok_msg, %si
    mov $ok_len, %cx
    jmp print
gp_handler:
    mov $gp_msg, %si
    mov $gp_len, %cx
print:
    mov $0xf1, %dx
    rep outsb
halt:
    hlt
    jmp halt

rounds:
    .byte 0
ffff_msg:
    .ascii "ffff\n"
    .set ffff_len, . - ffff_msg
ok_msg:
    .ascii "wrap ok\n"
    .set ok_len, . - ok_msg
gp_msg:
    .ascii "gp\n"
    .set gp_len, . - gp_msg

    .org 0xffff
hlt_at:
    hlt                     /* the next instruction is at 0:0000 */
