/*
 * cs100: real-mode code with CS != 0, as a boot sector at 07C0:0000 has.
 * It far-jumps to 0100:0000 (linear 0x1000), then loops printing 'A' on
 * port 0xf1 and halting. gdb's $pc is IP (0x5 at the OUT) while
 * breakpoints take linear addresses (0x1005): the two must not be mixed
 * up (Intel SDM vol. 3, 20.1.1: linear = selector * 16 + offset).
 *
 * Fixed offsets (gdb scripts rely on them):
 *   linear 0x1005 = 0100:0005  loop: outb %al, $0xf1
 *   linear 0x1007 = 0100:0007  hlt
 *   linear 0x1008 = 0100:0008  jmp loop
 *   linear 0x0005 lies inside the far jump, never an instruction start
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax            /* 0x0 */
    mov %ax, %ds            /* 0x2 */
    ljmp $0x100, $(seg - 0x1000)    /* 0x4: 5 bytes */

    .org 0x1000
seg:
    mov $'A', %al           /* 0100:0000 */
    nop                     /* 0100:0002 */
    nop
    nop
loop:
    outb %al, $0xf1         /* 0100:0005 */
    hlt                     /* 0100:0007 */
    jmp loop                /* 0100:0008 */
