#ifndef VMM_INSN_H
#define VMM_INSN_H

/*
 * Just enough x86 decoding to tell which data an instruction reads: its
 * ModRM memory operand, a moffs operand, the string and stack operands
 * (Intel SDM vol. 2, 2.1 "Instruction Format", tables 2-1 to 2-3, and
 * appendix A "Opcode Map"). For the page-protection watchpoints, whose
 * code in a watched page runs by single steps that do not show reads.
 * A pure function: the caller gives the bytes and the registers.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GPRs in encoding order: rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8... */
struct insn_cpu {
    uint64_t gpr[16];
    uint64_t seg_base[6]; /* es, cs, ss, ds, fs, gs (encoding order) */
    uint64_t next_rip;    /* after the instruction: RIP-relative operands */
    bool long64;          /* 64-bit code */
    bool code32;          /* default operand and address size 32 (CS.D) */
    bool df;              /* RFLAGS.DF: strings go down */
};

struct insn_access {
    uint64_t addr, len; /* guest linear */
};

#define INSN_MAX_READS 2

/*
 * The ranges the instruction in code[0..n) may read as data (not counting
 * its own fetch), at most INSN_MAX_READS, sizes rounded up where the
 * operand size is not worked out. A string instruction counts one
 * iteration (as a single step runs one; none if a REP count is 0).
 * Interrupt and exception delivery (IVT/IDT reads) is not counted.
 * Returns their number, or -1 if the bytes end before the operands.
 */
int insn_data_reads(const uint8_t *code, size_t n, const struct insn_cpu *cpu,
                    struct insn_access *out);

#endif
