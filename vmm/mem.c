#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

static int set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t len,
                    void *host)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .guest_phys_addr = gpa,
        .memory_size = len,
        .userspace_addr = (uintptr_t)host,
    };

    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return vm_fail(vm, "KVM_SET_USER_MEMORY_REGION");
    return 0;
}

int mem_map_split(struct mem *m, struct vm *vm, uint64_t size, uint64_t low_max,
                  uint64_t high_base)
{
    long page = sysconf(_SC_PAGESIZE);
    uint64_t rounded, low, high_end;

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
    low = rounded < low_max ? rounded : low_max;
    if ((low & ((uint64_t)page - 1)) ||
        (rounded > low &&
         (high_base < low ||
          __builtin_add_overflow(high_base, rounded - low, &high_end)))) {
        errno = EINVAL;
        return vm_fail(vm, "guest RAM layout");
    }
    m->host = mmap(NULL, rounded, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m->host == MAP_FAILED)
        return vm_fail(vm, "mmap guest RAM");
    m->size = rounded;
    m->high_size = rounded - low;
    m->high_base = m->high_size ? high_base : 0;
    int e = set_slot(vm, 0, 0, low, m->host);
    if (e == 0 && m->high_size)
        e = set_slot(vm, 1, high_base, m->high_size, m->host + low);
    return e;
}

int mem_map(struct mem *m, struct vm *vm, uint64_t size)
{
    return mem_map_split(m, vm, size, UINT64_MAX, 0);
}

void mem_unmap(struct mem *m)
{
    if (m->host != MAP_FAILED)
        munmap(m->host, m->size);
    m->host = MAP_FAILED;
    m->size = m->high_size = 0;
    m->high_base = 0;
}

void *mem_gpa_to_hva(const struct mem *m, uint64_t gpa, size_t len)
{
    uint64_t end, low;

    if (m->host == MAP_FAILED || m->high_size > m->size ||
        __builtin_add_overflow(gpa, (uint64_t)len, &end))
        return NULL;
    low = m->size - m->high_size;
    if (end <= low)
        return m->host + gpa;
    if (m->high_size && gpa >= m->high_base &&
        end - m->high_base <= m->high_size)
        return m->host + low + (gpa - m->high_base);
    return NULL;
}
