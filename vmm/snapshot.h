#ifndef VMM_SNAPSHOT_H
#define VMM_SNAPSHOT_H

/*
 * Machine snapshots: everything the guest can observe, taken while every
 * vCPU is stopped between instructions (no I/O left for KVM to complete)
 * and put back so that the guest goes on exactly as it would have from
 * the save point.
 *
 * A snapshot holds, per vCPU: KVM_GET_REGS, SREGS, XSAVE (KVM_GET_FPU
 * without KVM_CAP_XSAVE), XCRS, the MSRs of KVM_GET_MSR_INDEX_LIST that
 * the vCPU lets us read, DEBUGREGS, VCPU_EVENTS, MP_STATE and, with the
 * in-kernel irqchip, LAPIC. Per machine: the PICs and IOAPIC
 * (KVM_GET_IRQCHIP), the PIT (KVM_GET_PIT2), the KVM clock, every device
 * of ours (board_state), the halt count, and RAM: the pages the host has
 * backing (mincore(2): pages the guest never touched are zero and are
 * neither copied nor stored).
 */

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "board_state.h"
#include "snapdisk.h"

struct vm;
struct mem;
struct vcpu;
struct board;
struct runner;
struct smp;

#define SNAP_MAX_MSRS 256
/* As many as --smp allows (CLI_MAX_SMP): one snap_vcpu is ~10 KiB. */
#define SNAP_MAX_VCPUS 254
#define SNAP_NAME_MAX  63

/* One vCPU's state. Plain values; the has_ flags say what was taken. */
struct snap_vcpu {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    bool has_xsave; /* xsave, else fpu */
    struct kvm_xsave xsave;
    struct kvm_fpu fpu;
    bool has_xcrs;
    struct kvm_xcrs xcrs;
    bool has_debugregs;
    struct kvm_debugregs debugregs;
    struct kvm_vcpu_events events;
    struct kvm_mp_state mp_state;
    bool has_lapic;
    struct kvm_lapic_state lapic;
    uint32_t nr_msrs;
    struct kvm_msr_entry msrs[SNAP_MAX_MSRS];
};

/* Guest RAM: the pages present (bit set in map), packed in order. */
struct snap_ram {
    uint64_t size;     /* bytes of RAM (the mapping), a page multiple */
    uint8_t *map;      /* (size / 4096 + 7) / 8 bytes, bit i = page i */
    uint8_t *data;     /* nr_pages * 4096 bytes */
    uint64_t nr_pages; /* pages stored */
};

enum snap_machine_kind {
    SNAP_BARE = 0,
    SNAP_PC = 1,
};

struct snap {
    char name[SNAP_NAME_MAX + 1];
    uint32_t machine; /* enum snap_machine_kind */
    uint64_t mem_size, mem_high_base, mem_high_size;
    uint64_t halts; /* the run loop's HLT count (--max-halts) */
    uint32_t nr_vcpus;
    struct snap_vcpu *vcpu; /* nr_vcpus of them */
    bool has_irqchip;       /* pic[0], pic[1], ioapic, pit, clock */
    struct kvm_irqchip chip[3];
    struct kvm_pit_state2 pit;
    struct kvm_clock_data clock;
    struct board_state *dev; /* heap: the pc's devices are ~64 KiB */
    struct snap_ram ram;
    uint32_t nr_disks; /* disk images in use, identified (snapdisk.h) */
    struct snap_disk disk[SNAP_MAX_DISKS];
};

/*
 * What a snapshot is taken from and put back into: the running machine.
 * vcpu points at nr_vcpus vCPUs. The MSR list is found on first use.
 * smp: the vCPU threads when there are several (NULL with one); a
 * snapshot is taken or put back only while every one of them is stopped
 * (outside KVM_RUN, waiting to be told to run).
 */
struct snap_machine {
    struct vm *vm;
    struct mem *mem;
    struct vcpu *vcpu;
    unsigned nr_vcpus;
    struct board *board;
    struct runner *runner; /* vCPU 0's: its HLT count is saved */
    struct smp *smp;
    bool pc;
    uint32_t nr_msrs; /* readable MSR indices, probed once */
    uint32_t msr_index[SNAP_MAX_MSRS];
    bool msrs_probed;
    /* Disk images the machine uses (they must be unchanged to restore). */
    const char *disk_path[SNAP_MAX_DISKS];
    unsigned nr_disks;
    const char *err_op; /* what failed last (static string) */
    char why[384];      /* a longer explanation, or "" */
};

/*
 * Take a snapshot of m into *s (which it allocates; free with snap_free).
 * Every vCPU must be stopped with no I/O pending (-EBUSY if m->smp says
 * one runs). Returns 0 or -errno (m->err_op names the step).
 */
int snap_take(struct snap_machine *m, struct snap *s);

/*
 * snap_take, replacing old (which the caller then frees): when old holds
 * as many RAM pages, its RAM buffer is taken over for the copy instead of
 * new memory (old keeps the rest). Returns as snap_take.
 */
int snap_take_reuse(struct snap_machine *m, struct snap *s, struct snap *old);

/*
 * Put snapshot s back into m. The machine must have the same kind, RAM
 * layout and vCPU count (-EINVAL otherwise, nothing changed), and each
 * disk image as it was when s was taken (-ESTALE otherwise, m->why says
 * which; nothing changed). RAM pages
 * absent from s are zeroed (and given back to the host). The vCPUs'
 * register caches are dropped. Returns 0 or -errno (m->err_op).
 */
int snap_restore(struct snap_machine *m, const struct snap *s);

/*
 * Give r room for pages pages of data (a private mapping, populated at
 * once) and a zeroed bitmap for size bytes of RAM.
 * r->size and r->nr_pages are set. Returns 0 or -ENOMEM.
 */
int snap_ram_alloc(struct snap_ram *r, uint64_t size, uint64_t pages);

/* Free what s holds; s is then empty. Idempotent. */
void snap_free(struct snap *s);

/* Bytes of host memory s holds (for `info snapshots` and budgets). */
size_t snap_bytes(const struct snap *s);

/*
 * vCPU part alone (record mode checkpoints): take and put back vCPU c's
 * state. Returns 0 or -errno (m->err_op).
 */
int snap_vcpu_take(struct snap_machine *m, struct vcpu *c,
                   struct snap_vcpu *out);
int snap_vcpu_put(struct snap_machine *m, struct vcpu *c,
                  const struct snap_vcpu *in);

#endif
