/*
 * pc_s3: ACPI S3 and back, as kvm-unit-tests' s3 does it. Finds the FACS
 * (RSDP -> RSDT -> FADT -> FACS), writes the address of `resume` to its
 * firmware waking vector (unless the byte at 0x300 is patched to 0),
 * leaves a marker in RAM, arms an RTC alarm (every second: don't-care
 * bytes, AIE), enables the RTC wake in PM1a_EN and writes SLP_TYP 1 |
 * SLP_EN (0x2400) to PM1a_CNT. The VMM sleeps until the alarm, then
 * resumes the vCPU in real mode at the waking vector: `resume` checks the
 * marker survived and WAK_STS is set, prints "s3 resumed\n" on port 0xe9
 * and writes 0x10 to isa-debug-exit (status 33; 0x11, status 35, if WAK_STS
 * is missing). If the OUT does not sleep: "no sleep\n", status 255.
 */
    .set PM, 0xb000
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    cld
    movb $0x5a, 0x500          /* the marker */

    /* RSDP: 16-byte steps through 0xe0000-0xfffff (segment in %es). */
    mov $0xe000, %ax
1:  mov %ax, %es
    xor %di, %di
2:  cmpl $0x20445352, %es:(%di)      /* "RSD " */
    jne 3f
    cmpl $0x20525450, %es:4(%di)     /* "PTR " */
    je 4f
3:  add $16, %di
    jnz 2b
    mov %es, %ax
    add $0x1000, %ax
    jnz 1b
    jmp nosleep
4:  mov %es:16(%di), %ebx      /* RSDT (a physical address below 1 MiB) */
    call seg_of                /* %es:%di = %ebx */
    mov %es:4(%di), %ecx       /* RSDT length */
    sub $36, %ecx
    shr $2, %ecx
    add $36, %di
5:  mov %es:(%di), %ebx        /* each entry: find "FACP" */
    push %es
    push %di
    call seg_of
    cmpl $0x50434146, %es:(%di)
    je 6f
    pop %di
    pop %es
    add $4, %di
    loop 5b
    jmp nosleep
6:  mov %es:36(%di), %ebx      /* FADT.FIRMWARE_CTRL: the FACS */
    add $4, %sp
    call seg_of
    cmpb $0, write_vector
    je 7f
    movl $resume, %es:12(%di)  /* firmware waking vector */
7:
    /* RTC alarm every second, as s3.c: wait for an update, clear C. */
8:  mov $0x0a, %al
    out %al, $0x70
    in $0x71, %al
    test $0x80, %al
    jz 8b
9:  mov $0x0a, %al
    out %al, $0x70
    in $0x71, %al
    test $0x80, %al
    jnz 9b
    mov $0x0c, %al
    out %al, $0x70
    in $0x71, %al
    mov $0xc0, %bl
    mov $0x01, %al
    call rtc_out
    mov $0x03, %al
    call rtc_out
    mov $0x05, %al
    call rtc_out
    mov $0x0b, %al
    out %al, $0x70
    in $0x71, %al
    or $0x20, %al              /* AIE */
    mov %al, %bl
    mov $0x0b, %al
    call rtc_out

    mov $PM + 2, %dx           /* PM1a_EN: RTC_EN */
    mov $0x0400, %ax
    out %ax, %dx
    mov $PM + 4, %dx           /* PM1a_CNT: SLP_TYP 1 | SLP_EN */
    mov $0x2400, %ax
    out %ax, %dx
nosleep:
    mov $nosleep_msg, %si
    call puts
    mov $0x7f, %al
    out %al, $0xf4
10: jmp 10b

/* rtc_out: CMOS byte %al = %bl */
rtc_out:
    out %al, $0x70
    mov %bl, %al
    out %al, $0x71
    ret

/* seg_of: physical %ebx (below 1 MiB) as %es:%di */
seg_of:
    mov %ebx, %eax
    shr $4, %eax
    mov %ax, %es
    mov %bx, %di
    and $0xf, %di
    ret

/* puts: NUL-terminated string at %ds:%si to port 0xe9 */
puts:
    lodsb
    test %al, %al
    jz 1f
    out %al, $0xe9
    jmp puts
1:  ret

    .align 16
resume:                        /* real mode, CS = resume >> 4, IP = 0 */
    ljmp $0, $resume_flat      /* the code is linked for CS = 0 */
resume_flat:
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    cmpb $0x5a, 0x500
    jne nosleep
    mov $resumed_msg, %si
    call puts
    mov $PM, %dx               /* PM1a_STS: WAK_STS */
    in %dx, %ax
    test $0x8000, %ax
    mov $0x10, %al
    jnz 1f
    mov $0x11, %al
1:  out %al, $0xf4
2:  jmp 2b

nosleep_msg: .asciz "no sleep\n"
resumed_msg: .asciz "s3 resumed\n"

    .org 0x300
write_vector:
    .byte 1
