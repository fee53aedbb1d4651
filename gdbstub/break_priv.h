#ifndef GDBSTUB_BREAK_PRIV_H
#define GDBSTUB_BREAK_PRIV_H

/*
 * Internals shared by the breakpoint manager's files (break.c: placing
 * points and guest memory; break_run.c: running). Not for other users.
 */

#include <stdbool.h>
#include <stdint.h>

#include "break.h"

#define GDB_BP_OPCODE_INT3 0xCC

/* DR7 fields (Intel SDM vol. 3, 17.2.4). */
#define GDB_BP_DR7_LE      0x100ULL
#define GDB_BP_DR7_RW_MASK 3ULL
#define GDB_BP_RW_EXEC     0ULL
#define GDB_BP_RW_WRITE    1ULL
#define GDB_BP_RW_RDWR     3ULL

/* Where a point lives. */
enum gdb_bp_where {
    GDB_BP_AT_NONE, /* being placed */
    GDB_BP_AT_INT3, /* 0xCC patched over orig */
    GDB_BP_AT_DR,   /* debug registers (the slots naming its id) */
    GDB_BP_AT_STEP, /* checked after every single step */
    GDB_BP_AT_PAGE, /* the target protects its pages (gdb_resume watch) */
    GDB_BP_NR_WHERE,
};

struct gdb_bp_entry {
    int type; /* enum gdb_bp_type */
    uint64_t addr;
    uint64_t len; /* watch length; 1 for breakpoints */
    int refs;
    unsigned id;
    enum gdb_bp_where where;
    uint8_t orig; /* GDB_BP_AT_INT3: the byte under the 0xCC */
};

/*
 * Lookups: an entry by id; a Z0 or Z1 at linear pc (a Z1 first); a patch
 * at pc. Also: how many entries are placed as w; placing e as w.
 */
struct gdb_bp_entry *gdb_bp_find_id(const struct gdb_bp *b, unsigned id);
struct gdb_bp_entry *gdb_bp_break_at(const struct gdb_bp *b, uint64_t pc);
struct gdb_bp_entry *gdb_bp_int3_at(const struct gdb_bp *b, uint64_t pc);
bool gdb_bp_has_where(const struct gdb_bp *b, enum gdb_bp_where w);

/*
 * The stepping watchpoint (if any) whose bytes changed since its shadow;
 * every shadow is refreshed. Compares at most GDB_BP_STEP_WATCH_BYTES.
 */
const struct gdb_bp_entry *gdb_bp_watch_changed(struct gdb_bp *b);
void gdb_bp_set_where(struct gdb_bp *b, struct gdb_bp_entry *e,
                      enum gdb_bp_where w);

/*
 * The byte under the patch e as the guest has it now: the saved one, or
 * the guest's own if it wrote over the 0xCC since (then saved and the
 * 0xCC put back). Returns 0 or the target's -errno.
 */
int gdb_bp_sync_int3(struct gdb_bp *b, struct gdb_bp_entry *e);
/* gdb_bp_sync_int3 on every patch (at each stop gdb hears of). */
void gdb_bp_sync_all(struct gdb_bp *b);

#endif
