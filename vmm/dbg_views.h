#ifndef VMM_DBG_VIEWS_H
#define VMM_DBG_VIEWS_H

/*
 * The debug target's memory views and console (the ops of gdbstub/target.h
 * for qXfer:memory-map, physical memory and `monitor console`), and the
 * `monitor info mem` / `info tlb` page-table views. ctx is a struct dbg *.
 */

#include <stddef.h>
#include <stdint.h>

#include "gdbstub/target.h"

struct dbg;

/*
 * The physical layout as gdb's memory map: the RAM the VMM backs (on the
 * pc machine the ISA window 0xc0000-0xfffff, option ROMs, firmware tables
 * and the BIOS, as ROM), then the --bios image below 4 GiB as ROM.
 * Returns the number of regions written (at most cap) or -errno.
 */
int dbg_memory_map(void *ctx, struct gdb_mem_region *out, size_t cap);

/*
 * Guest physical memory: RAM and the --bios ROM. 0, -EFAULT if any byte
 * is elsewhere (nothing copied), -EINVAL if gpa + len overflows.
 */
int dbg_read_phys(void *ctx, uint64_t gpa, void *buf, size_t len);
int dbg_write_phys(void *ctx, uint64_t gpa, const void *buf, size_t len);

/* Host pointer for physical [gpa, gpa + len) in RAM or ROM, or NULL. */
uint8_t *dbg_phys_hva(const struct dbg *d, uint64_t gpa, size_t len);

/* set_console_sink: the debugger's tap on the console (NULL: none). */
void dbg_set_console_sink(void *ctx, const struct gdb_console_sink *sink);

/*
 * `info mem` and `info tlb` of the selected vCPU (pagetable.h). Returns
 * the text length, or -ENOENT if cmd is another command.
 */
int dbg_views_monitor(struct dbg *d, const char *cmd, char *out, size_t cap);

#endif
