#include "vcpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vm.h"

/* Entries vcpu_create may add to KVM's table (the two KVM leaves). */
#define CPUID_SPARE 2
/*
 * The table KVM_GET_SUPPORTED_CPUID is asked to fill first, and the most
 * ever. Hosts have 40-100 entries, so the E2BIG path runs on most of them.
 */
#define CPUID_FIRST_ENTRIES 32
#define CPUID_MAX_ENTRIES   4096

#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define KVM_CPUID_SIGNATURE    0x40000000u
#define KVM_CPUID_FEATURES     0x40000001u

/*
 * The kvm_run->s.regs sets we use: what a stop reads. Not
 * KVM_SYNC_X86_EVENTS: no stop needs them, and KVM would fetch them at
 * every exit.
 */
#define SYNC_USED (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)
/*
 * KVM_RUNs in a row whose stored registers nobody read before KVM stops
 * storing them (a guest running free between stops pays for none).
 */
#define SYNC_IDLE_RUNS 16

/* An ioctl on the vCPU fd other than KVM_RUN, counted for the stats. */
static int vioctl(struct vcpu *c, unsigned long req, void *arg)
{
    c->stats.ioctls++;
    return ioctl(c->fd, req, arg);
}

/*
 * KVM_GET_SUPPORTED_CPUID into a buffer grown until it fits (the ioctl
 * says E2BIG when nent is too small: KVM API doc), with CPUID_SPARE free
 * entries after the last. Returns 0 and the table in *out (free() it), or
 * -errno with the op recorded in vm->err_op.
 */
static int get_supported_cpuid(struct vm *vm, struct kvm_cpuid2 **out)
{
    *out = NULL;
    for (uint32_t n = CPUID_FIRST_ENTRIES; n <= CPUID_MAX_ENTRIES; n *= 2) {
        struct kvm_cpuid2 *t =
            calloc(1, sizeof(*t) + (n + CPUID_SPARE) * sizeof(t->entries[0]));
        if (!t) {
            errno = ENOMEM;
            return vm_fail(vm, "allocate the CPUID table");
        }
        t->nent = n;
        int r = ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, t);
        int e = errno;
        if (r == 0 && t->nent <= n) {
            *out = t; /* KVM wrote nent entries, no more than we gave */
            return 0;
        }
        free(t);
        if (r == 0 || e != E2BIG) {
            errno = r == 0 ? EOVERFLOW : e;
            return vm_fail(vm, "KVM_GET_SUPPORTED_CPUID");
        }
    }
    errno = E2BIG;
    return vm_fail(vm, "KVM_GET_SUPPORTED_CPUID");
}

/* The entry for leaf fn, subleaf idx; appended (zeroed) if KVM had none. */
static struct kvm_cpuid_entry2 *cpuid_entry(struct kvm_cpuid2 *t, uint32_t fn,
                                            uint32_t idx)
{
    for (uint32_t i = 0; i < t->nent; i++)
        if (t->entries[i].function == fn && t->entries[i].index == idx)
            return &t->entries[i];
    /* Only the two KVM leaves are ever added: CPUID_SPARE covers them. */
    struct kvm_cpuid_entry2 *e = &t->entries[t->nent++];
    *e = (struct kvm_cpuid_entry2){.function = fn, .index = idx};
    return e;
}

/*
 * What the guest sees, per vCPU: KVM's supported table, plus
 *  - leaf 1 ECX[31], "hypervisor present" (reserved for this by Intel and
 *    AMD), and EBX[31:24], the initial APIC ID = the vCPU index;
 *  - leaves 0xB and 0x1F (x2APIC topology): EDX, the x2APIC ID, on every
 *    subleaf = the vCPU index (Intel SDM vol. 2, CPUID);
 *  - leaf 0x40000000, "KVMKVMKVM\0\0\0" with EAX the highest KVM leaf,
 *    and 0x40000001, KVM's paravirtual features (KVM API doc, "KVM CPUID
 *    bits"), made present if KVM left them out.
 */
static void fill_cpuid(struct kvm_cpuid2 *t, unsigned index)
{
    for (uint32_t i = 0; i < t->nent; i++) {
        struct kvm_cpuid_entry2 *e = &t->entries[i];
        if (e->function == 1) {
            e->ecx |= CPUID_1_ECX_HYPERVISOR;
            e->ebx = (e->ebx & 0x00ffffffu) | ((uint32_t)index << 24);
        } else if (e->function == 0xb || e->function == 0x1f) {
            e->edx = index;
        }
    }
    struct kvm_cpuid_entry2 *sig = cpuid_entry(t, KVM_CPUID_SIGNATURE, 0);
    memcpy(&sig->ebx, "KVMK", 4);
    memcpy(&sig->ecx, "VMKV", 4);
    memcpy(&sig->edx, "M\0\0\0", 4);
    if (sig->eax < KVM_CPUID_FEATURES)
        sig->eax = KVM_CPUID_FEATURES;
    cpuid_entry(t, KVM_CPUID_FEATURES, 0);
}

static int set_cpuid(struct vcpu *c)
{
    struct kvm_cpuid2 *t;
    int r = get_supported_cpuid(c->vm, &t);

    if (r < 0)
        return r;
    fill_cpuid(t, c->index);
    r = vioctl(c, KVM_SET_CPUID2, t);
    int e = errno;
    free(t);
    if (r < 0) {
        errno = e;
        return vm_fail(c->vm, "KVM_SET_CPUID2");
    }
    return 0;
}

int vcpu_create(struct vcpu *c, struct vm *vm, unsigned index)
{
    *c = (struct vcpu){.vm = vm, .fd = -1, .run = MAP_FAILED, .index = index};

    c->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (c->fd < 0)
        return vm_fail(vm, "KVM_CREATE_VCPU");
    int e = set_cpuid(c);
    if (e < 0)
        return e;
    c->run_size = vm->vcpu_mmap_size;
    c->has_xsave = vm_check_cap(vm, KVM_CAP_XSAVE) > 0;
    /* KVM_CHECK_EXTENSION gives the KVM_SYNC_X86_* bits KVM supports. */
    int sync = vm->no_sync_regs ? 0 : vm_check_cap(vm, KVM_CAP_SYNC_REGS);
    c->sync_cap = sync > 0 ? (uint32_t)sync & SYNC_USED : 0;
    c->run = mmap(NULL, (size_t)c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  c->fd, 0);
    if (c->run == MAP_FAILED)
        return vm_fail(vm, "mmap kvm_run");
    return 0;
}

void vcpu_destroy(struct vcpu *c)
{
    if (c->run != MAP_FAILED)
        munmap(c->run, (size_t)c->run_size);
    c->run = MAP_FAILED;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void invalidate(struct vcpu *c)
{
    c->regs_valid = c->sregs_valid = c->fpu_valid = false;
}

int vcpu_flush(struct vcpu *c)
{
    if (!c->regs_dirty)
        return 0;
    if (vioctl(c, KVM_SET_REGS, &c->regs) < 0)
        return vm_fail(c->vm, "KVM_SET_REGS");
    c->regs_dirty = false;
    return 0;
}

int vcpu_get_regs(struct vcpu *c, struct kvm_regs **regs)
{
    if (!c->regs_valid) {
        if (vioctl(c, KVM_GET_REGS, &c->regs) < 0)
            return vm_fail(c->vm, "KVM_GET_REGS");
        c->regs_valid = true;
    }
    c->sync_read |= KVM_SYNC_X86_REGS;
    *regs = &c->regs;
    return 0;
}

int vcpu_get_sregs(struct vcpu *c, struct kvm_sregs **sregs)
{
    if (!c->sregs_valid) {
        if (vioctl(c, KVM_GET_SREGS, &c->sregs) < 0)
            return vm_fail(c->vm, "KVM_GET_SREGS");
        c->sregs_valid = true;
    }
    c->sync_read |= KVM_SYNC_X86_SREGS;
    *sregs = &c->sregs;
    return 0;
}

int vcpu_get_fpu(struct vcpu *c, struct kvm_fpu **fpu)
{
    if (!c->fpu_valid) {
        if (vioctl(c, KVM_GET_FPU, &c->fpu) < 0)
            return vm_fail(c->vm, "KVM_GET_FPU");
        c->fpu_valid = true;
    }
    *fpu = &c->fpu;
    return 0;
}

int vcpu_set_regs(struct vcpu *c, const struct kvm_regs *regs)
{
    if (regs != &c->regs)
        c->regs = *regs;
    c->regs_valid = true;
    if (c->sync_cap & KVM_SYNC_X86_REGS) {
        c->regs_dirty = true; /* for the next KVM_RUN (kvm_dirty_regs) */
        return 0;
    }
    if (vioctl(c, KVM_SET_REGS, &c->regs) < 0) {
        c->regs_valid = false;
        return vm_fail(c->vm, "KVM_SET_REGS");
    }
    return 0;
}

int vcpu_set_sregs(struct vcpu *c, const struct kvm_sregs *sregs)
{
    int e = vcpu_flush(c); /* KVM sees the writes in the order made */

    if (e < 0)
        return e;
    if (sregs != &c->sregs)
        c->sregs = *sregs;
    c->sregs_valid = false;
    if (vioctl(c, KVM_SET_SREGS, &c->sregs) < 0)
        return vm_fail(c->vm, "KVM_SET_SREGS");
    c->sregs_valid = true;
    return 0;
}

/*
 * Write x87/SSE state through the XSAVE area, marking x87 and SSE present
 * in XSTATE_BV. KVM_SET_FPU writes the legacy area only: with XSTATE_BV
 * clear, an XRSTOR puts those components back in their init state and the
 * write is silently lost (seen on a KVM backend here whenever the vCPU
 * thread was scheduled out). Offsets: Intel SDM vol. 1, 10.5.1 (FXSAVE
 * area) and 13.4.2 (XSAVE header).
 */
static int set_fpu_xsave(struct vcpu *c, const struct kvm_fpu *f)
{
    struct kvm_xsave x;
    uint8_t *a = (uint8_t *)x.region;
    uint64_t bv;

    if (vioctl(c, KVM_GET_XSAVE, &x) < 0)
        return vm_fail(c->vm, "KVM_GET_XSAVE");
    memcpy(a + 0, &f->fcw, 2);
    memcpy(a + 2, &f->fsw, 2);
    a[4] = f->ftwx;
    memcpy(a + 6, &f->last_opcode, 2);
    memcpy(a + 8, &f->last_ip, 8);
    memcpy(a + 16, &f->last_dp, 8);
    memcpy(a + 24, &f->mxcsr, 4);
    for (int i = 0; i < 8; i++)
        memcpy(a + 32 + 16 * i, f->fpr[i], 16);
    memcpy(a + 160, f->xmm, sizeof(f->xmm));
    memcpy(&bv, a + 512, 8);
    bv |= 0x3; /* XSTATE_BV: x87 | SSE */
    memcpy(a + 512, &bv, 8);
    if (vioctl(c, KVM_SET_XSAVE, &x) < 0)
        return vm_fail(c->vm, "KVM_SET_XSAVE");
    return 0;
}

int vcpu_set_fpu(struct vcpu *c, const struct kvm_fpu *fpu)
{
    int e = vcpu_flush(c);

    if (e < 0)
        return e;
    if (fpu != &c->fpu)
        c->fpu = *fpu;
    c->fpu_valid = false;
    if (c->has_xsave) {
        if ((e = set_fpu_xsave(c, &c->fpu)) < 0)
            return e;
    } else if (vioctl(c, KVM_SET_FPU, &c->fpu) < 0) {
        return vm_fail(c->vm, "KVM_SET_FPU");
    }
    c->fpu_valid = true;
    return 0;
}

static void real_mode_seg(struct kvm_segment *s, bool code)
{
    *s = (struct kvm_segment){
        .base = 0,
        .limit = 0xffff,
        .selector = 0,
        .type = code ? 0xb : 0x3, /* execute/read accessed, read/write acc. */
        .present = 1,
        .s = 1,
    };
}

int vcpu_reset_real_mode(struct vcpu *c)
{
    struct kvm_sregs *s = NULL;
    int r = vcpu_get_sregs(c, &s);

    if (r < 0)
        return r;
    struct kvm_sregs sregs = *s;
    real_mode_seg(&sregs.cs, true);
    real_mode_seg(&sregs.ds, false);
    real_mode_seg(&sregs.es, false);
    real_mode_seg(&sregs.fs, false);
    real_mode_seg(&sregs.gs, false);
    real_mode_seg(&sregs.ss, false);
    r = vcpu_set_sregs(c, &sregs);
    if (r < 0)
        return r;
    struct kvm_regs regs = {.rflags = 0x2};
    return vcpu_set_regs(c, &regs);
}

int vcpu_reset_real_mode_at(struct vcpu *c, uint16_t cs, uint16_t ip)
{
    struct kvm_sregs *s = NULL;
    int r = vcpu_get_sregs(c, &s);

    if (r < 0)
        return r;
    struct kvm_sregs sregs = {.apic_base = s->apic_base, .cr0 = 0x60000010};
    real_mode_seg(&sregs.cs, true);
    sregs.cs.selector = cs;
    sregs.cs.base = (uint64_t)cs << 4;
    real_mode_seg(&sregs.ds, false);
    real_mode_seg(&sregs.es, false);
    real_mode_seg(&sregs.fs, false);
    real_mode_seg(&sregs.gs, false);
    real_mode_seg(&sregs.ss, false);
    sregs.tr = (struct kvm_segment){.limit = 0xffff, .type = 0xb, .present = 1};
    sregs.ldt =
        (struct kvm_segment){.limit = 0xffff, .type = 0x2, .present = 1};
    sregs.gdt.limit = 0xffff;
    sregs.idt.limit = 0xffff;
    if ((r = vcpu_set_sregs(c, &sregs)) < 0)
        return r;
    struct kvm_regs regs = {.rip = ip, .rflags = 0x2};
    return vcpu_set_regs(c, &regs);
}

/* A flat 32-bit segment: base 0, limit 4 GiB - 1 (G=1), D/B=1, DPL 0. */
static void flat32_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
    *s = (struct kvm_segment){
        .base = 0,
        .limit = 0xffffffff,
        .selector = sel,
        .type = type,
        .present = 1,
        .s = 1,
        .db = 1,
        .g = 1,
    };
}

int vcpu_reset_flat32(struct vcpu *c, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    struct kvm_sregs *s = NULL;
    int r = vcpu_get_sregs(c, &s);

    if (r < 0)
        return r;
    struct kvm_sregs sregs = *s;
    flat32_seg(&sregs.cs, 0x08, 0xb); /* execute/read, accessed */
    flat32_seg(&sregs.ds, 0x10, 0x3); /* read/write, accessed */
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    /*
     * VM entry wants a usable TR of type busy TSS and an LDTR that is
     * unusable or a present LDT (Intel SDM vol. 3, "Checks on Guest
     * Segment Registers").
     */
    sregs.tr = (struct kvm_segment){
        .limit = 0x67, .type = 0xb, .present = 1}; /* 32-bit busy TSS */
    sregs.ldt = (struct kvm_segment){
        .limit = 0xffff, .type = 0x2, .present = 1}; /* LDT */
    sregs.gdt = (struct kvm_dtable){0};
    sregs.idt = (struct kvm_dtable){0};
    sregs.cr0 = 0x11; /* PE, ET; PG=0, caches on (CD=NW=0) */
    sregs.cr2 = sregs.cr3 = sregs.cr4 = sregs.cr8 = 0;
    sregs.efer = 0;
    r = vcpu_set_sregs(c, &sregs);
    if (r < 0)
        return r;
    struct kvm_regs regs = {.rax = eax, .rbx = ebx, .rip = eip, .rflags = 0x2};
    return vcpu_set_regs(c, &regs);
}

int vcpu_set_guest_debug(struct vcpu *c, const struct kvm_guest_debug *dbg)
{
    if (c->dbg_valid && memcmp(&c->dbg, dbg, sizeof(*dbg)) == 0)
        return 0;
    /* KVM notes RIP and RFLAGS.TF for single-stepping here: flush first. */
    int e = vcpu_flush(c);
    if (e < 0)
        return e;
    c->dbg = *dbg;
    c->dbg_valid = false;
    if (vioctl(c, KVM_SET_GUEST_DEBUG, &c->dbg) < 0)
        return vm_fail(c->vm, "KVM_SET_GUEST_DEBUG");
    c->dbg_valid = true;
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t); /* cannot fail for this clock */
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/*
 * Which register sets to ask KVM to store at the next exit: those read
 * since the last KVM_RUN, kept for SYNC_IDLE_RUNS runs in which nobody
 * reads them (a step through an OUT is two KVM_RUNs, the registers read
 * after the second only).
 */
static uint32_t sync_mask(struct vcpu *c)
{
    if (c->sync_read) {
        c->sync_want |= c->sync_read & c->sync_cap;
        c->sync_idle = 0;
    } else if (c->sync_want && ++c->sync_idle >= SYNC_IDLE_RUNS) {
        c->sync_want = 0;
    }
    c->sync_read = 0;
    return c->sync_want;
}

/*
 * The first time KVM stored registers, check them against KVM_GET_REGS
 * and KVM_GET_SREGS (nothing runs between the two): a backend that gets
 * kvm_run->s.regs wrong is left on the ioctls.
 */
static void sync_check(struct vcpu *c, uint32_t have)
{
    struct kvm_regs r;
    struct kvm_sregs s;

    c->sync_checked = true;
    if (((have & KVM_SYNC_X86_REGS) &&
         (vioctl(c, KVM_GET_REGS, &r) < 0 ||
          memcmp(&r, &c->run->s.regs.regs, sizeof(r)))) ||
        ((have & KVM_SYNC_X86_SREGS) &&
         (vioctl(c, KVM_GET_SREGS, &s) < 0 ||
          memcmp(&s, &c->run->s.regs.sregs, sizeof(s)))))
        c->sync_cap = c->sync_want = 0;
}

/*
 * KVM_RUN with the pending register write (kvm_dirty_regs) and the sets
 * to store at the exit (kvm_valid_regs). Returns what ioctl returned, the
 * errno in *err. KVM takes the dirty registers before it runs anything
 * and clears their bit (KVM API doc, kvm_dirty_regs); a bit still set
 * means it returned first (a vCPU waiting for SIPI, say), so they stay
 * pending. At every return KVM stores the valid sets (kvm_valid_regs).
 */
static int run_once(struct vcpu *c, int *err)
{
    struct kvm_run *run = c->run;
    uint32_t want = c->sync_cap ? sync_mask(c) : 0;
    uint32_t dirty = 0;

    if (c->regs_dirty && c->regs_valid) {
        run->s.regs.regs = c->regs;
        dirty = KVM_SYNC_X86_REGS;
    }
    c->regs_dirty = false; /* dirty but not valid: a snapshot replaced it */
    run->kvm_valid_regs = want;
    run->kvm_dirty_regs = dirty;
    invalidate(c);
    c->io_pending = false;
    uint64_t t0 = now_ns();
    int r = ioctl(c->fd, KVM_RUN, 0);
    *err = errno;
    c->stats.run_ns += now_ns() - t0;
    c->stats.runs++;
    if (dirty && (run->kvm_dirty_regs & KVM_SYNC_X86_REGS)) {
        c->regs_dirty = c->regs_valid = true; /* not taken: still ours */
    } else if (dirty) {
        c->stats.flushes++;
    }
    if ((r < 0 && *err != EINTR) || !want)
        return r;
    if (!c->sync_checked)
        sync_check(c, want);
    if ((want & c->sync_cap & KVM_SYNC_X86_REGS) && !c->regs_dirty) {
        c->regs = run->s.regs.regs;
        c->regs_valid = true;
        c->stats.synced++;
    }
    if (want & c->sync_cap & KVM_SYNC_X86_SREGS) {
        c->sregs = run->s.regs.sregs;
        c->sregs_valid = true;
        c->stats.synced++;
    }
    return r;
}

int vcpu_run(struct vcpu *c)
{
    int e;

    if (run_once(c, &e) < 0) {
        if (e == EINTR)
            return -EINTR;
        errno = e;
        return vm_fail(c->vm, "KVM_RUN");
    }
    c->io_pending = c->run->exit_reason == KVM_EXIT_IO ||
                    c->run->exit_reason == KVM_EXIT_MMIO;
    return 0;
}

int vcpu_complete_io(struct vcpu *c)
{
    int e;

    if (!c->io_pending)
        return 0;
    __atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_RELAXED);
    int r = run_once(c, &e);
    __atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_RELAXED);
    if (r < 0 && e != EINTR) {
        errno = e;
        return vm_fail(c->vm, "KVM_RUN (complete I/O)");
    }
    return 0;
}

int vcpu_set_signal_mask(struct vcpu *c, const sigset_t *mask)
{
    /* The kernel's sigset is 8 bytes on x86-64 (KVM API doc,
     * KVM_SET_SIGNAL_MASK), not glibc's 128. */
    union {
        struct kvm_signal_mask m;
        uint8_t bytes[sizeof(struct kvm_signal_mask) + 8];
    } km;

    km.m.len = 8;
    memcpy(km.bytes + sizeof(struct kvm_signal_mask), mask, 8);
    if (vioctl(c, KVM_SET_SIGNAL_MASK, &km) < 0)
        return vm_fail(c->vm, "KVM_SET_SIGNAL_MASK");
    return 0;
}

int vcpu_translate(struct vcpu *c, uint64_t linear, uint64_t *gpa)
{
    struct kvm_sregs *s = NULL;
    int r = vcpu_get_sregs(c, &s);

    if (r < 0)
        return r;
    /* Without paging, linear addresses are physical (SDM vol. 3, 4.1.1). */
    if (!(s->cr0 & 0x80000000u)) {
        *gpa = linear;
        return 0;
    }
    struct kvm_translation t = {.linear_address = linear};
    if (vioctl(c, KVM_TRANSLATE, &t) < 0)
        return vm_fail(c->vm, "KVM_TRANSLATE");
    if (!t.valid)
        return -EFAULT;
    *gpa = t.physical_address;
    return 0;
}

int vcpu_get_mp_state(struct vcpu *c, uint32_t *state)
{
    struct kvm_mp_state mp;

    if (vioctl(c, KVM_GET_MP_STATE, &mp) < 0)
        return vm_fail(c->vm, "KVM_GET_MP_STATE");
    *state = mp.mp_state;
    return 0;
}

int vcpu_set_mp_state(struct vcpu *c, uint32_t state)
{
    struct kvm_mp_state mp = {.mp_state = state};
    int e = vcpu_flush(c);

    if (e < 0)
        return e;
    if (vioctl(c, KVM_SET_MP_STATE, &mp) < 0)
        return vm_fail(c->vm, "KVM_SET_MP_STATE");
    return 0;
}

int vcpu_supported_cpuid(struct vm *vm, struct kvm_cpuid2 **out)
{
    return get_supported_cpuid(vm, out);
}

int vcpu_complete_io_more(struct vcpu *c)
{
    if (!c->io_pending)
        return 0;
    invalidate(c);
    c->io_pending = false;
    __atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_RELAXED);
    int r = ioctl(c->fd, KVM_RUN, 0);
    int e = errno;
    __atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_RELAXED);
    if (r < 0 && e != EINTR) {
        errno = e;
        return vm_fail(c->vm, "KVM_RUN (complete I/O)");
    }
    if (r < 0)
        return 0; /* done: immediate_exit stopped it before the guest ran */
    c->io_pending = c->run->exit_reason == KVM_EXIT_IO ||
                    c->run->exit_reason == KVM_EXIT_MMIO;
    return c->io_pending ? 1 : 0;
}
