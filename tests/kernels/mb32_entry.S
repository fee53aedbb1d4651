/*
 * Entry of mb32 (Multiboot 0.6.96, 3.2 Machine state): EAX the boot
 * magic, EBX the boot information, flat 32-bit protected mode, no stack.
 * Built twice: as an ELF kernel (header flags 0x3: page-aligned modules,
 * memory information), and with -DMB_AOUT as a flat binary whose header
 * carries the a.out-kludge addresses (flags bit 16).
 */
#define MB_MAGIC 0x1BADB002
#ifdef MB_AOUT
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif

    .section .multiboot, "a"
    .align 4
mb_header:
    .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT
    /* header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr */
    .long mb_header, __image_start, __data_end, __bss_end, _start
#endif

    .text
    .code32
    .globl _start
_start:
    mov $stack_top, %esp
    push %ebx
    push %eax
    call mb32_main
    push %eax
    call kexit
1:  cli
    hlt
    jmp 1b

    .bss
    .align 16
    .skip 16384
stack_top:
