/*
 * pc_cmos: the RTC at ports 0x70/0x71. Waits until register A's UIP is
 * clear, reads the BCD time and date (century byte 0x32 included) and
 * prints "YYYY-MM-DD HH:MM:SS\n" on port 0xe9. Then turns on the
 * periodic interrupt (register A rate 6: 1024 Hz; register B PIE), routes
 * IRQ 8 through the slave PIC to vector 0x70, and waits in `hlt`: each
 * interrupt reads register C (which lowers the line) and sends EOIs. After
 * 5 interrupts prints "rtc irq ok\n" and writes 0x10 to isa-debug-exit
 * (status 33). Nothing but the VMM's RTC timer can end those waits.
 */
    .code16
    .text
    .globl _start
_start:
    jmp start
    .org 0x40
start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    movw $rtc_irq, 0x1c0   /* IVT[0x70] */
    movw $0, 0x1c2
    movw $0, count

1:  mov $0x0a, %al
    out %al, $0x70
    in $0x71, %al
    test $0x80, %al        /* UIP: an update is coming */
    jnz 1b

    mov $0x32, %al
    call cmos_bcd
    mov $0x09, %al
    call cmos_bcd
    mov $'-', %al
    out %al, $0xe9
    mov $0x08, %al
    call cmos_bcd
    mov $'-', %al
    out %al, $0xe9
    mov $0x07, %al
    call cmos_bcd
    mov $' ', %al
    out %al, $0xe9
    mov $0x04, %al
    call cmos_bcd
    mov $':', %al
    out %al, $0xe9
    mov $0x02, %al
    call cmos_bcd
    mov $':', %al
    out %al, $0xe9
    mov $0x00, %al
    call cmos_bcd
    mov $'\n', %al
    out %al, $0xe9

    mov $0x11, %al         /* master: vectors 8-15, slave on IRQ 2 */
    out %al, $0x20
    mov $0x08, %al
    out %al, $0x21
    mov $0x04, %al
    out %al, $0x21
    mov $0x01, %al
    out %al, $0x21
    mov $0x11, %al         /* slave: vectors 0x70-0x77, cascade id 2 */
    out %al, $0xa0
    mov $0x70, %al
    out %al, $0xa1
    mov $0x02, %al
    out %al, $0xa1
    mov $0x01, %al
    out %al, $0xa1
    mov $0xfb, %al         /* master: only the cascade */
    out %al, $0x21
    mov $0xfe, %al         /* slave: only IRQ 8 */
    out %al, $0xa1

    mov $0x0a, %al         /* register A: divider 010, rate 6 (1024 Hz) */
    out %al, $0x70
    mov $0x26, %al
    out %al, $0x71
    mov $0x0b, %al         /* register B: PIE, 24 h, BCD */
    out %al, $0x70
    mov $0x42, %al
    out %al, $0x71
    mov $0x0c, %al         /* clear old flags */
    out %al, $0x70
    in $0x71, %al
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

rtc_irq:
    push %ax
    mov $0x0c, %al
    out %al, $0x70
    in $0x71, %al
    incw %cs:count
    mov $0x20, %al
    out %al, $0xa0
    out %al, $0x20
    pop %ax
    iret

/* cmos_bcd: print CMOS byte %al as two BCD digits */
cmos_bcd:
    out %al, $0x70
    in $0x71, %al
    mov %al, %ah
    shr $4, %al
    add $'0', %al
    out %al, $0xe9
    mov %ah, %al
    and $0x0f, %al
    add $'0', %al
    out %al, $0xe9
    ret

msg:
    .ascii "rtc irq ok\n"
    .set msg_len, . - msg
count:
    .word 0
