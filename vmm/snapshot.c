#include "snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <sys/mman.h>

#include "board.h"
#include "mem.h"
#include "run.h"
#include "smp.h"
#include "vcpu.h"
#include "vm.h"

#define PAGE 4096ull

static int fail(struct snap_machine *m, const char *op)
{
    int e = errno ? errno : EIO;

    m->err_op = op;
    return -e;
}

/* No vCPU thread may be inside KVM_RUN while its state is got or set. */
static int check_stopped(struct snap_machine *m)
{
    if (m->smp && !smp_is_stopped(m->smp)) {
        errno = EBUSY;
        return fail(m, "a vCPU is running");
    }
    return 0;
}

/*
 * The MSRs to save: KVM_GET_MSR_INDEX_LIST (KVM API doc 4.41: the MSRs
 * KVM_GET_MSRS supports), less the ones this vCPU refuses to read. Done
 * once, on vCPU 0.
 */
static int probe_msrs(struct snap_machine *m)
{
    struct kvm_msr_list probe = {.nmsrs = 0}, *list;
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } one;

    if (m->msrs_probed)
        return 0;
    if (ioctl(m->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
        errno != E2BIG)
        return fail(m, "KVM_GET_MSR_INDEX_LIST");
    list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
    if (!list) {
        errno = ENOMEM;
        return fail(m, "allocate the MSR list");
    }
    list->nmsrs = probe.nmsrs;
    if (ioctl(m->vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
        free(list);
        return fail(m, "KVM_GET_MSR_INDEX_LIST");
    }
    m->nr_msrs = 0;
    for (uint32_t i = 0; i < list->nmsrs && m->nr_msrs < SNAP_MAX_MSRS; i++) {
        memset(&one, 0, sizeof(one));
        one.hdr.nmsrs = 1;
        one.e.index = list->indices[i];
        if (ioctl(m->vcpu[0].fd, KVM_GET_MSRS, &one) == 1)
            m->msr_index[m->nr_msrs++] = list->indices[i];
    }
    free(list);
    m->msrs_probed = true;
    return 0;
}

int snap_vcpu_take(struct snap_machine *m, struct vcpu *c,
                   struct snap_vcpu *out)
{
    int e, n;

    if ((e = probe_msrs(m)) < 0)
        return e;
    /* The ioctls below must see a register write vcpu.c holds back. */
    if ((e = vcpu_flush(c)) < 0)
        return e;
    memset(out, 0, sizeof(*out));
    errno = 0;
    /*
     * MP state first: KVM_GET_MP_STATE lets the local APIC act on an INIT
     * or STARTUP IPI it holds (KVM's kvm_apic_accept_events), which resets
     * the vCPU or moves it to the SIPI vector; the registers read after it
     * are the ones that go with the state it reports.
     */
    if (ioctl(c->fd, KVM_GET_MP_STATE, &out->mp_state) < 0)
        return fail(m, "KVM_GET_MP_STATE");
    if (ioctl(c->fd, KVM_GET_REGS, &out->regs) < 0)
        return fail(m, "KVM_GET_REGS");
    if (ioctl(c->fd, KVM_GET_SREGS, &out->sregs) < 0)
        return fail(m, "KVM_GET_SREGS");
    out->has_xsave = c->has_xsave;
    if (out->has_xsave && ioctl(c->fd, KVM_GET_XSAVE, &out->xsave) < 0)
        return fail(m, "KVM_GET_XSAVE");
    if (!out->has_xsave && ioctl(c->fd, KVM_GET_FPU, &out->fpu) < 0)
        return fail(m, "KVM_GET_FPU");
    out->has_xcrs = vm_check_cap(m->vm, KVM_CAP_XCRS) > 0;
    if (out->has_xcrs && ioctl(c->fd, KVM_GET_XCRS, &out->xcrs) < 0)
        return fail(m, "KVM_GET_XCRS");
    out->has_debugregs = vm_check_cap(m->vm, KVM_CAP_DEBUGREGS) > 0;
    if (out->has_debugregs &&
        ioctl(c->fd, KVM_GET_DEBUGREGS, &out->debugregs) < 0)
        return fail(m, "KVM_GET_DEBUGREGS");
    if (ioctl(c->fd, KVM_GET_VCPU_EVENTS, &out->events) < 0)
        return fail(m, "KVM_GET_VCPU_EVENTS");
    out->has_lapic = m->vm->irqchip;
    if (out->has_lapic && ioctl(c->fd, KVM_GET_LAPIC, &out->lapic) < 0)
        return fail(m, "KVM_GET_LAPIC");
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[SNAP_MAX_MSRS];
    } msrs;
    memset(&msrs, 0, sizeof(msrs));
    msrs.hdr.nmsrs = m->nr_msrs;
    for (uint32_t i = 0; i < m->nr_msrs; i++)
        msrs.e[i].index = m->msr_index[i];
    n = ioctl(c->fd, KVM_GET_MSRS, &msrs);
    if (n < 0)
        return fail(m, "KVM_GET_MSRS");
    out->nr_msrs = (uint32_t)n; /* stops at the first it cannot read */
    memcpy(out->msrs, msrs.e, (size_t)n * sizeof(msrs.e[0]));
    return 0;
}

/*
 * KVM_SET_MSRS sets entries in order and stops at the first it refuses
 * (returning how many it set): skip that one (read-only on this host)
 * and go on with the rest.
 */
static int put_msrs(struct snap_machine *m, struct vcpu *c,
                    const struct snap_vcpu *in)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[SNAP_MAX_MSRS];
    } msrs;
    uint32_t done = 0;

    if (in->nr_msrs > SNAP_MAX_MSRS) {
        errno = EINVAL;
        return fail(m, "snapshot MSR count");
    }
    while (done < in->nr_msrs) {
        memset(&msrs.hdr, 0, sizeof(msrs.hdr));
        msrs.hdr.nmsrs = in->nr_msrs - done;
        memcpy(msrs.e, in->msrs + done, msrs.hdr.nmsrs * sizeof(msrs.e[0]));
        int n = ioctl(c->fd, KVM_SET_MSRS, &msrs);
        if (n < 0)
            return fail(m, "KVM_SET_MSRS");
        done += (uint32_t)n + 1; /* entry done + n was refused */
    }
    return 0;
}

#define MSR_TSC_DEADLINE 0x6e0 /* IA32_TSC_DEADLINE (Intel SDM vol. 4) */

/*
 * IA32_TSC_DEADLINE again, once the local APIC is back: KVM ignores a
 * deadline written while the APIC timer is not in TSC-deadline mode, and
 * KVM_SET_LAPIC does not carry the deadline (it lives outside the
 * register page).
 */
static int put_tsc_deadline(struct snap_machine *m, struct vcpu *c,
                            const struct snap_vcpu *in)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } one;

    for (uint32_t i = 0; i < in->nr_msrs; i++) {
        if (in->msrs[i].index != MSR_TSC_DEADLINE)
            continue;
        memset(&one, 0, sizeof(one));
        one.hdr.nmsrs = 1;
        one.e = in->msrs[i];
        if (ioctl(c->fd, KVM_SET_MSRS, &one) < 0)
            return fail(m, "KVM_SET_MSRS (TSC deadline)");
        return 0;
    }
    return 0;
}

int snap_vcpu_put(struct snap_machine *m, struct vcpu *c,
                  const struct snap_vcpu *in)
{
    int e;

    /*
     * The order matters where one piece of state is checked against or
     * derived from another (KVM's x86.c):
     * - sregs before regs and the rest: CR0/CR4/EFER decide how the
     *   others are taken (CR4.OSXSAVE before XCR0 is harmless either way).
     * - MSRs before the local APIC: KVM_SET_LAPIC keeps the APIC base (its
     *   enable and x2APIC bits) that IA32_APIC_BASE set; the TSC deadline
     *   only after it (put_tsc_deadline).
     * - events before MP state: KVM refuses the wait-for-SIPI state while
     *   an SMI or a latched INIT is pending, which the events carry.
     * - MP state after sregs: KVM_SET_SREGS of the boot vCPU at the reset
     *   vector makes it runnable, whatever the snapshot says; last of the
     *   core state, so a halted or wait-for-SIPI AP is left that way.
     * - debug registers last: nothing depends on them.
     * A KVM_SET_GUEST_DEBUG done before (single-step) is redone on the
     * next resume: KVM ties its step to the RIP of that call.
     */
    errno = 0;
    c->regs_valid = c->sregs_valid = c->fpu_valid = false;
    c->dbg_valid = false;
    c->regs_dirty = false; /* replaced by the snapshot's */
    c->io_pending = false;
    if (ioctl(c->fd, KVM_SET_SREGS, &in->sregs) < 0)
        return fail(m, "KVM_SET_SREGS");
    if (ioctl(c->fd, KVM_SET_REGS, &in->regs) < 0)
        return fail(m, "KVM_SET_REGS");
    if (in->has_xcrs && vm_check_cap(m->vm, KVM_CAP_XCRS) > 0 &&
        ioctl(c->fd, KVM_SET_XCRS, &in->xcrs) < 0)
        return fail(m, "KVM_SET_XCRS");
    if (in->has_xsave && ioctl(c->fd, KVM_SET_XSAVE, &in->xsave) < 0)
        return fail(m, "KVM_SET_XSAVE");
    if (!in->has_xsave && ioctl(c->fd, KVM_SET_FPU, &in->fpu) < 0)
        return fail(m, "KVM_SET_FPU");
    if ((e = put_msrs(m, c, in)) < 0)
        return e;
    if (in->has_lapic && m->vm->irqchip) {
        if (ioctl(c->fd, KVM_SET_LAPIC, &in->lapic) < 0)
            return fail(m, "KVM_SET_LAPIC");
        if ((e = put_tsc_deadline(m, c, in)) < 0)
            return e;
    }
    struct kvm_vcpu_events ev = in->events;
    /* Only what KVM gave us; the exception payload needs a capability. */
    ev.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING |
                KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SHADOW |
                KVM_VCPUEVENT_VALID_SMM;
    if (ioctl(c->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
        return fail(m, "KVM_SET_VCPU_EVENTS");
    if (ioctl(c->fd, KVM_SET_MP_STATE, &in->mp_state) < 0)
        return fail(m, "KVM_SET_MP_STATE");
    if (in->has_debugregs &&
        ioctl(c->fd, KVM_SET_DEBUGREGS, &in->debugregs) < 0)
        return fail(m, "KVM_SET_DEBUGREGS");
    return 0;
}

/* Which pages of RAM the host backs now: vec[i] bit 0 for page i. */
static int resident(struct snap_machine *m, unsigned char **vec)
{
    size_t pages = m->mem->size / PAGE;

    *vec = malloc(pages ? pages : 1);
    if (!*vec) {
        errno = ENOMEM;
        return fail(m, "allocate the page vector");
    }
    if (pages && mincore(m->mem->host, m->mem->size, *vec) < 0) {
        free(*vec);
        *vec = NULL;
        return fail(m, "mincore guest RAM");
    }
    return 0;
}

int snap_ram_alloc(struct snap_ram *r, uint64_t size, uint64_t pages)
{
    uint64_t bytes;

    memset(r, 0, sizeof(*r));
    if (__builtin_mul_overflow(pages, PAGE, &bytes) || bytes > SIZE_MAX ||
        size / PAGE + 8 > SIZE_MAX)
        return -ENOMEM;
    r->map = calloc(1, (size_t)(size / PAGE + 7) / 8 + 1);
    if (!r->map)
        return -ENOMEM;
    r->size = size;
    if (!pages)
        return 0;
    /* Faulted in by the kernel in one pass (MAP_POPULATE), not by the
     * copy one page at a time. */
    void *p = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) {
        free(r->map);
        r->map = NULL;
        return -ENOMEM;
    }
    r->data = p;
    r->nr_pages = pages;
    return 0;
}

static void ram_free(struct snap_ram *r)
{
    free(r->map);
    if (r->data)
        munmap(r->data, (size_t)(r->nr_pages * PAGE));
    memset(r, 0, sizeof(*r));
}

static int take_ram(struct snap_machine *m, struct snap_ram *r,
                    struct snap_ram *reuse)
{
    size_t pages = m->mem->size / PAGE, n = 0;
    unsigned char *vec;
    int e;

    if ((e = resident(m, &vec)) < 0)
        return e;
    for (size_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    if (reuse && reuse->data && reuse->nr_pages == n &&
        reuse->size == m->mem->size) {
        /* The same amount as the snapshot this one replaces: its memory,
         * already faulted in, takes the copy. */
        *r = *reuse;
        memset(reuse, 0, sizeof(*reuse));
        memset(r->map, 0, (pages + 7) / 8);
    } else if (snap_ram_alloc(r, m->mem->size, n) < 0) {
        free(vec);
        errno = ENOMEM;
        return fail(m, "allocate the snapshot's RAM");
    }
    uint8_t *out = r->data;
    for (size_t i = 0; i < pages; i++) {
        if (!(vec[i] & 1))
            continue;
        r->map[i / 8] |= (uint8_t)(1u << (i % 8));
        memcpy(out, m->mem->host + i * PAGE, PAGE);
        out += PAGE;
    }
    free(vec);
    return 0;
}

static bool has_page(const struct snap_ram *r, size_t i)
{
    return r->map[i / 8] & (1u << (i % 8));
}

static int put_ram(struct snap_machine *m, const struct snap_ram *r)
{
    size_t pages = m->mem->size / PAGE;
    const uint8_t *in = r->data;
    unsigned char *vec;
    int e;

    if ((e = resident(m, &vec)) < 0)
        return e;
    for (size_t i = 0; i < pages;) {
        if (has_page(r, i)) {
            memcpy(m->mem->host + i * PAGE, in, PAGE);
            in += PAGE;
            i++;
            continue;
        }
        /* A run of pages the snapshot lacks: zero the backed ones. */
        size_t j = i;
        while (j < pages && !has_page(r, j))
            j++;
        for (size_t k = i; k < j; k++) {
            if (!(vec[k] & 1))
                continue;
            size_t l = k;
            while (l < j && (vec[l] & 1))
                l++;
            if (madvise(m->mem->host + k * PAGE, (l - k) * PAGE,
                        MADV_DONTNEED) < 0) {
                free(vec);
                return fail(m, "madvise guest RAM");
            }
            k = l;
        }
        i = j;
    }
    free(vec);
    return 0;
}

int snap_take(struct snap_machine *m, struct snap *s)
{
    return snap_take_reuse(m, s, NULL);
}

int snap_take_reuse(struct snap_machine *m, struct snap *s, struct snap *old)
{
    int e;

    memset(s, 0, sizeof(*s));
    errno = 0;
    if ((e = check_stopped(m)) < 0)
        return e;
    if (m->nr_vcpus == 0 || m->nr_vcpus > SNAP_MAX_VCPUS) {
        errno = EINVAL;
        return fail(m, "snapshot vCPU count");
    }
    s->machine = m->pc ? SNAP_PC : SNAP_BARE;
    s->mem_size = m->mem->size;
    s->mem_high_base = m->mem->high_base;
    s->mem_high_size = m->mem->high_size;
    s->halts = m->runner ? m->runner->halts : 0;
    s->nr_vcpus = m->nr_vcpus;
    s->vcpu = calloc(m->nr_vcpus, sizeof(*s->vcpu));
    s->dev = calloc(1, sizeof(*s->dev));
    if (!s->vcpu || !s->dev) {
        errno = ENOMEM;
        e = fail(m, "allocate a snapshot");
        goto err;
    }
    for (unsigned i = 0; i < m->nr_vcpus; i++)
        if ((e = snap_vcpu_take(m, &m->vcpu[i], &s->vcpu[i])) < 0)
            goto err;
    s->has_irqchip = m->vm->irqchip;
    if (s->has_irqchip) {
        for (uint32_t i = 0; i < 3; i++) {
            s->chip[i].chip_id =
                i; /* KVM_IRQCHIP_PIC_MASTER, _SLAVE, _IOAPIC */
            if (ioctl(m->vm->fd, KVM_GET_IRQCHIP, &s->chip[i]) < 0) {
                e = fail(m, "KVM_GET_IRQCHIP");
                goto err;
            }
        }
        /* Record mode's PIT is ours: it is in the device state. */
        if (m->vm->pit && ioctl(m->vm->fd, KVM_GET_PIT2, &s->pit) < 0) {
            e = fail(m, "KVM_GET_PIT2");
            goto err;
        }
        if (ioctl(m->vm->fd, KVM_GET_CLOCK, &s->clock) < 0) {
            e = fail(m, "KVM_GET_CLOCK");
            goto err;
        }
    }
    if (m->board)
        board_save(m->board, s->dev);
    if (m->nr_disks > SNAP_MAX_DISKS) {
        errno = EINVAL;
        e = fail(m, "snapshot disk count");
        goto err;
    }
    s->nr_disks = m->nr_disks;
    for (unsigned i = 0; i < m->nr_disks; i++) {
        if ((e = snap_disk_identify(m->disk_path[i], &s->disk[i])) < 0) {
            errno = -e;
            e = fail(m, "reading a disk image to identify it");
            goto err;
        }
    }
    if ((e = take_ram(m, &s->ram, old ? &old->ram : NULL)) < 0)
        goto err;
    return 0;
err:
    snap_free(s);
    return e;
}

int snap_restore(struct snap_machine *m, const struct snap *s)
{
    int e;

    errno = 0;
    m->why[0] = '\0';
    if (s->nr_vcpus != m->nr_vcpus) {
        snprintf(m->why, sizeof(m->why),
                 "the snapshot has %u vCPU(s), the machine %u (--smp)",
                 s->nr_vcpus, m->nr_vcpus);
        errno = EINVAL;
        return fail(m, "snapshot does not fit this machine");
    }
    if (s->machine != (m->pc ? SNAP_PC : SNAP_BARE) ||
        s->mem_size != m->mem->size || s->mem_high_base != m->mem->high_base ||
        s->mem_high_size != m->mem->high_size ||
        s->has_irqchip != m->vm->irqchip || s->ram.size != m->mem->size ||
        (m->board && s->dev->pc != (uint32_t)m->pc)) {
        errno = EINVAL;
        return fail(m, "snapshot does not fit this machine");
    }
    if ((e = check_stopped(m)) < 0)
        return e;
    if (s->nr_disks != m->nr_disks) {
        snprintf(m->why, sizeof(m->why),
                 "the snapshot has %u disk image(s), the machine %u",
                 s->nr_disks, m->nr_disks);
        errno = EINVAL;
        return fail(m, "snapshot does not fit this machine");
    }
    for (unsigned i = 0; i < s->nr_disks; i++) {
        if (strcmp(s->disk[i].path, m->disk_path[i])) {
            snprintf(m->why, sizeof(m->why),
                     "the snapshot used disk image %s, the machine has %s",
                     s->disk[i].path, m->disk_path[i]);
            errno = EINVAL;
            return fail(m, "snapshot does not fit this machine");
        }
        if ((e = snap_disk_check(&s->disk[i], m->why, sizeof(m->why))) < 0) {
            errno = -e;
            return fail(m, "disk image check");
        }
    }
    if ((e = put_ram(m, &s->ram)) < 0)
        return e;
    /*
     * Every vCPU (its local APIC among it) before the machine's chips:
     * KVM_SET_IRQCHIP of the IOAPIC delivers again the level-triggered
     * lines it holds asserted and not yet delivered, and the PIC its
     * pending interrupt; that must reach the local APICs as saved, not be
     * overwritten by a later KVM_SET_LAPIC. The PIT (its timer restarted)
     * after the chips it raises IRQ 0 on.
     */
    for (unsigned i = 0; i < m->nr_vcpus; i++)
        if ((e = snap_vcpu_put(m, &m->vcpu[i], &s->vcpu[i])) < 0)
            return e;
    if (s->has_irqchip) {
        for (int i = 0; i < 3; i++)
            if (ioctl(m->vm->fd, KVM_SET_IRQCHIP, &s->chip[i]) < 0)
                return fail(m, "KVM_SET_IRQCHIP");
        if (m->vm->pit && ioctl(m->vm->fd, KVM_SET_PIT2, &s->pit) < 0)
            return fail(m, "KVM_SET_PIT2");
        /* The clock alone; KVM_CLOCK_TSC_STABLE and friends are outputs. */
        struct kvm_clock_data clk = {.clock = s->clock.clock};
        if (ioctl(m->vm->fd, KVM_SET_CLOCK, &clk) < 0)
            return fail(m, "KVM_SET_CLOCK");
    }
    if (m->board && (e = board_load(m->board, s->dev)) < 0) {
        errno = -e;
        return fail(m, "device state");
    }
    if (m->runner)
        m->runner->halts = s->halts;
    return 0;
}

void snap_free(struct snap *s)
{
    free(s->vcpu);
    free(s->dev);
    ram_free(&s->ram);
    memset(s, 0, sizeof(*s));
}

size_t snap_bytes(const struct snap *s)
{
    return sizeof(*s) + s->nr_vcpus * sizeof(*s->vcpu) +
           (s->dev ? sizeof(*s->dev) : 0) + (size_t)s->ram.nr_pages * PAGE +
           (size_t)(s->ram.size / PAGE + 7) / 8;
}
