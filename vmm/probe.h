#ifndef VMM_PROBE_H
#define VMM_PROBE_H

/*
 * What this host's KVM can do for a debugger, found out by running a few
 * bytes of code in a throwaway VM. KVM backends differ: hardware VT-x/AMD-V
 * intercepts int3 and fires data breakpoints; some software backends do
 * neither. Never hard-code these.
 */

#include <stdbool.h>

struct probe_result {
    bool singlestep; /* KVM_GUESTDBG_SINGLESTEP exits after 1 instruction */
    bool sw_bp;      /* KVM_GUESTDBG_USE_SW_BP intercepts int3 (#BP exit) */
    bool hw_bp;      /* DR0-3 execution breakpoints fire */
    bool hw_watch;   /* DR0-3 data (write) breakpoints fire */
    /*
     * KVM_GUESTDBG_BLOCKIRQ (no interrupts into a stepped guest) is in
     * the flag mask KVM_CHECK_EXTENSION(KVM_CAP_SET_GUEST_DEBUG2) gives.
     */
    bool blockirq;
    double usec;        /* how long the probe took */
    const char *err_op; /* set when the probe itself failed */
    int err;            /* -errno then */
    /*
     * Page protection (KVM API doc, KVM_SET_USER_MEMORY_REGION): a guest
     * write to a KVM_MEM_READONLY slot exits as KVM_EXIT_MMIO (and does
     * not reach RAM); a guest read where no slot is exits as MMIO and
     * takes the data the VMM gives.
     */
    bool ro_write_exits;
    bool hole_read_exits;
};

/*
 * Run the probe. Returns 0 (findings in *res) or -errno if a throwaway VM
 * could not be built (res->err_op says which step). A probe guest that
 * misbehaves counts as "not supported", never as a failure.
 */
int probe_host(struct probe_result *res);

#endif
