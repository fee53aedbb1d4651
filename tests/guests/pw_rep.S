/*
 * pw_rep: string instructions across page boundaries, for page-protection
 * watchpoints. Each round: rep stosb of 16 bytes of 0x55 at 0xff8 (pages
 * 0 and 1), rep movsb of 8 bytes from 0x1ffc (pages 1 and 2) to 0x3000,
 * the byte at 0x3005 to port 0xf1, hlt.
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x10 loop
 *   0x1a rep stosb
 *   0x25 rep movsb
 *   0x2c hlt
 *   0x2001 0x66 (the movsb copies it to 0x3005)
 *   0x2004 0x77 (next to the movsb source, never read)
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    cld
    jmp loop

    .org 0x10
loop:
    mov $0xff8, %di
    mov $0x10, %cx
    mov $0x55, %al
    mov $0, %ah
    rep stosb
    mov $0x1ffc, %si
    mov $0x3000, %di
    mov $8, %cx
    rep movsb
    mov 0x3005, %al
    outb %al, $0xf1
    hlt
    jmp loop

    .org 0x2000
    .byte 0x11, 0x66, 0x22, 0x33, 0x77
    .org 0x3010
