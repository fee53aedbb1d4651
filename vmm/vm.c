#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Capabilities the VMM cannot work without (KVM API doc, section 4). */
static const struct {
    long cap;
    const char *name;
} required_caps[] = {
    {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
    {KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"}, /* KVM_GET_SUPPORTED_CPUID */
};

/*
 * Give KVM the guest-physical pages it needs on Intel hosts to run real
 * mode and unpaged protected mode in VMX: three pages for a TSS and one
 * for an identity-mapping page table (KVM API doc, KVM_SET_TSS_ADDR and
 * KVM_SET_IDENTITY_MAP_ADDR). Both must be set before any vCPU exists.
 * The addresses are QEMU's, just below the BIOS at 4 GiB, where the PC
 * memory map has neither RAM nor devices. Backends that do not need them
 * (AMD) accept the call and ignore it; an absent capability is skipped.
 */
static int set_vmx_pages(struct vm *vm)
{
    if (vm_check_cap(vm, KVM_CAP_SET_TSS_ADDR) &&
        ioctl(vm->fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0)
        return vm_fail(vm, "KVM_SET_TSS_ADDR");
    if (vm_check_cap(vm, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        uint64_t addr = VM_IDENTITY_MAP_ADDR;
        if (ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0)
            return vm_fail(vm, "KVM_SET_IDENTITY_MAP_ADDR");
    }
    return 0;
}

int vm_fail(struct vm *vm, const char *op)
{
    int e = errno ? errno : EIO;

    vm->err_op = op;
    return -e;
}

int vm_check_cap(const struct vm *vm, long cap)
{
    int r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap);

    return r < 0 ? 0 : r;
}

int vm_open(struct vm *vm)
{
    *vm = (struct vm){.kvm_fd = -1, .fd = -1};

    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0)
        return vm_fail(vm, "open /dev/kvm");
    vm->api_version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (vm->api_version < 0)
        return vm_fail(vm, "KVM_GET_API_VERSION");
    if (vm->api_version != KVM_API_VERSION) {
        errno = ENOTSUP;
        return vm_fail(vm, "KVM_GET_API_VERSION (want 12)");
    }
    for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]);
         i++) {
        if (!vm_check_cap(vm, required_caps[i].cap)) {
            vm->missing_cap = required_caps[i].name;
            errno = ENOSYS;
            return vm_fail(vm, "KVM_CHECK_EXTENSION");
        }
    }
    vm->vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vm->vcpu_mmap_size < 0)
        return vm_fail(vm, "KVM_GET_VCPU_MMAP_SIZE");
    vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->fd < 0)
        return vm_fail(vm, "KVM_CREATE_VM");
    return set_vmx_pages(vm);
}

void vm_close(struct vm *vm)
{
    if (vm->fd >= 0)
        close(vm->fd);
    vm->fd = -1;
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    vm->kvm_fd = -1;
}

static int create_chips(struct vm *vm, bool with_pit)
{
    static const struct {
        long cap;
        const char *name;
    } need[] = {
        {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
        {KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    };

    for (size_t i = 0; i < (with_pit ? 2u : 1u); i++) {
        if (!vm_check_cap(vm, need[i].cap)) {
            vm->missing_cap = need[i].name;
            errno = ENOSYS;
            return vm_fail(vm, "KVM_CHECK_EXTENSION");
        }
    }
    if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return vm_fail(vm, "KVM_CREATE_IRQCHIP");
    vm->irqchip = true;
    if (!with_pit)
        return 0;
    /* KVM_PIT_SPEAKER_DUMMY: the kernel claims no speaker port (0x61). */
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
        return vm_fail(vm, "KVM_CREATE_PIT2");
    vm->pit = true;
    return 0;
}

int vm_create_pc_chips(struct vm *vm)
{
    return create_chips(vm, true);
}

int vm_create_irqchip(struct vm *vm)
{
    return create_chips(vm, false);
}

int vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
    struct kvm_irq_level l = {.irq = gsi, .level = (uint32_t)(level != 0)};

    if (!vm->irqchip)
        return 0;
    if (ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0)
        return vm_fail(vm, "KVM_IRQ_LINE");
    return 0;
}

int vm_set_pit_reinject(struct vm *vm, bool on)
{
    /* KVM API doc, KVM_REINJECT_CONTROL (KVM_CAP_REINJECT_CONTROL). */
    struct kvm_reinject_control rc = {.pit_reinject = on ? 1 : 0};

    if (ioctl(vm->fd, KVM_REINJECT_CONTROL, &rc) < 0)
        return vm_fail(vm, "KVM_REINJECT_CONTROL");
    return 0;
}
