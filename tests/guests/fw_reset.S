/*
 * fw_reset: a 64 KiB firmware image for --bios. The CPU starts at its
 * last 16 bytes, F000:FFF0 with CS base FFFF0000 (Intel SDM vol. 3,
 * "First Instruction Executed"). It checks that the ROM at 4 GiB - 64 KiB
 * reads back as this image and ignores writes (a read-only memslot),
 * then jumps far to F000 (base F0000) and checks that the copy below
 * 1 MiB is the same image. Prints "fw ok" or "fw FAIL n" on port 0xe9
 * and writes 1 to isa-debug-exit (exit status 3).
 */
    .code16
    .text
    .globl _start
_start:
high:
    mov $'1', %bl
    cmpl $0x4b4d5653, %cs:marker    /* "SVMK" through base FFFF0000 */
    jne fail
    mov $'2', %bl
    movl $0, %cs:marker             /* ROM: the write goes nowhere */
    cmpl $0x4b4d5653, %cs:marker
    jne fail
    ljmp $0xf000, $low
low:
    mov $'3', %bl
    mov %cs, %ax
    cmp $0xf000, %ax
    jne fail
    mov $0xf000, %ax
    mov %ax, %ds
    cmpl $0x4b4d5653, marker        /* the alias at 0xF0000 */
    jne fail
    mov $msg_ok, %si
    jmp out
fail:
    mov $msg_fail, %si
out:
1:  mov %cs:(%si), %al
    inc %si
    test %al, %al
    jz 2f
    out %al, $0xe9
    jmp 1b
2:  cmp $msg_ok, %si
    jbe 4f
    cmp $msg_fail, %si
    jbe 4f
    mov %bl, %al                    /* which check failed */
    out %al, $0xe9
    mov $'\n', %al
    out %al, $0xe9
4:  mov $1, %al
    out %al, $0xf4
3:  hlt
    jmp 3b

marker:
    .ascii "SVMK"
msg_ok:
    .asciz "fw ok\n"
msg_fail:
    .asciz "fw FAIL "

    .org 0xfff0
reset:
    jmp high                        /* near: CS base stays FFFF0000 */
    .org 0x10000
