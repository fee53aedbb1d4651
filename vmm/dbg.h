#ifndef VMM_DBG_H
#define VMM_DBG_H

/*
 * The GDB stub's target operations implemented over KVM: the only place
 * where gdbstub/ and vmm/ meet.
 */

#include "gdbstub/target.h"
#include "probe.h"
#include "run.h"
#include "smp.h"

struct firmware;
struct memmap;
struct pio_console;
struct rec;
struct snapmon;
struct pagewatch;

/* A vCPU's debug state while another one is selected (fields private). */
struct dbg_cpu {
    struct runner *runner;
    struct run_result last;
    bool stepping, tf;
    /* The last resume: what prep saw, and the vCPU's own outcome. */
    bool step, tf_next, tf_was;
    int inject;
    uint64_t int_len, ret_ip;
    uint16_t ret_cs;
    struct gdb_stop stop;
    /*
     * The last step let interrupts in (no BLOCKIRQ): SS:SP before it, to
     * see whether one was delivered (a frame pushed).
     */
    bool irqs_in;
    uint64_t pre_sp;
    uint16_t pre_ss;
};

/*
 * The target. runner, last, stepping and tf are the selected vCPU's
 * (select_thread); the others' are kept in cpu[]. All fields belong to
 * the thread that drives the gdb session.
 */
struct dbg {
    struct runner *runner;
    struct probe_result caps;
    struct run_result last; /* the last stop, for `monitor` */
    struct snapmon *snaps;  /* snapshot commands, or NULL */
    struct rec *rec;        /* record mode, or NULL */
    /*
     * While KVM single-steps the guest it hides the guest's RFLAGS.TF from
     * KVM_GET_REGS and drops it when single-stepping is turned off (KVM's
     * x86 kvm_get_rflags): stepping says the last KVM_SET_GUEST_DEBUG had
     * SINGLESTEP, and tf is then the guest's own TF, kept here.
     */
    bool stepping;
    bool tf;
    struct gdb_mem_view view; /* the stub's view of guest memory, if any */
    unsigned n, sel;          /* vCPUs; the selected one */
    struct dbg_cpu *cpu;      /* n, heap */
    struct smp *smp;          /* NULL with one vCPU: it runs in this thread */
    enum smp_mode *modes;     /* n, scratch */
    unsigned crash_cpu;       /* the vCPU of the last GDB_STOP_CRASHED */
    unsigned power_cpu;       /* the vCPU whose device request ended it */
    /*
     * Memory views and the console (dbg_views.h), set by the VMM after
     * dbg_init; NULL when absent. map: the machine's E820 map; fw: the
     * --bios ROM; console: the console a debugger may take output from.
     */
    const struct memmap *map;
    const struct firmware *fw;
    struct pio_console *console;
    /*
     * Watchpoints by page protection (caps.page_watch), or NULL: one vCPU,
     * not recording. The runner's MMIO handler must be pagewatch_mmio.
     */
    struct pagewatch *pw;
    /*
     * `monitor step irqs on|off`: a step for the user (stepi, range
     * steps) runs with KVM_GUESTDBG_BLOCKIRQ where the host has it.
     */
    bool block_irqs;
    uint64_t range_resumes, range_insns; /* GDB_RESUME_RANGE so far */
};

/*
 * A target over n vCPUs (runners[i] runs vCPU i); smp runs them when
 * n > 1 (NULL: one vCPU, run in the calling thread). Returns 0 or
 * -ENOMEM. runners and smp must outlive d; dbg_destroy frees d.
 */
int dbg_init(struct dbg *d, struct runner *runners, unsigned n, struct smp *smp,
             const struct probe_result *caps);
void dbg_destroy(struct dbg *d);

/* The operations; ctx is a struct dbg *. */
extern const struct gdb_target_ops dbg_target_ops;

#endif
