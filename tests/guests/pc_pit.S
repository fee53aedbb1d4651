/*
 * pc_pit: IRQ0 from the in-kernel PIT through the in-kernel PIC, in real
 * mode. Points IVT vector 8 at a handler, programs the master PIC (ICW1-4:
 * vectors 8-15, IRQ0 alone unmasked) and PIT channel 0 (mode 2, count
 * 11932: about 100 Hz), then waits in `hlt` with interrupts on. After 5
 * ticks prints "pit ok\n" on port 0xe9 and writes 0x10 to isa-debug-exit
 * (status 33). `hlt` here only returns because an interrupt came.
 */
    .include "tests/guests/pic_pit.inc"
    .code16
    .text
    .globl _start
_start:
    jmp start
    .org 0x40 /* keep clear of IVT vector 8 at 0x20 */
start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    movw $tick, 0x20   /* IVT[8] offset */
    movw $0, 0x22      /* IVT[8] segment */
    movw $0, count

    pic_irq0_only

    pit0_rate 11932

    sti
wait:
    hlt
    cmpw $5, count
    jb wait
    cli
    mov $msg, %si
    mov $msg_len, %cx
    mov $0xe9, %dx
    cld
    rep outsb
    mov $0x10, %al
    out %al, $0xf4
halt:
    jmp halt

tick:
    push %ax
    incw %cs:count
    mov $0x20, %al     /* non-specific EOI */
    out %al, $0x20
    pop %ax
    iret

msg:
    .ascii "pit ok\n"
    .set msg_len, . - msg
count:
    .word 0
