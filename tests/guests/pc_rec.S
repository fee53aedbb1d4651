/*
 * pc_rec: the pc machine's timer running under record mode. Points IVT
 * vector 8 at a handler that counts ticks, programs the master PIC
 * (vectors 8-15, IRQ0 alone unmasked) and PIT channel 0 (mode 2, count
 * 120: an interrupt every 100.6 us, about every 100 instructions at
 * record mode's 1000 ns per instruction), then loops with interrupts on.
 * Each round reads PIT counter 0 (latched) and the ACPI PM timer, so
 * the registers depend on the exact virtual time, and every 16th round
 * waits in `hlt` for the next tick. After 4096 rounds it writes 0x10 to
 * isa-debug-exit (status 33).
 *
 * Fixed layout (tests/gdb/reverse_pc.sh relies on it):
 *   0x40   loop: the round's first instruction (inc %bx)
 *   0x5f   the HLT; 0x60 the instruction after it
 *   0x70   done: the exit after 4096 rounds
 *   0x100  tick: the IRQ0 handler; 0x101 incw ticks, 0x105 the EOI
 *   0x500  (data) ticks, 16 bits
 *   0x600  (data) the round counter, 16 bits
 */
    .include "tests/guests/pic_pit.inc"
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    movw $tick, 0x20   /* IVT[8] offset */
    movw $0, 0x22      /* IVT[8] segment */
    movw $0, 0x500
    jmp init

    .org 0x40
loop:
    inc %bx
    mov %bx, 0x600
    mov $0x00, %al     /* latch counter 0 */
    out %al, $0x43
    in $0x40, %al
    mov %al, %ah
    in $0x40, %al
    add %ax, %cx
    mov $0xb008, %dx   /* ACPI PM timer */
    inl %dx, %eax
    xor %eax, %esi
    test $15, %bx
    jnz loop
    hlt                /* until the next tick */
    cmp $4096, %bx
    jne loop
    jmp done

    .org 0x70
done:                  /* after 4096 rounds: isa-debug-exit, status 33 */
    mov $0x10, %al
    out %al, $0xf4
    jmp done

init:
    pic_irq0_only
    mov $0x34, %al     /* PIT: channel 0, lobyte/hibyte, mode 2 */
    out %al, $0x43
    mov $120, %al
    out %al, $0x40
    xor %al, %al
    out %al, $0x40
    xor %bx, %bx
    xor %cx, %cx
    xor %esi, %esi
    sti
    jmp loop

    .org 0x100
tick:
    push %ax
    incw 0x500
    mov $0x20, %al     /* non-specific EOI */
    out %al, $0x20
    pop %ax
    iret
