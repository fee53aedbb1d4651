/*
 * watch: a target for gdb watchpoint tests. Each round increments the byte
 * "counter" at the fixed address 0x200 (it starts at 0), writes its new
 * value as a raw byte to port 0xf1, and halts. So the run prints the bytes
 * 1, 2, 3, ... one per HLT, and --max-halts N ends it after N bytes.
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x00  loop: incb 0x200     (the write a watchpoint on 0x200 catches)
 *   0x200 counter
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    jmp loop

    .org 0x10
loop:
    incb counter            /* 0x10: the watched write */
    mov counter, %al        /* the watched read */
    outb %al, $0xf1
    hlt
    jmp loop

    .org 0x200
counter:
    .byte 0
