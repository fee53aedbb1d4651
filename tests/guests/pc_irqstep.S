/*
 * pc_irqstep: a guest that spins with IRQ0 firing often, for stepping
 * with and without KVM_GUESTDBG_BLOCKIRQ. Real mode on the pc machine:
 * IVT vector 8 -> tick, the master PIC with IRQ0 alone unmasked
 * (vectors 8-15), PIT channel 0 in mode 2 at count 1193 (about 1 kHz),
 * then `spin` loops with interrupts on until tick counted 200, prints
 * "irq ok\n" on port 0xe9 and writes 0x10 to isa-debug-exit (status 33).
 * While a debugger steps it, a tick is always pending.
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

    pit0_rate 1193

    sti
    .globl spin
spin:
    inc %bx
    cmpw $200, count
    jb spin
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

    .globl tick, tick_end
tick:
    push %ax
    incw %cs:count
    mov $0x20, %al     /* non-specific EOI */
    out %al, $0x20
    pop %ax
    iret
tick_end:

msg:
    .ascii "irq ok\n"
    .set msg_len, . - msg
count:
    .word 0
