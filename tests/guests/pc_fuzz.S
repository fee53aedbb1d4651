/*
 * pc_fuzz: hostile port I/O against every device of the pc machine.
 * With interrupts off throughout:
 *   1. reads every port 0-0xffff with inb, and every port of the device
 *      ranges below with inw, inl and a 4-byte rep insb;
 *   2. ROUNDS writes of pseudo-random values (xorshift32, fixed seed) of
 *      random size (1, 2 or 4) at random offsets of random device ranges.
 *      Values that would legitimately end the machine are masked off:
 *      reset requests (0x92 bit 0, 0xcf9 bit 2, keyboard-controller
 *      commands >= 0x80), ACPI SLP_EN; isa-debug-exit is not in the list.
 * Then stops at `done` (the gdb test puts a breakpoint there) and writes
 * 0x10 to isa-debug-exit (status 33): the VMM survived all of it.
 */
    .set ROUNDS, 3000
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7000, %sp
    cld

    /* 1a. inb from every port */
    xor %dx, %dx
1:  in %dx, %al
    inc %dx
    jnz 1b

    /* 1b. inw, inl, rep insb over every port of every range */
    mov $ranges, %si
2:  mov (%si), %dx
    mov 2(%si), %cx
    test %cx, %cx
    jz 4f
3:  in %dx, %ax
    in %dx, %eax
    push %cx
    mov $buf, %di
    mov $4, %cx
    rep insb
    pop %cx
    inc %dx
    loop 3b
    add $8, %si
    jmp 2b
4:
    /* 2. random writes */
    mov $0x2545f491, %ebp      /* xorshift32 state */
    mov $ROUNDS, %cx
5:  call rand
    xor %edx, %edx
    movzwl %ax, %eax
    mov $nranges, %ebx
    div %ebx                   /* edx = range index */
    shl $3, %dx
    mov %dx, %si
    add $ranges, %si
    call rand
    xor %edx, %edx
    movzwl %ax, %eax
    movzwl 2(%si), %ebx
    div %ebx                   /* edx = offset in the range */
    add (%si), %dx
    mov %dx, %di               /* port */
    call rand
    and 4(%si), %eax           /* mask off what would end the machine */
    mov %eax, %ebx
    call rand
    mov %di, %dx
    and $3, %al
    jz 6f
    cmp $1, %al
    je 7f
    mov %ebx, %eax
    out %al, %dx
    jmp 8f
6:  mov %ebx, %eax
    out %eax, %dx
    jmp 8f
7:  mov %ebx, %eax
    out %ax, %dx
8:  loop 5b

    .globl done
done:
    mov $0x10, %al
    out %al, $0xf4
9:  jmp 9b

/* rand: next xorshift32 value in %eax (state in %ebp) */
rand:
    mov %ebp, %eax
    shl $13, %eax
    xor %eax, %ebp
    mov %ebp, %eax
    shr $17, %eax
    xor %eax, %ebp
    mov %ebp, %eax
    shl $5, %eax
    xor %eax, %ebp
    mov %ebp, %eax
    ret

    .align 4
/* base, length, value mask (32 bits) */
ranges:
    .word 0x20, 2
    .long 0xffffffff
    .word 0xa0, 2
    .long 0xffffffff
    .word 0x40, 4
    .long 0xffffffff
    .word 0x60, 1
    .long 0xffffffff
    .word 0x61, 1
    .long 0xffffffff
    .word 0x64, 1
    .long 0x0000007f           /* no keyboard-controller pulse/reset */
    .word 0x70, 2
    .long 0xffffffff
    .word 0x92, 1
    .long 0xfefefefe           /* no fast reset */
    .word 0x3f8, 8
    .long 0xffffffff
    .word 0x510, 2
    .long 0xffffffff
    .word 0xcf8, 8
    .long 0xfbfbfbfb           /* no RCR reset (bit 2 of any byte) */
    .word 0xb000, 12
    .long 0xdfdfdfdf           /* no SLP_EN (bit 5 of any byte) */
    .word 0xe0, 12
    .long 0xffffffff
    .word 0x2000, 24
    .long 0xffffffff
    .word 0xf1, 1
    .long 0xffffffff
    .set nranges, (. - ranges) / 8
    .word 0, 0
    .long 0
buf:
    .long 0
