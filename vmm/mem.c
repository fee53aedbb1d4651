#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

int mem_map(struct mem *m, struct vm *vm, uint64_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t rounded;

    *m = (struct mem){.host = MAP_FAILED};
    if (page <= 0)
        page = 4096;
    if (size == 0 ||
        __builtin_add_overflow(size, (uint64_t)page - 1, &rounded) ||
        rounded > SIZE_MAX) {
        errno = EINVAL;
        return vm_fail(vm, "guest RAM size");
    }
    rounded &= ~((uint64_t)page - 1);
    m->host = mmap(NULL, rounded, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->host == MAP_FAILED)
        return vm_fail(vm, "mmap guest RAM");
    m->size = rounded;

    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = rounded,
        .userspace_addr = (uintptr_t)m->host,
    };
    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return vm_fail(vm, "KVM_SET_USER_MEMORY_REGION");
    return 0;
}

void mem_unmap(struct mem *m)
{
    if (m->host != MAP_FAILED)
        munmap(m->host, m->size);
    m->host = MAP_FAILED;
    m->size = 0;
}

void *mem_gpa_to_hva(const struct mem *m, uint64_t gpa, size_t len)
{
    uint64_t end;

    if (m->host == MAP_FAILED ||
        __builtin_add_overflow(gpa, (uint64_t)len, &end) || end > m->size)
        return NULL;
    return m->host + gpa;
}
