/*
 * pc_mbkernel: the smallest Multiboot kernel, for `--kernel`: a flat file
 * with the a.out-kludge header (Multiboot 0.6.96, 3.1.3), loaded at 1 MiB.
 * Entered in 32-bit protected mode; checks EAX = 0x2BADB002 and prints
 * "mb ok\n" (or "mb bad\n") on port 0xe9, then the command line from the
 * boot information (flags bit 2) and a newline, then writes 0x10 to
 * isa-debug-exit (status 33). Linked at 0, so absolute addresses add
 * LOAD (no int or iret: 32-bit code without paging on some backends
 * cannot run them).
 */
    .set LOAD, 0x100000
    .set MAGIC, 0x1BADB002
    .set FLAGS, 0x00010000 /* addresses in the header */
    .code32
    .text
    .globl _start
_start:
    jmp entry
    .align 4
header:
    .long MAGIC
    .long FLAGS
    .long -(MAGIC + FLAGS)
    .long header + LOAD    /* header_addr */
    .long LOAD             /* load_addr */
    .long 0                /* load_end_addr: the whole file */
    .long 0                /* bss_end_addr: no bss */
    .long entry + LOAD     /* entry_addr */
entry:
    mov $0x80000, %esp     /* Multiboot leaves ESP to the kernel */
    mov $ok + LOAD, %esi
    cmp $0x2BADB002, %eax
    je 1f
    mov $bad + LOAD, %esi
1:  call puts
    testl $4, (%ebx)       /* MB_IF_CMDLINE */
    jz 2f
    mov 16(%ebx), %esi
    call puts
2:  mov $'\n', %al
    out %al, $0xe9
    mov $0x10, %al
    out %al, $0xf4
3:  jmp 3b

/* puts: the NUL-terminated string at %esi to port 0xe9 */
puts:
    lodsb
    test %al, %al
    jz 1f
    out %al, $0xe9
    jmp puts
1:  ret

ok:  .asciz "mb ok\n"
bad: .asciz "mb bad\n"
