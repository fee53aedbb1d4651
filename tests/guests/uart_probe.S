/*
 * uart_probe: COM1 (0x3f8) register by register, polled, the way the
 * Linux 8250 driver's autoconfig() and a BIOS look at it: scratch,
 * divisor latch, IER bits, LSR, IIR with and without FIFOs, the THRE
 * interrupt identification and its clearing by an IIR read, loopback
 * (modem lines and data), the 16-byte receive FIFO with overrun, and the
 * modem status delta bits.
 * Interrupts stay off (cli, MCR.OUT2 clear during the checks).
 *
 * Output: "thr\n" through THR first (polling LSR.THRE), then on port
 * 0xf1 "PASS\n", or "FAIL x\n" with x the letter of the failed check.
 * Then port 0xf4 (isa-debug-exit) gets 0x10 on pass (status 33) or 0x01
 * on failure (status 3), and the guest halts for good.
 */
    .code16
    .text
    .globl _start

    .set COM1, 0x3f8

.macro OUTR off, val
    mov $(COM1 + \off), %dx
    mov $\val, %al
    out %al, %dx
.endm

.macro INR off
    mov $(COM1 + \off), %dx
    in %dx, %al
.endm

/* %al must equal val, else check id fails */
.macro EXPECT id, val
    mov $\id, %bl
    cmp $\val, %al
    jne fail
.endm

_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    cld

    /* a: scratch register */
    OUTR 7, 0xa5
    INR 7
    EXPECT 'a', 0xa5
    OUTR 7, 0x5a
    INR 7
    EXPECT 'a', 0x5a

    /* b: divisor latch behind DLAB, and IER apart from DLM */
    OUTR 1, 0x00
    OUTR 3, 0x83
    OUTR 0, 0x01
    OUTR 1, 0x5a
    INR 0
    EXPECT 'b', 0x01
    INR 1
    EXPECT 'b', 0x5a
    OUTR 3, 0x03
    INR 3
    EXPECT 'b', 0x03
    INR 1
    EXPECT 'b', 0x00
    OUTR 1, 0x00          /* DLM back to 0: 115200 baud */
    OUTR 3, 0x83
    OUTR 1, 0x00
    OUTR 3, 0x03

    /* the transmitter works: "thr\n" through THR */
    mov $thr_msg, %si
    mov $thr_len, %cx
1:  INR 5
    test $0x20, %al
    jz 1b
    lodsb
    mov $COM1, %dx
    out %al, %dx
    loop 1b

    /* c: IER keeps bits 0-3 only */
    OUTR 4, 0x00          /* OUT2 off: nothing reaches the PIC */
    OUTR 1, 0x0f
    INR 1
    EXPECT 'c', 0x0f
    OUTR 1, 0xff
    INR 1
    EXPECT 'c', 0x0f
    OUTR 1, 0x00
    INR 1
    EXPECT 'c', 0x00

    /* d: LSR idle: THRE and TEMT, no errors (DR may be stdin's) */
    INR 5
    and $0xfe, %al
    EXPECT 'd', 0x60

    /* e: IIR: nothing pending; FIFO bits follow FCR bit 0 */
    OUTR 2, 0x00
    INR 2
    EXPECT 'e', 0x01
    OUTR 2, 0x07
    INR 2
    EXPECT 'e', 0xc1
    OUTR 2, 0x21          /* no 64-byte FIFO: IIR bit 5 stays 0 */
    INR 2
    EXPECT 'e', 0xc1

    /* f: THRE interrupt: identified, then cleared by reading IIR */
    OUTR 1, 0x02
    INR 2
    EXPECT 'f', 0xc2
    INR 2
    EXPECT 'f', 0xc1
    OUTR 1, 0x00
    OUTR 1, 0x02          /* enabling again re-asserts it */
    INR 2
    EXPECT 'f', 0xc2
    OUTR 1, 0x00

    /* g: loopback modem lines: CTS=RTS DSR=DTR RI=OUT1 DCD=OUT2 */
    OUTR 4, 0x1a
    INR 6
    and $0xf0, %al
    EXPECT 'g', 0x90
    OUTR 4, 0x1f
    INR 6
    and $0xf0, %al
    EXPECT 'g', 0xf0
    OUTR 4, 0x10
    INR 6
    and $0xf0, %al
    EXPECT 'g', 0x00

    /* h: loopback data goes to the receiver, not out */
    OUTR 2, 0x07
    OUTR 0, 'o'
    OUTR 0, 'k'
    INR 5
    EXPECT 'h', 0x61
    INR 0
    EXPECT 'h', 'o'
    INR 0
    EXPECT 'h', 'k'
    INR 5
    EXPECT 'h', 0x60

    /* i: 20 bytes into the 16-byte FIFO: overrun, 16 kept in order */
    xor %cx, %cx
1:  mov %cl, %al
    mov $COM1, %dx
    out %al, %dx
    inc %cx
    cmp $20, %cx
    jne 1b
    INR 5
    EXPECT 'i', 0x63      /* DR | OE | THRE | TEMT */
    INR 5
    EXPECT 'i', 0x61      /* OE cleared by the read */
    xor %cx, %cx
2:  INR 5
    test $1, %al
    jz 3f
    INR 0
    mov $'i', %bl
    cmp %cl, %al
    jne fail
    inc %cx
    cmp $32, %cx
    jne 2b
3:  mov $'i', %bl
    cmp $16, %cx
    jne fail

    /* j: out of loopback, the modem is ready again */
    OUTR 2, 0x00
    OUTR 4, 0x0b
    INR 6
    and $0xf0, %al
    EXPECT 'j', 0xb0

    /*
     * k: the delta bits, which loopback drives from MCR as the real chip
     * does (QEMU's 16550A has none there: it fails this one only)
     */
    OUTR 4, 0x1f          /* loop, all high: RI rose, no TERI */
    INR 6
    OUTR 4, 0x10          /* all fall: every delta, TERI too */
    INR 6
    EXPECT 'k', 0x0f
    INR 6
    EXPECT 'k', 0x00      /* cleared by the read */
    OUTR 4, 0x0b          /* out of loop: DCD DSR CTS rise */
    INR 6
    EXPECT 'k', 0xbb

    mov $pass_msg, %si
    mov $pass_len, %cx
    mov $0xf1, %dx
    rep outsb
    mov $0x10, %al
    out %al, $0xf4
    jmp halt

fail:
    mov $fail_msg, %si
    mov $fail_len, %cx
    mov $0xf1, %dx
    rep outsb
    mov %bl, %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    mov $0x01, %al
    out %al, $0xf4
halt:
    hlt
    jmp halt

thr_msg:
    .ascii "thr\n"
    .set thr_len, . - thr_msg
pass_msg:
    .ascii "PASS\n"
    .set pass_len, . - pass_msg
fail_msg:
    .ascii "FAIL "
    .set fail_len, . - fail_msg
