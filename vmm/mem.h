#ifndef VMM_MEM_H
#define VMM_MEM_H

/*
 * Guest RAM: one anonymous host mapping, registered with KVM as one
 * memslot at guest physical 0, or as two when the machine splits it
 * around a hole (the PC: RAM below 3 GiB at 0, the rest at 4 GiB).
 */

#include <stdbool.h>
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
    /* mem_protect: slots it added beyond 0 and 1 (fields private). */
    unsigned nr_prot_slots;
    bool protected_layout;
};

/* How mem_protect takes a page out of the plain RAM mapping. */
enum mem_prot {
    MEM_PROT_READONLY = 1, /* guest writes exit as KVM_EXIT_MMIO */
    MEM_PROT_HOLE = 2,     /* every guest access exits as KVM_EXIT_MMIO */
};

struct mem_prot_page {
    uint64_t gpa; /* MEM_PAGE aligned */
    enum mem_prot prot;
};

#define MEM_PAGE           4096u
#define MEM_PROT_SLOT_BASE 16u /* mem_protect's own memslots from here */
#define MEM_PROT_MAX_PAGES 128

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

/*
 * Register the RAM memslots anew with the n pages listed (sorted by gpa,
 * no two alike, each inside RAM, n <= MEM_PROT_MAX_PAGES) protected as
 * they say (KVM API doc, KVM_SET_USER_MEMORY_REGION: KVM_MEM_READONLY;
 * a range without a slot is MMIO). n == 0 puts back the plain layout.
 * The vCPUs must not be running. The host mapping does not change:
 * mem_gpa_to_hva still reaches every page. Returns 0, -EINVAL for a bad
 * list, or -errno (op in vm->err_op; the layout is then unknown).
 */
int mem_protect(struct mem *m, struct vm *vm, const struct mem_prot_page *p,
                size_t n);

/* Unmap. Safe on an unmapped mem. */
void mem_unmap(struct mem *m);

/*
 * Host pointer for guest physical [gpa, gpa + len), or NULL if any of it is
 * outside RAM, the range overflows or it straddles the two slots.
 */
void *mem_gpa_to_hva(const struct mem *m, uint64_t gpa, size_t len);

#endif
