#ifndef VMM_DBG_H
#define VMM_DBG_H

/*
 * The GDB stub's target operations implemented over KVM: the only place
 * where gdbstub/ and vmm/ meet.
 */

#include "gdbstub/target.h"
#include "probe.h"
#include "run.h"

struct dbg {
    struct runner *runner;
    struct probe_result caps;
    struct run_result last; /* the last stop, for `monitor` */
    /*
     * While KVM single-steps the guest it hides the guest's RFLAGS.TF from
     * KVM_GET_REGS and drops it when single-stepping is turned off (KVM's
     * x86 kvm_get_rflags): stepping says the last KVM_SET_GUEST_DEBUG had
     * SINGLESTEP, and tf is then the guest's own TF, kept here.
     */
    bool stepping;
    bool tf;
    struct gdb_mem_view view; /* the stub's view of guest memory, if any */
};

void dbg_init(struct dbg *d, struct runner *r, const struct probe_result *caps);

/* The operations; ctx is a struct dbg *. */
extern const struct gdb_target_ops dbg_target_ops;

#endif
