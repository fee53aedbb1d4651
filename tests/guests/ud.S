/*
 * ud: shows that a real-mode exception goes through the guest's own IVT
 * and never reaches the VMM. Prints "ud\n" on port 0xf1, points IVT entry 6
 * (#UD) at a handler, executes ud2; the handler prints "ud handled\n" and
 * halts for good. A VMM that reports a crash instead is wrong.
 *
 * The IVT is the first 1 KiB of memory, where this image is loaded, so the
 * code starts with a jump over it (Intel SDM vol. 3, 20.1.4 "Interrupt and
 * Exception Handling" in real-address mode).
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
    mov $0x8000, %sp        /* the #UD pushes FLAGS, CS and IP here */
    cld
    mov $0xf1, %dx
    mov $ud_msg, %si
    mov $ud_len, %cx
    rep outsb

    movw $ud_handler, 6 * 4       /* IVT[6].offset */
    movw $0, 6 * 4 + 2            /* IVT[6].segment */
    ud2
    jmp bad                 /* not reached: IP of ud2 is pushed, not this */

ud_handler:
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

ud_msg:
    .ascii "ud\n"
    .set ud_len, . - ud_msg
ok_msg:
    .ascii "ud handled\n"
    .set ok_len, . - ok_msg
bad_msg:
    .ascii "ud not handled\n"
    .set bad_len, . - bad_msg
