/*
 * rec: a deterministic loop for snapshots and record mode. Each round
 * counts BX up, stores it at 0x600 (a watch target), stirs CX and DX
 * from it and prints one letter, 'a' + (BX & 7), on port 0xf1; after
 * 2000 rounds it halts and starts over.
 *
 * Fixed layout (the tests rely on it):
 *   0x00  set up: DS 0, BX CX DX 0
 *   0x20  loop: the round's first instruction (inc %bx)
 *   0x600 (data) the round counter, 16 bits
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    xor %bx, %bx
    xor %cx, %cx
    xor %dx, %dx
    jmp loop

    .org 0x20
loop:
    inc %bx
    mov %bx, 0x600
    add %bx, %cx
    rol $3, %cx
    xor %cx, %dx
    mov %bx, %ax
    and $7, %al
    add $'a', %al
    outb %al, $0xf1
    cmp $2000, %bx
    jne loop
    hlt
    jmp _start
