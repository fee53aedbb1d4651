#ifndef VMM_MEM_H
#define VMM_MEM_H

/* Guest RAM: one anonymous mapping at guest physical 0, one memslot. */

#include <stddef.h>
#include <stdint.h>

struct vm;

struct mem {
    uint8_t *host; /* MAP_FAILED when unmapped */
    size_t size;   /* bytes, a multiple of the page size */
};

/*
 * Map size bytes (rounded up to pages) of RAM, untouched until used
 * (MAP_NORESERVE), and register it at guest physical 0. Returns 0 or
 * -errno (op in vm->err_op). On failure the caller still calls mem_unmap().
 */
int mem_map(struct mem *m, struct vm *vm, uint64_t size);

/* Unmap. Safe on an unmapped mem. */
void mem_unmap(struct mem *m);

/*
 * Host pointer for guest physical [gpa, gpa + len), or NULL if any of it is
 * outside RAM or the range overflows.
 */
void *mem_gpa_to_hva(const struct mem *m, uint64_t gpa, size_t len);

#endif
