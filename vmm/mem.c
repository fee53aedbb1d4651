#include "mem.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

static int set_slot_flags(struct vm *vm, uint32_t slot, uint32_t flags,
                          uint64_t gpa, uint64_t len, void *host)
{
    struct kvm_userspace_memory_region region = {
        .slot = slot,
        .flags = flags,
        .guest_phys_addr = gpa,
        .memory_size = len,
        .userspace_addr = (uintptr_t)host,
    };

    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return vm_fail(vm, "KVM_SET_USER_MEMORY_REGION");
    return 0;
}

static int set_slot(struct vm *vm, uint32_t slot, uint64_t gpa, uint64_t len,
                    void *host)
{
    return set_slot_flags(vm, slot, 0, gpa, len, host);
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

/*
 * One RAM region [gpa, gpa + len) at host, cut around the protected pages
 * in it: plain pieces and read-only pages get slots (the first takes
 * slot first, the others mem_protect's own), holes none.
 */
static int lay_region(struct mem *m, struct vm *vm, uint32_t first,
                      uint64_t gpa, uint64_t len, uint8_t *host,
                      const struct mem_prot_page *p, size_t n)
{
    uint64_t at = gpa, end = gpa + len;
    bool used_first = false;
    int e;

#define NEXT_SLOT()                                                            \
    (used_first ? MEM_PROT_SLOT_BASE + m->nr_prot_slots++                      \
                : (used_first = true, first))

    for (size_t i = 0; i < n; i++) {
        if (p[i].gpa < gpa || p[i].gpa >= end)
            continue;
        if (p[i].gpa > at && (e = set_slot(vm, NEXT_SLOT(), at, p[i].gpa - at,
                                           host + (at - gpa))) < 0)
            return e;
        if (p[i].prot == MEM_PROT_READONLY &&
            (e = set_slot_flags(vm, NEXT_SLOT(), KVM_MEM_READONLY, p[i].gpa,
                                MEM_PAGE, host + (p[i].gpa - gpa))) < 0)
            return e;
        at = p[i].gpa + MEM_PAGE;
    }
    if (at < end &&
        (e = set_slot(vm, NEXT_SLOT(), at, end - at, host + (at - gpa))) < 0)
        return e;
#undef NEXT_SLOT
    return 0;
}

int mem_protect(struct mem *m, struct vm *vm, const struct mem_prot_page *p,
                size_t n)
{
    uint64_t low = m->size - m->high_size;
    int e;

    if (m->host == MAP_FAILED || n > MEM_PROT_MAX_PAGES)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        bool in_low = p[i].gpa < low && low - p[i].gpa >= MEM_PAGE;
        bool in_high = m->high_size && p[i].gpa >= m->high_base &&
                       p[i].gpa - m->high_base < m->high_size;
        if ((p[i].gpa % MEM_PAGE) || (!in_low && !in_high) ||
            (p[i].prot != MEM_PROT_READONLY && p[i].prot != MEM_PROT_HOLE) ||
            (i > 0 && p[i].gpa <= p[i - 1].gpa))
            return -EINVAL;
    }
    if (n == 0 && !m->protected_layout)
        return 0;
    /* A slot cannot change size or flags in place: delete, then lay. */
    for (unsigned k = 0; k < m->nr_prot_slots; k++)
        if ((e = set_slot(vm, MEM_PROT_SLOT_BASE + k, 0, 0, NULL)) < 0)
            return e;
    m->nr_prot_slots = 0;
    if ((e = set_slot(vm, 0, 0, 0, NULL)) < 0 ||
        (m->high_size && (e = set_slot(vm, 1, 0, 0, NULL)) < 0))
        return e;
    m->protected_layout = n > 0;
    if ((e = lay_region(m, vm, 0, 0, low, m->host, p, n)) < 0)
        return e;
    if (m->high_size)
        e = lay_region(m, vm, 1, m->high_base, m->high_size, m->host + low, p,
                       n);
    return e;
}
