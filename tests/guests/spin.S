/*
 * spin: prints "spin\n" on port 0xf1, then loops forever without a single
 * exit to the VMM. Tests that SIGINT/SIGTERM still end the VMM (which is
 * inside KVM_RUN) promptly.
 */
    .code16
    .text
    .globl _start
_start:
    mov $'s', %al
    outb %al, $0xf1
    mov $'p', %al
    outb %al, $0xf1
    mov $'i', %al
    outb %al, $0xf1
    mov $'n', %al
    outb %al, $0xf1
    mov $'\n', %al
    outb %al, $0xf1
spin:
    jmp spin
