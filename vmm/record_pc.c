#include "record_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "board.h"
#include "vcpu.h"
#include "vm.h"

#define RFLAGS_IF (1ull << 9)

/* A keystroke: a byte stdin gave COM1 before instruction icount. */
struct rec_input {
    uint64_t icount;
    uint8_t byte;
};

/*
 * Part of the devices' state, shared by the checkpoints it did not change
 * in. The state is kept in two parts: the pc-testdev's 64 KiB of iomem,
 * which guests rarely touch, and everything else (a few hundred bytes).
 */
struct rec_dev {
    size_t refs;
    size_t len;
    uint8_t data[];
};

#define TD_OFF   offsetof(struct board_state, testdev)
#define TD_LEN   sizeof(((struct board_state *)0)->testdev)
#define REST_LEN (sizeof(struct board_state) - TD_LEN)

static void dev_unref(struct rec *r, struct rec_dev *d)
{
    if (d && --d->refs == 0) {
        r->used -= sizeof(*d) + d->len;
        free(d);
    }
}

/*
 * Part k of the devices' state, len bytes at p: the newest checkpoint's
 * if equal, else a new copy. Returns it with a reference for the caller,
 * or NULL (out of memory).
 */
static struct rec_dev *dev_share(struct rec *r, int k, const void *p,
                                 size_t len)
{
    struct rec_dev *d = r->dev_last[k];

    if (!d || d->len != len || memcmp(d->data, p, len)) {
        d = malloc(sizeof(*d) + len);
        if (!d)
            return NULL;
        d->refs = 1; /* dev_last's */
        d->len = len;
        memcpy(d->data, p, len);
        r->used += sizeof(*d) + len;
        dev_unref(r, r->dev_last[k]);
        r->dev_last[k] = d;
    }
    d->refs++;
    return d;
}

/* The first logged keystroke at or after count n. */
static size_t input_at(const struct rec *r, uint64_t n)
{
    size_t lo = 0, hi = r->nin;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->in[mid].icount < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void rec_pc_trim_input(struct rec *r)
{
    if (!r->nin || !r->n)
        return;
    /* Keystrokes before the oldest checkpoint are never fed again. */
    size_t k = input_at(r, r->ck[0].icount);
    memmove(r->in, r->in + k, (r->nin - k) * sizeof(*r->in));
    r->nin -= k;
    r->used -= k * sizeof(*r->in);
}

int rec_pc_init(struct rec *r)
{
    if (!r->board)
        return 0;
    r->dev_scratch = malloc(sizeof(*r->dev_scratch));
    r->rest_scratch = malloc(REST_LEN);
    if (!r->dev_scratch || !r->rest_scratch) {
        errno = ENOMEM;
        return rec_fail(r, "allocate the record state");
    }
    return 0;
}

void rec_pc_destroy(struct rec *r)
{
    for (int k = 0; k < 2; k++) {
        dev_unref(r, r->dev_last[k]);
        r->dev_last[k] = NULL;
    }
    free(r->dev_scratch);
    free(r->rest_scratch);
    r->dev_scratch = NULL;
    r->rest_scratch = NULL;
    free(r->in);
    r->in = NULL;
    r->nin = r->in_cap = 0;
}

void rec_pc_free(struct rec *r, struct rec_ckpt *c)
{
    if (c->chip)
        r->used -= 3 * sizeof(*c->chip);
    free(c->chip);
    c->chip = NULL;
    for (int k = 0; k < 2; k++) {
        dev_unref(r, c->dev[k]);
        c->dev[k] = NULL;
    }
}

uint64_t rec_vtime_ns(const struct rec *r)
{
    return r->board ? r->icount * REC_NS_PER_INSN + r->idle_ns : 0;
}

/* The pc machine: its devices' clocks at this count, interrupts due. */
int rec_pc_advance(struct rec *r)
{
    int e;

    if (!r->board)
        return 0;
    if ((e = board_advance(r->board, rec_vtime_ns(r))) < 0) {
        errno = -e;
        return rec_fail(r, "KVM_IRQ_LINE (record mode timers)");
    }
    return 0;
}

/* The pc machine's part of a checkpoint: interrupt chips and devices. */
int rec_pc_take(struct rec *r, struct rec_ckpt *c)
{
    if (!r->board)
        return 0;
    c->chip = calloc(3, sizeof(*c->chip));
    if (!c->chip) {
        errno = ENOMEM;
        return rec_fail(r, "allocate a checkpoint");
    }
    r->used += 3 * sizeof(*c->chip);
    for (uint32_t i = 0; i < 3; i++) {
        c->chip[i].chip_id = i; /* KVM_IRQCHIP_PIC_MASTER, _SLAVE, _IOAPIC */
        if (ioctl(r->m->vm->fd, KVM_GET_IRQCHIP, &c->chip[i]) < 0)
            return rec_fail(r, "KVM_GET_IRQCHIP");
    }
    board_save(r->board, r->dev_scratch);
    const uint8_t *st = (const uint8_t *)r->dev_scratch;
    memcpy(r->rest_scratch, st, TD_OFF);
    memcpy(r->rest_scratch + TD_OFF, st + TD_OFF + TD_LEN, REST_LEN - TD_OFF);
    c->dev[0] = dev_share(r, 0, r->rest_scratch, REST_LEN);
    c->dev[1] = dev_share(r, 1, st + TD_OFF, TD_LEN);
    if (!c->dev[0] || !c->dev[1]) {
        errno = ENOMEM;
        return rec_fail(r, "allocate a checkpoint");
    }
    /* Intel SDM vol. 3, "Local Vector Table": the timer interrupts when
     * the APIC is enabled (SVR bit 8), its LVT entry unmasked (bit 16)
     * and an initial count set. */
    if (c->cpu->has_lapic) {
        uint32_t svr, lvt, init;
        memcpy(&svr, c->cpu->lapic.regs + 0xf0, 4);
        memcpy(&lvt, c->cpu->lapic.regs + 0x320, 4);
        memcpy(&init, c->cpu->lapic.regs + 0x380, 4);
        if ((svr & 0x100) && !(lvt & 0x10000) && init)
            r->lapic_timer = true;
    }
    return 0;
}

/*
 * The pc machine's keystrokes before the instruction at r->icount: on
 * the first execution what stdin has now, logged; on a re-execution
 * what the log holds for this count (stdin is not read).
 */
int rec_pc_feed_input(struct rec *r)
{
    uint8_t buf[64];
    size_t k, n = 0;
    int e;

    if (!r->board)
        return 0;
    if (r->icount < r->high_water) {
        if (!r->nin)
            return 0;
        for (k = input_at(r, r->icount);
             k < r->nin && r->in[k].icount == r->icount && n < sizeof(buf); k++)
            buf[n++] = r->in[k].byte;
    } else {
        int got = board_take_input(r->board, buf, sizeof(buf));
        if (got <= 0)
            return 0;
        n = (size_t)got;
        if (r->nin + n > r->in_cap) {
            size_t cap = r->in_cap ? r->in_cap * 2 : 256;
            while (cap < r->nin + n)
                cap *= 2;
            struct rec_input *v = realloc(r->in, cap * sizeof(*v));
            if (!v) {
                errno = ENOMEM;
                return rec_fail(r, "allocate the keystroke log");
            }
            r->in = v;
            r->in_cap = cap;
        }
        for (k = 0; k < n; k++)
            r->in[r->nin++] = (struct rec_input){r->icount, buf[k]};
        r->used += n * sizeof(*r->in);
    }
    if (n && (e = board_feed_input(r->board, buf, n)) < 0) {
        errno = -e;
        return rec_fail(r, "KVM_IRQ_LINE (COM1)");
    }
    return 0;
}

/*
 * The pc machine: the VMM stepped over a HLT (run.c emulates it). With
 * interrupts on, the CPU would wait for one: virtual time skips to the
 * next timer interrupt, so that it comes right after the HLT. The STI
 * shadow a `sti; hlt` left ends with the HLT (Intel SDM vol. 2, STI).
 */
int rec_pc_hlt_wait(struct rec *r)
{
    struct vcpu *c = &r->m->vcpu[0];
    struct kvm_regs *regs;
    struct kvm_vcpu_events ev;
    uint64_t ns;
    int e;

    if ((e = vcpu_get_regs(c, &regs)) < 0) {
        r->err_op = r->m->vm->err_op;
        return e;
    }
    if (!(regs->rflags & RFLAGS_IF))
        return 0;
    if (board_next_event_ns(r->board, &ns) == 1)
        r->idle_ns += ns > REC_NS_PER_INSN ? ns - REC_NS_PER_INSN : 0;
    errno = 0;
    if (ioctl(c->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
        return rec_fail(r, "KVM_GET_VCPU_EVENTS");
    if (!ev.interrupt.shadow)
        return 0;
    ev.interrupt.shadow = 0;
    ev.flags &= KVM_VCPUEVENT_VALID_NMI_PENDING |
                KVM_VCPUEVENT_VALID_SIPI_VECTOR | KVM_VCPUEVENT_VALID_SMM;
    ev.flags |= KVM_VCPUEVENT_VALID_SHADOW;
    if (ioctl(c->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
        return rec_fail(r, "KVM_SET_VCPU_EVENTS");
    return 0;
}

/*
 * The pc machine's part of checkpoint c back: the devices on the clock
 * as it was (r->icount and idle_ns are c's by now), then the interrupt
 * chips, which the devices' lines must not change after.
 */
int rec_pc_put(struct rec *r, const struct rec_ckpt *c)
{
    int e;

    if (!r->board)
        return 0;
    r->board->vtime_ns = rec_vtime_ns(r);
    uint8_t *st = (uint8_t *)r->dev_scratch;
    memcpy(st, c->dev[0]->data, TD_OFF);
    memcpy(st + TD_OFF + TD_LEN, c->dev[0]->data + TD_OFF, REST_LEN - TD_OFF);
    memcpy(st + TD_OFF, c->dev[1]->data, TD_LEN);
    if ((e = board_load(r->board, r->dev_scratch)) < 0) {
        errno = -e;
        return rec_fail(r, "record mode: device state");
    }
    errno = 0;
    for (int i = 0; i < 3; i++)
        if (ioctl(r->m->vm->fd, KVM_SET_IRQCHIP, &c->chip[i]) < 0)
            return rec_fail(r, "KVM_SET_IRQCHIP");
    return 0;
}
