/*
 * qemu_boot: a boot sector for the QEMU-spelling tests (-hda, -fda,
 * -drive). The BIOS loads it at 0:7C00; it uses no absolute address.
 * Prints "boot\n" on port 0xe9 (the pc machine's debug console), then
 * "com1\n" to COM1 if its line status register reads as a UART's (not
 * all-ones), else "nocom1\n" on 0xe9; then writes 0x21 to isa-debug-exit:
 * the VMM ends with status 67.
 */
    .code16
    .text
    .globl _start
_start:
    mov $0xe9, %dx
    mov $'b', %al
    outb %al, %dx
    mov $'o', %al
    outb %al, %dx
    outb %al, %dx
    mov $'t', %al
    outb %al, %dx
    mov $'\n', %al
    outb %al, %dx
    mov $0x3fd, %dx         /* LSR */
    inb %dx, %al
    cmp $0xff, %al
    je nocom1
    mov $0x3f8, %dx         /* THR */
    jmp say
nocom1:
    mov $0xe9, %dx
    mov $'n', %al
    outb %al, %dx
    mov $'o', %al
    outb %al, %dx
say:
    mov $'c', %al
    outb %al, %dx
    mov $'o', %al
    outb %al, %dx
    mov $'m', %al
    outb %al, %dx
    mov $'1', %al
    outb %al, %dx
    mov $'\n', %al
    outb %al, %dx
    mov $0x21, %al
    outb %al, $0xf4
1:  hlt
    jmp 1b
    . = _start + 510
    .byte 0x55, 0xaa
