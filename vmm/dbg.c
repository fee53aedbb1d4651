#include "dbg.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "dbg_views.h"
#include "dump.h"
#include "hw/vga.h"
#include "mem.h"
#include "pagewatch.h"
#include "record.h"
#include "snapmon.h"
#include "vcpu.h"
#include "vm.h"

#define CR0_PE    0x1ull
#define EFER_LMA  (1ull << 10)
#define DR6_BS    (1ull << 14)
#define PAGE_SIZE 4096ull
#define RFLAGS_TF 0x100ull

int dbg_init(struct dbg *d, struct runner *runners, unsigned n, struct smp *smp,
             const struct probe_result *caps)
{
    *d = (struct dbg){.runner = &runners[0],
                      .caps = *caps,
                      .n = n,
                      .smp = smp,
                      .block_irqs = true};
    d->cpu = calloc(n, sizeof(*d->cpu));
    d->modes = calloc(n, sizeof(*d->modes));
    if (!d->cpu || !d->modes) {
        dbg_destroy(d);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < n; i++)
        d->cpu[i].runner = &runners[i];
    return 0;
}

void dbg_destroy(struct dbg *d)
{
    free(d->cpu);
    free(d->modes);
    d->cpu = NULL;
    d->modes = NULL;
}

/* Make vCPU i the one the register, memory and monitor operations use. */
static void select_cpu(struct dbg *d, unsigned i)
{
    struct dbg_cpu *k = &d->cpu[d->sel];

    if (i == d->sel)
        return;
    k->last = d->last;
    k->stepping = d->stepping;
    k->tf = d->tf;
    d->sel = i;
    k = &d->cpu[i];
    d->runner = k->runner;
    d->last = k->last;
    d->stepping = k->stepping;
    d->tf = k->tf;
}

static void get_caps(void *ctx, struct gdb_target_caps *caps)
{
    struct dbg *d = ctx;

    *caps = (struct gdb_target_caps){
        .sw_bp = d->caps.sw_bp,
        .hw_bp = d->caps.hw_bp,
        .hw_watch = d->caps.hw_watch,
        .singlestep = d->caps.singlestep,
        .nr_hw_slots = 4,
        .page_watch = d->pw != NULL,
        .range_step = !d->rec, /* record mode counts every step itself */
    };
}

/*
 * FXSAVE keeps an abridged tag (one "not empty" bit per physical register);
 * gdb's ftag is the full FSTENV tag word, two bits per physical register:
 * 00 valid, 01 zero, 10 special, 11 empty (Intel SDM vol. 1, 8.1.7, and
 * the FXSAVE description in vol. 2).
 */
static uint32_t full_tag(const struct kvm_fpu *f)
{
    unsigned top = (f->fsw >> 11) & 7;
    uint32_t tag = 0;

    for (unsigned phys = 0; phys < 8; phys++) {
        unsigned t;
        if (!(f->ftwx & (1u << phys))) {
            t = 3;
        } else {
            const uint8_t *v = f->fpr[(phys - top) & 7];
            unsigned exp = (unsigned)(v[8] | (v[9] << 8)) & 0x7fff;
            uint64_t mant;
            memcpy(&mant, v, 8);
            if (exp == 0x7fff)
                t = 2;
            else if (exp == 0)
                t = mant ? 2 : 1;
            else
                t = (mant >> 63) ? 0 : 2;
        }
        tag |= t << (2 * phys);
    }
    return tag;
}

static uint8_t abridged_tag(uint32_t ftag)
{
    uint8_t t = 0;

    for (unsigned phys = 0; phys < 8; phys++)
        if (((ftag >> (2 * phys)) & 3) != 3)
            t |= (uint8_t)(1u << phys);
    return t;
}

static int load_all(struct dbg *d, struct kvm_regs **r, struct kvm_sregs **s,
                    struct kvm_fpu **f)
{
    struct vcpu *c = d->runner->vcpu;
    int e;

    if ((e = vcpu_get_regs(c, r)) < 0 || (e = vcpu_get_sregs(c, s)) < 0 ||
        (e = vcpu_get_fpu(c, f)) < 0)
        return e;
    return 0;
}

static int get_core_regs(void *ctx, struct gdb_x86_regs *g)
{
    struct dbg *d = ctx;
    struct kvm_regs *r = NULL;
    struct kvm_sregs *s = NULL;
    int e;

    if ((e = vcpu_get_regs(d->runner->vcpu, &r)) < 0 ||
        (e = vcpu_get_sregs(d->runner->vcpu, &s)) < 0)
        return e;
    memset(g, 0, sizeof(*g));
    /*
     * The code segment decides, not CR0.PE: right after `mov %eax,%cr0`
     * the far jump that follows is still 16-bit code (CS.D = 0 until CS
     * is loaded; SDM vol. 3, "Switching to Protected Mode").
     */
    if ((s->efer & EFER_LMA) && s->cs.l)
        g->arch = GDB_ARCH_X86_64;
    else if (s->cs.db)
        g->arch = GDB_ARCH_I386;
    else
        g->arch = GDB_ARCH_I8086;
    g->cs_base = s->cs.base;
    /* 16-bit code: real mode, or a code segment with D clear. */
    g->code16 = g->arch == GDB_ARCH_I8086;
    g->gpr[GDB_RAX] = r->rax;
    g->gpr[GDB_RBX] = r->rbx;
    g->gpr[GDB_RCX] = r->rcx;
    g->gpr[GDB_RDX] = r->rdx;
    g->gpr[GDB_RSI] = r->rsi;
    g->gpr[GDB_RDI] = r->rdi;
    g->gpr[GDB_RBP] = r->rbp;
    g->gpr[GDB_RSP] = r->rsp;
    g->gpr[GDB_R8] = r->r8;
    g->gpr[GDB_R9] = r->r9;
    g->gpr[GDB_R10] = r->r10;
    g->gpr[GDB_R11] = r->r11;
    g->gpr[GDB_R12] = r->r12;
    g->gpr[GDB_R13] = r->r13;
    g->gpr[GDB_R14] = r->r14;
    g->gpr[GDB_R15] = r->r15;
    g->rip = r->rip;
    g->rflags = r->rflags;
    if (d->stepping) /* KVM hides the guest's TF: ours is the real one */
        g->rflags = (r->rflags & ~RFLAGS_TF) | (d->tf ? RFLAGS_TF : 0);
    g->seg[GDB_CS] = s->cs.selector;
    g->seg[GDB_SS] = s->ss.selector;
    g->seg[GDB_DS] = s->ds.selector;
    g->seg[GDB_ES] = s->es.selector;
    g->seg[GDB_FS] = s->fs.selector;
    g->seg[GDB_GS] = s->gs.selector;
    g->fs_base = s->fs.base;
    g->gs_base = s->gs.base;
    return 0;
}

/* kvm_segment's attributes packed as struct gdb_x86_desc says. */
static uint32_t seg_attr(const struct kvm_segment *k)
{
    return (uint32_t)(k->type & 0xf) | (uint32_t)(k->s & 1) << 4 |
           (uint32_t)(k->dpl & 3) << 5 | (uint32_t)(k->present & 1) << 7 |
           (uint32_t)(k->avl & 1) << 12 | (uint32_t)(k->l & 1) << 13 |
           (uint32_t)(k->db & 1) << 14 | (uint32_t)(k->g & 1) << 15 |
           (uint32_t)(k->unusable & 1) << 16;
}

static void desc_get(struct gdb_x86_desc *d, const struct kvm_segment *k)
{
    *d = (struct gdb_x86_desc){
        .base = k->base, .limit = k->limit, .attr = seg_attr(k)};
}

/* Write back a cache gdb changed; the selector is set_seg's business. */
static void desc_set(struct kvm_segment *k, const struct gdb_x86_desc *d,
                     const struct gdb_x86_desc *was)
{
    if (!memcmp(d, was, sizeof(*d)))
        return;
    k->base = d->base;
    k->limit = d->limit;
    k->type = d->attr & 0xf;
    k->s = (d->attr >> 4) & 1;
    k->dpl = (d->attr >> 5) & 3;
    k->present = (d->attr >> 7) & 1;
    k->avl = (d->attr >> 12) & 1;
    k->l = (d->attr >> 13) & 1;
    k->db = (d->attr >> 14) & 1;
    k->g = (d->attr >> 15) & 1;
    k->unusable = (d->attr >> 16) & 1;
}

static struct kvm_segment *kseg(struct kvm_sregs *s, int i)
{
    struct kvm_segment *t[GDB_NR_SEG] = {&s->cs, &s->ss, &s->ds,
                                         &s->es, &s->fs, &s->gs};
    return t[i];
}

/*
 * The system state from KVM_GET_SREGS and KVM_GET_DEBUGREGS. The debug
 * registers are the guest's own: while the stub's breakpoints are loaded
 * (KVM_SET_GUEST_DEBUG with USE_HW_BP) KVM keeps the guest's values apart
 * and gives those.
 */
static int get_sys(struct dbg *d, struct gdb_x86_sys *y)
{
    struct kvm_sregs *s = NULL;
    struct kvm_debugregs dr;
    int e;

    if ((e = vcpu_get_sregs(d->runner->vcpu, &s)) < 0)
        return e;
    if (ioctl(d->runner->vcpu->fd, KVM_GET_DEBUGREGS, &dr) < 0)
        return -errno;
    *y = (struct gdb_x86_sys){
        .cr0 = s->cr0,
        .cr2 = s->cr2,
        .cr3 = s->cr3,
        .cr4 = s->cr4,
        .cr8 = s->cr8,
        .efer = s->efer,
        .ldtr = s->ldt.selector,
        .tr = s->tr.selector,
        .gdtr_base = s->gdt.base,
        .gdtr_limit = s->gdt.limit,
        .idtr_base = s->idt.base,
        .idtr_limit = s->idt.limit,
    };
    for (int i = 0; i < GDB_NR_SEG; i++)
        desc_get(&y->seg[i], kseg(s, i));
    desc_get(&y->ldt, &s->ldt);
    desc_get(&y->tss, &s->tr);
    for (int i = 0; i < 4; i++)
        y->dr[i] = dr.db[i];
    y->dr[6] = dr.dr6;
    y->dr[7] = dr.dr7;
    return 0;
}

/* Apply what gdb changed in y (against was) to s and the debug registers. */
static int set_sys(struct dbg *d, struct kvm_sregs *s,
                   const struct gdb_x86_sys *y, const struct gdb_x86_sys *was)
{
    s->cr0 = y->cr0;
    s->cr2 = y->cr2;
    s->cr3 = y->cr3;
    s->cr4 = y->cr4;
    s->cr8 = y->cr8;
    s->efer = y->efer;
    for (int i = 0; i < GDB_NR_SEG; i++)
        desc_set(kseg(s, i), &y->seg[i], &was->seg[i]);
    desc_set(&s->ldt, &y->ldt, &was->ldt);
    desc_set(&s->tr, &y->tss, &was->tss);
    s->ldt.selector = (uint16_t)y->ldtr;
    s->tr.selector = (uint16_t)y->tr;
    s->gdt.base = y->gdtr_base;
    s->gdt.limit = (uint16_t)y->gdtr_limit;
    s->idt.base = y->idtr_base;
    s->idt.limit = (uint16_t)y->idtr_limit;
    if (memcmp(y->dr, was->dr, sizeof(y->dr))) {
        struct kvm_debugregs dr;
        if (ioctl(d->runner->vcpu->fd, KVM_GET_DEBUGREGS, &dr) < 0)
            return -errno;
        for (int i = 0; i < 4; i++)
            dr.db[i] = y->dr[i];
        dr.dr6 = y->dr[6];
        dr.dr7 = y->dr[7];
        if (ioctl(d->runner->vcpu->fd, KVM_SET_DEBUGREGS, &dr) < 0)
            return -errno;
    }
    return 0;
}

static int get_regs(void *ctx, struct gdb_x86_regs *g)
{
    struct dbg *d = ctx;
    struct kvm_fpu *f = NULL;
    int e;

    if ((e = get_core_regs(ctx, g)) < 0 ||
        (e = vcpu_get_fpu(d->runner->vcpu, &f)) < 0)
        return e;
    for (int i = 0; i < 8; i++)
        memcpy(g->st[i], f->fpr[i], 10);
    g->fctrl = f->fcw;
    g->fstat = f->fsw;
    g->ftag = full_tag(f);
    g->fioff = (uint32_t)f->last_ip;
    g->fiseg = (uint32_t)(f->last_ip >> 32) & 0xffff;
    g->fooff = (uint32_t)f->last_dp;
    g->foseg = (uint32_t)(f->last_dp >> 32) & 0xffff;
    g->fop = f->last_opcode;
    memcpy(g->xmm, f->xmm, sizeof(g->xmm));
    g->mxcsr = f->mxcsr;
    return get_sys(d, &g->sys);
}

static void set_seg(struct kvm_segment *seg, uint32_t sel, bool real_mode)
{
    if (seg->selector == (uint16_t)sel)
        return;
    seg->selector = (uint16_t)sel;
    /*
     * Real mode: the base is always selector * 16 (SDM vol. 3, 20.1.1).
     * In protected mode the cached descriptor is kept: loading one from
     * the guest's GDT is the guest's business.
     */
    if (real_mode)
        seg->base = (uint64_t)(uint16_t)sel << 4;
}

static int set_regs(void *ctx, const struct gdb_x86_regs *g)
{
    struct dbg *d = ctx;
    struct vcpu *c = d->runner->vcpu;
    struct kvm_regs *pr = NULL;
    struct kvm_sregs *ps = NULL;
    struct kvm_fpu *pf = NULL;
    int e = load_all(d, &pr, &ps, &pf);

    if (e < 0)
        return e;
    struct kvm_regs r = *pr;
    struct kvm_sregs s = *ps;
    struct kvm_fpu f = *pf;
    bool real_mode = !(s.cr0 & CR0_PE);
    struct gdb_x86_sys was;

    if ((e = get_sys(d, &was)) < 0)
        return e;
    /* The caches first: a selector gdb changed in real mode moves its base. */
    if ((e = set_sys(d, &s, &g->sys, &was)) < 0)
        return e;

    r.rax = g->gpr[GDB_RAX];
    r.rbx = g->gpr[GDB_RBX];
    r.rcx = g->gpr[GDB_RCX];
    r.rdx = g->gpr[GDB_RDX];
    r.rsi = g->gpr[GDB_RSI];
    r.rdi = g->gpr[GDB_RDI];
    r.rbp = g->gpr[GDB_RBP];
    r.rsp = g->gpr[GDB_RSP];
    r.r8 = g->gpr[GDB_R8];
    r.r9 = g->gpr[GDB_R9];
    r.r10 = g->gpr[GDB_R10];
    r.r11 = g->gpr[GDB_R11];
    r.r12 = g->gpr[GDB_R12];
    r.r13 = g->gpr[GDB_R13];
    r.r14 = g->gpr[GDB_R14];
    r.r15 = g->gpr[GDB_R15];
    r.rip = g->rip;
    r.rflags = g->rflags | 0x2; /* bit 1 is reserved as 1 */
    if (d->stepping) {
        /* TF is kept here while KVM steps (see get_core_regs). */
        d->tf = (g->rflags & RFLAGS_TF) != 0;
        r.rflags = (r.rflags & ~RFLAGS_TF) | (pr->rflags & RFLAGS_TF);
    }
    set_seg(&s.cs, g->seg[GDB_CS], real_mode);
    set_seg(&s.ss, g->seg[GDB_SS], real_mode);
    set_seg(&s.ds, g->seg[GDB_DS], real_mode);
    set_seg(&s.es, g->seg[GDB_ES], real_mode);
    set_seg(&s.fs, g->seg[GDB_FS], real_mode);
    set_seg(&s.gs, g->seg[GDB_GS], real_mode);
    /* Only a change: in 32-bit layouts sys.seg[] carries these bases. */
    if (!real_mode && g->fs_base != ps->fs.base)
        s.fs.base = g->fs_base;
    if (!real_mode && g->gs_base != ps->gs.base)
        s.gs.base = g->gs_base;
    for (int i = 0; i < 8; i++)
        memcpy(f.fpr[i], g->st[i], 10);
    f.fcw = (uint16_t)g->fctrl;
    f.fsw = (uint16_t)g->fstat;
    f.ftwx = abridged_tag(g->ftag);
    f.last_ip = g->fioff | ((uint64_t)(g->fiseg & 0xffff) << 32);
    f.last_dp = g->fooff | ((uint64_t)(g->foseg & 0xffff) << 32);
    f.last_opcode = (uint16_t)g->fop;
    memcpy(f.xmm, g->xmm, sizeof(f.xmm));
    f.mxcsr = g->mxcsr;

    if (memcmp(&r, pr, sizeof(r)) && (e = vcpu_set_regs(c, &r)) < 0)
        return e;
    if (memcmp(&s, ps, sizeof(s)) && (e = vcpu_set_sregs(c, &s)) < 0)
        return e;
    if (memcmp(&f, pf, sizeof(f)) && (e = vcpu_set_fpu(c, &f)) < 0)
        return e;
    return 0;
}

/*
 * Walk [addr, addr + len) a page at a time, translating linear to physical
 * as the vCPU would. With do_copy false only checks that all of it is RAM.
 */
static int access_mem(struct dbg *d, uint64_t addr, uint8_t *buf, size_t len,
                      bool write, bool do_copy)
{
    uint64_t end;

    if (__builtin_add_overflow(addr, (uint64_t)len, &end))
        return -EINVAL;
    while (len) {
        uint64_t gpa;
        size_t chunk = (size_t)(PAGE_SIZE - (addr & (PAGE_SIZE - 1)));
        if (chunk > len)
            chunk = len;
        int e = vcpu_translate(d->runner->vcpu, addr, &gpa);
        if (e < 0)
            return -EFAULT;
        uint8_t *hva = dbg_phys_hva(d, gpa, chunk); /* RAM or --bios ROM */
        if (!hva)
            return -EFAULT;
        if (do_copy) {
            if (write && d->rec)
                rec_note_write(d->rec, gpa, chunk);
            if (write)
                memcpy(hva, buf, chunk);
            else
                memcpy(buf, hva, chunk);
        }
        addr += chunk;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}

static int read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
    return access_mem(ctx, addr, buf, len, false, true);
}

static int write_mem(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    /* Check first so that a partly bad range changes nothing. */
    int e = access_mem(ctx, addr, (uint8_t *)(uintptr_t)buf, len, true, false);

    if (e < 0)
        return e;
    return access_mem(ctx, addr, (uint8_t *)(uintptr_t)buf, len, true, true);
}

/* Linear address of SS:SP (or RSP) + off, as the stack is used. */
static uint64_t stack_at(const struct kvm_regs *r, const struct kvm_sregs *s,
                         bool long64, uint64_t off)
{
    if (long64)
        return r->rsp + off;
    uint64_t sp = s->ss.db ? (uint32_t)r->rsp : (uint16_t)r->rsp;
    return (s->ss.base + ((sp + off) & (s->ss.db ? 0xffffffff : 0xffff))) &
           0xffffffff;
}

/*
 * What the instruction at CS:IP, which KVM is about to single-step, does
 * to the guest's TF: KVM hides TF meanwhile, so only the instructions that
 * load or clear it are followed (Intel SDM vol. 2: POPF and IRET load it;
 * INT n, INT3, INTO and INT1 clear it on the way into the handler, and
 * *int_len is then their length, else 0). Anything unreadable leaves tf.
 */
static bool tf_after_step(struct dbg *d, bool tf, uint64_t *int_len)
{
    struct kvm_regs *r = NULL;
    struct kvm_sregs *s = NULL;
    struct gdb_x86_regs g;
    uint8_t code[15] = {0}, flags[2];

    *int_len = 0;
    if (vcpu_get_regs(d->runner->vcpu, &r) < 0 ||
        vcpu_get_sregs(d->runner->vcpu, &s) < 0 || get_core_regs(d, &g) < 0)
        return tf;
    bool long64 = g.arch == GDB_ARCH_X86_64;
    if (access_mem(d, gdb_x86_linear_pc(&g), code, sizeof(code), false, true) <
            0 &&
        access_mem(d, gdb_x86_linear_pc(&g), code, 1, false, true) < 0)
        return tf;
    bool osize = false, rexw = false;
    size_t i = 0;
    for (; i < sizeof(code) - 1; i++) {
        uint8_t p = code[i];
        if (p == 0x66)
            osize = true;
        else if (long64 && (p & 0xf0) == 0x40)
            rexw = (p & 8) != 0;
        else if (!(p == 0x67 || p == 0x26 || p == 0x2e || p == 0x36 ||
                   p == 0x3e || p == 0x64 || p == 0x65 || p == 0xf0 ||
                   p == 0xf2 || p == 0xf3))
            break;
    }
    uint64_t size = g.code16 != osize ? 2 : 4; /* operand size */
    if (long64)
        size = rexw ? 8 : osize ? 2 : (code[i] == 0x9d ? 8 : 4);
    switch (code[i]) {
    case 0x9d: /* popf: flags from the stack top */
        if (access_mem(d, stack_at(r, s, long64, 0), flags, 2, false, true))
            return tf;
        return (flags[1] & 1) != 0;
    case 0xcf: /* iret: IP, CS, then FLAGS */
        if (access_mem(d, stack_at(r, s, long64, 2 * size), flags, 2, false,
                       true))
            return tf;
        return (flags[1] & 1) != 0;
    case 0xcd: /* int n */
        *int_len = i + 2;
        return false;
    case 0xcc: /* int3 */
    case 0xce: /* into */
    case 0xf1: /* int1 */
        *int_len = i + 1;
        return false;
    default:
        return tf;
    }
}

/*
 * A handler was entered during a KVM single step (an INT n stepped, or an
 * exception delivered): the FLAGS image it pushed has KVM's TF in it, not
 * the guest's, and its IRET would trace the guest. Put the guest's TF
 * there. The frame (Intel SDM vol. 3, 6.12.1; 20.1.4 in real mode: IP, CS,
 * FLAGS; 64-bit: 8-byte slots) is only touched where its IP and CS are
 * ret_ip and ret_cs; the handler's first instruction may have pushed
 * more, so a few slots above the stack top are looked at.
 */
static void fix_frame(struct dbg *d, uint64_t ret_ip, uint16_t ret_cs, bool tf)
{
    struct kvm_regs *r = NULL;
    struct kvm_sregs *s = NULL;
    struct gdb_x86_regs g;
    uint8_t ip[8] = {0}, flags[2];

    if (vcpu_get_regs(d->runner->vcpu, &r) < 0 ||
        vcpu_get_sregs(d->runner->vcpu, &s) < 0 || get_core_regs(d, &g) < 0)
        return;
    bool long64 = g.arch == GDB_ARCH_X86_64;
    uint64_t slot = long64 ? 8 : g.arch == GDB_ARCH_I8086 ? 2 : 4;
    uint64_t mask = slot < 8 ? (1ull << (8 * slot)) - 1 : ~0ull;
    for (uint64_t k = 0; k < 16; k++) {
        uint64_t at = k * slot, v = 0, cs = 0;
        if (access_mem(d, stack_at(r, s, long64, at), ip, slot, false, true))
            return;
        memcpy(&v, ip, 8);
        if (access_mem(d, stack_at(r, s, long64, at + slot), ip, 2, false,
                       true))
            return;
        cs = (uint64_t)ip[0] | (uint64_t)ip[1] << 8;
        if ((v & mask) != (ret_ip & mask) || cs != ret_cs)
            continue;
        uint64_t fl = stack_at(r, s, long64, at + 2 * slot);
        if (access_mem(d, fl, flags, 2, false, true))
            return;
        uint8_t want = (uint8_t)((flags[1] & ~1u) | (tf ? 1u : 0u));
        if (want != flags[1]) {
            flags[1] = want;
            access_mem(d, fl, flags, 2, true, true);
        }
        return;
    }
}

/*
 * Deliver exception vec (1 or 3) at the next entry through
 * KVM_SET_VCPU_EVENTS (KVM API doc 4.32): an injected #BP is a soft
 * exception, so the guest's handler returns past the int3.
 */
static int inject_by_events(struct vcpu *c, int vec)
{
    struct kvm_vcpu_events ev;

    if (ioctl(c->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
        return vm_fail(c->vm, "KVM_GET_VCPU_EVENTS");
    ev.exception.injected = 1;
    ev.exception.nr = (__u8)vec;
    ev.exception.has_error_code = 0;
    ev.exception.error_code = 0;
    ev.flags = 0;
    if (ioctl(c->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
        return vm_fail(c->vm, "KVM_SET_VCPU_EVENTS");
    return 0;
}

/*
 * dr7 without its execution breakpoints (R/W = 00; Intel SDM vol. 3,
 * 17.2.4): 0 when no slot is left.
 */
static uint64_t dr7_no_exec(uint64_t dr7)
{
    for (int i = 0; i < 4; i++)
        if (((dr7 >> (16 + 4 * i)) & 3) == 0)
            dr7 &= ~(3ull << (2 * i));
    return dr7 & 0xff ? dr7 : 0;
}

/*
 * Get the selected vCPU ready to run in mode with inject (0, 1 or 3) and
 * how's debug registers: KVM_SET_GUEST_DEBUG and the guest's own TF.
 */
static int prep(struct dbg *d, const struct gdb_resume *how,
                enum gdb_resume_mode mode, int inject)
{
    struct dbg_cpu *k = &d->cpu[d->sel];
    struct vcpu *c = d->runner->vcpu;
    struct kvm_guest_debug dbg = {0};
    struct kvm_regs *r = NULL;
    int e;

    k->step = mode != GDB_RESUME_CONT;
    k->inject = inject;
    k->tf_next = false;
    k->int_len = 0;
    k->ret_ip = 0;
    k->ret_cs = 0;
    if (k->step) {
        if (!d->stepping) { /* TF is still the guest's to read */
            if ((e = vcpu_get_regs(c, &r)) < 0)
                return e;
            d->tf = (r->rflags & RFLAGS_TF) != 0;
        }
        /* An exception delivered first enters its handler, TF clear. */
        k->tf_next = inject ? false : tf_after_step(d, d->tf, &k->int_len);
        if ((e = vcpu_get_regs(c, &r)) < 0)
            return e;
        k->ret_ip = r->rip + (inject == 3 ? 1 : k->int_len);
        struct kvm_sregs *sr = NULL;
        if ((e = vcpu_get_sregs(c, &sr)) < 0)
            return e;
        k->ret_cs = sr->cs.selector;
        k->pre_sp = r->rsp;
        k->pre_ss = sr->ss.selector;
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    }
    k->tf_was = d->tf;
    /* The guest's own exception, delivered as it raised it (KVM API doc,
     * KVM_SET_GUEST_DEBUG: KVM_GUESTDBG_INJECT_DB/INJECT_BP). */
    if (inject == 1)
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_DB;
    else if (inject == 3)
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_INJECT_BP;
    if (how->use_sw_bp)
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
    uint64_t dr7 = mode == GDB_RESUME_RANGE ? dr7_no_exec(how->dr7) : how->dr7;
    if (how->use_hw_bp && dr7) {
        dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
        for (int i = 0; i < 4; i++)
            dbg.arch.debugreg[i] = (dr7 >> (2 * i)) & 3 ? how->dr[i] : 0;
        dbg.arch.debugreg[7] = dr7;
    }
    /*
     * KVM API doc, KVM_SET_GUEST_DEBUG: BLOCKIRQ keeps interrupts out
     * while single-stepping, so a step for the user ends at the next
     * instruction, not in a handler. Steps that stand in for running
     * (STEP_RUN) must let them in, or a guest waiting for one hangs.
     */
    if ((mode == GDB_RESUME_STEP || mode == GDB_RESUME_RANGE) &&
        d->block_irqs && d->caps.blockirq)
        dbg.control |= KVM_GUESTDBG_BLOCKIRQ;
    k->irqs_in = k->step && !(dbg.control & KVM_GUESTDBG_BLOCKIRQ);
    e = vcpu_set_guest_debug(c, &dbg);
    if (e < 0 && inject) {
        /* A KVM without INJECT_DB/BP: queue it as QEMU does instead. */
        dbg.control &=
            ~(__u32)(KVM_GUESTDBG_INJECT_DB | KVM_GUESTDBG_INJECT_BP);
        if ((e = vcpu_set_guest_debug(c, &dbg)) >= 0)
            e = inject_by_events(c, inject);
    }
    if (e < 0)
        return e;
    if (inject)
        c->dbg_valid = false; /* the next call must not be skipped */
    if (!k->step && d->stepping && d->tf) {
        /* Single-stepping off: KVM dropped the guest's TF; put it back. */
        if ((e = vcpu_get_regs(c, &r)) < 0)
            return e;
        struct kvm_regs next = *r;
        next.rflags |= RFLAGS_TF;
        if ((e = vcpu_set_regs(c, &next)) < 0)
            return e;
    }
    d->stepping = k->step;
    return 0;
}

/*
 * Whether an interrupt came in during the step k describes: interrupts
 * were let in and the stack moved down by a frame at least (IP, CS,
 * FLAGS) or to another stack segment. fix_frame then finds the frame by
 * the IP and CS it returns to (an external interrupt's: the instruction
 * that did not run yet) and gives it the guest's TF, not KVM's.
 */
static bool took_irq(struct dbg *d, const struct dbg_cpu *k)
{
    struct kvm_regs *r = NULL;
    struct kvm_sregs *s = NULL;

    if (!k->irqs_in || vcpu_get_regs(d->runner->vcpu, &r) < 0 ||
        vcpu_get_sregs(d->runner->vcpu, &s) < 0)
        return false;
    uint64_t slot = (s->efer & EFER_LMA) && s->cs.l ? 8 : s->ss.db ? 4 : 2;
    uint64_t mask = slot == 8 ? ~0ull : slot == 4 ? 0xffffffffull : 0xffff;
    uint64_t down = (k->pre_sp - r->rsp) & mask;
    return s->ss.selector != k->pre_ss ||
           (down >= 3 * slot && down <= 64 * slot);
}

/* After the selected vCPU ran (d->last): its TF, and its stop for gdb. */
static void post(struct dbg *d, struct gdb_stop *stop)
{
    struct dbg_cpu *k = &d->cpu[d->sel];

    if (k->step && d->last.stop == RUN_STOP_DEBUG) {
        d->tf = k->tf_next; /* the instruction went through */
        if (k->inject || k->int_len || took_irq(d, k))
            fix_frame(d, k->ret_ip, k->ret_cs, k->tf_was);
    }
    *stop = (struct gdb_stop){.thread = (int)d->sel};
    switch (d->last.stop) {
    case RUN_STOP_DEBUG:
        stop->kind = GDB_STOP_DEBUG;
        stop->exception = d->last.exception ? (int)d->last.exception : 1;
        stop->dr6 = d->last.exception ? d->last.dr6 : DR6_BS;
        if (d->last.watch && d->pw && d->pw->hit) {
            stop->watch_hit = true;
            stop->watch_addr = d->pw->hit_addr;
            stop->trap_owed = d->pw->trap_owed;
            stop->watch_kind = d->pw->hit_kind == PAGEWATCH_WRITE
                                   ? GDB_WATCH_WRITE
                                   : GDB_WATCH_READ;
        }
        break;
    case RUN_STOP_SIGNAL:
        stop->kind = d->last.quit ? GDB_STOP_TERMINATE : GDB_STOP_INTERRUPTED;
        break;
    case RUN_STOP_HALTED:
        stop->kind = GDB_STOP_EXITED;
        stop->exit_code = 0;
        break;
    case RUN_STOP_CRASH:
        stop->kind = GDB_STOP_CRASHED;
        stop->why = d->runner->crash.what;
        d->crash_cpu = d->sel;
        break;
    case RUN_STOP_OUTPUT_CLOSED:
        stop->kind = GDB_STOP_TERMINATE;
        break;
    case RUN_STOP_POWER:
        /* The machine ends: isa-debug-exit's status, 0 for a reset. */
        stop->kind = GDB_STOP_EXITED;
        stop->exit_code =
            d->last.power == POWER_EXIT ? d->last.power_status : 0;
        d->power_cpu = d->sel;
        break;
    }
}

static bool valid_mode(enum gdb_resume_mode m)
{
    return (unsigned)m <= GDB_RESUME_RANGE;
}

static bool is_stop_at(const struct gdb_resume *how, uint64_t pc)
{
    for (size_t i = 0; i < how->nr_stop_at; i++)
        if (how->stop_at[i] == pc)
            return true;
    return false;
}

/* Where a range step stands: its code segment, mode and linear pc. */
struct range_at {
    uint32_t cs;
    enum gdb_arch arch;
    uint64_t pc;
};

static int range_where(struct dbg *d, struct range_at *at)
{
    struct gdb_x86_regs g;
    int e = get_core_regs(d, &g);

    if (e < 0)
        return e;
    *at = (struct range_at){
        .cs = g.seg[GDB_CS], .arch = g.arch, .pc = gdb_x86_linear_pc(&g)};
    return 0;
}

/*
 * After a range step's instruction (stop as post gave it, the guest's
 * TF before and after it in tf): whether to step again. Returns 1 to go
 * on, 0 to stop there, or -errno.
 */
static int range_goes_on(struct dbg *d, const struct gdb_resume *how,
                         const struct range_at *start,
                         const struct gdb_stop *stop, bool tf)
{
    struct range_at now;
    int e;

    d->range_insns++;
    /*
     * Anything but a plain step (a watched page's access too), or a trap
     * the guest is owed: stop.
     */
    if (tf || stop->kind != GDB_STOP_DEBUG || stop->exception != 1 ||
        (stop->dr6 & 0xf) || stop->watch_hit)
        return 0;
    if ((e = range_where(d, &now)) < 0)
        return e;
    return now.cs == start->cs && now.arch == start->arch &&
           now.pc >= how->range_start && now.pc < how->range_end &&
           !is_stop_at(how, now.pc);
}

/* The stub's watch ranges, translated and laid out for this resume. */
static int set_page_watch(struct dbg *d, const struct gdb_resume *how)
{
    struct pagewatch_range r[PAGEWATCH_MAX_RANGES];

    if (how->nr_watch > PAGEWATCH_MAX_RANGES || (how->nr_watch && !how->watch))
        return -EINVAL;
    for (size_t i = 0; i < how->nr_watch; i++)
        r[i] = (struct pagewatch_range){
            .addr = how->watch[i].addr,
            .len = how->watch[i].len,
            .kind = (enum pagewatch_kind)how->watch[i].kind};
    return pagewatch_set(d->pw, d->runner->vcpu, r, how->nr_watch);
}

/*
 * Run the selected vCPU once in mode m, through the page watcher when
 * watchpoints are done by page protection.
 */
static int run_sel(struct dbg *d, enum run_mode m)
{
    return d->pw ? pagewatch_run(d->pw, d->runner, m, &d->last)
                 : run_vcpu(d->runner, m, &d->last);
}

/*
 * GDB_RESUME_RANGE on the selected vCPU: KVM single-steps it here, one
 * KVM_RUN exit and the register reads per instruction, no round trip
 * through the stub (RSP vCont;r). Watched pages stay protected
 * throughout (set once, as for any resume).
 */
static int resume_range(struct dbg *d, const struct gdb_resume *how,
                        struct gdb_stop *stop)
{
    struct range_at start;
    int inject = how->inject, e;

    if ((e = range_where(d, &start)) < 0 ||
        (d->pw && (e = set_page_watch(d, how)) < 0))
        return e;
    d->range_resumes++;
    for (;;) {
        if ((e = prep(d, how, GDB_RESUME_RANGE, inject)) < 0)
            return e;
        bool tf = d->tf || inject; /* an exception entered its handler */
        if ((e = run_sel(d, RUN_STEP)) < 0)
            return e;
        post(d, stop);
        inject = 0;
        if ((e = range_goes_on(d, how, &start, stop, tf || d->tf)) <= 0)
            return e;
    }
}

/*
 * Several vCPUs: each gets its mode (how->modes) in its own thread; the
 * first to stop on its own (a crash or an exit before a debug stop) is
 * the one reported; every vCPU's own outcome is kept for thread_stop.
 */
static int smp_round(struct dbg *d, const struct gdb_resume *how,
                     struct gdb_stop *stop)
{
    static const enum smp_mode smode[] = {
        [GDB_RESUME_CONT] = SMP_CONT,         [GDB_RESUME_STEP] = SMP_STEP,
        [GDB_RESUME_STEP_RUN] = SMP_STEP_RUN, [GDB_RESUME_STAY] = SMP_STAY,
        [GDB_RESUME_RANGE] = SMP_STEP,
    };
    unsigned sel = d->sel;
    struct smp_result sr;
    int e = 0;

    for (unsigned i = 0; i < d->n; i++) {
        enum gdb_resume_mode m = how->modes ? how->modes[i] : how->mode;
        if (!valid_mode(m))
            return -EINVAL;
        d->cpu[i].stop =
            (struct gdb_stop){.kind = GDB_STOP_NONE, .thread = (int)i};
        d->modes[i] = smode[m];
        if (m == GDB_RESUME_STAY)
            continue;
        select_cpu(d, i);
        if ((e = prep(d, how, m, (int)i == how->thread ? how->inject : 0)) < 0)
            break;
    }
    if (e == 0)
        e = smp_run(d->smp, d->modes, &sr);
    if (e < 0) {
        select_cpu(d, sel);
        return e;
    }
    int best = -1;
    for (unsigned i = 0; i < d->n; i++) {
        const struct smp_cpu *c = &d->smp->cpu[i];
        if (c->state != SMP_DONE)
            continue;
        if (c->err < 0) {
            e = c->err;
            continue;
        }
        select_cpu(d, i);
        d->last = c->res;
        struct gdb_stop st;
        post(d, &st);
        if (st.kind == GDB_STOP_INTERRUPTED)
            continue; /* kicked */
        d->cpu[i].stop = st;
        /* A machine-wide end outranks a debug stop, then the first. */
        bool big = st.kind != GDB_STOP_DEBUG;
        if (best < 0 || (big && d->cpu[best].stop.kind == GDB_STOP_DEBUG) ||
            (big == (d->cpu[best].stop.kind != GDB_STOP_DEBUG) &&
             c->seq < d->smp->cpu[best].seq))
            best = (int)i;
    }
    select_cpu(d, sel);
    if (e < 0)
        return e;
    if (sr.quit)
        *stop = (struct gdb_stop){.kind = GDB_STOP_TERMINATE,
                                  .thread = best < 0 ? (int)sel : best};
    else if (best >= 0)
        *stop = d->cpu[best].stop;
    else
        *stop =
            (struct gdb_stop){.kind = GDB_STOP_INTERRUPTED, .thread = (int)sel};
    return 0;
}

/*
 * Several vCPUs, one of them (the first in GDB_RESUME_RANGE) range
 * stepping: rounds of smp_round, the others running as how says in each,
 * until the range ends or another vCPU stops on its own.
 */
static int resume_smp(struct dbg *d, const struct gdb_resume *how,
                      struct gdb_stop *stop)
{
    unsigned sel = d->sel, r = d->n;
    struct gdb_resume h = *how;
    struct range_at start;
    int e;

    for (unsigned i = 0; i < d->n && r == d->n; i++)
        if ((how->modes ? how->modes[i] : how->mode) == GDB_RESUME_RANGE)
            r = i;
    if (r == d->n)
        return smp_round(d, how, stop);
    select_cpu(d, r);
    e = range_where(d, &start);
    select_cpu(d, sel);
    if (e < 0)
        return e;
    d->range_resumes++;
    for (;;) {
        bool injected = h.inject && h.thread == (int)r;
        if ((e = smp_round(d, &h, stop)) < 0)
            return e;
        h.inject = 0;
        if (stop->thread != (int)r)
            return 0;
        for (unsigned i = 0; i < d->n; i++)
            if (i != r && d->cpu[i].stop.kind != GDB_STOP_NONE)
                return 0; /* another vCPU stopped on its own */
        select_cpu(d, r);
        bool tf = injected || d->cpu[r].tf_was || d->tf;
        e = range_goes_on(d, how, &start, stop, tf);
        select_cpu(d, sel);
        if (e <= 0)
            return e;
    }
}

static int resume(void *ctx, const struct gdb_resume *how,
                  struct gdb_stop *stop)
{
    struct dbg *d = ctx;
    static const enum run_mode modes[] = {
        [GDB_RESUME_CONT] = RUN_CONT,         [GDB_RESUME_STEP] = RUN_STEP,
        [GDB_RESUME_STEP_RUN] = RUN_STEP_RUN, [GDB_RESUME_STAY] = RUN_STEP,
        [GDB_RESUME_RANGE] = RUN_STEP, /* record mode: one step */
    };
    int e;

    if (how->mode == GDB_RESUME_STAY || !valid_mode(how->mode) ||
        (how->inject && how->inject != 1 && how->inject != 3))
        return -EINVAL;
    if (d->smp)
        return resume_smp(d, how, stop);
    if (d->rec) {
        /*
         * Every instruction is stepped and counted (record.h); the guest's
         * own TF and exceptions are not modelled there.
         */
        if (how->inject)
            return -EOPNOTSUPP;
        d->cpu[d->sel].step = false;
        e = rec_run(d->rec, modes[how->mode], &d->last);
    } else if (how->mode == GDB_RESUME_RANGE) {
        e = resume_range(d, how, stop);
        if (e == 0)
            d->cpu[d->sel].stop = *stop;
        return e;
    } else {
        if ((e = prep(d, how, how->mode, how->inject)) < 0 ||
            (d->pw && (e = set_page_watch(d, how)) < 0))
            return e;
        e = run_sel(d, modes[how->mode]);
    }
    if (e < 0)
        return e;
    post(d, stop);
    d->cpu[d->sel].stop = *stop;
    return 0;
}

static const char *cpu_state(struct dbg *d, unsigned i);

/*
 * "WORD" or "WORD N": 1 with *cpu the vCPU named (default: the selected
 * one), 0 if cmd is another command, -1 if N is no vCPU.
 */
static int cpu_arg(const struct dbg *d, const char *cmd, const char *word,
                   unsigned *cpu)
{
    size_t n = strlen(word);
    char *end;

    if (strncmp(cmd, word, n) != 0 || (cmd[n] && cmd[n] != ' '))
        return 0;
    *cpu = d->sel;
    if (!cmd[n])
        return 1;
    errno = 0;
    unsigned long v = strtoul(cmd + n + 1, &end, 10);
    if (cmd[n + 1] < '0' || cmd[n + 1] > '9' || *end || errno || v >= d->n)
        return -1;
    *cpu = (unsigned)v;
    return 1;
}

/* regs / sregs of one vCPU, headed by its number when there are several. */
static int dump_cpu(struct dbg *d, unsigned cpu, bool sregs, char *out,
                    size_t cap)
{
    unsigned sel = d->sel;
    int k = 0, e;

    if (d->n > 1)
        k = snprintf(out, cap, "CPU#%u:\n", cpu);
    if (k < 0 || (size_t)k >= cap)
        return -ENOSPC;
    select_cpu(d, cpu); /* memory reads go through its translation */
    struct runner *r = d->runner;
    e = sregs ? dump_sregs(r->vcpu, out + k, cap - (size_t)k)
              : dump_regs_view(r->vcpu, r->mem, d->view.read, d->view.vctx,
                               out + k, cap - (size_t)k);
    select_cpu(d, sel);
    return e < 0 ? e : e + k;
}

/* monitor screen: the text screen at 0xB8000 (what int 10h and the guest
 * wrote there), 25 lines of 80 columns. */
static int monitor_screen(const struct runner *r, char *out, size_t cap)
{
    int n = vga_dump(r->mem, out, cap);

    if (n < 0)
        return snprintf(out, cap, "no text screen: 0xB8000 is not RAM\n");
    return n;
}

/*
 * Make vCPU i's KVM state the guest's own: while KVM single-steps it, TF
 * is hidden from KVM_GET_REGS (see get_core_regs) and a KVM_SET_REGS
 * meets KVM's step. Single-stepping goes off (the one-shot injections
 * with it, which KVM would queue again) and the guest's TF goes back, as
 * prep does for a continue; the next resume sets what it needs.
 */
static int unstep(struct dbg *d, unsigned i)
{
    unsigned sel = d->sel;
    int e = 0;

    select_cpu(d, i);
    if (d->stepping) {
        struct vcpu *c = d->runner->vcpu;
        struct kvm_guest_debug g = c->dbg;
        g.control &= ~(__u32)(KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_INJECT_DB |
                              KVM_GUESTDBG_INJECT_BP);
        if (g.control == KVM_GUESTDBG_ENABLE)
            g.control = 0;
        e = vcpu_set_guest_debug(c, &g);
        struct kvm_regs *r = NULL;
        if (e == 0 && d->tf && (e = vcpu_get_regs(c, &r)) == 0) {
            struct kvm_regs next = *r;
            next.rflags |= RFLAGS_TF;
            e = vcpu_set_regs(c, &next);
        }
        if (e == 0)
            d->stepping = false;
    }
    select_cpu(d, sel);
    return e;
}

/*
 * After loadvm: every vCPU's bookkeeping as for a vCPU just stopped (no
 * step of ours in flight, no stop of its own yet, TF read afresh from
 * the restored registers at its next step).
 */
static void forget_runs(struct dbg *d)
{
    for (unsigned i = 0; i < d->n; i++) {
        struct dbg_cpu *k = &d->cpu[i];
        *k =
            (struct dbg_cpu){.runner = k->runner,
                             .stop = {.kind = GDB_STOP_NONE, .thread = (int)i}};
    }
    d->last = (struct run_result){0};
    d->stepping = d->tf = false;
}

/*
 * The snapshot commands (snapmon.h), every vCPU stopped: with the gdb
 * stub in all-stop mode no vCPU runs while a monitor command does (the
 * last resume ended with all of them stopped: smp_run). Returns as
 * snapmon_command.
 */
static int snap_monitor(struct dbg *d, const char *cmd, char *out, size_t cap)
{
    if (snapmon_is_vcpu_cmd(cmd)) {
        for (unsigned i = 0; i < d->n; i++) {
            int e = unstep(d, i);
            if (e < 0)
                return snprintf(out, cap, "Error: %s: %s\n",
                                d->runner->vcpu->vm->err_op
                                    ? d->runner->vcpu->vm->err_op
                                    : "KVM",
                                strerror(-e));
        }
    }
    unsigned long loads = d->snaps->loads;
    int n = snapmon_command(d->snaps, cmd, out, cap);
    if (d->snaps->loads != loads)
        forget_runs(d);
    return n;
}

/* monitor step [irqs on|off] (args: what follows "step") */
static int monitor_step(struct dbg *d, const char *args, char *out, size_t cap)
{
    while (*args == ' ')
        args++;
    if (!strcmp(args, "irqs on") || !strcmp(args, "irqs off"))
        d->block_irqs = args[6] == 'n';
    else if (*args) {
        snprintf(out, cap, "usage: monitor step [irqs on|off]\n");
        return -ENOENT;
    }
    const char *how =
        !d->block_irqs     ? "off: interrupts are delivered during a step, "
                             "which may stop in a handler"
        : d->caps.blockirq ? "on: interrupts wait while you step "
                             "(KVM_GUESTDBG_BLOCKIRQ)"
                           : "on, but this host's KVM has no "
                             "KVM_GUESTDBG_BLOCKIRQ: interrupts are "
                             "delivered during a step, which may stop in "
                             "a handler";
    return snprintf(out, cap,
                    "step irqs %s\n"
                    "host KVM_GUESTDBG_BLOCKIRQ: %s\n"
                    "range steps (vCont;r) done in the VMM: %llu, "
                    "%llu instructions\n",
                    how, d->caps.blockirq ? "yes" : "no",
                    (unsigned long long)d->range_resumes,
                    (unsigned long long)d->range_insns);
}

/*
 * The VMM's costs for `monitor cost`, all vCPUs together: KVM_RUN calls
 * and the time inside them, the other vCPU ioctls, the register reads and
 * writes KVM_CAP_SYNC_REGS saved, and the process's CPU time
 * (getrusage). make bench takes the VMM's share of a stop from these.
 */
static int stats_cost(const struct dbg *d, char *out, size_t cap)
{
    struct vcpu_stats t = {0};
    struct rusage ru;
    uint32_t sync = 0;

    for (unsigned i = 0; i < d->n; i++) {
        const struct vcpu *c = d->cpu[i].runner->vcpu;
        t.runs += c->stats.runs;
        t.run_ns += c->stats.run_ns;
        t.ioctls += c->stats.ioctls;
        t.synced += c->stats.synced;
        t.flushes += c->stats.flushes;
        sync |= c->sync_cap;
    }
    if (getrusage(RUSAGE_SELF, &ru) < 0)
        return -errno;
    return snprintf(
        out, cap,
        "KVM_RUN: %llu calls, %llu us inside\n"
        "other vCPU ioctls: %llu\n"
        "sync regs: %s; %llu register reads and %llu writes without an "
        "ioctl\n"
        "VMM CPU: user %llu us, system %llu us\n",
        (unsigned long long)t.runs, (unsigned long long)(t.run_ns / 1000),
        (unsigned long long)t.ioctls, sync ? "on" : "off",
        (unsigned long long)t.synced, (unsigned long long)t.flushes,
        (unsigned long long)ru.ru_utime.tv_sec * 1000000u +
            (unsigned long long)ru.ru_utime.tv_usec,
        (unsigned long long)ru.ru_stime.tv_sec * 1000000u +
            (unsigned long long)ru.ru_stime.tv_usec);
}

static int monitor(void *ctx, const char *cmd, char *out, size_t cap)
{
    struct dbg *d = ctx;
    unsigned cpu;
    int a;

    if (cap == 0)
        return -EINVAL;
    while (*cmd == ' ')
        cmd++;
    if (!strcmp(cmd, "help") || !*cmd) {
        return snprintf(
            out, cap,
            "regs [N]     general registers, CS:IP and the code bytes there\n"
            "sregs [N]    system registers: CR0-CR4, CR8, EFER, segment\n"
            "             selectors/bases/limits, GDTR, IDTR\n"
            "             (of vCPU N, default gdb's current thread's)\n"
            "cpus         each vCPU's state\n"
            "host         what this host's KVM supports for debugging\n"
            "step [irqs on|off]  interrupts while you step; range steps\n"
            "stats        VM exits and HLTs so far, per vCPU\n"
            "cost         KVM_RUN calls and time inside, vCPU ioctls,\n"
            "             the VMM's CPU time\n"
            "screen       the 80x25 text screen at 0xB8000\n"
            "record       record mode: history, checkpoints, memory\n"
            "info mem     mapped linear ranges and their rights (paging)\n"
            "info tlb     each mapped page: linear -> physical, flags\n"
            "%s",
            d->snaps ? snapmon_help : "");
    }
    if (!strcmp(cmd, "record")) {
        if (!d->rec)
            return snprintf(out, cap, "not recording (vmm --record)\n");
        return rec_describe(d->rec, out, cap);
    }
    if (d->snaps) {
        int n = snap_monitor(d, cmd, out, cap);
        if (n != -ENOENT)
            return n;
    }
    if (!strcmp(cmd, "screen"))
        return monitor_screen(d->runner, out, cap);
    if ((a = dbg_views_monitor(d, cmd, out, cap)) != -ENOENT)
        return a;
    if ((a = cpu_arg(d, cmd, "regs", &cpu)) != 0 ||
        (a = cpu_arg(d, cmd, "sregs", &cpu)) != 0) {
        if (a < 0) {
            snprintf(out, cap, "no vCPU '%s': there are %u (0-%u)\n",
                     strchr(cmd, ' ') + 1, d->n, d->n - 1);
            return -ENOENT;
        }
        return dump_cpu(d, cpu, cmd[0] == 's', out, cap);
    }
    if (!strncmp(cmd, "step", 4) && (!cmd[4] || cmd[4] == ' '))
        return monitor_step(d, cmd + 4, out, cap);
    if (!strcmp(cmd, "host")) {
        return snprintf(
            out, cap,
            "single-step: %s\nint3 intercepted: %s\n"
            "debug-register breakpoints: %s\n"
            "debug-register watchpoints: %s\n"
            "KVM_GUESTDBG_BLOCKIRQ: %s\n"
            "probe time: %.0f us\n",
            d->caps.singlestep ? "yes" : "no", d->caps.sw_bp ? "yes" : "no",
            d->caps.hw_bp ? "yes" : "no", d->caps.hw_watch ? "yes" : "no",
            d->caps.blockirq ? "yes" : "no", d->caps.usec);
    }
    if (!strcmp(cmd, "cost"))
        return stats_cost(d, out, cap);
    if (!strcmp(cmd, "stats") || !strcmp(cmd, "cpus")) {
        bool stats = cmd[0] == 's';
        size_t n = 0;
        for (unsigned i = 0; i < d->n && n < cap; i++) {
            const struct runner *r = d->cpu[i].runner;
            int k;
            if (stats && d->n == 1 && d->pw)
                k = snprintf(out + n, cap - n,
                             "exits: %llu\nhalts: %llu\npage protection: "
                             "%llu accesses done by the VMM, %llu "
                             "instructions stepped in watched pages, %llu "
                             "memslot layouts\n",
                             (unsigned long long)r->exits,
                             (unsigned long long)r->halts,
                             (unsigned long long)d->pw->accesses,
                             (unsigned long long)d->pw->steps,
                             (unsigned long long)d->pw->relayouts);
            else if (stats && d->n == 1)
                k = snprintf(out + n, cap - n, "exits: %llu\nhalts: %llu\n",
                             (unsigned long long)r->exits,
                             (unsigned long long)r->halts);
            else if (stats)
                k = snprintf(out + n, cap - n, "CPU#%u exits: %llu\n", i,
                             (unsigned long long)r->exits);
            else
                k = snprintf(out + n, cap - n, "CPU#%u [%s]%s\n", i,
                             cpu_state(d, i),
                             i == d->sel ? " (gdb's current thread)" : "");
            if (k < 0)
                return -EINVAL;
            n += (size_t)k;
        }
        return n < cap ? (int)n : (int)cap - 1;
    }
    snprintf(out, cap, "unknown monitor command '%s'; try 'monitor help'\n",
             cmd);
    return -ENOENT;
}

static int history(void *ctx, uint64_t *first, uint64_t *now)
{
    struct dbg *d = ctx;

    if (!d->rec)
        return -ENOSYS;
    rec_history(d->rec, first, now);
    return 0;
}

static int seek(void *ctx, uint64_t n)
{
    struct dbg *d = ctx;

    if (!d->rec)
        return -ENOSYS;
    return rec_seek(d->rec, n);
}

static void set_mem_view(void *ctx, const struct gdb_mem_view *view)
{
    struct dbg *d = ctx;

    d->view = view ? *view : (struct gdb_mem_view){0};
}

static int nr_threads(void *ctx)
{
    struct dbg *d = ctx;

    return (int)d->n;
}

static int select_thread(void *ctx, int t)
{
    struct dbg *d = ctx;

    if (t < 0 || (unsigned)t >= d->n)
        return -EINVAL;
    select_cpu(d, (unsigned)t);
    return 0;
}

/* What a vCPU is doing, as KVM's multiprocessing state says. */
static const char *cpu_state(struct dbg *d, unsigned i)
{
    uint32_t mp;

    if (!d->smp)
        return "running"; /* no irqchip needed: the one CPU runs */
    if (vcpu_get_mp_state(d->cpu[i].runner->vcpu, &mp) < 0)
        return "unknown";
    switch (mp) {
    case KVM_MP_STATE_RUNNABLE:
        return "running";
    case KVM_MP_STATE_HALTED:
        return "halted";
    case KVM_MP_STATE_UNINITIALIZED:
    case KVM_MP_STATE_INIT_RECEIVED:
        return "wait-for-SIPI";
    case KVM_MP_STATE_SIPI_RECEIVED:
        return "SIPI received";
    default:
        return "unknown";
    }
}

static int thread_info(void *ctx, int t, char *out, size_t cap)
{
    struct dbg *d = ctx;

    if (t < 0 || (unsigned)t >= d->n || cap == 0)
        return -EINVAL;
    int n = snprintf(out, cap, "CPU#%d [%s]", t, cpu_state(d, (unsigned)t));
    return n < 0 ? -EINVAL : (size_t)n >= cap ? (int)cap - 1 : n;
}

static int thread_stop(void *ctx, int t, struct gdb_stop *stop)
{
    struct dbg *d = ctx;

    if (t < 0 || (unsigned)t >= d->n)
        return -EINVAL;
    *stop = d->cpu[t].stop;
    return 0;
}

static bool thread_waits(void *ctx, int t)
{
    struct dbg *d = ctx;
    uint32_t mp;

    if (!d->smp || t < 0 || (unsigned)t >= d->n)
        return false;
    return vcpu_get_mp_state(d->cpu[t].runner->vcpu, &mp) == 0 &&
           mp != KVM_MP_STATE_RUNNABLE;
}

const struct gdb_target_ops dbg_target_ops = {
    .thread_waits = thread_waits,
    .nr_threads = nr_threads,
    .select_thread = select_thread,
    .thread_info = thread_info,
    .thread_stop = thread_stop,
    .set_mem_view = set_mem_view,
    .get_caps = get_caps,
    .get_regs = get_regs,
    .get_core_regs = get_core_regs,
    .set_regs = set_regs,
    .read_mem = read_mem,
    .write_mem = write_mem,
    .resume = resume,
    .monitor = monitor,
    .history = history,
    .seek = seek,
    .memory_map = dbg_memory_map,
    .read_phys = dbg_read_phys,
    .write_phys = dbg_write_phys,
    .set_console_sink = dbg_set_console_sink,
};
