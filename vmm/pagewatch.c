#include "pagewatch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "insn.h"
#include "vcpu.h"
#include "vm.h"

#define CR0_PE       0x1ull
#define EFER_LMA     (1ull << 10)
#define DR6_B0_3     0xfull
#define RFLAGS_TF    0x100ull
#define MAX_INSN_LEN 15           /* Intel SDM vol. 2, 2.3.11 */
#define STEP_LIMIT   100000000ull /* instructions in a page per run */

void pagewatch_init(struct pagewatch *pw, struct vm *vm, struct mem *mem,
                    struct run_mmio next)
{
    *pw = (struct pagewatch){.vm = vm, .mem = mem, .next = next};
}

static uint64_t page_of(uint64_t a)
{
    return a & ~(uint64_t)(MEM_PAGE - 1);
}

/* Insert page gpa (kept sorted); a hole wins over read-only. */
static int add_page(struct mem_prot_page *p, size_t *n, uint64_t gpa,
                    enum mem_prot prot)
{
    size_t i = 0;

    while (i < *n && p[i].gpa < gpa)
        i++;
    if (i < *n && p[i].gpa == gpa) {
        if (prot == MEM_PROT_HOLE)
            p[i].prot = prot;
        return 0;
    }
    if (*n == MEM_PROT_MAX_PAGES)
        return -ENOSPC;
    memmove(&p[i + 1], &p[i], (*n - i) * sizeof(*p));
    p[i] = (struct mem_prot_page){.gpa = gpa, .prot = prot};
    (*n)++;
    return 0;
}

/* Lay out pages (relaxed: holes as read-only) if it differs from now. */
static int lay(struct pagewatch *pw, const struct mem_prot_page *p, size_t n,
               bool relaxed)
{
    struct mem_prot_page v[MEM_PROT_MAX_PAGES];

    for (size_t i = 0; i < n; i++) {
        v[i] = p[i];
        if (relaxed)
            v[i].prot = MEM_PROT_READONLY;
    }
    pw->relayouts++;
    return mem_protect(pw->mem, pw->vm, v, n);
}

int pagewatch_set(struct pagewatch *pw, struct vcpu *vcpu,
                  const struct pagewatch_range *r, size_t n)
{
    struct mem_prot_page page[MEM_PROT_MAX_PAGES];
    size_t npages = 0;
    int e;

    if (n > PAGEWATCH_MAX_RANGES)
        return -ENOSPC;
    pw->npieces = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t end;
        if (r[i].len == 0 ||
            __builtin_add_overflow(r[i].addr, r[i].len, &end) ||
            !(r[i].kind & PAGEWATCH_ACCESS))
            return -EINVAL;
        for (uint64_t a = r[i].addr; a < end;) {
            uint64_t next = page_of(a) + MEM_PAGE, gpa;
            uint64_t len = (next < end && next > a ? next : end) - a;
            e = vcpu_translate(vcpu, a, &gpa);
            if (e < 0 && e != -EFAULT)
                return e;
            /*
             * Watched where it is RAM now; a page not mapped (or MMIO) is
             * not watched until a later resume finds it mapped.
             */
            if (e == 0 && mem_gpa_to_hva(pw->mem, gpa, (size_t)len)) {
                if (pw->npieces == PAGEWATCH_MAX_PIECES)
                    return -ENOSPC;
                pw->piece[pw->npieces++] =
                    (struct pagewatch_piece){.gpa = gpa,
                                             .len = len,
                                             .addr = r[i].addr,
                                             .kind = r[i].kind};
                e = add_page(page, &npages, page_of(gpa),
                             (r[i].kind & PAGEWATCH_READ) ? MEM_PROT_HOLE
                                                          : MEM_PROT_READONLY);
                if (e < 0)
                    return e;
            }
            a += len;
        }
    }
    if (!pw->relaxed && npages == pw->npages &&
        !memcmp(page, pw->page, npages * sizeof(page[0])))
        return 0; /* as laid already: no memslot calls */
    memcpy(pw->page, page, npages * sizeof(page[0]));
    pw->npages = npages;
    pw->relaxed = false;
    return lay(pw, page, npages, false);
}

static const struct mem_prot_page *find_page(const struct pagewatch *pw,
                                             uint64_t gpa)
{
    for (size_t i = 0; i < pw->npages; i++)
        if (pw->page[i].gpa == page_of(gpa))
            return &pw->page[i];
    return NULL;
}

int pagewatch_mmio(void *ctx, uint64_t gpa, bool is_write, uint32_t len,
                   uint8_t *data)
{
    struct pagewatch *pw = ctx;
    uint64_t end;
    uint8_t *hva;

    if (!find_page(pw, gpa) || len == 0 ||
        __builtin_add_overflow(gpa, (uint64_t)len, &end) ||
        !(hva = mem_gpa_to_hva(pw->mem, gpa, len)))
        return pw->next.fn ? pw->next.fn(pw->next.ctx, gpa, is_write, len, data)
                           : 0;
    /* The access the page's protection turned into an exit, done. */
    if (is_write)
        memcpy(hva, data, len);
    else
        memcpy(data, hva, len);
    pw->accesses++;
    unsigned want = is_write ? PAGEWATCH_WRITE : PAGEWATCH_READ;
    for (size_t i = 0; i < pw->npieces; i++) {
        if (!(pw->piece[i].kind & want) ||
            gpa >= pw->piece[i].gpa + pw->piece[i].len ||
            end <= pw->piece[i].gpa)
            continue;
        if (!pw->hit) {
            pw->hit = true;
            pw->hit_addr = pw->piece[i].addr;
            pw->hit_kind = want;
        }
        return 2;
    }
    return 1;
}

/* The linear address of the next instruction (CS base + IP). */
static uint64_t lin_pc(const struct kvm_regs *r, const struct kvm_sregs *s)
{
    if ((s->efer & EFER_LMA) && s->cs.l)
        return r->rip;
    uint64_t ip = s->cs.db ? r->rip & 0xffffffff : r->rip & 0xffff;
    return (s->cs.base + ip) & 0xffffffff;
}

/*
 * Whether the next instruction (its first and possibly last byte, as
 * far as an x86 instruction goes) lies in a protected hole page.
 */
static int code_in_hole(struct pagewatch *pw, struct vcpu *c, bool *in)
{
    struct kvm_regs *r = NULL;
    struct kvm_sregs *s = NULL;
    int e;

    *in = false;
    if ((e = vcpu_get_regs(c, &r)) < 0 || (e = vcpu_get_sregs(c, &s)) < 0)
        return e;
    uint64_t pc = lin_pc(r, s);
    for (uint64_t a = pc; a <= pc + MAX_INSN_LEN - 1; a += MAX_INSN_LEN - 1) {
        uint64_t gpa;
        if (vcpu_translate(c, a, &gpa) < 0)
            continue;
        const struct mem_prot_page *p = find_page(pw, gpa);
        if (p && p->prot == MEM_PROT_HOLE)
            *in = true;
    }
    return 0;
}

/* The vCPU as the decoder needs it, before an instruction. */
struct before {
    struct insn_cpu cpu;
    uint8_t code[MAX_INSN_LEN];
    size_t n;
};

/* Read guest linear [a, a + len) as the vCPU would; bytes got. */
static size_t read_linear(struct pagewatch *pw, struct vcpu *c, uint64_t a,
                          uint8_t *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        uint64_t gpa, room = MEM_PAGE - ((a + got) & (MEM_PAGE - 1));
        size_t chunk = len - got < room ? len - got : (size_t)room;
        const uint8_t *hva;
        if (vcpu_translate(c, a + got, &gpa) < 0 ||
            !(hva = mem_gpa_to_hva(pw->mem, gpa, chunk)))
            break;
        memcpy(buf + got, hva, chunk);
        got += chunk;
    }
    return got;
}

static int snap_before(struct pagewatch *pw, struct vcpu *c, struct before *b)
{
    struct kvm_regs *r = NULL;
    struct kvm_sregs *s = NULL;
    int e;

    if ((e = vcpu_get_regs(c, &r)) < 0 || (e = vcpu_get_sregs(c, &s)) < 0)
        return e;
    const struct kvm_segment *seg[6] = {&s->es, &s->cs, &s->ss,
                                        &s->ds, &s->fs, &s->gs};
    const uint64_t gpr[16] = {r->rax, r->rcx, r->rdx, r->rbx, r->rsp, r->rbp,
                              r->rsi, r->rdi, r->r8,  r->r9,  r->r10, r->r11,
                              r->r12, r->r13, r->r14, r->r15};
    b->cpu = (struct insn_cpu){.long64 = (s->efer & EFER_LMA) && s->cs.l,
                               .code32 = s->cs.db,
                               .df = (r->rflags & (1u << 10)) != 0};
    memcpy(b->cpu.gpr, gpr, sizeof(gpr));
    for (int i = 0; i < 6; i++)
        b->cpu.seg_base[i] = seg[i]->base;
    b->n = read_linear(pw, c, lin_pc(r, s), b->code, sizeof(b->code));
    return 0;
}

/* Whether guest linear [a, a + len) holds read-watched bytes; the hit. */
static bool reads_watched(struct pagewatch *pw, struct vcpu *c, uint64_t a,
                          uint64_t len)
{
    for (uint64_t off = 0; off < len;) {
        uint64_t gpa, room = MEM_PAGE - ((a + off) & (MEM_PAGE - 1));
        uint64_t chunk = len - off < room ? len - off : room;
        if (vcpu_translate(c, a + off, &gpa) == 0) {
            for (size_t i = 0; i < pw->npieces; i++) {
                const struct pagewatch_piece *p = &pw->piece[i];
                if ((p->kind & PAGEWATCH_READ) && gpa < p->gpa + p->len &&
                    p->gpa < gpa + chunk) {
                    if (!pw->hit) {
                        pw->hit = true;
                        pw->hit_addr = p->addr;
                        pw->hit_kind = PAGEWATCH_READ;
                    }
                    return true;
                }
            }
        }
        off += chunk;
    }
    return false;
}

/*
 * After a step of the instruction b saw: whether it read watched bytes
 * (its writes exit on their own: the page is read-only meanwhile).
 */
static int stepped_read(struct pagewatch *pw, struct vcpu *c, struct before *b,
                        bool *hit)
{
    struct kvm_regs *r = NULL;
    struct insn_access acc[INSN_MAX_READS];
    int e;

    *hit = false;
    if ((e = vcpu_get_regs(c, &r)) < 0)
        return e;
    b->cpu.next_rip = r->rip;
    int k = insn_data_reads(b->code, b->n, &b->cpu, acc);
    if (k < 0)
        pw->undecoded++;
    for (int i = 0; i < k && i < INSN_MAX_READS && !*hit; i++)
        *hit = reads_watched(pw, c, acc[i].addr, acc[i].len);
    return 0;
}

/* A run stop the stub must see during our own stepping. */
static bool is_own_stop(const struct run_result *res)
{
    return res->stop != RUN_STOP_DEBUG || res->watch || res->exception == 3 ||
           (res->dr6 & DR6_B0_3);
}

/*
 * Step the code in hole pages with them read-only, until the guest leaves
 * them (RUN_CONT) or for one instruction. Returns 1 if the run is to go
 * on, 0 with *res to report, or -errno.
 */
static int step_in_holes(struct pagewatch *pw, struct runner *r,
                         enum run_mode mode, struct run_result *res)
{
    struct vcpu *c = r->vcpu;
    struct kvm_guest_debug saved =
        c->dbg_valid ? c->dbg : (struct kvm_guest_debug){0};
    struct kvm_guest_debug step = saved;
    int e, e2;
    bool in = true;

    pw->relaxed = true;
    if ((e = lay(pw, pw->page, pw->npages, true)) < 0)
        return e;
    step.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
    if ((e = vcpu_set_guest_debug(c, &step)) < 0)
        return e;
    for (uint64_t k = 0; in && k < STEP_LIMIT; k++) {
        struct before b;
        bool hit;
        if ((e = snap_before(pw, c, &b)) < 0)
            break;
        e = run_vcpu(r, mode == RUN_STEP ? RUN_STEP : RUN_STEP_RUN, res);
        pw->steps++;
        if (e < 0)
            break;
        /* Went through (no breakpoint fault first): did it read? */
        if (res->stop == RUN_STOP_DEBUG && !res->watch && res->exception != 3 &&
            !(res->dr6 & DR6_B0_3)) {
            if ((e = stepped_read(pw, c, &b, &hit)) < 0)
                break;
            res->watch = hit;
        }
        if (mode != RUN_CONT || is_own_stop(res))
            break;
        if ((e = code_in_hole(pw, c, &in)) < 0)
            break;
    }
    e2 = vcpu_set_guest_debug(c, &saved);
    if (e2 >= 0) {
        pw->relaxed = false;
        e2 = lay(pw, pw->page, pw->npages, false);
    }
    if (e < 0 || e2 < 0)
        return e < 0 ? e : e2;
    return mode == RUN_CONT && !is_own_stop(res) ? 1 : 0;
}

/*
 * A watched access stopped a free run: the instruction is complete, but
 * its single-step trap (the guest's TF) may not have been queued by KVM
 * (a software KVM drops it; hardware KVM has it pending). Sets trap_owed.
 */
static int check_trap(struct pagewatch *pw, struct vcpu *c)
{
    struct kvm_regs *r = NULL;
    struct kvm_vcpu_events ev;
    int e;

    if ((e = vcpu_get_regs(c, &r)) < 0)
        return e;
    if (!(r->rflags & RFLAGS_TF))
        return 0;
    if (ioctl(c->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
        return vm_fail(c->vm, "KVM_GET_VCPU_EVENTS");
    pw->trap_owed = !((ev.exception.pending || ev.exception.injected) &&
                      ev.exception.nr == 1);
    return 0;
}

int pagewatch_run(struct pagewatch *pw, struct runner *r, enum run_mode mode,
                  struct run_result *res)
{
    int e;

    pw->hit = pw->trap_owed = false;
    for (;;) {
        if ((e = run_vcpu(r, mode, res)) < 0)
            return e;
        if (res->watch && mode == RUN_CONT)
            return check_trap(pw, r->vcpu);
        if (res->stop != RUN_STOP_CRASH ||
            r->crash.exit_reason != KVM_EXIT_INTERNAL_ERROR || !pw->npages)
            return 0;
        bool in;
        if ((e = code_in_hole(pw, r->vcpu, &in)) < 0)
            return e;
        if (!in)
            return 0; /* a crash of the guest's own */
        if ((e = step_in_holes(pw, r, mode, res)) <= 0)
            return e;
    }
}
