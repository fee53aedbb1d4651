/*
 * kbc_reset: the 8042 keyboard controller as a kernel's reset path and
 * A20 code see it, polled: status idle (buffers empty, not inhibited),
 * self test 0xaa -> 0x55 with the system flag set after it, the command
 * byte read back after a write, the output port (reset line high), then
 * port 0x92's A20 bit. Runs the same under QEMU (-bios stand-in, no
 * POST), whose 8042 starts without the system flag and A20.
 * Prints "PASS\n" on port 0xf1, then pulses the reset line (command
 * 0xfe to port 0x64): the VMM must take the reset. A guest still running
 * after that prints "no reset\n" and exits through isa-debug-exit with
 * 0x01 (status 3); a failed check prints "FAIL x\n" and does the same.
 */
    .code16
    .text
    .globl _start

/* wait until the 8042 has a reply (status bit 0); check id fails if not */
.macro WAIT_OBF id
    mov $\id, %bl
    mov $1000, %cx
1:  in $0x64, %al
    test $1, %al
    jnz 2f
    loop 1b
    jmp fail
2:
.endm

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

    /* a: idle status: no reply waiting, input empty, not inhibited */
    mov $16, %cx
1:  in $0x64, %al      /* drop stale replies */
    test $1, %al
    jz 2f
    in $0x60, %al
    loop 1b
2:  in $0x64, %al
    and $0x13, %al
    EXPECT 'a', 0x10

    /* b: self test */
    mov $0xaa, %al
    out %al, $0x64
    WAIT_OBF 'b'
    in $0x60, %al
    EXPECT 'b', 0x55
    in $0x64, %al
    test $1, %al       /* the read emptied the buffer */
    jnz fail
    and $0x04, %al     /* and the system flag is set */
    EXPECT 'b', 0x04

    /* c: command byte round trip (translation bit flipped, restored) */
    mov $0x20, %al
    out %al, $0x64
    WAIT_OBF 'c'
    in $0x60, %al
    mov %al, %ah
    mov $0x60, %al
    out %al, $0x64
    mov %ah, %al
    xor $0x40, %al
    out %al, $0x60
    mov $0x20, %al
    out %al, $0x64
    WAIT_OBF 'c'
    in $0x60, %al
    xor $0x40, %al
    mov $'c', %bl
    cmp %ah, %al
    jne fail
    mov $0x60, %al
    out %al, $0x64
    mov %ah, %al
    out %al, $0x60

    /* d: output port: reset line high (running); A20 written, read back */
    mov $0xd0, %al
    out %al, $0x64
    WAIT_OBF 'd'
    in $0x60, %al
    and $0x01, %al
    EXPECT 'd', 0x01
    mov $0xd1, %al
    out %al, $0x64
    mov $0xdf, %al     /* the classic "A20 on" output port value */
    out %al, $0x60
    mov $0xd0, %al
    out %al, $0x64
    WAIT_OBF 'd'
    in $0x60, %al
    and $0x03, %al
    EXPECT 'd', 0x03

    /* e: port 0x92: A20 bit stored, fast reset bit clear */
    in $0x92, %al
    and $0xfc, %al
    mov %al, %ah
    or $0x02, %al
    out %al, $0x92
    in $0x92, %al
    and $0x03, %al
    EXPECT 'e', 0x02

    mov $pass_msg, %si
    mov $pass_len, %cx
    mov $0xf1, %dx
    rep outsb

    mov $0xfe, %al     /* pulse the reset line */
    out %al, $0x64
    mov $nores_msg, %si
    mov $nores_len, %cx
    mov $0xf1, %dx
    rep outsb
    jmp die

fail:
    mov $fail_msg, %si
    mov $fail_len, %cx
    mov $0xf1, %dx
    rep outsb
    mov %bl, %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
die:
    mov $0x01, %al
    out %al, $0xf4
halt:
    hlt
    jmp halt

pass_msg:
    .ascii "PASS\n"
    .set pass_len, . - pass_msg
nores_msg:
    .ascii "no reset\n"
    .set nores_len, . - nores_msg
fail_msg:
    .ascii "FAIL "
    .set fail_len, . - fail_msg
