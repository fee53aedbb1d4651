#include "memmap.h"

#include <string.h>

static void add(struct memmap *m, uint64_t base, uint64_t len, uint32_t type)
{
    if (len == 0 || m->n == MEMMAP_MAX)
        return;
    m->e[m->n++] =
        (struct memmap_entry){.base = base, .len = len, .type = type};
}

void memmap_flat(struct memmap *m, uint64_t ram)
{
    memset(m, 0, sizeof(*m));
    add(m, 0, ram, MEMMAP_RAM);
}

void memmap_pc(struct memmap *m, uint64_t ram)
{
    uint64_t low = ram < MEMMAP_PCI_HOLE ? ram : MEMMAP_PCI_HOLE;

    memset(m, 0, sizeof(*m));
    add(m, 0, 0x9fc00, MEMMAP_RAM);
    add(m, 0x9fc00, 0x400, MEMMAP_RESERVED);
    add(m, 0xe0000, 0x20000, MEMMAP_RESERVED);
    if (low > 0x100000)
        add(m, 0x100000, low - 0x100000, MEMMAP_RAM);
    add(m, 0xfec00000, 0x1000, MEMMAP_RESERVED);
    add(m, 0xfee00000, 0x1000, MEMMAP_RESERVED);
    add(m, 0xfeffc000, 0x4000, MEMMAP_RESERVED); /* KVM's TSS, identity map */
    if (ram > low)
        add(m, MEMMAP_HIGH_BASE, ram - low, MEMMAP_RAM);
}

uint64_t memmap_ram_between(const struct memmap *m, uint64_t lo, uint64_t hi)
{
    uint64_t sum = 0;

    for (size_t i = 0; i < m->n; i++) {
        const struct memmap_entry *e = &m->e[i];
        uint64_t b = e->base, t = e->base + e->len;
        if (e->type != MEMMAP_RAM)
            continue;
        if (b < lo)
            b = lo;
        if (t > hi)
            t = hi;
        if (b < t)
            sum += t - b;
    }
    return sum;
}

int memmap_is_ram(const struct memmap *m, uint64_t base, uint64_t len)
{
    uint64_t end;

    if (__builtin_add_overflow(base, len, &end))
        return 0;
    return memmap_ram_between(m, base, end) == len;
}
