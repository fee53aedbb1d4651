/*
 * pc_uart: COM1 (0x3f8) as a guest driver sees it. Checks the scratch
 * register, the divisor latch, LSR after reset (THRE and TEMT)
 * and IIR (no interrupt pending), printing "uart ok\n" (or "uart bad N\n"
 * naming the failed check) through THR. Then enables the receive
 * interrupt (IER bit 0, MCR.OUT2), unmasks IRQ 4 (vector 12) at the PIC
 * and waits in `hlt`; the handler echoes every received byte through THR
 * and on a newline writes 0x10 to isa-debug-exit (status 33).
 */
    .code16
    .text
    .globl _start
_start:
    jmp start
    .org 0x40 /* keep clear of IVT vector 12 at 0x30 */
start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    movw $rx_irq, 0x30
    movw $0, 0x32

    mov $'1', %bl
    mov $0x3ff, %dx    /* SCR */
    mov $0x5a, %al
    out %al, %dx
    in %dx, %al
    cmp $0x5a, %al
    jne bad

    mov $'2', %bl
    mov $0x3fb, %dx    /* LCR: DLAB */
    mov $0x83, %al
    out %al, %dx
    mov $0x3f8, %dx    /* DLL = 1 (115200 baud) */
    mov $1, %al
    out %al, %dx
    mov $0x3f9, %dx    /* DLM = 0 */
    xor %al, %al
    out %al, %dx
    mov $0x3f8, %dx
    in %dx, %al
    cmp $1, %al
    jne bad
    mov $0x3fb, %dx    /* LCR: 8N1, DLAB off */
    mov $0x03, %al
    out %al, %dx
    in %dx, %al
    cmp $0x03, %al
    jne bad

    mov $'3', %bl
    mov $0x3fd, %dx    /* LSR: THRE | TEMT (DR: stdin may be there) */
    in %dx, %al
    and $0x60, %al
    cmp $0x60, %al
    jne bad

    mov $'4', %bl
    mov $0x3f9, %dx    /* IER = 0 */
    xor %al, %al
    out %al, %dx
    mov $0x3fa, %dx    /* IIR: bit 0 set = nothing pending */
    in %dx, %al
    test $1, %al
    jz bad

    mov $ok_msg, %si
    mov $ok_len, %cx
    call puts

    mov $0x11, %al     /* PIC: vectors 8-15, only IRQ 4 */
    out %al, $0x20
    mov $0x08, %al
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    mov $0xef, %al
    out %al, $0x21

    mov $0x3fc, %dx    /* MCR: DTR, RTS, OUT2 (the IRQ gate) */
    mov $0x0b, %al
    out %al, %dx
    mov $0x3f9, %dx    /* IER: received data available */
    mov $0x01, %al
    out %al, %dx
    sti
wait:
    hlt
    jmp wait

rx_irq:
    push %ax
    push %dx
1:  mov $0x3fd, %dx
    in %dx, %al
    test $1, %al       /* LSR.DR */
    jz 2f
    mov $0x3f8, %dx
    in %dx, %al
    call putc
    cmp $'\n', %al
    jne 1b
    mov $0x10, %al
    out %al, $0xf4
2:  mov $0x20, %al
    out %al, $0x20
    pop %dx
    pop %ax
    iret

/* putc: %al through THR once LSR.THRE says there is room */
putc:
    push %dx
    push %ax
    mov $0x3fd, %dx
1:  in %dx, %al
    test $0x20, %al
    jz 1b
    pop %ax
    mov $0x3f8, %dx
    out %al, %dx
    pop %dx
    ret

/* puts: %cx bytes at %si */
puts:
    cld
1:  lodsb
    call putc
    loop 1b
    ret

bad:
    mov $bad_msg, %si
    mov $bad_len, %cx
    call puts
    mov %bl, %al
    call putc
    mov $'\n', %al
    call putc
    mov $0x01, %al
    out %al, $0xf4
halt:
    hlt
    jmp halt

ok_msg:
    .ascii "uart ok\n"
    .set ok_len, . - ok_msg
bad_msg:
    .ascii "uart bad "
    .set bad_len, . - bad_msg
