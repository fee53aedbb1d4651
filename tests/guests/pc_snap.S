/*
 * pc_snap: device state for snapshots on the pc machine. Each round reads
 * the UART's scratch register (0x3ff) and CMOS byte 0x40, adds one to
 * each and writes them back, stirs them into DX and prints the scratch
 * value's letter, 'a' + (scratch & 15), on the debug console (0xe9).
 * Interrupts stay off (IF 0, PICs untouched): the guest's path depends on
 * nothing but its own state and the devices'.
 *
 * Fixed layout: 0x00 set up, 0x20 the loop.
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    xor %dx, %dx
    mov $0x40, %al
    out %al, $0x70
    xor %al, %al
    out %al, $0x71
    jmp loop

    .org 0x20
loop:
    mov $0x3ff, %bx
    xchg %bx, %dx
    in %dx, %al
    inc %al
    out %al, %dx
    xchg %bx, %dx
    mov %al, %cl
    mov $0x40, %al
    out %al, $0x70
    in $0x71, %al
    add $3, %al
    out %al, $0x71
    mov %al, %ch
    add %cx, %dx
    rol $1, %dx
    mov %cl, %al
    and $15, %al
    add $'a', %al
    out %al, $0xe9
    jmp loop
