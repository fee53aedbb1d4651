/*
 * bootsect: what many boot sectors do first, a far jump that makes CS
 * non-zero: ljmp $0x07c0, $0x0005 (linear 0x7c05, Intel SDM vol. 3, 20.1.1:
 * linear = selector * 16 + offset). Then, with DS = CS, a loop: print 'B'
 * on port 0xf1, increment the byte at DS:0x300 (linear 0x7f00), halt.
 * gdb's $pc, `break *0x7c05`, hardware breakpoints and watchpoints must
 * all name the same linear bytes.
 *
 * Fixed linear addresses (gdb scripts rely on them):
 *   0x7c05 = 07C0:0005  entry: mov $'B', %al
 *   0x7c07 = 07C0:0007  outb %al, $0xf1
 *   0x7c0d = 07C0:000D  incb 0x300 (the watched write, 4 bytes)
 *   0x7c11 = 07C0:0011  hlt
 *   0x7c12 = 07C0:0012  jmp entry
 *   0x7f00 = 07C0:0300  the counter
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    ljmp $0x07c0, $0x0005

    .org 0x7c05
entry:
    mov $'B', %al
    outb %al, $0xf1
    mov %cs, %ax
    mov %ax, %ds
    incb 0x300
    hlt
    jmp entry

    .org 0x7f00
counter:
    .byte 0
