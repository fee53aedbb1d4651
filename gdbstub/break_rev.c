/*
 * Reverse execution over a recording target: the target can only go to
 * an earlier instruction count (seek) and run forward from there, so
 * going back to the previous breakpoint means scanning windows of the
 * history forward, newest window first, and keeping the last hit.
 */
#include "break.h"

#include <errno.h>
#include <string.h>

#include "break_priv.h"

/* Instructions re-executed per window of a reverse continue. */
#define REV_WINDOW 4096

/* Stepping watchpoints: refresh every shadow to memory as it is now. */
static void refresh_watches(struct gdb_bp *b)
{
    for (size_t i = 0; i < b->nr_shadow; i++) {
        struct gdb_bp_shadow *sh = &b->shadow[i];
        gdb_bp_read_mem(b, sh->addr, sh->bytes, (size_t)sh->len);
    }
}

static int seek(struct gdb_bp *b, uint64_t n, struct gdb_bp_stop *stop)
{
    int r = b->ops->seek(b->ctx, n);

    if (r == -EINTR) {
        stop->ev = GDB_BP_EV_INTERRUPTED;
        return 1;
    }
    return r;
}

static enum gdb_bp_event hit_event(int type)
{
    return type == GDB_BP_SW   ? GDB_BP_EV_SWBREAK
           : type == GDB_BP_HW ? GDB_BP_EV_HWBREAK
                               : GDB_BP_EV_WATCH;
}

/*
 * Scan [lo, hi) forward from lo: *at is set to the last count whose state
 * is at a breakpoint or comes just before a watched write, *hit to it.
 * Returns 0, 1 if interrupted (stop filled), or -errno.
 */
static int scan(struct gdb_bp *b, uint64_t lo, uint64_t hi, uint64_t *at,
                const struct gdb_bp_entry **hit, struct gdb_bp_stop *stop)
{
    const struct gdb_resume how = {.mode = GDB_RESUME_STEP};
    struct gdb_x86_regs regs;
    struct gdb_stop st;
    int r;

    *hit = NULL;
    if ((r = seek(b, lo, stop)) != 0)
        return r;
    refresh_watches(b);
    for (uint64_t c = lo; c < hi; c++) {
        const struct gdb_bp_entry *e;
        if ((r = gdb_target_core_regs(b->ops, b->ctx, &regs)) < 0)
            return r;
        if ((e = gdb_bp_break_at(b, gdb_x86_linear_pc(&regs)))) {
            *hit = e;
            *at = c;
        }
        if ((r = b->ops->resume(b->ctx, &how, &st)) < 0)
            return r;
        if (st.kind != GDB_STOP_DEBUG) {
            stop->ev = GDB_BP_EV_INTERRUPTED;
            return 1;
        }
        if ((e = gdb_bp_watch_changed(b))) {
            *hit = e;
            *at = c;
        }
    }
    return 0;
}

int gdb_bp_run_reverse(struct gdb_bp *b, bool step, struct gdb_bp_stop *stop)
{
    uint64_t first, now, at = 0;
    const struct gdb_bp_entry *hit;
    int r;

    *stop = (struct gdb_bp_stop){.ev = GDB_BP_EV_TRAP};
    if (!b->ops->history || !b->ops->seek)
        return -ENOSYS;
    if ((r = b->ops->history(b->ctx, &first, &now)) < 0)
        return r;
    if (now == first) {
        stop->ev = GDB_BP_EV_NO_HISTORY;
        return 0;
    }
    if (step) {
        r = seek(b, now - 1, stop);
        refresh_watches(b);
        return r < 0 ? r : 0;
    }
    for (uint64_t hi = now; hi > first;) {
        uint64_t lo = hi - first > REV_WINDOW ? hi - REV_WINDOW : first;
        if ((r = scan(b, lo, hi, &at, &hit, stop)) != 0)
            return r < 0 ? r : 0;
        if (hit) {
            if ((r = seek(b, at, stop)) != 0)
                return r < 0 ? r : 0;
            refresh_watches(b);
            *stop = (struct gdb_bp_stop){.ev = hit_event(hit->type),
                                         .addr = hit->addr};
            return 0;
        }
        hi = lo;
    }
    if ((r = seek(b, first, stop)) != 0)
        return r < 0 ? r : 0;
    refresh_watches(b);
    stop->ev = GDB_BP_EV_NO_HISTORY;
    return 0;
}
