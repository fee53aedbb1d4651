/*
 * pc_smpsnap: a guest for SMP snapshots, where every vCPU changes its own
 * state. The bootstrap processor reads the CPU count from fw_cfg (key
 * 0x05), goes to 32-bit protected mode to reach its local APIC at
 * 0xfee00000 and sends INIT, then one STARTUP IPI with vector 1, to all
 * but itself (Intel SDM vol. 3, "MP Initialization Protocol Algorithm").
 * One, not the MP spec's two: KVM starts an AP on the first, and a second
 * that reaches an AP already halted in ap_park makes KVM wake it (a
 * pending INIT/SIPI makes a halted vCPU runnable before the SIPI is
 * dropped), which would count in `woke`.
 * Each AP starts in real mode at 0x1000, takes its APIC ID from CPUID
 * leaf 1 (EBX[31:24]) and checks in (lock incw `checkin`); AP 1 then
 * spins in ap_spin (0x300) counting in `ap_count` and ECX; APs 2 and up
 * set `parked` and halt with interrupts off in ap_park (0x340): were one
 * to run past its hlt it would count in `woke`. Once every AP checked in
 * (and, with three or more vCPUs, one parked) the BSP loops in bsp_loop
 * (0x400): ESI counts the rounds (also in `bsp_count`) and each round
 * prints the letter 'a' + ESI % 26 on port 0xf1; after `limit` rounds it
 * prints a newline and writes 0x10 to isa-debug-exit (status 33). A
 * breakpoint at 0x400 is hit once per round: at its k-th hit the BSP has
 * printed k - 1 letters ("bc" at the third). Fixed addresses, for the
 * tests.
 */
    .code16
    .text
    .globl _start
_start:
    .include "tests/guests/smp_bsp.inc"

/* Real-mode AP code, entered from the trampoline with CS = 0. */
    .org 0x80
ap_main:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov $1, %eax
    cpuid
    shr $24, %ebx
    lock incw checkin
    cmp $2, %bx
    jae ap_go_park
    xor %ecx, %ecx
    jmp ap_spin
ap_go_park:
    movb $1, parked
    jmp ap_park

    .code32
    .org 0x100
pm32:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7000, %esp
    mov $0xfee00300, %edi
    movl $0x000c4500, (%edi) /* INIT, level assert, all excluding self */
    jmp sipi

    .org 0x180
    .globl sipi
sipi:
    movl $0x000c4601, (%edi) /* STARTUP, vector 1: start at 0x1000 */
    movzwl ncpus, %ecx
    dec %ecx
1:  pause
    movzwl checkin, %eax
    cmp %ecx, %eax
    jb 1b
    cmp $2, %ecx
    jb 2f
3:  pause
    cmpb $0, parked
    je 3b
2:  xor %esi, %esi
    jmp bsp_loop

    .org 0x200
ncpus:
    .word 0
    .org 0x202
checkin:
    .word 0
    .org 0x204
    .globl bsp_count
bsp_count:
    .long 0
    .org 0x208
ap_count:
    .long 0
    .org 0x20c
woke:
    .long 0
    .org 0x210
    .globl limit
limit:
    .long 40
    .org 0x214
parked:
    .byte 0

    .p2align 3
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff /* 0x08: flat 32-bit code */
    .quad 0x00cf92000000ffff /* 0x10: flat 32-bit data */
gdtr:
    .word 23
    .long gdt

    .code16
    .org 0x300
    .globl ap_spin
ap_spin:
    incl ap_count
    inc %ecx
    jmp ap_spin

    .org 0x340
    .globl ap_park
ap_park:
    hlt
    incl woke
    jmp ap_park

    .code32
    .org 0x400
    .globl bsp_loop
bsp_loop:
    cmp limit, %esi
    jae done
    inc %esi
    mov %esi, bsp_count
    mov %esi, %eax
    xor %edx, %edx
    mov $26, %ecx
    div %ecx
    mov %dl, %al
    add $'a', %al
    out %al, $0xf1
    jmp bsp_loop
done:
    mov $'\n', %al
    out %al, $0xf1
    mov $0x10, %al
    out %al, $0xf4
4:  jmp 4b

    .code16
    .org 0x1000
ap_tramp:
    ljmp $0, $ap_main
