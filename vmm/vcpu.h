#ifndef VMM_VCPU_H
#define VMM_VCPU_H

/* One vCPU: its fd, its kvm_run mapping, and cached register state. */

#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

/* What one vCPU cost the VMM so far (for `monitor stats` and make bench). */
struct vcpu_stats {
    uint64_t runs;    /* KVM_RUN calls */
    uint64_t run_ns;  /* CLOCK_MONOTONIC time spent inside them */
    uint64_t ioctls;  /* other ioctls on the vCPU fd made by vcpu.c */
    uint64_t synced;  /* register reads kvm_run->s.regs served instead */
    uint64_t flushes; /* writes passed to KVM through kvm_dirty_regs */
};

struct vcpu {
    struct vm *vm;
    unsigned index; /* KVM vCPU id, also the (x2)APIC ID in CPUID */
    int fd;
    struct kvm_run *run; /* MAP_FAILED when unmapped */
    int run_size;
    /* Register cache: valid until the next KVM_RUN or a set. */
    bool regs_valid, sregs_valid, fpu_valid;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    /* Last KVM_SET_GUEST_DEBUG, to skip redundant calls. */
    bool dbg_valid;
    struct kvm_guest_debug dbg;
    /* The last exit left an I/O or MMIO access for KVM to complete. */
    bool io_pending;
    bool has_xsave; /* KVM_CAP_XSAVE: FPU state is written through XSAVE */
    /*
     * KVM_CAP_SYNC_REGS (KVM API doc, "kvm_valid_regs"/"kvm_dirty_regs"):
     * sync_cap is the KVM_SYNC_X86_REGS/SREGS bits KVM offers and we use
     * (0: the ioctls only). sync_want holds the sets read since the last
     * KVM_RUN: the next one asks KVM to store those in kvm_run->s.regs at
     * its exit, so a debugger that reads registers at every stop gets
     * them with no ioctl, and a guest that runs free pays nothing.
     * regs_dirty: c->regs was set but not yet given to KVM; the next
     * KVM_RUN passes it through kvm_dirty_regs, any other vCPU ioctl
     * made here first writes it with KVM_SET_REGS (vcpu_flush).
     */
    uint32_t sync_cap;
    uint32_t sync_want;
    uint32_t sync_read; /* sets read since the last KVM_RUN */
    unsigned sync_idle; /* KVM_RUNs since stored registers were last read */
    bool sync_checked;  /* s.regs checked against the ioctls once */
    bool regs_dirty;
    struct vcpu_stats stats;
};

/*
 * Create vCPU number index (the KVM vCPU id: 0 for the boot CPU), give it
 * its CPUID table and map its kvm_run. The CPUID table is what KVM
 * supports (KVM_GET_SUPPORTED_CPUID), with the hypervisor bit (leaf 1
 * ECX[31]), KVM's signature leaves 0x40000000 ("KVMKVMKVM\0\0\0") and
 * 0x40000001, and index as the initial APIC ID (leaf 1 EBX[31:24]) and
 * x2APIC ID (leaves 0xB and 0x1F EDX). Returns 0 or -errno (vm->err_op).
 * On failure the caller still calls vcpu_destroy().
 */
int vcpu_create(struct vcpu *c, struct vm *vm, unsigned index);

/* Unmap kvm_run and close the fd. Safe on a half-built vcpu. */
void vcpu_destroy(struct vcpu *c);

/*
 * Real-mode reset state for a flat image at 0: CS selector 0 base 0, IP 0,
 * all segments 0 with 64 KiB limits, RFLAGS 2 (bit 1 is reserved, always 1:
 * Intel SDM vol. 1, 3.4.3).
 */
int vcpu_reset_real_mode(struct vcpu *c);

/*
 * The state after a CPU reset (Intel SDM vol. 3, "Processor State After
 * Reset"), but starting in real mode at cs:ip (CS base cs * 16) as a
 * firmware's jump to an ACPI waking vector leaves it: CR0 0x60000010,
 * CR2-CR4, EFER 0, data segments 0 with 64 KiB limits, GDTR and IDTR base
 * 0 limit 0xFFFF, RFLAGS 2, every general register 0. The APIC base is
 * kept. Returns 0 or -errno (vm->err_op).
 */
int vcpu_reset_real_mode_at(struct vcpu *c, uint16_t cs, uint16_t ip);

/*
 * The machine state of Multiboot 0.6.96, section 3.2, for a 32-bit entry at
 * eip: CS a 32-bit execute/read code segment, DS/ES/FS/GS/SS 32-bit
 * read/write data segments, all base 0 and limit 0xFFFFFFFF (selectors
 * 0x08 and 0x10, which name nothing: the GDTR is base 0 limit 0, and so is
 * the IDTR, since the OS must load its own before it loads a segment
 * register or enables interrupts); CR0 = PE | ET (paging off, caches on),
 * CR3, CR4 and EFER 0; EFLAGS 2 (VM=0, IF=0); EAX and EBX as given
 * (Multiboot wants EAX 0x2BADB002 and EBX the physical address of the
 * information structure), every other general register 0, ESP included
 * (the OS sets up its own stack). TR is a 32-bit busy TSS at 0 and LDTR an
 * LDT at 0, enough for KVM's VM-entry checks: neither is meant to be used.
 * The APIC base is kept. Call it before the first run, in place of
 * vcpu_reset_real_mode. Returns 0 or -errno (vm->err_op).
 */
int vcpu_reset_flat32(struct vcpu *c, uint32_t eip, uint32_t eax, uint32_t ebx);

/*
 * Cached register access. The get functions fill the cache on first use:
 * from kvm_run->s.regs when the last KVM_RUN stored them there
 * (KVM_CAP_SYNC_REGS), else with KVM_GET_REGS/SREGS/FPU. vcpu_set_regs
 * keeps the registers for the next KVM_RUN (kvm_dirty_regs) when KVM can
 * take them that way, else writes them at once; KVM_SET_REGS cannot fail
 * on a valid vCPU, so nothing is lost by the delay. vcpu_set_sregs and
 * vcpu_set_fpu always write at once (KVM checks sregs: the error belongs
 * to the write).
 */
int vcpu_get_regs(struct vcpu *c, struct kvm_regs **regs);
int vcpu_get_sregs(struct vcpu *c, struct kvm_sregs **sregs);
int vcpu_get_fpu(struct vcpu *c, struct kvm_fpu **fpu);
int vcpu_set_regs(struct vcpu *c, const struct kvm_regs *regs);
int vcpu_set_sregs(struct vcpu *c, const struct kvm_sregs *sregs);
int vcpu_set_fpu(struct vcpu *c, const struct kvm_fpu *fpu);

/*
 * Give KVM the registers vcpu_set_regs left pending (KVM_SET_REGS), so
 * that an ioctl made on c->fd outside this file (KVM_GET_REGS in a
 * snapshot, say) sees them. Every function here does it itself. Returns 0
 * or -errno (vm->err_op).
 */
int vcpu_flush(struct vcpu *c);

/* KVM_SET_GUEST_DEBUG, skipped when unchanged since the last call. */
int vcpu_set_guest_debug(struct vcpu *c, const struct kvm_guest_debug *dbg);

/*
 * KVM_RUN once. Returns 0 (see c->run->exit_reason), -EINTR when a signal
 * or immediate_exit cut it short, or another -errno.
 */
int vcpu_run(struct vcpu *c);

/*
 * Let KVM finish an I/O or MMIO exit without running the guest further
 * (KVM_RUN with immediate_exit, KVM API doc 5: "immediate_exit"), so that
 * registers read afterwards are consistent. No-op if nothing is pending.
 */
int vcpu_complete_io(struct vcpu *c);

/*
 * KVM_SET_SIGNAL_MASK: the signal mask in force while the vCPU is inside
 * KVM_RUN. Returns 0 or -errno.
 */
int vcpu_set_signal_mask(struct vcpu *c, const sigset_t *mask);

/*
 * KVM_GET_MP_STATE / KVM_SET_MP_STATE (in-kernel irqchip only): the
 * vCPU's KVM_MP_STATE_* (RUNNABLE, HALTED, INIT_RECEIVED = wait-for-SIPI,
 * ...). Returns 0 or -errno (vm->err_op).
 */
int vcpu_get_mp_state(struct vcpu *c, uint32_t *state);
int vcpu_set_mp_state(struct vcpu *c, uint32_t state);

/* Guest linear address -> guest physical, as the vCPU sees it now. */
int vcpu_translate(struct vcpu *c, uint64_t linear, uint64_t *gpa);

/*
 * KVM_GET_SUPPORTED_CPUID on vm->kvm_fd (only that fd is used): the
 * table every vCPU's CPUID starts from. Returns 0 with *out to free(),
 * or -errno (vm->err_op set).
 */
int vcpu_supported_cpuid(struct vm *vm, struct kvm_cpuid2 **out);

/*
 * vcpu_complete_io, for an instruction that may exit again on the way:
 * returns 1 if it did (an I/O or MMIO exit, pending again: serve it and
 * call again), 0 once the instruction is done, or -errno.
 */
int vcpu_complete_io_more(struct vcpu *c);

#endif
