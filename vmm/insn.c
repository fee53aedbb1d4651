#include "insn.h"

enum { ES, CS, SS, DS, FS, GS };
enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI };

struct dec {
    const uint8_t *code;
    size_t n, i;
    const struct insn_cpu *cpu;
    int seg; /* override, or -1 */
    bool osz, asz, rep;
    uint8_t rex;
};

static bool byte_at(struct dec *d, uint8_t *b)
{
    if (d->i >= d->n)
        return false;
    *b = d->code[d->i++];
    return true;
}

static bool imm(struct dec *d, unsigned len, int64_t *v)
{
    uint64_t x = 0;

    if (d->i + len > d->n)
        return false;
    for (unsigned k = 0; k < len; k++)
        x |= (uint64_t)d->code[d->i + k] << (8 * k);
    d->i += len;
    /* Sign-extend from len bytes. */
    unsigned sh = 64 - 8 * len;
    *v = (int64_t)(x << sh) >> sh;
    return true;
}

/* Address size in bytes: 2, 4 or 8. */
static unsigned addr_size(const struct dec *d)
{
    if (d->cpu->long64)
        return d->asz ? 4 : 8;
    return d->cpu->code32 != d->asz ? 4 : 2;
}

static unsigned op_size(const struct dec *d)
{
    if (d->cpu->long64 && (d->rex & 8))
        return 8;
    if (d->cpu->long64)
        return d->osz ? 2 : 4;
    return d->cpu->code32 != d->osz ? 4 : 2;
}

static uint64_t mask(unsigned size)
{
    return size == 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
}

/* Linear address of seg:ea (64-bit code: only FS and GS have bases). */
static uint64_t linear(const struct dec *d, int seg, uint64_t ea)
{
    if (d->seg >= 0)
        seg = d->seg;
    ea &= mask(addr_size(d));
    if (d->cpu->long64)
        return (seg == FS || seg == GS) ? d->cpu->seg_base[seg] + ea : ea;
    return (d->cpu->seg_base[seg] + ea) & 0xffffffff;
}

/* The ModRM memory operand's linear address; false if a register one. */
static bool modrm_mem(struct dec *d, uint8_t modrm, uint64_t *addr)
{
    unsigned mod = modrm >> 6, rm = modrm & 7;
    const uint64_t *g = d->cpu->gpr;
    int seg = DS;
    int64_t disp = 0;
    uint64_t ea = 0;

    if (mod == 3)
        return false;
    if (addr_size(d) == 2) {
        static const int base[8] = {RBX, RBX, RBP, RBP, -1, -1, RBP, RBX};
        static const int index[8] = {RSI, RDI, RSI, RDI, RSI, RDI, -1, -1};
        if (mod == 0 && rm == 6) {
            if (!imm(d, 2, &disp))
                return false;
            *addr = linear(d, DS, (uint64_t)disp & 0xffff);
            return true;
        }
        if (base[rm] >= 0)
            ea += g[base[rm]];
        if (index[rm] >= 0)
            ea += g[index[rm]];
        if (base[rm] == RBP)
            seg = SS;
        if (mod && !imm(d, mod == 1 ? 1 : 2, &disp))
            return false;
        *addr = linear(d, seg, (ea + (uint64_t)disp) & 0xffff);
        return true;
    }
    if (rm == 4) {
        uint8_t sib;
        if (!byte_at(d, &sib))
            return false;
        unsigned b = (sib & 7) | ((d->rex & 1) << 3);
        unsigned x = ((sib >> 3) & 7) | ((d->rex & 2) << 2);
        if (x != 4)
            ea += g[x] << (sib >> 6);
        if ((sib & 7) == 5 && mod == 0) {
            if (!imm(d, 4, &disp))
                return false;
        } else {
            ea += g[b];
            if ((b & 7) == RSP || (b & 7) == RBP)
                seg = SS;
        }
    } else if (rm == 5 && mod == 0) {
        if (!imm(d, 4, &disp))
            return false;
        if (d->cpu->long64) /* RIP-relative (SDM vol. 2, 2.2.1.6) */
            ea = d->cpu->next_rip;
    } else {
        unsigned b = rm | ((d->rex & 1) << 3);
        ea = g[b];
        if (rm == RBP)
            seg = SS;
    }
    if (mod == 1 && !imm(d, 1, &disp))
        return false;
    if (mod == 2 && !imm(d, 4, &disp))
        return false;
    *addr = linear(d, seg, ea + (uint64_t)disp);
    return true;
}

/* One-byte opcodes with a ModRM byte (SDM vol. 2, table A-2). */
static bool has_modrm1(uint8_t op)
{
    if (op < 0x40)
        return (op & 7) < 4;
    return op == 0x62 || op == 0x63 || op == 0x69 || op == 0x6b ||
           (op >= 0x80 && op <= 0x8f) || op == 0xc0 || op == 0xc1 ||
           (op >= 0xc4 && op <= 0xc7) || (op >= 0xd0 && op <= 0xd3) ||
           (op >= 0xd8 && op <= 0xdf) || op == 0xf6 || op == 0xf7 ||
           op == 0xfe || op == 0xff;
}

/* ModRM forms that only write (or do not touch) their memory operand. */
static bool rm_not_read1(uint8_t op, uint8_t modrm)
{
    unsigned reg = (modrm >> 3) & 7;

    return op == 0x88 || op == 0x89 || op == 0x8c || op == 0x8d || op == 0xc6 ||
           op == 0xc7 || op == 0x8f || (op == 0xff && (reg == 6 || reg == 7));
}

/* The ModRM operand's size: byte forms, x87, else the operand size. */
static unsigned rm_size1(const struct dec *d, uint8_t op)
{
    if ((op < 0x40 && !(op & 1)) || op == 0x80 || op == 0x82 || op == 0x84 ||
        op == 0x86 || op == 0x88 || op == 0x8a || op == 0xc0 || op == 0xc6 ||
        op == 0xd0 || op == 0xd2 || op == 0xf6 || op == 0xfe)
        return 1;
    if (op >= 0xd8 && op <= 0xdf)
        return 10; /* x87: up to an 80-bit value */
    if (op == 0x62 || op == 0xc4 || op == 0xc5)
        return 2 * op_size(d);
    return op_size(d) + (op == 0xff ? 2 : 0); /* far pointers */
}

static int add(struct insn_access *out, int k, uint64_t addr, uint64_t len)
{
    if (k < INSN_MAX_READS)
        out[k] = (struct insn_access){.addr = addr, .len = len};
    return k + 1;
}

/* A string operand at seg:reg, count iterations of size bytes. */
static int string_op(const struct dec *d, struct insn_access *out, int k,
                     int seg, int reg, unsigned size)
{
    if (d->rep && !(d->cpu->gpr[RCX] & mask(addr_size(d))))
        return k; /* no iteration at all */
    uint64_t ea = d->cpu->gpr[reg] & mask(addr_size(d));
    struct dec e = *d;
    if (reg == RDI)
        e.seg = -1; /* ES:DI cannot be overridden */
    return add(out, k, linear(&e, seg, ea), size);
}

static int stack_op(const struct dec *d, struct insn_access *out, int k,
                    uint64_t len)
{
    struct dec e = *d;
    e.seg = -1;
    return add(out, k, linear(&e, SS, d->cpu->gpr[RSP]), len);
}

int insn_data_reads(const uint8_t *code, size_t n, const struct insn_cpu *cpu,
                    struct insn_access *out)
{
    struct dec d = {.code = code, .n = n, .cpu = cpu, .seg = -1};
    uint8_t op, modrm;
    uint64_t a;
    int k = 0;

    for (;;) {
        if (!byte_at(&d, &op))
            return -1;
        if (op == 0x66)
            d.osz = true;
        else if (op == 0x67)
            d.asz = true;
        else if (op == 0xf2 || op == 0xf3)
            d.rep = true;
        else if (op == 0x26 || op == 0x2e || op == 0x36 || op == 0x3e)
            d.seg = (op >> 3) & 3;
        else if (op == 0x64 || op == 0x65)
            d.seg = op == 0x64 ? FS : GS;
        else if (op != 0xf0)
            break;
    }
    if (cpu->long64 && (op & 0xf0) == 0x40) {
        d.rex = op;
        if (!byte_at(&d, &op))
            return -1;
    }
    unsigned os = op_size(&d);
    if (op == 0x0f) {
        if (!byte_at(&d, &op))
            return -1;
        /* Two-byte opcodes without ModRM (table A-3). */
        if ((op >= 0x80 && op <= 0x8f) || op == 0xa0 || op == 0xa1 ||
            op == 0xa8 || op == 0xa9 || (op >= 0xc8 && op <= 0xcf) ||
            op == 0x05 || op == 0x06 || op == 0x07 || op == 0x08 ||
            op == 0x09 || op == 0x0b || op == 0xa2 ||
            (op >= 0x30 && op <= 0x37))
            return (op == 0xa1 || op == 0xa9) ? stack_op(&d, out, 0, os) : 0;
        if (op == 0x38 || op == 0x3a) {
            uint8_t op3;
            if (!byte_at(&d, &op3))
                return -1;
        }
        if (!byte_at(&d, &modrm))
            return -1;
        if (!modrm_mem(&d, modrm, &a))
            return 0;
        /* setcc, and the SSE stores (movups/movaps/movntps/movdqa...). */
        if ((op >= 0x90 && op <= 0x9f) || op == 0x11 || op == 0x13 ||
            op == 0x17 || op == 0x29 || op == 0x2b || op == 0x7f ||
            op == 0xe7 || op == 0xc3 || op == 0x01 || op == 0x00)
            return 0;
        return add(out, 0, a, 16);
    }
    if (has_modrm1(op)) {
        if (!byte_at(&d, &modrm) || !modrm_mem(&d, modrm, &a))
            return d.i > d.n ? -1 : 0;
        if (rm_not_read1(op, modrm))
            return op == 0x8f ? stack_op(&d, out, k, os) : k;
        return add(out, k, a, rm_size1(&d, op));
    }
    switch (op) {
    case 0xa0: /* mov moffs, al / eax */
    case 0xa1: {
        int64_t off;
        if (!imm(&d, addr_size(&d), &off))
            return -1;
        return add(out, 0, linear(&d, DS, (uint64_t)off), op == 0xa0 ? 1 : os);
    }
    case 0xa4: /* movs */
    case 0xa5:
    case 0xac: /* lods */
    case 0xad:
        return string_op(&d, out, 0, DS, RSI, op & 1 ? os : 1);
    case 0xa6: /* cmps */
    case 0xa7:
        k = string_op(&d, out, 0, DS, RSI, op & 1 ? os : 1);
        return string_op(&d, out, k, ES, RDI, op & 1 ? os : 1);
    case 0xae: /* scas */
    case 0xaf:
        return string_op(&d, out, 0, ES, RDI, op & 1 ? os : 1);
    case 0x6e: /* outs */
    case 0x6f:
        return string_op(&d, out, 0, DS, RSI, op & 1 ? (os > 4 ? 4 : os) : 1);
    case 0xd7: { /* xlat */
        uint64_t ea = cpu->gpr[RBX] + (cpu->gpr[RAX] & 0xff);
        return add(out, 0, linear(&d, DS, ea), 1);
    }
    case 0x07: /* pop es, ss, ds */
    case 0x17:
    case 0x1f:
    case 0x9d: /* popf */
    case 0xc2: /* ret */
    case 0xc3:
        return stack_op(&d, out, 0, cpu->long64 && op != 0x9d ? 8 : os);
    case 0x61: /* popa */
        return stack_op(&d, out, 0, 8 * os);
    case 0xca: /* retf */
    case 0xcb:
        return stack_op(&d, out, 0, 2 * os);
    case 0xcf: /* iret */
        return stack_op(&d, out, 0, (cpu->long64 ? 5 : 3) * os);
    case 0xc9: { /* leave: pops from where BP points */
        struct dec e = d;
        e.seg = -1;
        return add(out, 0, linear(&e, SS, cpu->gpr[RBP]), os);
    }
    default:
        if (op >= 0x58 && op <= 0x5f) /* pop reg */
            return stack_op(&d, out, 0, cpu->long64 && !d.osz ? 8 : os);
        return 0;
    }
}
