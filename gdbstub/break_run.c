/*
 * Running the guest under the breakpoint manager: stepping off a
 * breakpoint under the pc, continuing by single steps when some points
 * have no hardware, and telling gdb which point a stop belongs to.
 */
#include "break.h"

#include <errno.h>
#include <string.h>

#include "break_priv.h"

void gdb_bp_start(struct gdb_bp *b, bool step)
{
    b->stepping = step;
    b->step_over = true;
}

/*
 * The resume setup: every held debug register except execution ones at
 * skip_pc (being stepped off) or all execution ones when stepping emulates
 * them (no_exec); int3 interception while any patch is in.
 */
static void setup(const struct gdb_bp *b, enum gdb_resume_mode mode,
                  uint64_t skip_pc, bool no_exec, struct gdb_resume *how)
{
    *how = (struct gdb_resume){
        .mode = mode, .use_sw_bp = gdb_bp_has_where(b, GDB_BP_AT_INT3)};
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
}

static int get_pc(struct gdb_bp *b, uint64_t *pc)
{
    struct gdb_x86_regs regs;
    int r = gdb_target_core_regs(b->ops, b->ctx, &regs);

    if (r < 0)
        return r;
    *pc = regs.rip;
    return 0;
}

/* Run one instruction from pc, with any int3 at pc lifted meanwhile. */
static int step_once(struct gdb_bp *b, enum gdb_resume_mode mode, uint64_t pc,
                     bool no_exec, struct gdb_resume *how, struct gdb_stop *st)
{
    static const uint8_t cc = GDB_BP_OPCODE_INT3;
    const struct gdb_bp_entry *e = gdb_bp_int3_at(b, pc);
    int r;

    if (e && (r = b->ops->write_mem(b->ctx, pc, &e->orig, 1)) < 0)
        return r;
    setup(b, mode, pc, no_exec, how);
    r = b->ops->resume(b->ctx, how, st);
    if (e) {
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

/* A debug register that fired (DR6 B0-B3) among those loaded, if any. */
static const struct gdb_bp_entry *
dr_hit(const struct gdb_bp *b, const struct gdb_resume *how, uint64_t dr6)
{
    for (int i = 0; i < GDB_BP_NR_SLOTS; i++) {
        if (!(dr6 & (1ULL << i)) || !(how->dr7 & (1ULL << (2 * i))))
            continue;
        const struct gdb_bp_entry *e = gdb_bp_find_id(b, b->slot[i].owner);
        if (e)
            return e;
    }
    return NULL;
}

/* Stepping watchpoints whose bytes changed; all are refreshed. */
static const struct gdb_bp_entry *watch_changed(struct gdb_bp *b)
{
    const struct gdb_bp_entry *hit = NULL;
    uint8_t buf[256];

    for (size_t i = 0; i < b->n; i++) {
        struct gdb_bp_entry *e = &b->v[i];
        if (!e->shadow)
            continue;
        for (uint64_t off = 0; off < e->len; off += sizeof(buf)) {
            size_t n = e->len - off < sizeof(buf) ? e->len - off : sizeof(buf);
            if (gdb_bp_read_mem(b, e->addr + off, buf, n) < 0)
                continue;
            if (memcmp(buf, e->shadow + off, n) != 0) {
                memcpy(e->shadow + off, buf, n);
                if (!hit)
                    hit = e;
            }
        }
    }
    return hit;
}

/*
 * Make sense of a target stop after resuming as *how from prev_pc.
 * Returns 1 if gdb must hear of it (*out filled), 0 if a step standing in
 * for running found nothing, or -errno.
 */
static int judge(struct gdb_bp *b, const struct gdb_resume *how,
                 const struct gdb_stop *st, uint64_t prev_pc,
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
        if (st->exception == 3) {
            e = gdb_bp_int3_at(b, pc);
            if (e)
                report(out, e);
            return 1; /* else the guest's own int3 */
        }
        if ((e = dr_hit(b, how, st->dr6))) {
            report(out, e);
            return 1;
        }
        if (!stepped)
            return 1; /* unexplained #DB */
        out->ev = GDB_BP_EV_TRAP;
        break;
    }
    /* A single step went through: do what the hardware could not. */
    if ((e = watch_changed(b))) {
        report(out, e);
        return 1;
    }
    if (how->mode == GDB_RESUME_STEP)
        return 1;
    if ((r = get_pc(b, &pc)) < 0)
        return r;
    if ((e = gdb_bp_break_at(b, pc))) {
        report(out, e);
        return 1;
    }
    if (interrupted) {
        out->ev = GDB_BP_EV_INTERRUPTED;
        return 1;
    }
    return 0;
}

int gdb_bp_run(struct gdb_bp *b, struct gdb_bp_stop *stop)
{
    struct gdb_resume how;
    struct gdb_stop st;
    uint64_t pc;
    int r;

    if ((r = get_pc(b, &pc)) < 0)
        return r;
    if (b->stepping) {
        if ((r = step_once(b, GDB_RESUME_STEP, pc, false, &how, &st)) < 0)
            return r;
        r = judge(b, &how, &st, pc, stop);
        return r < 0 ? r : 0;
    }
    if (gdb_bp_has_where(b, GDB_BP_AT_STEP)) {
        /* Continue by stepping, comparing after every instruction. */
        for (;;) {
            r = step_once(b, GDB_RESUME_STEP_RUN, pc, true, &how, &st);
            if (r < 0)
                return r;
            if ((r = judge(b, &how, &st, pc, stop)) != 0)
                return r < 0 ? r : 0;
            if ((r = get_pc(b, &pc)) < 0)
                return r;
        }
    }
    if (b->step_over && gdb_bp_break_at(b, pc)) {
        /* Step off the breakpoint under the pc (RF is not honoured). */
        if ((r = step_once(b, GDB_RESUME_STEP_RUN, pc, false, &how, &st)) < 0)
            return r;
        if ((r = judge(b, &how, &st, pc, stop)) != 0)
            return r < 0 ? r : 0;
    }
    b->step_over = false;
    setup(b, GDB_RESUME_CONT, UINT64_MAX, false, &how);
    if ((r = b->ops->resume(b->ctx, &how, &st)) < 0)
        return r;
    r = judge(b, &how, &st, pc, stop);
    return r < 0 ? r : 0;
}
