/*
 * hello: the default guest. Prints "Hello\n" on port 0xf1 one byte at a
 * time, halts, and starts over when the VMM resumes it after the HLT.
 *
 * Layout is fixed (tests and gdb scripts rely on the offsets):
 *   0x00..0x17  six pairs of "mov $byte,%al" (b0 xx) + "outb %al,$0xf1"
 *               (e6 f1), so an instruction starts at every even offset
 *   0x18        hlt
 *   0x19        jmp 0 (short jmp, eb xx)
 *
 * Starts in real mode at CS:IP 0000:0000 (Intel SDM vol. 3, 9.1.4 "First
 * Instruction Executed" describes the reset vector; the VMM uses 0 instead).
 */
    .code16
    .text
    .globl _start
_start:
    mov $'H', %al
    outb %al, $0xf1
    mov $'e', %al
    outb %al, $0xf1
    mov $'l', %al
    outb %al, $0xf1
    mov $'l', %al
    outb %al, $0xf1
    mov $'o', %al
    outb %al, $0xf1
    mov $'\n', %al
    outb %al, $0xf1
    hlt                     /* 0x18: the VMM sleeps --hlt-sleep ms, resumes */
    jmp _start              /* 0x19: print again */
