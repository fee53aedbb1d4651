/*
 * pc_exit: the debug console and isa-debug-exit. Prints "e9 ok\n" on port
 * 0xe9 if a read of 0xe9 gives 0xe9 (else "e9 bad\n"), then writes the
 * byte at exit_value (patched by the tests; 0x10 as built) to port 0xf4
 * with the access size in exit_size (1, 2 or 4), which ends the VMM with
 * status (value << 1) | 1. If the VMM goes on, prints "alive\n" and spins.
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    cld
    inb $0xe9, %al
    cmp $0xe9, %al
    jne bad
    mov $ok_msg, %si
    mov $ok_len, %cx
    jmp print
bad:
    mov $bad_msg, %si
    mov $bad_len, %cx
print:
    mov $0xe9, %dx
    rep outsb
    mov exit_value, %eax
    mov $0xf4, %dx
    cmpb $2, exit_size
    je 2f
    cmpb $4, exit_size
    je 4f
    outb %al, %dx
    jmp alive
2:  outw %ax, %dx
    jmp alive
4:  outl %eax, %dx
alive:
    mov $alive_msg, %si
    mov $alive_len, %cx
    mov $0xe9, %dx
    rep outsb
spin:
    jmp spin

ok_msg:
    .ascii "e9 ok\n"
    .set ok_len, . - ok_msg
bad_msg:
    .ascii "e9 bad\n"
    .set bad_len, . - bad_msg
alive_msg:
    .ascii "alive\n"
    .set alive_len, . - alive_msg
/* At fixed offsets so the tests can patch them: 0x100 and 0x104. */
    .org 0x100
exit_value:
    .long 0x10
exit_size:
    .byte 1
