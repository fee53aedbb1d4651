/*
 * pc_reset: writes the byte at 0x100 to the port at 0x102 (both patched
 * by the tests), the way a guest asks for a reset (0xcf9 <- 0x06,
 * 0x92 <- 0x01, 0x64 <- 0xfe). A reset ends the VMM with status 0; if the
 * VMM goes on, prints "alive\n" on 0xe9 and writes 0x7f to isa-debug-exit
 * (status 255).
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    mov reset_port, %dx
    mov reset_value, %al
    out %al, %dx
    mov $0xe9, %dx
    mov $'a', %al
    out %al, %dx
    mov $'l', %al
    out %al, %dx
    mov $'i', %al
    out %al, %dx
    mov $'v', %al
    out %al, %dx
    mov $'e', %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    mov $0x7f, %al
    out %al, $0xf4
halt:
    jmp halt

    .org 0x100
reset_value:
    .byte 0x06
    .byte 0
reset_port:
    .word 0xcf9
