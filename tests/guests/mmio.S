/*
 * mmio: writes a byte to guest physical 0x100000, just past the default
 * 1 MiB of RAM, where no memslot is (KVM exits with KVM_EXIT_MMIO), then
 * reads it back. Unbacked addresses read as all ones, so it prints
 * "mmio ok\n" on port 0xf1 if the read gives 0xff, else "mmio bad\n".
 * Then halts for good.
 *
 * Real mode reaches 0x100000 as FFFF:0010 (the "high memory area"); KVM
 * does not mask A20, so this is not wrapped to 0.
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    cld
    mov $0xffff, %ax
    mov %ax, %es
    movb $0x5a, %es:0x0010  /* write to 0x100000 */
    movb %es:0x0010, %bl    /* read it back */
    cmp $0xff, %bl
    jne bad
    mov $ok_msg, %si
    mov $ok_len, %cx
    jmp print
bad:
    mov $bad_msg, %si
    mov $bad_len, %cx
print:
    mov $0xf1, %dx
    rep outsb
halt:
    hlt
    jmp halt

ok_msg:
    .ascii "mmio ok\n"
    .set ok_len, . - ok_msg
bad_msg:
    .ascii "mmio bad\n"
    .set bad_len, . - bad_msg
