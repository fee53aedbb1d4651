/*
 * lm_alias: into 64-bit long mode (enter_long.inc, "R P L\n" on port
 * 0xf1), with paging where linear and physical differ: the first 2 MiB
 * identity-mapped by one 2 MiB page, and linear 0x400000 (a 4 KiB page,
 * writable) and 0x401000 (read-only) both mapped to the physical page of
 * `marker` ("PHYSMARK", at 0x5000) while physical 0x400000 is no RAM (the
 * bare machine's 1 MiB). Then a loop: hlt, jmp.
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x200 lm_loop: hlt
 *   0x5000 marker (physical)
 */
    .code16
    .text
    .globl _start
_start:
    .include "tests/guests/enter_long.inc"
    mov $0x400000, %rax
    mov (%rax), %rbx            /* the marker, through the alias */
    jmp lm_loop

    .org 0x200
lm_loop:
    hlt
    jmp lm_loop

    .p2align 3
gdt:
    .quad 0                         /* null */
    .quad 0x00cf9a000000ffff        /* 0x08: code, 32-bit, base 0, 4 GiB */
    .quad 0x00cf92000000ffff        /* 0x10: data, base 0, 4 GiB */
    .quad 0x00af9a000000ffff        /* 0x18: code, 64-bit (L=1, D=0) */
gdt_end:
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt

    .p2align 12
pml4:                               /* 0x1000 */
    .long pdpt + 0x3, 0             /* present, writable */
    .fill 511, 8, 0
pdpt:                               /* 0x2000 */
    .long pd + 0x3, 0
    .fill 511, 8, 0
pd:                                 /* 0x3000 */
    .long 0x83, 0                   /* 2 MiB page at 0: present, RW, PS */
    .long 0, 0
    .long pt + 0x3, 0               /* linear 0x400000: a page table */
    .fill 509, 8, 0
pt:                                 /* 0x4000 */
    .long marker + 0x3, 0           /* 0x400000: RW */
    .long marker + 0x1, 0           /* 0x401000: read-only */
    .fill 510, 8, 0
marker:                             /* 0x5000 */
    .ascii "PHYSMARK"
    .p2align 12
