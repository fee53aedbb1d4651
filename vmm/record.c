#include "record_int.h"

#include <errno.h>
#include <stddef.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>

#include "board.h"
#include "mem.h"
#include "pio.h"
#include "vcpu.h"
#include "vm.h"

#define PAGE   4096ull
#define DR6_BS (1ull << 14)

int rec_fail(struct rec *r, const char *op)
{
    int e = errno ? errno : EIO;

    r->err_op = op;
    return -e;
}

/* What a checkpoint holds but its undo log and pc part (see rec_pc_take). */
static uint64_t ckpt_bytes(const struct rec_ckpt *c)
{
    return sizeof(*c) + sizeof(*c->cpu) + (uint64_t)c->nundo * (PAGE + 4);
}

static void ckpt_free_undo(struct rec *r, struct rec_ckpt *c)
{
    r->used -= (uint64_t)c->nundo * (PAGE + 4);
    free(c->undo_idx);
    free(c->undo_data);
    c->undo_idx = NULL;
    c->undo_data = NULL;
    c->nundo = 0;
}

static void ckpt_free(struct rec *r, struct rec_ckpt *c)
{
    ckpt_free_undo(r, c);
    r->used -= ckpt_bytes(c);
    rec_pc_free(r, c);
    free(c->cpu);
    c->cpu = NULL;
}

/* The slots as mem.c registered them: slot 0 at 0, slot 1 at high_base. */
static int nr_slots(const struct mem *m)
{
    return m->high_size ? 2 : 1;
}

static int set_logging(struct rec *r, bool on)
{
    struct mem *m = r->m->mem;
    uint64_t low = m->size - m->high_size;

    for (int s = 0; s < nr_slots(m); s++) {
        struct kvm_userspace_memory_region region = {
            .slot = (uint32_t)s,
            .flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
            .guest_phys_addr = s ? m->high_base : 0,
            .memory_size = s ? m->high_size : low,
            .userspace_addr = (uintptr_t)(m->host + (s ? low : 0)),
        };
        if (ioctl(r->m->vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
            return rec_fail(r, "KVM_SET_USER_MEMORY_REGION (dirty logging)");
    }
    return 0;
}

/*
 * The pages written since the last call, as host page indices in
 * ascending order, into *idx (malloc'd; *n of them): KVM's dirty log
 * (which it clears as it reports) and the VMM's own writes.
 */
static int take_dirty(struct rec *r, uint32_t **idx, uint32_t *n)
{
    struct mem *m = r->m->mem;
    size_t low_pages = (m->size - m->high_size) / PAGE;
    uint32_t cnt = 0;

    *idx = NULL;
    *n = 0;
    for (int s = 0; s < nr_slots(m); s++) {
        size_t base = s ? low_pages : 0;
        size_t pages = s ? m->high_size / PAGE : low_pages;
        struct kvm_dirty_log log = {.slot = (uint32_t)s};
        memset(r->dirty, 0, ((pages + 63) / 64) * 8);
        log.dirty_bitmap = r->dirty;
        if (ioctl(r->m->vm->fd, KVM_GET_DIRTY_LOG, &log) < 0)
            return rec_fail(r, "KVM_GET_DIRTY_LOG");
        for (size_t i = 0; i < pages; i++)
            if (r->dirty[i / 64] & (1ull << (i % 64)))
                r->user_dirty[(base + i) / 8] |=
                    (uint8_t)(1u << ((base + i) % 8));
    }
    for (size_t i = 0; i < r->pages; i++)
        cnt += (r->user_dirty[i / 8] >> (i % 8)) & 1;
    if (!cnt)
        return 0;
    *idx = malloc(cnt * sizeof(**idx));
    if (!*idx) {
        errno = ENOMEM;
        return rec_fail(r, "allocate the dirty page list");
    }
    for (size_t i = 0; i < r->pages; i++) {
        if ((r->user_dirty[i / 8] >> (i % 8)) & 1)
            (*idx)[(*n)++] = (uint32_t)i;
    }
    memset(r->user_dirty, 0, (r->pages + 7) / 8);
    return 0;
}

/* Drop the oldest checkpoints until the history fits the budget. */
static void enforce_budget(struct rec *r)
{
    size_t was = r->n;

    while (r->used > r->budget && r->n > 1) {
        ckpt_free(r, &r->ck[0]);
        memmove(&r->ck[0], &r->ck[1], (r->n - 1) * sizeof(r->ck[0]));
        r->n--;
        r->dropped++;
    }
    if (r->n != was)
        rec_pc_trim_input(r);
}

/* FNV-1a over the general registers, flags and RIP. */
static uint64_t regs_hash(const struct kvm_regs *regs)
{
    const uint8_t *p = (const uint8_t *)regs;
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < sizeof(*regs); i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/*
 * Compare a checkpoint's registers with those the first execution had
 * at the same count (a re-execution must have the same), or note them.
 */
static void check_sig(struct rec *r, const struct snap_vcpu *cpu)
{
    size_t i = (size_t)(r->icount / REC_INTERVAL);
    uint64_t h = regs_hash(&cpu->regs);

    if (i < r->nsig) {
        r->compared++;
        if (r->sig[i] != h) {
            if (!r->divergences)
                r->diverged_at = r->icount;
            r->divergences++;
            r->sig[i] = h;
        }
        return;
    }
    if (i >= r->sig_cap) {
        size_t cap = r->sig_cap ? r->sig_cap * 2 : 1024;
        while (cap <= i)
            cap *= 2;
        uint64_t *v = realloc(r->sig, cap * sizeof(*v));
        if (!v)
            return; /* no comparison past here: not an error */
        r->sig = v;
        r->sig_cap = cap;
    }
    while (r->nsig < i)
        r->sig[r->nsig++] = 0;
    r->sig[r->nsig++] = h;
}

static int take_ckpt(struct rec *r)
{
    uint32_t *idx, n;
    int e;

    errno = 0;
    if ((e = take_dirty(r, &idx, &n)) < 0)
        return e;
    if (r->n) {
        /* The interval that ends here: keep its pages' old contents. */
        struct rec_ckpt *last = &r->ck[r->n - 1];
        last->undo_idx = idx;
        last->undo_data = n ? malloc((size_t)n * PAGE) : NULL;
        if (n && !last->undo_data) {
            last->undo_idx = NULL;
            free(idx);
            errno = ENOMEM;
            return rec_fail(r, "allocate the undo log");
        }
        last->nundo = n;
        for (uint32_t i = 0; i < n; i++) {
            uint8_t *sh = r->shadow + (size_t)idx[i] * PAGE;
            memcpy(last->undo_data + (size_t)i * PAGE, sh, PAGE);
            memcpy(sh, r->m->mem->host + (size_t)idx[i] * PAGE, PAGE);
        }
        r->used += (uint64_t)n * (PAGE + 4);
    } else {
        free(idx);
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct rec_ckpt *v = realloc(r->ck, cap * sizeof(*v));
        if (!v) {
            errno = ENOMEM;
            return rec_fail(r, "allocate a checkpoint");
        }
        r->ck = v;
        r->cap = cap;
    }
    struct rec_ckpt *c = &r->ck[r->n];
    *c = (struct rec_ckpt){
        .icount = r->icount, .halts = r->runner->halts, .idle_ns = r->idle_ns};
    c->cpu = malloc(sizeof(*c->cpu));
    if (!c->cpu) {
        errno = ENOMEM;
        return rec_fail(r, "allocate a checkpoint");
    }
    /* Interrupts due at this count are raised before the state is
     * taken, so a re-execution from here has them too. */
    if ((e = rec_pc_advance(r)) < 0 ||
        (e = snap_vcpu_take(r->m, &r->m->vcpu[0], c->cpu)) < 0 ||
        (e = rec_pc_take(r, c)) < 0) {
        if (!r->err_op)
            r->err_op = r->m->err_op;
        rec_pc_free(r, c);
        free(c->cpu);
        return e;
    }
    check_sig(r, c->cpu);
    r->n++;
    r->used += ckpt_bytes(c);
    enforce_budget(r);
    return 0;
}

int rec_init(struct rec *r, struct snap_machine *m, struct runner *runner,
             struct pio_console *con, uint64_t budget)
{
    struct mem *mem = m->mem;
    int e;

    *r = (struct rec){.m = m, .runner = runner, .con = con, .budget = budget};
    r->shadow = MAP_FAILED;
    errno = 0;
    if (budget < REC_MIN_BUDGET || m->nr_vcpus != 1 ||
        (m->pc && (!m->board || !m->board->virtual_time))) {
        errno = EINVAL;
        return rec_fail(r, "record mode setup");
    }
    r->board = m->pc ? m->board : NULL;
    if ((e = rec_pc_init(r)) < 0)
        return e;
    r->pages = mem->size / PAGE;
    if (r->pages > UINT32_MAX) {
        errno = EFBIG;
        return rec_fail(r, "record mode: RAM too large");
    }
    r->shadow = mmap(NULL, mem->size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    r->dirty = calloc((r->pages + 63) / 64 + 1, 8);
    r->user_dirty = calloc((r->pages + 7) / 8 + 1, 1);
    if (r->shadow == MAP_FAILED || !r->dirty || !r->user_dirty) {
        errno = ENOMEM;
        return rec_fail(r, "allocate the record shadow");
    }
    if ((e = set_logging(r, true)) < 0)
        return e;
    /* The shadow starts as RAM is: copy the pages the host backs. */
    unsigned char *vec = malloc(r->pages ? r->pages : 1);
    if (!vec) {
        errno = ENOMEM;
        return rec_fail(r, "allocate the page vector");
    }
    if (mincore(mem->host, mem->size, vec) < 0) {
        free(vec);
        return rec_fail(r, "mincore guest RAM");
    }
    for (size_t i = 0; i < r->pages; i++)
        if (vec[i] & 1)
            memcpy(r->shadow + i * PAGE, mem->host + i * PAGE, PAGE);
    free(vec);
    uint32_t *idx, n;
    if ((e = take_dirty(r, &idx, &n)) < 0) /* start a clean log */
        return e;
    free(idx);
    return take_ckpt(r);
}

void rec_destroy(struct rec *r)
{
    for (size_t i = 0; i < r->n; i++)
        ckpt_free(r, &r->ck[i]);
    free(r->ck);
    r->ck = NULL;
    r->n = r->cap = 0;
    if (r->shadow && r->shadow != MAP_FAILED)
        munmap(r->shadow, r->m->mem->size);
    r->shadow = MAP_FAILED;
    free(r->dirty);
    free(r->user_dirty);
    r->dirty = NULL;
    r->user_dirty = NULL;
    rec_pc_destroy(r);
    free(r->sig);
    r->sig = NULL;
    r->nsig = r->sig_cap = 0;
}

static int get_rip(struct rec *r, uint64_t *rip)
{
    struct kvm_regs *regs;
    int e = vcpu_get_regs(&r->m->vcpu[0], &regs);

    if (e < 0) {
        r->err_op = r->m->vm->err_op;
        return e;
    }
    *rip = regs->rip;
    return 0;
}

/* One instruction, counted; a checkpoint every REC_INTERVAL. */
static int step(struct rec *r, enum run_mode mode, struct run_result *res)
{
    const struct kvm_guest_debug dbg = {.control = KVM_GUESTDBG_ENABLE |
                                                   KVM_GUESTDBG_SINGLESTEP};
    bool replay = r->icount < r->high_water;
    uint64_t before, after;
    int e;

    if ((e = vcpu_set_guest_debug(&r->m->vcpu[0], &dbg)) < 0 ||
        (e = get_rip(r, &before)) < 0 || (e = rec_pc_advance(r)) < 0 ||
        (e = rec_pc_feed_input(r)) < 0)
        return e;
    uint64_t halts = r->runner->halts;
    if (r->con)
        r->con->mute = replay;
    e = run_vcpu(r->runner, replay ? RUN_STEP : mode, res);
    if (r->con)
        r->con->mute = false;
    if (e < 0)
        return e;
    bool done;
    switch (res->stop) {
    case RUN_STOP_DEBUG:
    case RUN_STOP_HALTED: /* the HLT was done (IP past it) */
    case RUN_STOP_POWER:  /* the OUT that asked was completed */
        done = true;
        break;
    case RUN_STOP_SIGNAL:
        /* The step may have gone through before the signal (an OUT
         * that waited for room on stdout). */
        if ((e = get_rip(r, &after)) < 0)
            return e;
        done = after != before;
        break;
    default:
        done = false;
        break;
    }
    if (!done)
        return 0;
    if (r->board && r->runner->halts != halts && (e = rec_pc_hlt_wait(r)) < 0)
        return e;
    r->icount++;
    if (r->icount > r->high_water)
        r->high_water = r->icount;
    if (r->icount % REC_INTERVAL == 0)
        return take_ckpt(r);
    return 0;
}

int rec_run(struct rec *r, enum run_mode mode, struct run_result *res)
{
    int e;

    if (mode != RUN_CONT)
        return step(r, mode, res);
    for (;;) {
        if ((e = step(r, RUN_STEP_RUN, res)) < 0)
            return e;
        if (res->stop != RUN_STOP_DEBUG)
            return 0;
    }
}

void rec_history(const struct rec *r, uint64_t *first, uint64_t *now)
{
    *first = r->n ? r->ck[0].icount : r->icount;
    *now = r->icount;
}

/* RAM back to checkpoint k; later checkpoints dropped. */
static int rewind_ram(struct rec *r, size_t k)
{
    uint8_t *host = r->m->mem->host;
    uint32_t *idx, n;
    int e;

    if ((e = take_dirty(r, &idx, &n)) < 0)
        return e;
    for (uint32_t i = 0; i < n; i++)
        memcpy(host + (size_t)idx[i] * PAGE, r->shadow + (size_t)idx[i] * PAGE,
               PAGE);
    free(idx);
    for (size_t j = r->n - 1; j > k; j--) {
        struct rec_ckpt *c = &r->ck[j - 1];
        for (uint32_t i = 0; i < c->nundo; i++) {
            size_t off = (size_t)c->undo_idx[i] * PAGE;
            memcpy(host + off, c->undo_data + (size_t)i * PAGE, PAGE);
            memcpy(r->shadow + off, c->undo_data + (size_t)i * PAGE, PAGE);
        }
        ckpt_free_undo(r, c);
        ckpt_free(r, &r->ck[j]);
        r->n--;
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int seek(struct rec *r, uint64_t n);

int rec_seek(struct rec *r, uint64_t n)
{
    uint64_t t0 = now_ns();
    int e = seek(r, n);

    r->last_seek_ns = now_ns() - t0;
    return e;
}

static int seek(struct rec *r, uint64_t n)
{
    uint64_t first, now;
    struct run_result res;
    size_t k;
    int e;

    rec_history(r, &first, &now);
    if (n < first || n > now)
        return -ERANGE;
    errno = 0;
    if (n < now || r->ck[r->n - 1].icount > n) {
        for (k = r->n; k-- > 0;)
            if (r->ck[k].icount <= n)
                break;
        if ((e = rewind_ram(r, k)) < 0)
            return e;
        r->icount = r->ck[k].icount;
        r->idle_ns = r->ck[k].idle_ns;
        if ((e = rec_pc_put(r, &r->ck[k])) < 0)
            return e;
        if ((e = snap_vcpu_put(r->m, &r->m->vcpu[0], r->ck[k].cpu)) < 0) {
            r->err_op = r->m->err_op;
            return e;
        }
        r->runner->halts = r->ck[k].halts;
        r->runner->sleep_pending = false;
    }
    while (r->icount < n) {
        uint64_t was = r->icount;
        if ((e = step(r, RUN_STEP, &res)) < 0)
            return e;
        if (r->icount == was)
            return res.stop == RUN_STOP_SIGNAL ? -EINTR : -EIO;
    }
    return 0;
}

void rec_note_write(struct rec *r, uint64_t gpa, size_t len)
{
    const struct mem *m = r->m->mem;

    if (!len)
        return;
    /* The guest's future changed: nothing to compare it with. */
    if (r->nsig > r->icount / REC_INTERVAL + 1)
        r->nsig = (size_t)(r->icount / REC_INTERVAL + 1);
    for (uint64_t p = gpa & ~(PAGE - 1); p < gpa + len; p += PAGE) {
        const uint8_t *h = mem_gpa_to_hva(m, p, 1);
        if (!h)
            continue;
        size_t i = (size_t)(h - m->host) / PAGE;
        r->user_dirty[i / 8] |= (uint8_t)(1u << (i % 8));
    }
}

int rec_describe(const struct rec *r, char *out, size_t cap)
{
    uint64_t first, now;
    int n, m;

    rec_history(r, &first, &now);
    n = snprintf(
        out, cap,
        "recording: instructions %llu..%llu (%llu of history)\n"
        "checkpoints: %zu every %u instructions, %llu dropped\n"
        "memory: %llu KiB of %llu KiB budget\n"
        "last seek: %.3f ms\n",
        (unsigned long long)first, (unsigned long long)now,
        (unsigned long long)(now - first), r->n, (unsigned)REC_INTERVAL,
        (unsigned long long)r->dropped, (unsigned long long)(r->used >> 10),
        (unsigned long long)(r->budget >> 10), (double)r->last_seek_ns / 1e6);
    if (n < 0 || (size_t)n >= cap)
        return n;
    if (r->board) {
        m = snprintf(out + n, cap - (size_t)n,
                     "virtual time: %llu ns (%u ns an instruction, %llu ns "
                     "skipped in HLT)\n",
                     (unsigned long long)rec_vtime_ns(r), REC_NS_PER_INSN,
                     (unsigned long long)r->idle_ns);
        if (m < 0)
            return m;
        n += m;
        if ((size_t)n >= cap)
            return n;
    }
    if (r->divergences)
        m = snprintf(out + n, cap - (size_t)n,
                     "replay: DIVERGED %llu time(s), first at instruction "
                     "%llu: the guest read something not recorded\n",
                     (unsigned long long)r->divergences,
                     (unsigned long long)r->diverged_at);
    else
        m = snprintf(out + n, cap - (size_t)n,
                     "replay: every re-execution matched at the checkpoints "
                     "(%llu compared)\n",
                     (unsigned long long)r->compared);
    if (m < 0)
        return m;
    n += m;
    if (r->lapic_timer && (size_t)n < cap) {
        m = snprintf(out + n, cap - (size_t)n,
                     "warning: the guest armed its local APIC timer, which "
                     "runs on the host's clock: replay may not be exact\n");
        if (m < 0)
            return m;
        n += m;
    }
    return n;
}
