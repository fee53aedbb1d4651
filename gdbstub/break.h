#ifndef GDBSTUB_BREAK_H
#define GDBSTUB_BREAK_H

/*
 * Breakpoint and watchpoint manager: gdb's Z/z packets carried out with
 * whatever the host offers (int3 patching, the four x86 debug registers,
 * page protection by the target (caps.page_watch), or single-stepping and
 * comparing), so that gdb sees the same stops
 * whichever mechanism is in use. Internal to the stub: cmd.c drives it.
 *
 * Debug-register encoding (Intel SDM vol. 3, 17.2.4 "Debug Control
 * Register (DR7)"): slot i enabled by the local bit L<i> (bit 2i); R/W<i>
 * at bits 16+4i (00 execute, 01 write, 11 read/write); LEN<i> at bits
 * 18+4i (00 1 byte, 01 2, 11 4, 10 8). LE (bit 8) is set whenever a slot
 * is, as gdb does. Bit 10 (reserved, reads as 1) is not set: KVM takes
 * DR7 from KVM_SET_GUEST_DEBUG as given and needs it for nothing.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "target.h"

/* Z/z packet types. */
enum gdb_bp_type {
    GDB_BP_SW,     /* Z0: software breakpoint (any mechanism underneath) */
    GDB_BP_HW,     /* Z1: hardware breakpoint */
    GDB_BP_WRITE,  /* Z2: write watchpoint */
    GDB_BP_READ,   /* Z3: read watchpoint */
    GDB_BP_ACCESS, /* Z4: access watchpoint */
};

#define GDB_BP_NR_SLOTS  4
#define GDB_BP_WATCH_MAX 4096 /* longest watch done by stepping */
/*
 * Bounds on what a debugger can make the stub hold (beyond them Z gets
 * E1c, ENOSPC): points of all kinds, and watchpoints done by stepping,
 * whose bytes are kept and compared after every instruction.
 */
#define GDB_BP_MAX_POINTS       4096
#define GDB_BP_STEP_WATCH_MAX   64
#define GDB_BP_STEP_WATCH_BYTES 65536
/* Watchpoints done by page protection (each at most GDB_BP_WATCH_MAX). */
#define GDB_BP_PAGE_WATCH_MAX 32

/* What ended a gdb_bp_run, as gdb is to hear of it. */
enum gdb_bp_event {
    GDB_BP_EV_TRAP,        /* step done or unexplained trap: plain SIGTRAP */
    GDB_BP_EV_SWBREAK,     /* a Z0 hit: "swbreak:;" */
    GDB_BP_EV_HWBREAK,     /* a Z1 hit: "hwbreak:;" */
    GDB_BP_EV_WATCH,       /* "watch:ADDR;" */
    GDB_BP_EV_RWATCH,      /* "rwatch:ADDR;" */
    GDB_BP_EV_AWATCH,      /* "awatch:ADDR;" */
    GDB_BP_EV_INTERRUPTED, /* a signal cut the run short: poll, run again */
    GDB_BP_EV_EXITED,      /* exit_code */
    GDB_BP_EV_CRASHED,
    GDB_BP_EV_TERMINATE,
    GDB_BP_EV_NO_HISTORY, /* reverse execution reached the start:
                             "replaylog:begin;" */
};

struct gdb_bp_stop {
    enum gdb_bp_event ev;
    uint64_t addr; /* watchpoint start for the watch events */
    int exit_code; /* GDB_BP_EV_EXITED */
    int thread;    /* the target thread (0-based) the stop is about */
};

/* What gdb asked of one thread (vCont), for gdb_bp_start_threads. */
enum gdb_bp_act {
    GDB_BP_ACT_STAY, /* stays stopped */
    GDB_BP_ACT_CONT,
    GDB_BP_ACT_STEP,
    GDB_BP_ACT_RANGE, /* steps through gdb_bp_set_range's range */
};

struct gdb_bp_entry; /* private to break.c */

/* A watchpoint done by stepping: its bytes as last seen. */
struct gdb_bp_shadow {
    unsigned id; /* its entry */
    uint64_t addr, len;
    uint8_t *bytes;
};

/* The manager. Fields private. */
struct gdb_bp {
    const struct gdb_target_ops *ops;
    void *ctx;
    struct gdb_target_caps caps;
    enum gdb_bp_mechanism config; /* as asked for */
    enum gdb_bp_mechanism mech;   /* resolved: INT3, DR or STEP */
    struct gdb_bp_entry *v;       /* heap array */
    size_t n, cap;
    unsigned next_id;
    struct {
        unsigned owner; /* entry id, 0 = free */
        uint64_t addr;
        uint64_t dr7_bits; /* R/W and LEN bits, in place */
    } slot[GDB_BP_NR_SLOTS];
    unsigned nr_where[5]; /* entries by enum gdb_bp_where */
    unsigned nr_hw;       /* Z1 entries: at most GDB_BP_NR_SLOTS */
    struct gdb_bp_shadow shadow[GDB_BP_STEP_WATCH_MAX];
    size_t nr_shadow, shadow_bytes;
    bool stepping;  /* the current resume is a single step (s) */
    bool step_over; /* still to step off a breakpoint at the start pc */
    int inject;     /* guest's own exception still to deliver: 0, 1 or 3 */
    /* Targets with threads (nr_threads > 1); heap arrays of nthreads. */
    int nthreads;
    int inject_thread; /* whose exception inject is */
    int event;         /* the thread of the last stop reported */
    int turn;          /* the thread stepped last, one at a time */
    uint8_t *act;      /* enum gdb_bp_act, this resume */
    enum gdb_resume_mode *modes;
    /* Watchpoints by page protection, as every resume hands them on. */
    struct gdb_watch_range page[GDB_BP_PAGE_WATCH_MAX];
    unsigned page_id[GDB_BP_PAGE_WATCH_MAX]; /* their entries */
    size_t nr_page;
    /*
     * Range stepping (vCont;r) in this resume: linear [range_start,
     * range_end) in code segment range_cs, mode range_arch. stop_at
     * (heap) lists every breakpoint's address for the target.
     */
    bool range;
    uint64_t range_start, range_end;
    uint32_t range_cs;
    enum gdb_arch range_arch;
    uint64_t *stop_at;
    size_t nr_stop_at, stop_at_cap;
    uint64_t range_runs, range_stub_steps; /* counts, for tests */
};

/*
 * Set up a manager over (ops, ctx) with no breakpoints (and hand the
 * target its memory view, if it takes one). Returns 0, or
 * -EINVAL if mech asks for what caps lack (INT3 without sw_bp, DR without
 * hw_bp, STEP without singlestep).
 */
int gdb_bp_init(struct gdb_bp *b, const struct gdb_target_ops *ops, void *ctx,
                enum gdb_bp_mechanism mech);

/* Remove everything (as gdb_bp_remove_all) and free. Idempotent. */
void gdb_bp_destroy(struct gdb_bp *b);

/*
 * Insert a Z<type> point at addr; kind is the instruction length for
 * breakpoints and the byte length for watchpoints. Inserting the same
 * point again counts a reference. Returns 0; -EOPNOTSUPP if this type
 * cannot be done at all here (gdb should hear an empty reply); -EINVAL for
 * a bad kind or range; -ENOSPC when no debug register can be had, for a
 * fifth Z1 (whatever the mechanism), or past GDB_BP_MAX_POINTS or the
 * stepping-watchpoint bounds; or the target's -errno (e.g. -EFAULT
 * patching memory outside RAM).
 */
int gdb_bp_insert(struct gdb_bp *b, int type, uint64_t addr, uint64_t kind);

/*
 * Remove a point. Removing one that is not there succeeds (as gdbserver).
 * Returns 0, -EINVAL for a bad type, or the target's -errno.
 */
int gdb_bp_remove(struct gdb_bp *b, int type, uint64_t addr, uint64_t kind);

/* Remove every point, restoring patched bytes exactly. */
void gdb_bp_remove_all(struct gdb_bp *b);

/*
 * Guest memory as gdb must see it: reads show the original bytes under
 * int3 patches (or what the guest wrote over one since: the patch is then
 * put back over the guest's byte); writes over a patch update the saved
 * byte and keep the 0xCC, and refresh the bytes remembered for stepping
 * watchpoints.
 * Same returns as the target's read_mem/write_mem.
 */
int gdb_bp_read_mem(struct gdb_bp *b, uint64_t addr, void *buf, size_t len);
int gdb_bp_write_mem(struct gdb_bp *b, uint64_t addr, const void *buf,
                     size_t len);

/*
 * Get ready to resume: step says one instruction (s) rather than
 * continue. Call after setting the pc and before the first gdb_bp_run.
 */
void gdb_bp_start(struct gdb_bp *b, bool step);

/*
 * Targets with threads: get ready to resume each thread t as act[t] says
 * (nthreads entries); event is the thread gdb last heard of, the one that
 * steps off a breakpoint under its pc first.
 */
void gdb_bp_start_threads(struct gdb_bp *b, const uint8_t *act, int event);

/*
 * Make the step gdb_bp_start (or, with threads, the GDB_BP_ACT_RANGE of
 * gdb_bp_start_threads) asked for a range step (RSP vCont;r): step, then
 * on while the linear pc stays in [start, end) with CS selector cs and
 * the CPU in mode arch; a breakpoint, a watchpoint or anything a
 * continue stops on ends it sooner. The target does it where it can
 * (caps.range_step; not with watchpoints done by stepping, whose bytes
 * the stub compares), else the stub steps. Call after gdb_bp_start*.
 */
void gdb_bp_set_range(struct gdb_bp *b, uint64_t start, uint64_t end,
                      uint32_t cs, enum gdb_arch arch);

/*
 * Run the guest, as gdb_bp_start said, until a stop gdb must hear of or an
 * interruption (then call again to go on). Debug exceptions the guest
 * raised itself (its own TF or int3) are delivered to the guest, not
 * reported. Blocks. Returns 0 with *stop filled, or the target's -errno.
 */
int gdb_bp_run(struct gdb_bp *b, struct gdb_bp_stop *stop);

/*
 * Run backwards (record mode: the target's history and seek): step goes
 * back one instruction; otherwise back to the latest earlier state at a
 * breakpoint or just before a write that changed a watched range, or to
 * the start of the history (GDB_BP_EV_NO_HISTORY). Blocks. Returns 0
 * with *stop filled, -ENOSYS if the target does not record, or the
 * target's -errno.
 */
int gdb_bp_run_reverse(struct gdb_bp *b, bool step, struct gdb_bp_stop *stop);

/*
 * Describe the breakpoints and the mechanism in use as text for `monitor
 * breakpoints`. Writes at most cap - 1 bytes plus a NUL; returns the length
 * (truncated if cap is short).
 */
size_t gdb_bp_describe(const struct gdb_bp *b, char *out, size_t cap);

#endif
