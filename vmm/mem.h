#ifndef VMM_MEM_H
#define VMM_MEM_H

/*
 * Guest RAM: one anonymous host mapping, registered with KVM as one
 * memslot at guest physical 0, or as two when the machine splits it
 * around a hole (the PC: RAM below 3 GiB at 0, the rest at 4 GiB).
 */

#include <stddef.h>
#include <stdint.h>

struct vm;

/*
 * The mapping holds size bytes; the first size - high_size of them are
 * guest physical [0, size - high_size), the last high_size (0 on a flat
 * machine) are [high_base, high_base + high_size).
 */
struct mem {
    uint8_t *host; /* MAP_FAILED when unmapped */
    size_t size;   /* bytes, a multiple of the page size */
    size_t high_size;
    uint64_t high_base;
};

/*
 * Map size bytes (rounded up to pages) of RAM, untouched until used
 * (MAP_NORESERVE), and register it at guest physical 0. Returns 0 or
 * -errno (op in vm->err_op). On failure the caller still calls mem_unmap().
 */
int mem_map(struct mem *m, struct vm *vm, uint64_t size);

/*
 * The same, split: at most low_max bytes (a page multiple) at guest
 * physical 0 (slot 0), the rest at high_base (slot 1, which must not
 * overlap the first). low_max >= size gives mem_map's single slot.
 */
int mem_map_split(struct mem *m, struct vm *vm, uint64_t size, uint64_t low_max,
                  uint64_t high_base);

/* Unmap. Safe on an unmapped mem. */
void mem_unmap(struct mem *m);

/*
 * Host pointer for guest physical [gpa, gpa + len), or NULL if any of it is
 * outside RAM, the range overflows or it straddles the two slots.
 */
void *mem_gpa_to_hva(const struct mem *m, uint64_t gpa, size_t len);

#endif
