/*
 * load_7c00: a flat image that must run at linear 0x7C00 (--load 0x7c00,
 * any --entry that reaches it). Prints on port 0xf1 "L" if the code runs
 * at 0x7C00 (CS * 16 + IP of a label), "X" if not, then "0" if CS is 0
 * or "7" if CS is 07C0h, and a newline; then halts.
 */
    .code16
    .text
    .globl _start
_start:
    call 1f
1:  pop %bx                 /* IP of 1 */
    mov %cs, %ax
    movzwl %ax, %eax
    shl $4, %eax
    movzwl %bx, %ebx
    add %ebx, %eax
    cmp $0x7c00 + (1b - _start), %eax
    mov $'L', %al
    je 2f
    mov $'X', %al
2:  out %al, $0xf1
    mov %cs, %bx
    mov $'0', %al
    test %bx, %bx
    jz 3f
    mov $'7', %al
    cmp $0x07c0, %bx
    je 3f
    mov $'?', %al
3:  out %al, $0xf1
    mov $'\n', %al
    out %al, $0xf1
4:  hlt
    jmp 4b
