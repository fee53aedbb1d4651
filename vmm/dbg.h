#ifndef VMM_DBG_H
#define VMM_DBG_H

/*
 * The GDB stub's target operations implemented over KVM: the only place
 * where gdbstub/ and vmm/ meet.
 */

#include "gdbstub/target.h"
#include "probe.h"
#include "run.h"

struct rec;
struct snapmon;

struct dbg {
    struct runner *runner;
    struct probe_result caps;
    struct run_result last; /* the last stop, for `monitor` */
    struct snapmon *snaps;  /* snapshot commands, or NULL */
    struct rec *rec;        /* record mode, or NULL */
};

void dbg_init(struct dbg *d, struct runner *r, const struct probe_result *caps);

/* The operations; ctx is a struct dbg *. */
extern const struct gdb_target_ops dbg_target_ops;

#endif
