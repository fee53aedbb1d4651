#ifndef VMM_SNAPMON_H
#define VMM_SNAPMON_H

/*
 * Snapshots kept in memory, by name, and the monitor commands that use
 * them (QEMU's names): savevm NAME, loadvm NAME, delvm NAME,
 * info snapshots, savevm-file PATH.
 */

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

#define SNAPMON_MAX 32

struct rec;

/* Fields private. */
struct snapmon {
    struct snap_machine *m;
    struct rec *rec; /* record mode: loadvm is refused, NULL otherwise */
    struct snap v[SNAPMON_MAX];
    size_t n;
    unsigned long loads; /* loadvm commands that put a snapshot back */
};

void snapmon_init(struct snapmon *sm, struct snap_machine *m);

/* Free every snapshot. Idempotent. */
void snapmon_destroy(struct snapmon *sm);

/*
 * Run monitor command cmd if it is one of ours: writes at most cap - 1
 * bytes of text plus a NUL to out and returns its length (failures are
 * explained in the text); -ENOENT if cmd is not a snapshot command, or
 * -errno when the machine cannot be put back after a failed loadvm.
 */
int snapmon_command(struct snapmon *sm, const char *cmd, char *out, size_t cap);

/*
 * Whether cmd takes or puts back the vCPUs' state (savevm, savevm-file,
 * loadvm): the caller first makes each vCPU's registers the guest's own
 * (no debugger single-step hiding its TF).
 */
bool snapmon_is_vcpu_cmd(const char *cmd);

/* The help lines for the commands. */
extern const char snapmon_help[];

#endif
