/*
 * boot_bios: a boot sector (then 16 more sectors it loads itself with
 * int 13h) that calls every BIOS service kvmstub's BIOS offers and
 * reports on port 0xe9, one line per check: "ok NAME" or "FAIL NAME",
 * plus value lines the test compares ("e820 ...", "geom ...", "w43 AH").
 * Boots from a hard disk (DL 80h) or a floppy (DL 00h) alike; the test
 * script (tests/integration/bios.sh) builds both images, with the text
 * "kvmstub sector 100" at LBA 100. stdin must give "ab\n".
 * It ends by booting itself again through int 19h (a word at 0000:0600
 * tells the second boot) and then calls int 18h: "No bootable device."
 * and exit status 1.
 */
    .code16
    .text
    .globl _start
_start:
    ljmp $0x07c0, $boot
boot:
    cli
    mov %cs, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %sp, %sp
    sti
    cld
    mov %dl, drive
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    cmpw $0x1919, 0x600     /* the second boot, through int 19h */
    pop %ds
    je second_boot
    call puts
    .asciz "boot\n"
    mov $0x0200, %bx        /* the rest: CHS 0/0/2.., 16 sectors */
    mov $0x0210, %ax
    mov $0x0002, %cx
    xor %dh, %dh
    mov drive, %dl
    int $0x13
    jc 1f
    jmp main
1:  call puts
    .asciz "FAIL load\n"
    mov $0xff, %al
    out %al, $0xf4

second_boot:
    call puts
    .asciz "ok int19 reboot\n"
    call puts
    .asciz "no bootable device next\n"
    int $0x18
    call puts
    .asciz "FAIL int18 returned\n"
    mov $0xff, %al
    out %al, $0xf4

/* Print the NUL-terminated string that follows the call. */
puts:
    pop %si
1:  lodsb
    test %al, %al
    jz 2f
    out %al, $0xe9
    jmp 1b
2:  push %si
    ret

drive:  .byte 0
    .org 510
    .word 0xaa55

/* EXPECT jcc, name: "ok name" if the condition holds, else "FAIL name". */
.macro EXPECT jcc, name
    \jcc 91f
    call fail
    .asciz "\name"
    jmp 92f
91: call pass
    .asciz "\name"
92:
.endm

pass:
    push %ax
    mov $'o', %al
    out %al, $0xe9
    mov $'k', %al
    out %al, $0xe9
    jmp 1f
fail:
    push %ax
    incb failures
    call puts
    .asciz "FAIL"
1:  mov $' ', %al
    out %al, $0xe9
    pop %ax
    pop %si
2:  push %ax
    lodsb
    test %al, %al
    jz 3f
    out %al, $0xe9
    pop %ax
    jmp 2b
3:  mov $'\n', %al
    out %al, $0xe9
    pop %ax
    push %si
    ret

/* Print AX as four hex digits / AL as two. */
hex16:
    push %ax
    mov %ah, %al
    call hex8
    pop %ax
hex8:
    push %ax
    shr $4, %al
    call hex4
    pop %ax
    push %ax
    call hex4
    pop %ax
    ret
hex4:
    and $0x0f, %al
    add $'0', %al
    cmp $'9', %al
    jbe 1f
    add $'a' - '0' - 10, %al
1:  out %al, $0xe9
    ret
space:
    push %ax
    mov $' ', %al
    out %al, $0xe9
    pop %ax
    ret
newline:
    push %ax
    mov $'\n', %al
    out %al, $0xe9
    pop %ax
    ret

/* CX, DH = CHS of LBA AX on the drive (geometry from int 13h 08h). */
chs_of:
    push %ax
    push %bx
    xor %dx, %dx
    movzbw spt, %bx
    div %bx                 /* AX = track, DX = sector - 1 */
    inc %dx
    mov %dx, %cx            /* CL = sector */
    xor %dx, %dx
    movzbw heads, %bx
    div %bx                 /* AX = cylinder, DX = head */
    mov %dl, %dh
    mov %al, %ch
    shl $6, %ah
    or %ah, %cl
    pop %bx
    pop %ax
    ret

/* ZF set if the 18 bytes at ES:BX are "kvmstub sector 100". */
check_pattern:
    push %si
    push %di
    push %cx
    mov $pattern, %si
    mov %bx, %di
    mov $18, %cx
    repe cmpsb
    pop %cx
    pop %di
    pop %si
    ret
pattern:
    .ascii "kvmstub sector 100"

main:
    EXPECT jmp, "boot sector loaded the rest"
    cmpb $0x80, drive
    je 1f
    cmpb $0x00, drive
1:  EXPECT je, "DL is a boot drive"

    /* ---- int 13h ---- */
    push %es                /* a floppy's 08h sets ES:DI */
    mov $0x08, %ah
    mov drive, %dl
    int $0x13
    pop %es
    EXPECT jnc, "13h 08h"
    mov %cl, %al
    and $0x3f, %al
    mov %al, spt
    mov %dh, heads
    incb heads
    call puts
    .asciz "geom "
    mov %cx, %ax
    call hex16
    call space
    mov %dx, %ax
    call hex16
    call space
    mov %bx, %ax
    call hex16
    call newline

    mov $0x15, %ah
    mov drive, %dl
    int $0x13
    call puts
    .asciz "type "
    call hex16
    call space
    mov %cx, %ax
    call hex16
    mov %dx, %ax
    call hex16
    call newline

    push %es                /* CHS read of LBA 100 into 1000:0000 */
    mov $0x1000, %ax
    mov %ax, %es
    mov $100, %ax
    call chs_of
    mov drive, %dl
    xor %bx, %bx
    mov $0x0201, %ax
    int $0x13
    EXPECT jnc, "13h 02h CHS read"
    cmp $1, %al
    EXPECT je, "13h 02h AL = sectors read"
    call check_pattern
    EXPECT je, "13h 02h read the right sector"

    mov $100, %ax           /* errors: AH and CF */
    call chs_of
    mov drive, %dl
    mov $0x0200, %ax        /* count 0 */
    int $0x13
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 02h count 0: AH=01h"
    mov $100, %ax
    call chs_of
    and $0xc0, %cl          /* sector 0 */
    mov drive, %dl
    mov $0x0201, %ax
    int $0x13
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 02h sector 0: AH=01h"
    mov $100, %ax
    call chs_of
    mov heads, %dh          /* head = heads */
    mov drive, %dl
    mov $0x0201, %ax
    int $0x13
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 02h head out of range: AH=01h"
    mov $0xffc1, %cx        /* cylinder 1023, sector 1 */
    xor %dh, %dh
    mov drive, %dl
    mov $0x0201, %ax
    int $0x13
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 02h cylinder out of range: AH=01h"
    mov $0xff01, %bx        /* 2 sectors at offset FF01h would wrap */
    mov $0x0001, %cx
    xor %dh, %dh
    mov drive, %dl
    mov $0x0202, %ax
    int $0x13
    jnc 1f
    cmp $0x09, %ah
1:  EXPECT je, "13h 02h buffer wraps: AH=09h"
    mov $0x0001, %cx
    xor %dh, %dh
    mov $0x81, %dl
    xor %bx, %bx
    mov $0x0201, %ax
    int $0x13
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 02h absent drive: AH=01h"
    mov $0x01, %ah
    mov $0x81, %dl
    int $0x13
    cmp $0x01, %ah
    EXPECT je, "13h 01h last status"
    mov $100, %ax
    call chs_of
    mov drive, %dl
    mov $0x0401, %ax
    int $0x13
    EXPECT jnc, "13h 04h verify"
    pop %es

    /* Write LBA 102 with 03h (the script reads the file afterwards). */
    mov $102, %ax
    call chs_of
    mov drive, %dl
    mov $wbuf, %bx
    mov $0x0301, %ax
    int $0x13
    call puts
    .asciz "w03 "
    mov %ah, %al
    call hex8
    call newline
    mov $0x00, %ah
    mov drive, %dl
    int $0x13
    EXPECT jnc, "13h 00h reset"

    cmpb $0x80, drive
    je 1f
    jmp floppy_only
1:
    /* ---- EDD ---- */
    mov $0x41, %ah
    mov $0x55aa, %bx
    mov drive, %dl
    int $0x13
    jc 1f
    cmp $0xaa55, %bx
1:  EXPECT je, "13h 41h: BX=AA55h"
    test $1, %cx
    EXPECT jnz, "13h 41h: CX bit 0 (42h-44h, 48h)"
    movw $0x1e, edd_params
    mov $edd_params, %si
    mov $0x48, %ah
    mov drive, %dl
    int $0x13
    EXPECT jnc, "13h 48h"
    call puts
    .asciz "edd "
    mov edd_params + 16 + 2, %ax
    call hex16
    mov edd_params + 16, %ax
    call hex16
    call space
    mov edd_params + 24, %ax
    call hex16
    call newline
    movw $0x10, edd_params
    mov $edd_params, %si
    mov $0x48, %ah
    mov drive, %dl
    int $0x13
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 48h small buffer: AH=01h"

    movw $1, dap_count      /* 42h: LBA 100 to 1000:0200 */
    movw $0x0200, dap_off
    movw $0x1000, dap_seg
    movl $100, dap_lba
    movl $0, dap_lba + 4
    call ext_read
    EXPECT jnc, "13h 42h read"
    cmpw $1, dap_count
    EXPECT je, "13h 42h count"
    push %es
    mov $0x1000, %ax
    mov %ax, %es
    mov $0x0200, %bx
    call check_pattern
    pop %es
    EXPECT je, "13h 42h read the right sector"

    movw $1, dap_count      /* 42h, 64-bit flat address 0x20000 */
    movw $0xffff, dap_off
    movw $0xffff, dap_seg
    movl $0x20000, dap_flat
    movl $0, dap_flat + 4
    movb $0x18, dap
    call ext_read
    movb $0x10, dap
    EXPECT jnc, "13h 42h flat buffer"
    push %es
    mov $0x2000, %ax
    mov %ax, %es
    xor %bx, %bx
    call check_pattern
    pop %es
    EXPECT je, "13h 42h flat buffer got the sector"

    movw $0x1000, dap_seg
    movw $0, dap_off
    movw $1, dap_count      /* one past the end: AH=04h, count 0 */
    movl $2048, dap_lba
    call ext_read
    jnc 1f
    cmp $0x04, %ah
1:  EXPECT je, "13h 42h past the end: AH=04h"
    cmpw $0, dap_count
    EXPECT je, "13h 42h past the end: count 0"
    movw $2, dap_count      /* last sector + 1 */
    movl $2047, dap_lba
    call ext_read
    jnc 1f
    cmp $0x04, %ah
1:  EXPECT je, "13h 42h straddles the end: AH=04h"
    movw $1, dap_count      /* LBA 2^64 - 1 */
    movl $0xffffffff, dap_lba
    movl $0xffffffff, dap_lba + 4
    call ext_read
    jnc 1f
    cmp $0x04, %ah
1:  EXPECT je, "13h 42h huge LBA: AH=04h"
    movl $0, dap_lba + 4
    movl $100, dap_lba
    movw $0, dap_count
    call ext_read
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 42h count 0: AH=01h"
    movw $0xffff, dap_count
    call ext_read
    jnc 1f
    cmp $0x01, %ah
1:  EXPECT je, "13h 42h count FFFFh: AH=01h"
    movw $0xff00, dap_off
    movw $2, dap_count
    call ext_read
    jnc 1f
    cmp $0x09, %ah
1:  EXPECT je, "13h 42h buffer wraps: AH=09h"

    movw $0, dap_off        /* 43h: write LBA 101 from wbuf */
    mov %ds, dap_seg
    movw $wbuf, dap_off
    movw $1, dap_count
    movl $101, dap_lba
    mov $0x4300, %ax
    mov $dap, %si
    mov drive, %dl
    int $0x13
    call puts
    .asciz "w43 "
    mov %ah, %al
    call hex8
    call newline
    jmp services

floppy_only:
    mov $0x41, %ah
    mov $0x55aa, %bx
    mov drive, %dl
    int $0x13
    EXPECT jc, "13h 41h on a floppy: no EDD"
    mov $0x08, %ah
    mov drive, %dl
    int $0x13
    mov %es, %ax
    cmp $0xf000, %ax
    jne 1f
    cmp $0xefc7, %di
1:  EXPECT je, "13h 08h floppy: ES:DI = the diskette table"
    push %ds
    mov %cs, %ax
    mov %ax, %es
    xor %ax, %ax
    mov %ax, %ds
    cmpw $0xefc7, 0x1e * 4
    pop %ds
    EXPECT je, "int 1Eh: the diskette parameter table"

services:
    mov %cs, %ax
    mov %ax, %es

    /* ---- int 15h ---- */
    xor %ebx, %ebx
    movw $0, e820_n
1:  mov $0xe820, %eax
    mov $0x534d4150, %edx
    mov $20, %ecx
    mov $e820_buf, %di
    int $0x15
    jc 2f
    cmp $0x534d4150, %eax
    jne 2f
    call puts
    .asciz "e820 "
    mov e820_buf + 6, %ax
    call hex16
    mov e820_buf + 4, %ax
    call hex16
    mov e820_buf + 2, %ax
    call hex16
    mov e820_buf, %ax
    call hex16
    call space
    mov e820_buf + 14, %ax
    call hex16
    mov e820_buf + 12, %ax
    call hex16
    mov e820_buf + 10, %ax
    call hex16
    mov e820_buf + 8, %ax
    call hex16
    call space
    mov e820_buf + 16, %al
    call hex8
    call newline
    incw e820_n
    test %ebx, %ebx
    jnz 1b
2:  cmpw $4, e820_n
    EXPECT jae, "15h E820 walked the map"
    mov $0xe820, %eax
    mov $0x12345678, %edx   /* not 'SMAP' */
    xor %ebx, %ebx
    mov $20, %ecx
    mov $e820_buf, %di
    int $0x15
    EXPECT jc, "15h E820 without SMAP: CF"
    mov $0xe801, %ax
    int $0x15
    EXPECT jnc, "15h E801"
    call puts
    .asciz "e801 "
    call hex16
    call space
    mov %bx, %ax
    call hex16
    call newline
    mov $0x88, %ah
    int $0x15
    EXPECT jnc, "15h 88h"
    call puts
    .asciz "e88 "
    call hex16
    call newline
    mov $0x2401, %ax
    int $0x15
    EXPECT jnc, "15h 2401h A20 on"
    mov $0x2402, %ax
    int $0x15
    jc 1f
    cmp $1, %al
1:  EXPECT je, "15h 2402h A20 state: on"
    mov $0x2403, %ax
    int $0x15
    EXPECT jnc, "15h 2403h"
    mov $0x2400, %ax
    int $0x15
    jnc 1f
    cmp $0x86, %ah
1:  EXPECT je, "15h 2400h: unsupported (86h)"
    push %es
    mov $0xc0, %ah
    int $0x15
    jc 1f
    cmpb $0xfc, %es:2(%bx)
1:  pop %es
    EXPECT je, "15h C0h: config table, model FCh"
    mov $0x87, %ah
    int $0x15
    EXPECT jc, "15h 87h: unsupported"

    /* ---- int 11h, 12h, BDA, PIC ---- */
    int $0x12
    cmp $639, %ax
    EXPECT je, "12h: 639 KiB"
    int $0x11
    mov %ax, %bx
    and $0x0e00, %bx
    cmp $0x0200, %bx
    EXPECT je, "11h: one serial port"
    mov %ax, %bx
    and $0x0030, %bx
    cmp $0x0020, %bx
    EXPECT je, "11h: 80x25 colour"
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    cmpw $0x3f8, 0x400
    pop %ds
    EXPECT je, "BDA: COM1 at 3F8h"
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    cmpw $0xf000, 0x08 * 4 + 2
    pop %ds
    EXPECT je, "IVT: int 08h in the BIOS"
    in $0x21, %al
    cmp $0xf8, %al
    EXPECT je, "PIC: IRQ0-2 unmasked"

    /* ---- int 1Ah and the timer ---- */
    mov $0x00, %ah
    int $0x1a
    mov %dx, %bx
    mov $200, %di
1:  hlt
    mov $0x00, %ah
    int $0x1a
    cmp %bx, %dx
    jne 2f
    dec %di
    jnz 1b
2:  cmp %bx, %dx
    EXPECT jne, "1Ah 00h: IRQ0 ticks"
    mov $0x01, %ah
    mov $0x0012, %cx
    mov $0x3456, %dx
    int $0x1a
    mov $0x00, %ah
    int $0x1a
    cmp $0x0012, %cx
    jne 1f
    sub $0x3456, %dx
    cmp $20, %dx
1:  EXPECT jb, "1Ah 01h: set ticks"
    mov $0x02, %ah
    int $0x1a
    EXPECT jnc, "1Ah 02h: RTC time"
    mov %ch, %al
    cmp $0x23, %al
    EXPECT jbe, "1Ah 02h: hours BCD"
    mov $0x04, %ah
    int $0x1a
    EXPECT jnc, "1Ah 04h: RTC date"
    cmp $0x20, %ch
    EXPECT je, "1Ah 04h: century 20"

    /* ---- int 10h ---- */
    mov $0x0f, %ah
    int $0x10
    cmp $0x5003, %ax
    EXPECT je, "10h 0Fh: mode 3, 80 columns"
    mov $0x02, %ah
    xor %bh, %bh
    mov $0x050a, %dx
    int $0x10
    mov $0x03, %ah
    xor %bh, %bh
    int $0x10
    cmp $0x050a, %dx
    EXPECT je, "10h 02h/03h: cursor"
    mov $0x0920 + 'Z' - ' ', %ax
    mov $0x001e, %bx
    mov $3, %cx
    int $0x10
    mov $0x08, %ah
    xor %bh, %bh
    int $0x10
    cmp $0x1e5a, %ax
    EXPECT je, "10h 09h/08h: char and attribute"
    push %es
    mov $0xb800, %ax
    mov %ax, %es
    cmpw $0x1e5a, %es:(5 * 80 + 12) * 2
    pop %es
    EXPECT je, "10h 09h: three cells at B800h"
    mov $0x0a00 + 'Y', %ax
    xor %bx, %bx
    mov $1, %cx
    int $0x10
    mov $0x08, %ah
    int $0x10
    cmp $0x1e59, %ax
    EXPECT je, "10h 0Ah: keeps the attribute"
    mov $0x1301, %ax        /* "AB" in 4Fh at 7,0, cursor moves */
    mov $0x004f, %bx
    mov $2, %cx
    mov $0x0700, %dx
    mov $str_ab, %bp
    int $0x10
    mov $0x03, %ah
    xor %bh, %bh
    int $0x10
    cmp $0x0702, %dx
    EXPECT je, "10h 13h: cursor after the string"
    push %es
    mov $0xb800, %ax
    mov %ax, %es
    cmpw $0x4f41, %es:(7 * 80) * 2
    pop %es
    EXPECT je, "10h 13h: text and attribute"
    mov $0x02, %ah          /* 'Q' at 11,0, scroll rows 10-11 up 1 */
    xor %bh, %bh
    mov $0x0b00, %dx
    int $0x10
    mov $0x0900 + 'Q', %ax
    mov $0x0007, %bx
    mov $1, %cx
    int $0x10
    mov $0x0601, %ax
    mov $0x7000, %bx
    mov $0x0a00, %cx
    mov $0x0b4f, %dx
    int $0x10
    push %es
    mov $0xb800, %ax
    mov %ax, %es
    cmpw $0x0751, %es:(10 * 80) * 2
    jne 1f
    cmpw $0x7020, %es:(11 * 80) * 2
1:  pop %es
    EXPECT je, "10h 06h: scroll up"
    mov $0x0701, %ax
    mov $0x0700, %bx
    mov $0x0a00, %cx
    mov $0x0b4f, %dx
    int $0x10
    push %es
    mov $0xb800, %ax
    mov %ax, %es
    cmpw $0x0751, %es:(11 * 80) * 2
    pop %es
    EXPECT je, "10h 07h: scroll down"
    mov $0x02, %ah
    xor %bh, %bh
    mov $0x1000, %dx
    int $0x10
    mov $tty_msg, %si
1:  lodsb
    test %al, %al
    jz 2f
    mov $0x0e, %ah
    int $0x10
    jmp 1b
2:  mov $0x03, %ah
    xor %bh, %bh
    int $0x10
    cmp $0x1100, %dx
    EXPECT je, "10h 0Eh: CR LF moves the cursor"

    /* ---- int 16h: stdin gives "ab\n" ---- */
    mov $0x01, %ah
    mov $200, %di
1:  mov $0x01, %ah          /* wait for the first key by polling */
    int $0x16
    jnz 2f
    hlt
    dec %di
    jnz 1b
2:  EXPECT jnz, "16h 01h: a key is there"
    cmp $0x1e61, %ax
    EXPECT je, "16h 01h: 'a' (1E61h)"
    mov $0x00, %ah
    int $0x16
    cmp $0x1e61, %ax
    EXPECT je, "16h 00h: 'a'"
    mov $0x10, %ah
    int $0x16
    cmp $0x3062, %ax
    EXPECT je, "16h 10h: 'b' (3062h)"
    mov $0x00, %ah
    int $0x16
    cmp $0x1c0d, %ax
    EXPECT je, "16h 00h: Enter (1C0Dh)"
    mov $0x02, %ah
    int $0x16
    cmp $0x00, %al
    EXPECT je, "16h 02h: no shift keys"
    mov $0x05, %ah
    mov $0x2c7a, %cx
    int $0x16
    mov $0x00, %ah
    int $0x16
    cmp $0x2c7a, %ax
    EXPECT je, "16h 05h then 00h: the stored key"

    call puts
    .asciz "failures "
    mov failures, %al
    call hex8
    call newline
    push %ds
    xor %ax, %ax
    mov %ax, %ds
    movw $0x1919, 0x600
    pop %ds
    call puts
    .asciz "int19\n"
    int $0x19
    call puts
    .asciz "FAIL int19 returned\n"
    mov $0xff, %al
    out %al, $0xf4

ext_read:
    mov $0x42, %ah
    mov $dap, %si
    mov drive, %dl
    int $0x13
    ret

tty_msg:
    .asciz "tty ok\r\n"
str_ab:
    .ascii "AB"
failures:   .byte 0
spt:        .byte 0
heads:      .byte 0
e820_n:     .word 0
    .balign 4
dap:        .byte 0x10, 0
dap_count:  .word 0
dap_off:    .word 0
dap_seg:    .word 0
dap_lba:    .quad 0
dap_flat:   .quad 0
edd_params: .fill 0x20, 1, 0
e820_buf:   .fill 24, 1, 0
wbuf:
    .ascii "written by int 13h"
    .fill 512 - 18, 1, 0x5a
    .org 17 * 512 - 1
    .byte 0
