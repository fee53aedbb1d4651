#ifndef VMM_RECORD_INT_H
#define VMM_RECORD_INT_H

/*
 * Record mode's internals, shared by record.c (the history: checkpoints,
 * RAM undo logs, seek) and record_pc.c (the pc machine's inputs: virtual
 * time, the interrupt chips and devices in checkpoints, keystrokes).
 * Nothing else includes this. One thread, as record.h.
 */

#include <linux/kvm.h>
#include <stdint.h>

#include "record.h"

struct rec_ckpt {
    uint64_t icount;
    uint64_t halts;
    struct snap_vcpu *cpu;
    /* The pc machine: virtual time skipped, the in-kernel PICs and
     * IOAPIC (KVM_GET_IRQCHIP), our devices (NULL on the bare). */
    uint64_t idle_ns;
    struct kvm_irqchip *chip;
    struct rec_dev *dev[2]; /* the rest, the testdev */
    /* The interval after this checkpoint: pages it dirtied, as they were
     * here (filled when the next checkpoint is taken). */
    uint32_t nundo;
    uint32_t *undo_idx;
    uint8_t *undo_data;
};

/* Record op as what failed and return -errno (EIO if errno is 0). */
int rec_fail(struct rec *r, const char *op);

/*
 * The pc machine's part (each is a no-op returning 0 on the bare one,
 * r->board NULL). rec_pc_init: buffers, after r->board is set (0 or
 * -ENOMEM); rec_pc_destroy: free them and the keystroke log.
 * rec_pc_advance: the devices' clocks at r->icount, interrupts due
 * raised. rec_pc_take / rec_pc_put: checkpoint c's interrupt chips and
 * devices taken, or put back (r->icount and idle_ns already c's);
 * rec_pc_free: what rec_pc_take gave c (and its bytes out of r->used).
 * rec_pc_feed_input: keystrokes before the instruction at r->icount, from
 * stdin (logged) or on re-execution from the log. rec_pc_hlt_wait: after
 * a HLT the VMM stepped over. rec_pc_trim_input: drop keystrokes before
 * the oldest checkpoint. Return 0 or -errno (r->err_op).
 */
int rec_pc_init(struct rec *r);
void rec_pc_destroy(struct rec *r);
int rec_pc_advance(struct rec *r);
int rec_pc_take(struct rec *r, struct rec_ckpt *c);
int rec_pc_put(struct rec *r, const struct rec_ckpt *c);
void rec_pc_free(struct rec *r, struct rec_ckpt *c);
int rec_pc_feed_input(struct rec *r);
int rec_pc_hlt_wait(struct rec *r);
void rec_pc_trim_input(struct rec *r);

#endif
