#ifndef VMM_VM_H
#define VMM_VM_H

/*
 * /dev/kvm and the VM file descriptor. Lower layers record the operation
 * that failed in vm->err_op (static string) and return -errno; only main.c
 * prints.
 */

#include <stdbool.h>
#include <stdint.h>

/*
 * Guest-physical pages KVM itself uses on Intel hosts (vm_open sets them):
 * the real-mode TSS (3 pages) and the identity-map page table (1 page).
 * Nothing else may be mapped at [VM_TSS_ADDR, VM_TSS_ADDR + 0x3000) or
 * [VM_IDENTITY_MAP_ADDR, VM_IDENTITY_MAP_ADDR + 0x1000).
 */
#define VM_TSS_ADDR          0xfeffd000u
#define VM_IDENTITY_MAP_ADDR 0xfeffc000u

struct vm {
    int kvm_fd; /* /dev/kvm */
    int fd;     /* the VM */
    int api_version;
    int vcpu_mmap_size;      /* KVM_GET_VCPU_MMAP_SIZE */
    const char *err_op;      /* what failed last, for main.c to print */
    const char *missing_cap; /* name of a required capability missing */
    bool irqchip;            /* in-kernel PIC, IOAPIC and local APIC */
    bool pit;                /* in-kernel PIT (KVM_CREATE_PIT2) */
    /*
     * Set before creating vCPUs to keep them off KVM_CAP_SYNC_REGS (main.c:
     * KVMSTUB_NO_SYNC_REGS=1, a test and bench knob).
     */
    bool no_sync_regs;
};

/*
 * Open /dev/kvm, check API version 12 and the capabilities we rely on,
 * create the VM and give it the TSS and identity-map pages (before any
 * vCPU exists, as KVM requires). Returns 0 or -errno (-ENOSYS if a
 * capability is missing: see vm->missing_cap). On failure the caller still
 * calls vm_close().
 */
int vm_open(struct vm *vm);

/* Close the VM and /dev/kvm. Safe on a half-built or closed vm. */
void vm_close(struct vm *vm);

/* Record op as the failed operation and return -errno (errno as it is). */
int vm_fail(struct vm *vm, const char *op);

/*
 * The PC's interrupt hardware in the kernel: KVM_CREATE_IRQCHIP (8259
 * PICs, IOAPIC, a local APIC per vCPU), then KVM_CREATE_PIT2 (8254 PIT on
 * ports 0x40-0x43; the speaker port 0x61 is left to user space).
 * Must come before the first vCPU (KVM API doc
 * 4.24, 4.72). With it, HLT waits in the kernel for an interrupt: no
 * KVM_EXIT_HLT. Returns 0 or -errno (op in vm->err_op, missing_cap set
 * when KVM lacks one).
 */
int vm_create_pc_chips(struct vm *vm);

/*
 * vm_create_pc_chips without the PIT: the PICs, IOAPIC and local APICs
 * alone, for a machine that models its PIT in user space (record mode).
 * Returns 0 or -errno as vm_create_pc_chips.
 */
int vm_create_irqchip(struct vm *vm);

/*
 * KVM_REINJECT_CONTROL: whether PIT ticks the guest could not take are
 * delivered late (on, KVM's default; QEMU's lost_tick_policy=delay) or
 * dropped (off; QEMU's discard). After vm_create_pc_chips. Returns 0 or
 * -errno (err_op set).
 */
int vm_set_pit_reinject(struct vm *vm, bool on);

/*
 * KVM_IRQ_LINE: drive global system interrupt gsi to level (0 or 1) on
 * the in-kernel PIC and IOAPIC. Returns 0 or -errno.
 */
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);

/* KVM_CHECK_EXTENSION on /dev/kvm: the value, or 0 if absent/failed. */
int vm_check_cap(const struct vm *vm, long cap);

#endif
