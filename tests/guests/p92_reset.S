/*
 * p92_reset: System Control Port A (0x92): the fast reset bit reads 0 and
 * the A20 bit reads back as written; then bit 0 set requests a reset. Prints "PASS\n" on port 0xf1 before the reset; a guest still
 * running after it prints "no reset\n", a failed check "FAIL x\n", and
 * both exit through isa-debug-exit with 0x01 (status 3).
 */
    .code16
    .text
    .globl _start

.macro EXPECT id, val
    mov $\id, %bl
    cmp $\val, %al
    jne fail
.endm

_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    cld

    /* a: fast reset bit clear (A20 is whatever firmware left) */
    in $0x92, %al
    and $0x01, %al
    EXPECT 'a', 0x00

    /* b: A20 off and on again, read back */
    in $0x92, %al
    and $0xfc, %al
    mov %al, %ah
    out %al, $0x92
    in $0x92, %al
    and $0x03, %al
    EXPECT 'b', 0x00
    mov %ah, %al
    or $0x02, %al
    out %al, $0x92
    in $0x92, %al
    and $0x03, %al
    EXPECT 'b', 0x02

    mov $pass_msg, %si
    mov $pass_len, %cx
    mov $0xf1, %dx
    rep outsb

    mov %ah, %al
    or $0x03, %al      /* A20 on, fast reset */
    out %al, $0x92
    mov $nores_msg, %si
    mov $nores_len, %cx
    mov $0xf1, %dx
    rep outsb
    jmp die

fail:
    mov $fail_msg, %si
    mov $fail_len, %cx
    mov $0xf1, %dx
    rep outsb
    mov %bl, %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
die:
    mov $0x01, %al
    out %al, $0xf4
halt:
    hlt
    jmp halt

pass_msg:
    .ascii "PASS\n"
    .set pass_len, . - pass_msg
nores_msg:
    .ascii "no reset\n"
    .set nores_len, . - nores_msg
fail_msg:
    .ascii "FAIL "
    .set fail_len, . - fail_msg
