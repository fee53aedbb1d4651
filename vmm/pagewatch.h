#ifndef VMM_PAGEWATCH_H
#define VMM_PAGEWATCH_H

/*
 * Watchpoints by page protection: the pages holding watched bytes leave
 * the guest's plain RAM mapping (mem_protect), read-only for write
 * watches, a hole for read and access watches, so that only accesses to
 * those pages exit (KVM_EXIT_MMIO). Each exiting access is done here
 * against the RAM behind the page; one that touches watched bytes ends
 * the run once its instruction is complete.
 *
 * An instruction fetched from a hole fails in KVM (an emulation failure,
 * KVM_EXIT_INTERNAL_ERROR): code in the same page as read-watched bytes
 * is single-stepped with the page read-only until the guest leaves it.
 * Writes by those instructions still exit; their data reads are found
 * by decoding each instruction (insn_data_reads) before it is stepped.
 *
 * One vCPU: the layout is the VM's, the stepping fallback the vCPU's.
 * All of it belongs to the thread that runs the vCPU.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "run.h"

struct vm;
struct vcpu;

enum pagewatch_kind {
    PAGEWATCH_WRITE = 1,
    PAGEWATCH_READ = 2,
    PAGEWATCH_ACCESS = 3,
};

/* A watched range of guest linear addresses (len >= 1, no overflow). */
struct pagewatch_range {
    uint64_t addr, len;
    enum pagewatch_kind kind;
};

#define PAGEWATCH_MAX_RANGES 64
#define PAGEWATCH_MAX_PIECES (2 * PAGEWATCH_MAX_RANGES)

/* A watched range's part in one physical page. */
struct pagewatch_piece {
    uint64_t gpa, len;
    uint64_t addr; /* the range's, as given */
    unsigned kind;
};

/* Fields private but the statistics. */
struct pagewatch {
    struct vm *vm;
    struct mem *mem;
    struct run_mmio next; /* the machine's own MMIO handler */
    struct pagewatch_piece piece[PAGEWATCH_MAX_PIECES];
    size_t npieces;
    struct mem_prot_page page[MEM_PROT_MAX_PAGES]; /* as laid, sorted */
    size_t npages;
    bool relaxed; /* holes read-only while code in them is stepped */
    /* The hit that ended the last run (pagewatch_run). */
    bool hit;
    uint64_t hit_addr;
    unsigned hit_kind;
    bool trap_owed; /* the guest's TF trap for that instruction is owed */
    /* Statistics: accesses done here, instructions stepped, layouts. */
    uint64_t accesses, steps, relayouts, undecoded;
};

/*
 * Set up pw over the machine's RAM; next gets the MMIO exits that are not
 * to protected pages. Nothing is protected yet.
 */
void pagewatch_init(struct pagewatch *pw, struct vm *vm, struct mem *mem,
                    struct run_mmio next);

/*
 * Watch the n ranges from now on (n == 0: none; the plain layout comes
 * back). Linear addresses are translated as vcpu sees them now; a page
 * that does not translate to RAM is not watched. Returns 0, -ENOSPC
 * for more than PAGEWATCH_MAX_RANGES ranges or pages, -EINVAL for a bad
 * range, or -errno (op in vm->err_op).
 */
int pagewatch_set(struct pagewatch *pw, struct vcpu *vcpu,
                  const struct pagewatch_range *r, size_t n);

/*
 * The run_mmio handler to give the runner (ctx is pw): an access to a
 * protected page is done against RAM and returns 1, or 2 if it touched
 * watched bytes (the run stops after the instruction; RUN_STOP_DEBUG with
 * watch set); anything else goes to next.
 */
int pagewatch_mmio(void *ctx, uint64_t gpa, bool is_write, uint32_t len,
                   uint8_t *data);

/*
 * run_vcpu(r, mode, res) with the stepping fallback for code in protected
 * pages. res->watch says a watched access ended it (pw->hit_addr: the
 * range's address, pw->hit_kind: PAGEWATCH_WRITE or READ; pw->trap_owed:
 * in RUN_CONT, the guest's own TF was set and KVM did not queue its
 * single-step trap when it completed the instruction). Blocks.
 * Returns 0 or -errno.
 */
int pagewatch_run(struct pagewatch *pw, struct runner *r, enum run_mode mode,
                  struct run_result *res);

#endif
