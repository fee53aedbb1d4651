#ifndef VMM_PAGETABLE_H
#define VMM_PAGETABLE_H

/*
 * A walker of the guest's page tables over a reader of guest physical
 * memory, for `monitor info mem` and `monitor info tlb`: pure functions,
 * no KVM. Intel SDM vol. 3, chapter 4 "Paging": 32-bit paging (4.3), PAE
 * (4.4), 4-level and 5-level paging (4.5).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pt_mode {
    PT_OFF,  /* CR0.PG clear: linear is physical */
    PT_32,   /* 32-bit paging: 4 KiB pages, 4 MiB with CR4.PSE */
    PT_PAE,  /* PAE paging: 4 KiB and 2 MiB pages */
    PT_LONG, /* 4-level paging: 4 KiB, 2 MiB and 1 GiB pages */
    PT_LA57, /* 5-level paging */
};

/* Reads len bytes of guest physical memory at gpa: 0 or -errno. */
typedef int (*pt_read_fn)(void *ctx, uint64_t gpa, void *buf, size_t len);

struct pt_cfg {
    enum pt_mode mode;
    uint64_t cr3;
    bool pse; /* CR4.PSE (32-bit paging only; PAE and long mode have PS) */
    bool nxe; /* EFER.NXE: bit 63 is XD, else reserved (the entry faults) */
    pt_read_fn read;
    void *ctx;
};

/* Access rights and state of a mapping (the effective ones: all levels). */
#define PT_W   0x01u /* writable (R/W set at every level) */
#define PT_U   0x02u /* user (U/S set at every level) */
#define PT_NX  0x04u /* not executable (XD at some level, with EFER.NXE) */
#define PT_G   0x08u /* global (leaf) */
#define PT_A   0x10u /* accessed (leaf) */
#define PT_D   0x20u /* dirty (leaf) */
#define PT_PCD 0x40u /* cache disabled (leaf) */
#define PT_PWT 0x80u /* write-through (leaf) */

/* One leaf: a page of size bytes at linear, mapped to phys. */
struct pt_map {
    uint64_t linear; /* canonical (sign-extended in long mode) */
    uint64_t phys;
    uint64_t size;
    unsigned flags; /* PT_* */
};

/* The paging mode of control registers as KVM_GET_SREGS gives them. */
enum pt_mode pt_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer);

/* "4-level paging" etc., for messages. */
const char *pt_mode_name(enum pt_mode mode);

/*
 * Call visit for every present leaf in linear-address order; visit
 * returns 0 to go on, non-zero to stop (pt_walk then returns that).
 * Tables that cannot be read are skipped; at most PT_MAX_LEAVES leaves
 * are visited (page tables that point back at themselves can make
 * billions), then -E2BIG. Returns 0, visit's stop value, or -errno
 * (-EINVAL for PT_OFF).
 */
#define PT_MAX_LEAVES (1u << 22)
int pt_walk(const struct pt_cfg *c,
            int (*visit)(void *arg, const struct pt_map *m), void *arg);

/*
 * `info mem`: one line per run of linear addresses mapped with the same
 * rights, "START-END SIZE urw-" (u user, r readable, w writable, x
 * executable, '-' when not). `info tlb`: one line per leaf,
 * "LINEAR: PHYSICAL SIZE flags". Write at most cap - 1 bytes plus a NUL
 * to out; text that does not fit ends in a "...\n" line. Return the
 * text's length, or -errno.
 */
int pt_info_mem(const struct pt_cfg *c, char *out, size_t cap);
int pt_info_tlb(const struct pt_cfg *c, char *out, size_t cap);

#endif
