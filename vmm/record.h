#ifndef VMM_RECORD_H
#define VMM_RECORD_H

/*
 * Record mode (--record): the guest runs one instruction per KVM_RUN
 * (single-step), each one counted, so that any earlier instruction count
 * can be reached again: put back the checkpoint before it and run forward
 * the difference. A checkpoint is the vCPU state (snap_vcpu) every
 * REC_INTERVAL instructions plus, for RAM, an undo log: the pages the
 * guest dirtied in the interval after it (KVM dirty logging), as they were
 * at the checkpoint. The memory used is bounded by a budget; the oldest
 * checkpoints go first.
 *
 * Exactness rests on the machine having no inputs but the guest's own
 * state and what the recorder feeds it at known instruction counts. On
 * the bare machine port and MMIO reads return constants and there are no
 * interrupts. On the pc machine (board->virtual_time) time is virtual:
 * REC_NS_PER_INSN nanoseconds per instruction, plus the time a HLT with
 * interrupts on skips to the next timer interrupt. The PIT is the
 * VMM's (no in-kernel PIT), and before every instruction board_advance
 * gives the PIT, the RTC and the ACPI PM timer the virtual time, so their
 * interrupts are raised (KVM_IRQ_LINE) between the same two instructions
 * on every re-execution; the in-kernel PICs and IOAPIC, the local APIC
 * and every device of ours are in each checkpoint. Keystrokes: the
 * recorder reads stdin between instructions into COM1 and logs each byte
 * with the count; a re-execution feeds the log at the same counts and
 * never reads stdin. Not recorded: the local APIC timer and the time-stamp
 * counter run on the host's clock inside KVM, and RDRAND: a guest using
 * them may replay differently. Each checkpoint's registers are hashed;
 * a re-execution that reaches a checkpoint count with other registers
 * is counted as a divergence (rec_describe says so).
 *
 * One vCPU; one thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run.h"
#include "snapshot.h"

#define REC_DEFAULT_BUDGET (256ull << 20) /* bytes of history */
#define REC_MIN_BUDGET     (1ull << 20)
#define REC_INTERVAL       128 /* instructions between checkpoints */
/* The pc machine's virtual time per instruction: a 1 MHz guest. */
#define REC_NS_PER_INSN 1000u

struct board;
struct pio_console;
struct rec_ckpt;  /* private */
struct rec_dev;   /* private */
struct rec_input; /* private */

/* Fields private. */
struct rec {
    struct snap_machine *m;
    struct runner *runner;
    struct pio_console *con; /* muted while re-executing, or NULL */
    uint64_t budget, used;   /* bytes */
    uint64_t icount;         /* instructions executed since the start */
    uint64_t high_water;     /* the most ever executed */
    struct rec_ckpt *ck;     /* ring of checkpoints, oldest at head */
    size_t head, n, cap;
    uint8_t *shadow;     /* RAM as at the newest checkpoint */
    uint64_t *dirty;     /* KVM_GET_DIRTY_LOG bitmap, one per slot */
    uint8_t *user_dirty; /* pages the VMM wrote (gdb), a bit each */
    size_t pages;
    uint64_t dropped;      /* checkpoints dropped for the budget */
    uint64_t last_seek_ns; /* how long the last rec_seek took */
    const char *err_op;
    /* The pc machine (virtual time); NULL on the bare one. */
    struct board *board;
    uint64_t idle_ns;            /* virtual time HLTs skipped */
    struct rec_dev *dev_last[2]; /* the newest checkpoint's devices */
    struct board_state *dev_scratch;
    uint8_t *rest_scratch;
    uint64_t *sig; /* register hash at each checkpoint count, to high_water */
    size_t nsig, sig_cap;
    uint64_t divergences, diverged_at; /* re-executions that differed */
    uint64_t compared;                 /* re-executed checkpoints checked */
    bool lapic_timer; /* the guest armed its local APIC timer */
    /* Keystrokes (stdin into COM1), by instruction count, to high_water. */
    struct rec_input *in;
    size_t nin, in_cap;
};

/*
 * Start recording machine m (stopped, before or between instructions):
 * turn on dirty logging for RAM and take checkpoint 0. budget is in
 * bytes (>= REC_MIN_BUDGET). con may be NULL. Returns 0 or -errno
 * (r->err_op). On failure the caller still calls rec_destroy.
 */
int rec_init(struct rec *r, struct snap_machine *m, struct runner *runner,
             struct pio_console *con, uint64_t budget);

/* Free the history. Safe on a half-built or zeroed rec. */
void rec_destroy(struct rec *r);

/*
 * Run as run_vcpu(mode) would, one counted instruction at a time:
 * RUN_STEP and RUN_STEP_RUN do one instruction; RUN_CONT steps until a
 * stop that is not a plain step (signal, halt limit, power request,
 * crash). *res as from run_vcpu. Returns 0 or -errno.
 */
int rec_run(struct rec *r, enum run_mode mode, struct run_result *res);

/* The history: the oldest instruction count reachable and the current. */
void rec_history(const struct rec *r, uint64_t *first, uint64_t *now);

/*
 * Put the machine at instruction count n (first <= n <= now): the
 * checkpoint at or before n, then n minus its count single steps, output
 * muted. The history after n is dropped (going forward re-executes it,
 * the same way). Returns 0, -ERANGE if n is out of the history, -EINTR
 * if a signal cut the forward steps short (the machine is then at a
 * count between; see rec_history), or -errno.
 */
int rec_seek(struct rec *r, uint64_t n);

/*
 * The VMM (gdb) wrote guest physical [gpa, gpa + len): KVM's dirty log
 * does not see such writes.
 */
void rec_note_write(struct rec *r, uint64_t gpa, size_t len);

/* The pc machine's virtual time now, in nanoseconds (0 on the bare). */
uint64_t rec_vtime_ns(const struct rec *r);

/* Text for `monitor record`: history, checkpoints, memory. */
int rec_describe(const struct rec *r, char *out, size_t cap);

#endif
