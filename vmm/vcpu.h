#ifndef VMM_VCPU_H
#define VMM_VCPU_H

/* One vCPU: its fd, its kvm_run mapping, and cached register state. */

#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

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

/* Cached register access. The get functions fill the cache on first use. */
int vcpu_get_regs(struct vcpu *c, struct kvm_regs **regs);
int vcpu_get_sregs(struct vcpu *c, struct kvm_sregs **sregs);
int vcpu_get_fpu(struct vcpu *c, struct kvm_fpu **fpu);
int vcpu_set_regs(struct vcpu *c, const struct kvm_regs *regs);
int vcpu_set_sregs(struct vcpu *c, const struct kvm_sregs *sregs);
int vcpu_set_fpu(struct vcpu *c, const struct kvm_fpu *fpu);

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
