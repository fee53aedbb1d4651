/*
 * boot_echo: a boot sector that echoes every key int 16h 00h returns:
 * the ASCII byte on port 0xe9, forever (the VMM ends it: Ctrl-A x on a
 * terminal, a signal otherwise). Prints "echo\n" first.
 */
    .code16
    .text
    .globl _start
_start:
    mov $'e', %al
    out %al, $0xe9
    mov $'c', %al
    out %al, $0xe9
    mov $'h', %al
    out %al, $0xe9
    mov $'o', %al
    out %al, $0xe9
    mov $'\n', %al
    out %al, $0xe9
1:  mov $0x00, %ah
    int $0x16
    out %al, $0xe9
    jmp 1b
    .org 510
    .word 0xaa55
