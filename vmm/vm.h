#ifndef VMM_VM_H
#define VMM_VM_H

/*
 * /dev/kvm and the VM file descriptor. Lower layers record the operation
 * that failed in vm->err_op (static string) and return -errno; only main.c
 * prints.
 */

#include <stdbool.h>

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

/* KVM_CHECK_EXTENSION on /dev/kvm: the value, or 0 if absent/failed. */
int vm_check_cap(const struct vm *vm, long cap);

#endif
