/*
 * Running the guest under the breakpoint manager: stepping off a
 * breakpoint under the pc, continuing by single steps when some points
 * have no hardware, telling gdb which point a stop belongs to, and giving
 * the guest the debug exceptions it raised itself. PCs here are linear
 * (CS base + IP), as breakpoint addresses and debug registers are.
 */
#include "break.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "break_priv.h"

#define RFLAGS_TF 0x100ULL /* trap flag (Intel SDM vol. 1, 3.4.3.3) */
#define DR6_BS    0x4000ULL
#define VEC_DB    1
#define VEC_BP    3

/* judge's verdicts besides -errno. */
enum {
    GO_ON = 0,  /* a step standing in for running found nothing */
    REPORT = 1, /* gdb must hear of it */
    REDO = 2,   /* the guest's own exception, to deliver: resume as before */
};

void gdb_bp_start(struct gdb_bp *b, bool step)
{
    b->stepping = step;
    b->step_over = true;
    b->range = false;
}

void gdb_bp_set_range(struct gdb_bp *b, uint64_t start, uint64_t end,
                      uint32_t cs, enum gdb_arch arch)
{
    /* RSP vCont: an empty range is a plain step. */
    b->range = start < end;
    b->range_start = start;
    b->range_end = end;
    b->range_cs = cs;
    b->range_arch = arch;
}

/* The target does the range itself (see gdb_bp_set_range). */
static bool target_ranges(const struct gdb_bp *b)
{
    return b->caps.range_step && b->nr_shadow == 0;
}

/* b->stop_at: the address of every breakpoint, for a range step. */
static int build_stop_at(struct gdb_bp *b)
{
    size_t n = 0;

    if (b->stop_at_cap < b->n) {
        uint64_t *v = realloc(b->stop_at, b->n * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->stop_at = v;
        b->stop_at_cap = b->n;
    }
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].type == GDB_BP_SW || b->v[i].type == GDB_BP_HW)
            b->stop_at[n++] = b->v[i].addr;
    b->nr_stop_at = n;
    return 0;
}

/*
 * The resume setup: every held debug register except execution ones at
 * skip_pc (being stepped off) or all execution ones when stepping emulates
 * them (no_exec); int3 interception while any patch is in.
 */
static void setup(const struct gdb_bp *b, enum gdb_resume_mode mode,
                  uint64_t skip_pc, bool no_exec, struct gdb_resume *how)
{
    *how =
        (struct gdb_resume){.mode = mode,
                            .inject = b->inject,
                            .use_sw_bp = gdb_bp_has_where(b, GDB_BP_AT_INT3)};
    if (b->nr_page) {
        how->watch = b->page;
        how->nr_watch = b->nr_page;
    }
    for (int i = 0; i < GDB_BP_NR_SLOTS; i++) {
        uint64_t bits = b->slot[i].dr7_bits;
        bool exec =
            ((bits >> (16 + 4 * i)) & GDB_BP_DR7_RW_MASK) == GDB_BP_RW_EXEC;
        if (!b->slot[i].owner)
            continue;
        if (exec && (no_exec || b->slot[i].addr == skip_pc))
            continue;
        how->dr[i] = b->slot[i].addr;
        how->dr7 |= (1ULL << (2 * i)) | bits;
    }
    if (how->dr7) {
        how->dr7 |= GDB_BP_DR7_LE;
        how->use_hw_bp = true;
    }
    if (b->range) {
        how->range_start = b->range_start;
        how->range_end = b->range_end;
        how->stop_at = b->stop_at;
        how->nr_stop_at = b->nr_stop_at;
    }
}

/* The linear pc and whether the guest's own TF is set. */
static int get_pc_tf(struct gdb_bp *b, uint64_t *pc, bool *tf)
{
    struct gdb_x86_regs regs;
    int r = gdb_target_core_regs(b->ops, b->ctx, &regs);

    if (r < 0)
        return r;
    *pc = gdb_x86_linear_pc(&regs);
    if (tf)
        *tf = (regs.rflags & RFLAGS_TF) != 0;
    return 0;
}

static int get_pc(struct gdb_bp *b, uint64_t *pc)
{
    return get_pc_tf(b, pc, NULL);
}

/* Resume as *how; a pending guest exception goes with it. */
static int resume(struct gdb_bp *b, const struct gdb_resume *how,
                  struct gdb_stop *st)
{
    int r = b->ops->resume(b->ctx, how, st);

    if (r >= 0)
        b->inject = 0;
    return r;
}

/* Run one instruction from pc, with any int3 at pc lifted meanwhile. */
static int step_once(struct gdb_bp *b, enum gdb_resume_mode mode, uint64_t pc,
                     bool no_exec, struct gdb_resume *how, struct gdb_stop *st)
{
    static const uint8_t cc = GDB_BP_OPCODE_INT3;
    struct gdb_bp_entry *e = gdb_bp_int3_at(b, pc);
    int r;

    if (e && ((r = gdb_bp_sync_int3(b, e)) < 0 ||
              (r = b->ops->write_mem(b->ctx, pc, &e->orig, 1)) < 0))
        return r;
    setup(b, mode, pc, no_exec, how);
    r = resume(b, how, st);
    if (e) {
        uint8_t now;
        /* The instruction may have rewritten itself: keep what it wrote. */
        if (b->ops->read_mem(b->ctx, pc, &now, 1) == 0)
            e->orig = now;
        int r2 = b->ops->write_mem(b->ctx, pc, &cc, 1);
        if (r >= 0 && r2 < 0)
            r = r2;
    }
    return r;
}

static enum gdb_bp_event hit_event(int type)
{
    switch (type) {
    case GDB_BP_SW:
        return GDB_BP_EV_SWBREAK;
    case GDB_BP_HW:
        return GDB_BP_EV_HWBREAK;
    case GDB_BP_WRITE:
        return GDB_BP_EV_WATCH;
    case GDB_BP_READ:
        return GDB_BP_EV_RWATCH;
    default:
        return GDB_BP_EV_AWATCH;
    }
}

static void report(struct gdb_bp_stop *out, const struct gdb_bp_entry *e)
{
    *out = (struct gdb_bp_stop){.ev = hit_event(e->type), .addr = e->addr};
}

/*
 * The page-protection watchpoint a target's watch stop names: the one at
 * that address whose type takes that access (for a write, a watch before
 * an awatch; for a read, an rwatch before an awatch).
 */
static const struct gdb_bp_entry *page_hit(const struct gdb_bp *b,
                                           const struct gdb_stop *st)
{
    const struct gdb_bp_entry *best = NULL;

    if (!st->watch_hit)
        return NULL;
    for (size_t i = 0; i < b->nr_page; i++) {
        const struct gdb_bp_entry *e = gdb_bp_find_id(b, b->page_id[i]);
        if (!e || b->page[i].addr != st->watch_addr ||
            !(b->page[i].kind & st->watch_kind))
            continue;
        if (!best || e->type != GDB_BP_ACCESS)
            best = e;
    }
    return best;
}

/* A debug register that fired (DR6 B0-B3) among those loaded, if any. */
static const struct gdb_bp_entry *dr_hit(const struct gdb_bp *b,
                                         const struct gdb_resume *how,
                                         enum gdb_resume_mode mode,
                                         uint64_t dr6)
{
    for (int i = 0; i < GDB_BP_NR_SLOTS; i++) {
        uint64_t rw = (how->dr7 >> (16 + 4 * i)) & GDB_BP_DR7_RW_MASK;
        if (!(dr6 & (1ULL << i)) || !(how->dr7 & (1ULL << (2 * i))))
            continue;
        /* A range step's thread has no execution slots loaded. */
        if (rw == GDB_BP_RW_EXEC && mode == GDB_RESUME_RANGE)
            continue;
        const struct gdb_bp_entry *e = gdb_bp_find_id(b, b->slot[i].owner);
        if (e)
            return e;
    }
    return NULL;
}

/*
 * Stepping watchpoints whose bytes changed; all are refreshed. Only the
 * shadow table is walked (at most GDB_BP_STEP_WATCH_BYTES compared).
 */
const struct gdb_bp_entry *gdb_bp_watch_changed(struct gdb_bp *b)
{
    const struct gdb_bp_shadow *hit = NULL;
    uint8_t buf[256];

    for (size_t i = 0; i < b->nr_shadow; i++) {
        struct gdb_bp_shadow *sh = &b->shadow[i];
        for (uint64_t off = 0; off < sh->len; off += sizeof(buf)) {
            size_t n =
                sh->len - off < sizeof(buf) ? sh->len - off : sizeof(buf);
            if (gdb_bp_read_mem(b, sh->addr + off, buf, n) < 0)
                continue;
            if (memcmp(buf, sh->bytes + off, n) != 0) {
                memcpy(sh->bytes + off, buf, n);
                if (!hit)
                    hit = sh;
            }
        }
    }
    return hit ? gdb_bp_find_id(b, hit->id) : NULL;
}

/*
 * Make sense of a target stop after resuming as *how from prev_pc, the
 * guest's TF being prev_tf then. Returns REPORT if gdb must hear of it
 * (*out filled), GO_ON if a step standing in for running found nothing,
 * REDO if the guest raised a debug exception of its own (b->inject: it is
 * delivered by resuming the same way again), or -errno.
 */
static int judge(struct gdb_bp *b, const struct gdb_resume *how,
                 const struct gdb_stop *st, uint64_t prev_pc, bool prev_tf,
                 struct gdb_bp_stop *out)
{
    const struct gdb_bp_entry *e;
    bool stepped = how->mode != GDB_RESUME_CONT;
    bool interrupted = false;
    uint64_t pc;
    int r;

    *out = (struct gdb_bp_stop){.ev = GDB_BP_EV_TRAP};
    switch (st->kind) {
    case GDB_STOP_EXITED:
        out->ev = GDB_BP_EV_EXITED;
        out->exit_code = st->exit_code;
        return 1;
    case GDB_STOP_CRASHED:
        out->ev = GDB_BP_EV_CRASHED;
        return 1;
    case GDB_STOP_TERMINATE:
        out->ev = GDB_BP_EV_TERMINATE;
        return 1;
    case GDB_STOP_NONE:
    case GDB_STOP_INTERRUPTED:
        out->ev = GDB_BP_EV_INTERRUPTED;
        if (!stepped)
            return 1;
        if ((r = get_pc(b, &pc)) < 0)
            return r;
        if (pc == prev_pc)
            return 1; /* nothing ran: the step is still to do */
        /*
         * The step went through before the signal (e.g. an OUT that waited
         * for room on stdout): judge the step, then still report the
         * interruption so the server reads what raised it (gdb's 0x03).
         */
        interrupted = true;
        out->ev = GDB_BP_EV_TRAP;
        break;
    case GDB_STOP_DEBUG:
        if ((r = get_pc(b, &pc)) < 0)
            return r;
        if ((e = page_hit(b, st))) {
            /* The access's instruction is done; the guest's TF is owed. */
            if (((stepped && prev_tf) || st->trap_owed) && !how->inject)
                b->inject = VEC_DB;
            report(out, e);
            return REPORT;
        }
        if (st->exception == VEC_BP) {
            e = gdb_bp_int3_at(b, pc);
            if (e) {
                report(out, e);
                return REPORT;
            }
            /* The guest's own int3 (the pc is at it): its handler runs. */
            b->inject = VEC_BP;
            return REDO;
        }
        if ((e = dr_hit(b, how, how->mode, st->dr6))) {
            /* A trap of the guest's own TF may come with it: keep it. */
            if (!stepped && (st->dr6 & DR6_BS))
                b->inject = VEC_DB;
            report(out, e);
            return REPORT;
        }
        if (!stepped) {
            /* Nothing of ours: the guest's TF (or its own int1). */
            b->inject = VEC_DB;
            return REDO;
        }
        out->ev = GDB_BP_EV_TRAP;
        break;
    }
    /*
     * A single step went through: do what the hardware could not. If the
     * guest's own TF was set when the instruction started, the guest is
     * owed the trap (Intel SDM vol. 3, 17.3.1.4): it gets it on the next
     * resume. (An exception delivered first ran its handler's first
     * instruction instead, which starts with TF clear.)
     */
    if (prev_tf && !how->inject)
        b->inject = VEC_DB;
    if ((e = gdb_bp_watch_changed(b))) {
        report(out, e);
        return REPORT;
    }
    if (how->mode == GDB_RESUME_STEP && !b->range)
        return REPORT;
    if ((r = get_pc(b, &pc)) < 0)
        return r;
    if ((e = gdb_bp_break_at(b, pc))) {
        report(out, e);
        return REPORT;
    }
    if (interrupted) {
        out->ev = GDB_BP_EV_INTERRUPTED;
        return REPORT;
    }
    /* A range step ended, or one step of the stub's own range loop. */
    return how->mode == GDB_RESUME_STEP_RUN ? GO_ON : REPORT;
}

/* Whether a thread at regs is still in the range being stepped. */
static bool in_range(const struct gdb_bp *b, const struct gdb_x86_regs *regs)
{
    uint64_t pc = gdb_x86_linear_pc(regs);

    return regs->seg[GDB_CS] == b->range_cs && regs->arch == b->range_arch &&
           pc >= b->range_start && pc < b->range_end;
}

/* A verdict for gdb_bp_run's caller: patches checked, -errno or 0. */
static int done(struct gdb_bp *b, int r)
{
    if (r < 0)
        return r;
    gdb_bp_sync_all(b);
    return 0;
}

/* A guest int3 or TF trap again and again at one step: give up. */
#define MAX_REDO 16

static int run_threads(struct gdb_bp *b, struct gdb_bp_stop *stop);

/* A done(): the stop of a range step (counted for `monitor`). */
static int range_done(struct gdb_bp *b, int r)
{
    b->range_runs++;
    return done(b, r);
}

/*
 * gdb_bp_run for a range step (one thread): one resume of the target in
 * GDB_RESUME_RANGE, or, where the target cannot, single steps from here
 * until the pc leaves the range or a step has something to report.
 */
static int run_range(struct gdb_bp *b, struct gdb_bp_stop *stop)
{
    bool by_target = target_ranges(b);
    enum gdb_resume_mode mode = by_target ? GDB_RESUME_RANGE : GDB_RESUME_STEP;
    struct gdb_x86_regs regs;
    struct gdb_resume how;
    struct gdb_stop st;
    int r, redo = 0;

    if ((by_target && (r = build_stop_at(b)) < 0) ||
        (r = gdb_target_core_regs(b->ops, b->ctx, &regs)) < 0)
        return r;
    for (;;) {
        uint64_t pc = gdb_x86_linear_pc(&regs);
        bool tf = (regs.rflags & RFLAGS_TF) != 0;
        if ((r = step_once(b, mode, pc, false, &how, &st)) < 0)
            return r;
        if (!by_target)
            b->range_stub_steps++;
        r = judge(b, &how, &st, pc, tf, stop);
        bool again = r == REDO; /* the guest's exception first, then on */
        if (again && ++redo > MAX_REDO)
            return range_done(b, 0);
        if (!again &&
            (r < 0 || by_target || stop->ev != GDB_BP_EV_TRAP || b->inject))
            return range_done(b, r);
        /* Where the step left it: the next step starts from these. */
        if ((r = gdb_target_core_regs(b->ops, b->ctx, &regs)) < 0)
            return r;
        if (!again && !in_range(b, &regs))
            return range_done(b, 0);
    }
}

int gdb_bp_run(struct gdb_bp *b, struct gdb_bp_stop *stop)
{
    struct gdb_resume how;
    struct gdb_stop st;
    uint64_t pc;
    bool tf;
    int r;

    if (b->nthreads > 1)
        return run_threads(b, stop);

    if ((r = get_pc_tf(b, &pc, &tf)) < 0)
        return r;
    if (b->stepping && b->range)
        return run_range(b, stop);
    if (b->stepping) {
        /* Redone while the guest's own int3 is delivered first. */
        for (int k = 0;; k++) {
            if ((r = step_once(b, GDB_RESUME_STEP, pc, false, &how, &st)) < 0)
                return r;
            r = judge(b, &how, &st, pc, tf, stop);
            if (r != REDO || k == MAX_REDO)
                return done(b, r == REDO ? 0 : r);
            if ((r = get_pc_tf(b, &pc, &tf)) < 0)
                return r;
        }
    }
    if (gdb_bp_has_where(b, GDB_BP_AT_STEP)) {
        /* Continue by stepping, comparing after every instruction. */
        for (;;) {
            r = step_once(b, GDB_RESUME_STEP_RUN, pc, true, &how, &st);
            if (r < 0)
                return r;
            r = judge(b, &how, &st, pc, tf, stop);
            if (r != GO_ON && r != REDO)
                return done(b, r);
            if ((r = get_pc_tf(b, &pc, &tf)) < 0)
                return r;
        }
    }
    if (b->step_over && gdb_bp_break_at(b, pc)) {
        /* Step off the breakpoint under the pc (RF is not honoured). */
        if ((r = step_once(b, GDB_RESUME_STEP_RUN, pc, false, &how, &st)) < 0)
            return r;
        r = judge(b, &how, &st, pc, tf, stop);
        if (r != GO_ON && r != REDO)
            return done(b, r);
    }
    b->step_over = false;
    for (;;) {
        setup(b, GDB_RESUME_CONT, UINT64_MAX, false, &how);
        if ((r = resume(b, &how, &st)) < 0)
            return r;
        r = judge(b, &how, &st, pc, false, stop);
        if (r != REDO)
            return done(b, r);
    }
}

void gdb_bp_start_threads(struct gdb_bp *b, const uint8_t *act, int event)
{
    memcpy(b->act, act, (size_t)b->nthreads);
    b->event = event;
    b->stepping = false;
    b->step_over = true;
    b->range = false;
}

/* Thread t's linear pc (t becomes the selected thread). */
static int pc_of(struct gdb_bp *b, int t, uint64_t *pc)
{
    int r = b->ops->select_thread(b->ctx, t);

    return r < 0 ? r : get_pc(b, pc);
}

/*
 * Make sense of thread t's own debug stop st after it ran in mode.
 * Returns REPORT (*out filled), GO_ON or REDO (b->inject set for t).
 */
static int judge_thread(struct gdb_bp *b, const struct gdb_resume *how,
                        enum gdb_resume_mode mode, bool ranging, int t,
                        const struct gdb_stop *st, struct gdb_bp_stop *out)
{
    const struct gdb_bp_entry *e;
    uint64_t pc;
    int r;

    *out = (struct gdb_bp_stop){.ev = GDB_BP_EV_TRAP, .thread = t};
    if ((r = pc_of(b, t, &pc)) < 0)
        return r;
    if ((e = page_hit(b, st))) {
        report(out, e);
        out->thread = t;
        return REPORT;
    }
    if (st->exception == VEC_BP) {
        if ((e = gdb_bp_int3_at(b, pc))) {
            report(out, e);
            out->thread = t;
            return REPORT;
        }
        b->inject = VEC_BP;
        b->inject_thread = t;
        return REDO;
    }
    if ((e = dr_hit(b, how, mode, st->dr6))) {
        report(out, e);
        out->thread = t;
        return REPORT;
    }
    if (mode == GDB_RESUME_CONT) {
        b->inject = VEC_DB; /* nothing of ours: the guest's TF or int1 */
        b->inject_thread = t;
        return REDO;
    }
    if ((e = gdb_bp_watch_changed(b)) ||
        ((mode == GDB_RESUME_STEP_RUN || ranging) &&
         (e = gdb_bp_break_at(b, pc)))) {
        report(out, e);
        out->thread = t;
        return REPORT;
    }
    if (ranging && mode == GDB_RESUME_STEP) {
        /* The stub's own range loop: on while in the range. */
        struct gdb_x86_regs regs;
        b->range_stub_steps++;
        if ((r = gdb_target_core_regs(b->ops, b->ctx, &regs)) < 0)
            return r;
        return in_range(b, &regs) && !b->inject ? GO_ON : REPORT;
    }
    return mode == GDB_RESUME_STEP_RUN ? GO_ON : REPORT;
}

/*
 * Stepping watchpoints compare memory after each round: for the change to
 * belong to one instruction, a round steps one continuing thread only,
 * taking turns, and skips those that wait (hlt, SIPI), whose step might
 * never end. Returns that thread, or -1 to step them all at once (no
 * stepping watchpoints, or no thread gdb steps itself, or all wait).
 */
static int serial_pick(struct gdb_bp *b, bool by_step)
{
    if (!by_step || !b->nr_shadow)
        return -1;
    for (int t = 0; t < b->nthreads; t++)
        if (b->act[t] == GDB_BP_ACT_STEP || b->act[t] == GDB_BP_ACT_RANGE)
            return -1; /* gdb's own step ends the round soon enough */
    for (int k = 1; k <= b->nthreads; k++) {
        int t = (b->turn + k) % b->nthreads;
        if (b->act[t] != GDB_BP_ACT_CONT ||
            (b->ops->thread_waits && b->ops->thread_waits(b->ctx, t)))
            continue;
        b->turn = t;
        return t;
    }
    return -1;
}

/*
 * One round of a threaded resume: every thread as b->act says (or only
 * `over`, stepping off the breakpoint under its pc, when over >= 0).
 * Returns REPORT, GO_ON, REDO or -errno.
 */
static int round_threads(struct gdb_bp *b, int over, uint64_t over_pc,
                         struct gdb_bp_stop *out)
{
    static const uint8_t cc = GDB_BP_OPCODE_INT3;
    bool by_step = gdb_bp_has_where(b, GDB_BP_AT_STEP);
    struct gdb_bp_entry *lifted[GDB_BP_NR_SLOTS] = {0};
    uint64_t lifted_pc[GDB_BP_NR_SLOTS];
    int nlifted = 0, verdict = GO_ON, r;
    struct gdb_resume how;
    struct gdb_stop st;

    int only = serial_pick(b, by_step);

    if (b->range && target_ranges(b) && (r = build_stop_at(b)) < 0)
        return r;

    for (int t = 0; t < b->nthreads; t++) {
        enum gdb_resume_mode m = GDB_RESUME_STAY;
        if (over >= 0)
            m = t == over ? GDB_RESUME_STEP_RUN : GDB_RESUME_STAY;
        else if (b->act[t] == GDB_BP_ACT_STEP)
            m = GDB_RESUME_STEP;
        else if (b->act[t] == GDB_BP_ACT_RANGE)
            m = target_ranges(b) ? GDB_RESUME_RANGE : GDB_RESUME_STEP;
        else if (b->act[t] == GDB_BP_ACT_CONT && only >= 0)
            m = t == only ? GDB_RESUME_STEP_RUN : GDB_RESUME_STAY;
        else if (b->act[t] == GDB_BP_ACT_CONT)
            m = by_step ? GDB_RESUME_STEP_RUN : GDB_RESUME_CONT;
        b->modes[t] = m;
        if (m != GDB_RESUME_STEP && m != GDB_RESUME_STEP_RUN &&
            m != GDB_RESUME_RANGE)
            continue;
        /* A stepped thread runs the instruction under an int3 patch. */
        uint64_t pc;
        struct gdb_bp_entry *e;
        if ((r = pc_of(b, t, &pc)) < 0)
            return r;
        if ((e = gdb_bp_int3_at(b, pc)) && nlifted < GDB_BP_NR_SLOTS) {
            if ((r = gdb_bp_sync_int3(b, e)) < 0 ||
                (r = b->ops->write_mem(b->ctx, pc, &e->orig, 1)) < 0)
                return r;
            lifted[nlifted] = e;
            lifted_pc[nlifted++] = pc;
        }
    }
    setup(b, GDB_RESUME_CONT, over >= 0 ? over_pc : UINT64_MAX, by_step, &how);
    how.modes = b->modes;
    how.thread = b->inject_thread;
    r = resume(b, &how, &st);
    for (int k = nlifted - 1; k >= 0; k--) {
        uint8_t now;
        if (b->ops->read_mem(b->ctx, lifted_pc[k], &now, 1) == 0)
            lifted[k]->orig = now;
        int r2 = b->ops->write_mem(b->ctx, lifted_pc[k], &cc, 1);
        if (r >= 0 && r2 < 0)
            r = r2;
    }
    if (r < 0)
        return r;
    *out = (struct gdb_bp_stop){.thread = st.thread};
    switch (st.kind) {
    case GDB_STOP_EXITED:
        out->ev = GDB_BP_EV_EXITED;
        out->exit_code = st.exit_code;
        return REPORT;
    case GDB_STOP_CRASHED:
        out->ev = GDB_BP_EV_CRASHED;
        return REPORT;
    case GDB_STOP_TERMINATE:
        out->ev = GDB_BP_EV_TERMINATE;
        return REPORT;
    default:
        break;
    }
    /* Every thread's own stop, the target's pick first. */
    for (int k = 0; k < b->nthreads; k++) {
        int t = (st.thread + k) % b->nthreads;
        struct gdb_stop ts;
        if (b->modes[t] == GDB_RESUME_STAY ||
            b->ops->thread_stop(b->ctx, t, &ts) < 0 ||
            ts.kind != GDB_STOP_DEBUG)
            continue;
        bool ranging = b->act[t] == GDB_BP_ACT_RANGE;
        bool user_step =
            b->modes[t] == GDB_RESUME_STEP || b->modes[t] == GDB_RESUME_RANGE;
        if (user_step)
            b->act[t] = GDB_BP_ACT_STAY; /* its step is done */
        r = judge_thread(b, &how, b->modes[t], ranging, t, &ts, out);
        if (ranging && r == GO_ON)
            b->act[t] = GDB_BP_ACT_RANGE; /* still in the range */
        if (r < 0 || r == REPORT) {
            if (r == REPORT && user_step)
                out->thread = t;
            if (r == REPORT && ranging)
                b->range_runs++;
            return r;
        }
        if (r == REDO)
            verdict = REDO;
    }
    if (st.kind == GDB_STOP_INTERRUPTED) {
        *out = (struct gdb_bp_stop){.ev = GDB_BP_EV_INTERRUPTED,
                                    .thread = b->event};
        return REPORT;
    }
    return verdict;
}

/*
 * gdb_bp_run for a target with threads: all-stop rounds. A thread gdb
 * steps gets one instruction; threads that continue run freely, or one
 * instruction a round when some points are checked by stepping; the
 * thread gdb last heard of steps off a breakpoint under its pc first.
 */
static int run_threads(struct gdb_bp *b, struct gdb_bp_stop *stop)
{
    int redo = 0, r;

    if (b->step_over) {
        uint64_t pc;
        b->step_over = false;
        if (b->act[b->event] == GDB_BP_ACT_CONT &&
            !gdb_bp_has_where(b, GDB_BP_AT_STEP)) {
            if ((r = pc_of(b, b->event, &pc)) < 0)
                return r;
            if (gdb_bp_break_at(b, pc)) {
                r = round_threads(b, b->event, pc, stop);
                if (r == REPORT || r < 0)
                    return done(b, r);
            }
        }
    }
    for (;;) {
        r = round_threads(b, -1, 0, stop);
        if (r == REPORT || r < 0)
            break;
        if (r == REDO && ++redo > MAX_REDO) {
            b->inject = 0;
            *stop = (struct gdb_bp_stop){.ev = GDB_BP_EV_TRAP,
                                         .thread = b->inject_thread};
            break;
        }
    }
    if (r == REPORT && stop->ev != GDB_BP_EV_INTERRUPTED)
        b->event = stop->thread;
    return done(b, r == REPORT ? 0 : r);
}
