/*
 * cpuid: checks in real mode what the VMM's CPUID table tells the guest and
 * prints "cpuid ok\n" on port 0xf1, or "cpuid bad X\n" naming the first
 * check that failed. Then halts for good.
 *   0  leaf 0: the maximum basic leaf is at least 1
 *   1  leaf 1: ECX bit 31, "hypervisor present" (reserved for that use by
 *      Intel and AMD; KVM API doc, "KVM CPUID bits")
 *   k  leaf 0x40000000: EBX:ECX:EDX is "KVMKVMKVM\0\0\0" and EAX, the
 *      highest hypervisor leaf, is at least 0x40000001
 *   a  leaf 1: EBX[31:24], the initial APIC ID, is 0 (this is vCPU 0)
 *   l  leaf 0x80000001: EDX bit 29, long mode (Intel SDM vol. 2, CPUID)
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    cld

    mov $'0', %bp
    xor %eax, %eax
    cpuid
    cmp $1, %eax
    jb bad

    mov $'1', %bp
    mov $1, %eax
    cpuid
    bt $31, %ecx
    jnc bad

    mov $'a', %bp
    shr $24, %ebx
    jnz bad

    mov $'k', %bp
    mov $0x40000000, %eax
    xor %ecx, %ecx
    cpuid
    cmp $0x40000001, %eax
    jb bad
    cmp $0x4b4d564b, %ebx           /* "KVMK" */
    jne bad
    cmp $0x564b4d56, %ecx           /* "VMKV" */
    jne bad
    cmp $0x0000004d, %edx           /* "M\0\0\0" */
    jne bad

    mov $'l', %bp
    mov $0x80000001, %eax
    cpuid
    bt $29, %edx
    jnc bad

    mov $ok_msg, %si
    mov $ok_len, %cx
    jmp print
bad:
    mov $0xf1, %dx
    mov $bad_msg, %si
    mov $bad_len, %cx
    rep outsb
    mov %bp, %ax
    outb %al, %dx
    mov $'\n', %al
    outb %al, %dx
    jmp halt
print:
    mov $0xf1, %dx
    rep outsb
halt:
    hlt
    jmp halt

ok_msg:
    .ascii "cpuid ok\n"
    .set ok_len, . - ok_msg
bad_msg:
    .ascii "cpuid bad "
    .set bad_len, . - bad_msg
