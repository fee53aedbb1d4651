/*
 * kvmstub's BIOS: 64 KiB of 16-bit code for segment F000 (0xF0000-0xFFFFF).
 * Small and boring by design: POST fills the interrupt vector table,
 * programs the PICs and the PIT as a PC/AT BIOS leaves them and boots
 * through int 19h; the timer tick, int 11h, 12h and 1Ah are here; every
 * other service is a stub that hands a register frame to the VMM through
 * the BIOS port (see BIOS_PORT below and the VMM's bios.h).
 *
 * Call frame (lowest address first, at SS:SP when the OUT happens):
 *   +0  service (the vector; the VMM writes 0 when done, leaves it to ask
 *       "wait for an interrupt and call again")
 *   +2  EDI ESI EBP ESP EBX EDX ECX EAX (PUSHAD order, 4 bytes each)
 *   +34 ES  +36 DS  +38 IP  +40 CS  +42 FLAGS (the interrupt frame)
 * The VMM reads and rewrites the frame in guest memory; the stub pops it.
 */
    .code16
    .text

#define BIOS_PORT   0x500
#define SVC_POST    0x100       /* fill the BIOS data area */
#define BDA_EQUIP   0x410
#define BDA_MEMSIZE 0x413
#define BDA_TICKS   0x46c
#define BDA_MIDNIGHT 0x470
#define TICKS_PER_DAY 0x1800b0  /* 1573040: 24 h at 1193182 / 65536 Hz */
#define CMOS_INDEX  0x70
#define CMOS_DATA   0x71

    .globl _start
_start:

/* Every vector starts here: a bare iret. */
default_iret:
    iret

/* IRQ 1-7 (vectors 09h-0Fh) with no handler: end of interrupt. */
irq_master:
    push %ax
    mov $0x20, %al
    out %al, $0x20
    pop %ax
    iret

/* IRQ 8-15 (vectors 70h-77h): end of interrupt at both PICs. */
irq_slave:
    push %ax
    mov $0x20, %al
    out %al, $0xa0
    out %al, $0x20
    pop %ax
    iret

/*
 * int 08h, IRQ0 from PIT channel 0 at 18.2 Hz: count ticks since
 * midnight in the BDA (wrapping at 24 h and setting the midnight flag),
 * chain to the user hook int 1Ch, end the interrupt.
 */
int08:
    push %ds
    push %eax
    xor %ax, %ax
    mov %ax, %ds
    incl BDA_TICKS
    cmpl $TICKS_PER_DAY, BDA_TICKS
    jb 1f
    movl $0, BDA_TICKS
    movb $1, BDA_MIDNIGHT
1:  int $0x1c
    mov $0x20, %al
    out %al, $0x20
    pop %eax
    pop %ds
    iret

/* int 11h: AX = the equipment word. */
int11:
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    mov BDA_EQUIP, %ax
    pop %ds
    iret

/* int 12h: AX = KiB of conventional memory. */
int12:
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    mov BDA_MEMSIZE, %ax
    pop %ds
    iret

/* Return from an asm handler with CF clear / set in the caller's FLAGS. */
iret_cf0:
    push %bp
    mov %sp, %bp
    andw $0xfffe, 6(%bp)
    pop %bp
    iret
iret_cf1:
    push %bp
    mov %sp, %bp
    orw $1, 6(%bp)
    pop %bp
    iret

/* AL = CMOS register AL (NMI stays enabled: bit 7 clear). */
cmos_read:
    out %al, $CMOS_INDEX
    in $CMOS_DATA, %al
    ret

/* CMOS register AL = AH. */
cmos_write:
    out %al, $CMOS_INDEX
    mov %ah, %al
    out %al, $CMOS_DATA
    ret

/* Wait until no RTC update is in progress (register A bit 7); CF on
 * timeout, as RBIL says for "clock not running". */
rtc_wait:
    push %cx
    mov $0xffff, %cx
1:  mov $0x0a, %al
    call cmos_read
    test $0x80, %al
    jz 2f
    loop 1b
    pop %cx
    stc
    ret
2:  pop %cx
    clc
    ret

/*
 * int 1Ah: time of day.
 *   00h  CX:DX = ticks since midnight, AL = midnight flag (then cleared)
 *   01h  ticks = CX:DX
 *   02h  CH:CL:DH = hours:minutes:seconds (BCD), DL = DST flag; CF if
 *        the clock is not running
 *   03h  set that time          04h  CH:CL = century:year, DH:DL =
 *   05h  set that date               month:day (BCD)
 * The RTC is read through the CMOS ports, BCD mode as POST leaves it.
 */
int1a:
    cmp $0x00, %ah
    je 1f
    cmp $0x01, %ah
    je 2f
    cmp $0x02, %ah
    je 3f
    cmp $0x03, %ah
    je 4f
    cmp $0x04, %ah
    je 5f
    cmp $0x05, %ah
    je 6f
    jmp iret_cf1
1:  push %ds
    xor %ax, %ax
    mov %ax, %ds
    mov BDA_TICKS, %dx
    mov BDA_TICKS + 2, %cx
    mov BDA_MIDNIGHT, %al
    movb $0, BDA_MIDNIGHT
    pop %ds
    jmp iret_cf0
2:  push %ds
    push %ax
    xor %ax, %ax
    mov %ax, %ds
    mov %dx, BDA_TICKS
    mov %cx, BDA_TICKS + 2
    movb $0, BDA_MIDNIGHT
    pop %ax
    pop %ds
    jmp iret_cf0
3:  call rtc_wait
    jc iret_cf1
    mov $0x00, %al
    call cmos_read
    mov %al, %dh
    mov $0x02, %al
    call cmos_read
    mov %al, %cl
    mov $0x04, %al
    call cmos_read
    mov %al, %ch
    mov $0x0b, %al
    call cmos_read
    and $0x01, %al   /* register B bit 0: daylight saving enabled */
    mov %al, %dl
    jmp iret_cf0
4:  push %ax
    call rtc_wait
    mov %dh, %ah
    mov $0x00, %al
    call cmos_write
    mov %cl, %ah
    mov $0x02, %al
    call cmos_write
    mov %ch, %ah
    mov $0x04, %al
    call cmos_write
    pop %ax
    jmp iret_cf0
5:  call rtc_wait
    jc iret_cf1
    mov $0x32, %al
    call cmos_read
    mov %al, %ch
    mov $0x09, %al
    call cmos_read
    mov %al, %cl
    mov $0x08, %al
    call cmos_read
    mov %al, %dh
    mov $0x07, %al
    call cmos_read
    mov %al, %dl
    jmp iret_cf0
6:  push %ax
    call rtc_wait
    mov %ch, %ah
    mov $0x32, %al
    call cmos_write
    mov %cl, %ah
    mov $0x09, %al
    call cmos_write
    mov %dh, %ah
    mov $0x08, %al
    call cmos_write
    mov %dl, %ah
    mov $0x07, %al
    call cmos_write
    pop %ax
    jmp iret_cf0

/*
 * The VMM's services. Each stub saves the caller's registers as the call
 * frame and goes to svc_common, which tells the VMM where the frame is
 * (its linear address, a 32-bit OUT) and pops the rewritten frame. A
 * service that must wait (a key) leaves the service word set: the stub
 * then waits for an interrupt with interrupts on and asks again.
 */
.macro SVC name, vec
\name:
    push %ds
    push %es
    pushal
    pushw $\vec
    jmp svc_common
.endm

    SVC int10, 0x10
    SVC int13, 0x13
    SVC int15, 0x15
    SVC int16, 0x16
    SVC svc_18, 0x18
    SVC svc_boot, 0x19
    SVC svc_post, SVC_POST

svc_common:
    mov %sp, %bp
    mov (%bp), %si          /* the service, kept for a retry */
1:  xor %eax, %eax
    mov %ss, %ax
    shl $4, %eax
    movzwl %bp, %edx
    add %edx, %eax
    mov $BIOS_PORT, %dx
    outl %eax, %dx
    cmpw $0, (%bp)
    je 2f
    sti
    hlt
    cli
    mov %si, (%bp)
    jmp 1b
2:  add $2, %sp
    popal
    pop %es
    pop %ds
    iret

/*
 * int 19h: load the boot sector (the VMM reads sector 0 of the boot
 * drive to 0000:7C00 and sets DL) and jump to it with DL = the drive, as
 * PC BIOSes do; no bootable drive: int 18h.
 */
int19:
    cli
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7c00, %sp
    mov %ax, %ds
    mov %ax, %es
    sti
    pushf
    lcall $0xf000, $svc_boot
    jc 1f
    xor %ax, %ax
    xor %bx, %bx
    xor %cx, %cx
    xor %si, %si
    xor %di, %di
    xor %bp, %bp
    and $0x00ff, %dx
    ljmp $0, $0x7c00
1:  int $0x18

/* int 18h: no bootable device. The VMM prints the message and ends. */
int18:
    pushf
    lcall $0xf000, $svc_18
1:  cli
    hlt
    jmp 1b

/* (vector, handler) pairs POST installs over the default iret. */
vectors:
    .word 0x08, int08
    .word 0x10, int10
    .word 0x11, int11
    .word 0x12, int12
    .word 0x13, int13
    .word 0x15, int15
    .word 0x16, int16
    .word 0x18, int18
    .word 0x19, int19
    .word 0x1a, int1a
vectors_end:

/*
 * Power-on self test, entered from the reset vector with interrupts off.
 */
post:
    cli
    cld
    xor %ax, %ax
    mov %ax, %ss
    mov $0x7c00, %sp
    mov %ax, %ds
    mov %ax, %es

    /* IVT: every vector an iret, hardware IRQs an end of interrupt. */
    xor %di, %di
    mov $256, %cx
1:  movw $default_iret, (%di)
    movw $0xf000, 2(%di)
    add $4, %di
    loop 1b
    mov $0x08 * 4, %di
    mov $8, %cx
2:  movw $irq_master, (%di)
    add $4, %di
    loop 2b
    mov $0x70 * 4, %di
    mov $8, %cx
3:  movw $irq_slave, (%di)
    add $4, %di
    loop 3b
    mov $vectors, %si
4:  cmp $vectors_end, %si
    jae 5f
    mov %cs:(%si), %di
    shl $2, %di
    mov %cs:2(%si), %ax
    mov %ax, (%di)
    add $4, %si
    jmp 4b
5:  movw $diskette_params, 0x1e * 4    /* int 1Eh: a data pointer */

    /* BIOS data area and the rest of 0x400-0x4ff: zero, then the VMM. */
    mov $0x400, %di
    mov $128, %cx
    xor %ax, %ax
    rep stosw

    /* 8259A PICs as a PC/AT BIOS leaves them: IRQ0-7 at vectors 08h-0Fh,
     * IRQ8-15 at 70h-77h; timer, keyboard and cascade unmasked. */
    mov $0x11, %al          /* ICW1: edge, cascade, ICW4 follows */
    out %al, $0x20
    out %al, $0xa0
    mov $0x08, %al          /* ICW2 */
    out %al, $0x21
    mov $0x70, %al
    out %al, $0xa1
    mov $0x04, %al          /* ICW3: slave on IR2 */
    out %al, $0x21
    mov $0x02, %al
    out %al, $0xa1
    mov $0x01, %al          /* ICW4: 8086 mode */
    out %al, $0x21
    out %al, $0xa1
    mov $0xf8, %al          /* OCW1 masks */
    out %al, $0x21
    mov $0xff, %al
    out %al, $0xa1

    /* 8254 PIT channel 0: mode 2, count 65536: 18.2 Hz on IRQ0. */
    mov $0x34, %al
    out %al, $0x43
    xor %al, %al
    out %al, $0x40
    out %al, $0x40

    /* RTC in BCD, 24-hour mode, no interrupts (register B). */
    mov $0x0b, %al
    mov $0x02, %ah
    call cmos_write

    /* The VMM fills the BDA (equipment, memory, COM1, ticks, video,
     * keyboard buffer) and clears the screen. */
    pushf
    lcall $0xf000, $svc_post
    sti
    int $0x19
6:  hlt
    jmp 6b

/* int 15h C0h: the system configuration table, where PC BIOSes keep it. */
    .org 0xe6f5
config_table:
    .word 8                 /* bytes that follow */
    .byte 0xfc              /* model: AT */
    .byte 0x00              /* submodel */
    .byte 0x00              /* BIOS revision */
    .byte 0x60              /* feature 1: second 8259, RTC */
    .byte 0x00, 0x00, 0x00, 0x00

/* int 1Eh: the diskette parameter table for 1.44 MB, at its usual place. */
    .org 0xefc7
diskette_params:
    .byte 0xaf, 0x02, 0x25, 0x02, 0x12, 0x1b, 0xff, 0x6c, 0xf6, 0x0f, 0x08

/* The reset vector: F000:FFF0 (Intel SDM, "First Instruction Executed"). */
    .org 0xfff0
reset:
    ljmp $0xf000, $post
    .ascii "12/02/26"       /* BIOS date, F000:FFF5 */
    .byte 0
    .byte 0xfc              /* model byte, F000:FFFE: AT */
    .byte 0
