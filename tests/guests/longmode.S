/*
 * longmode: real -> 32-bit protected -> 64-bit long mode, printing one
 * letter on port 0xf1 in each mode: "R P L\n". Then, in 64-bit code, a
 * loop: hlt, movabs, inc, jmp. A VMM that sets no CPUID makes the wrmsr
 * of EFER.LME raise #GP (CPUID.80000001H:EDX.LM reads 0), and with no IDT
 * that is a triple fault after "R P ".
 *
 * Paging: 4-level, identity map of the first 2 MiB with one 2 MiB page
 * (PML4[0] -> PDPT[0] -> PD[0] with PS), Intel SDM vol. 3, "4-Level Paging".
 * Entering long mode: CR4.PAE, CR3, EFER.LME, then CR0.PG, then a far jump
 * to a code segment with L=1 (SDM vol. 3, "Initializing IA-32e Mode").
 *
 * Fixed offsets (gdb scripts rely on them):
 *   0x200 lm_loop: hlt                            (64-bit code)
 *   0x201 lm_insn: movabs $0x1122334455667788, %rax (10 bytes)
 *   0x20b          inc %rbx                       (3 bytes)
 *   0x20e          jmp lm_loop
 */
    .code16
    .text
    .globl _start
_start:
    .include "tests/guests/enter_long.inc"
    xor %ebx, %ebx
    jmp lm_loop

    .org 0x200
lm_loop:
    hlt
lm_insn:
    movabs $0x1122334455667788, %rax
    inc %rbx
    jmp lm_loop

    .include "tests/guests/long_tables.inc"
