/*
 * Entry of mb64, kvm-unit-tests style: a 32-bit Multiboot entry that
 * builds identity page tables (2 MiB pages over the first 4 GiB), enables
 * PAE and EFER.LME, turns on paging, loads a 64-bit GDT and jumps to
 * 64-bit code, which calls mb64_main(magic, info) and kexit() with its
 * result. Linked as x86-64, then converted to elf32-i386 for the loader.
 * Intel SDM vol. 3A, 10.8.5 Initializing IA-32e Mode.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    mov %eax, boot_magic
    mov %ebx, boot_info
    mov $stack_top, %esp

    /* PD: 2048 entries, entry i maps 2 MiB page i (present, RW, PS). */
    mov $pd, %edi
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, (%edi,%ecx,8)
    mov %ecx, %eax
    shr $11, %eax              /* bits 32+ of the address: i >> 11 */
    mov %eax, 4(%edi,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jb 1b
    /* PDPT[0..3] -> the four PD pages; PML4[0] -> PDPT. */
    mov $pdpt, %edi
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $12, %eax
    add $pd + 3, %eax
    mov %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    inc %ecx
    cmp $4, %ecx
    jb 2b
    movl $pdpt + 3, pml4
    movl $0, pml4 + 4

    mov $pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $0x20, %eax             /* CR4.PAE */
    mov %eax, %cr4
    mov $0xc0000080, %ecx      /* IA32_EFER */
    rdmsr
    or $0x100, %eax            /* LME */
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax       /* PG | PE */
    mov %eax, %cr0
    lgdt gdt_desc
    ljmp $0x08, $start64

    .code64
start64:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $stack_top, %rsp
    /* A TSS (RSP0 = this stack), so interrupt delivery finds one. */
    mov $tss, %rax
    movq $stack_top, 4(%rax)
    mov %ax, gdt_tss + 2
    shr $16, %rax
    mov %al, gdt_tss + 4
    mov %ah, gdt_tss + 7
    shr $16, %rax
    mov %eax, gdt_tss + 8
    mov $0x18, %ax
    ltr %ax
    mov boot_magic(%rip), %edi
    mov boot_info(%rip), %esi
    call mb64_main
    mov %eax, %edi
    call kexit
3:  cli
    hlt
    jmp 3b

    .data
    .align 8
gdt:
    .quad 0
    .quad 0x00af9a000000ffff   /* 0x08: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff   /* 0x10: flat data */
gdt_tss:                       /* 0x18: 64-bit TSS, base filled in above */
    .quad 0x0000890000000067
    .quad 0
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
boot_magic: .long 0
boot_info:  .long 0

    .bss
    .align 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4 * 4096
tss:  .skip 104
    .align 16
    .skip 16384
stack_top:
