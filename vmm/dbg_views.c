#include "dbg_views.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "boot/firmware.h"
#include "boot/memmap.h"
#include "dbg.h"
#include "mem.h"
#include "pagetable.h"
#include "pio.h"
#include "record.h"
#include "vcpu.h"

#define PAGE_SIZE 4096ull
#define ISA_ROM   0xc0000ull /* option ROMs, then the system BIOS */
#define ONE_MIB   0x100000ull
#define CR4_PSE   (1ull << 4)
#define EFER_NXE  (1ull << 11)
#define INFO_MAX  32768 /* characters of `info mem` / `info tlb` */

static int add(struct gdb_mem_region *out, size_t cap, size_t *n,
               uint64_t start, uint64_t end, enum gdb_mem_type type)
{
    if (end <= start)
        return 0;
    if (*n == cap)
        return -ENOSPC;
    out[(*n)++] = (struct gdb_mem_region){start, end - start, type};
    return 0;
}

static bool has_rom(const struct dbg *d)
{
    return d->fw && d->fw->host != MAP_FAILED && d->fw->size;
}

int dbg_memory_map(void *ctx, struct gdb_mem_region *out, size_t cap)
{
    const struct dbg *d = ctx;
    const struct mem *m = d->runner->mem;
    uint64_t low = m->size - m->high_size;
    size_t n = 0;
    int e = 0;

    /*
     * The pc machine's legacy window: its E820 map says the BIOS area is
     * not RAM. The VMM backs it with RAM, but the guest sees firmware.
     */
    if (d->map && low >= ONE_MIB && !memmap_is_ram(d->map, 0xf0000, 0x10000)) {
        e = add(out, cap, &n, 0, ISA_ROM, GDB_MEM_RAM);
        if (e == 0)
            e = add(out, cap, &n, ISA_ROM, ONE_MIB, GDB_MEM_ROM);
        if (e == 0)
            e = add(out, cap, &n, ONE_MIB, low, GDB_MEM_RAM);
    } else {
        e = add(out, cap, &n, 0, low, GDB_MEM_RAM);
    }
    if (e == 0 && has_rom(d))
        e = add(out, cap, &n, d->fw->gpa, d->fw->gpa + d->fw->size,
                GDB_MEM_ROM);
    if (e == 0 && m->high_size)
        e = add(out, cap, &n, m->high_base, m->high_base + m->high_size,
                GDB_MEM_RAM);
    return e < 0 ? e : (int)n;
}

uint8_t *dbg_phys_hva(const struct dbg *d, uint64_t gpa, size_t len)
{
    uint8_t *p = mem_gpa_to_hva(d->runner->mem, gpa, len);

    if (p || !has_rom(d) || gpa < d->fw->gpa)
        return p;
    uint64_t off = gpa - d->fw->gpa;
    if (off > d->fw->size || len > d->fw->size - off)
        return NULL;
    return d->fw->host + off;
}

/* Page by page: RAM's two slots and the ROM are apart. */
static int phys(struct dbg *d, uint64_t gpa, uint8_t *buf, size_t len,
                bool write, bool copy)
{
    uint64_t end;

    if (__builtin_add_overflow(gpa, (uint64_t)len, &end))
        return -EINVAL;
    while (len) {
        size_t chunk = (size_t)(PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
        if (chunk > len)
            chunk = len;
        uint8_t *hva = dbg_phys_hva(d, gpa, chunk);
        if (!hva)
            return -EFAULT;
        if (copy && write) {
            if (d->rec)
                rec_note_write(d->rec, gpa, chunk);
            memcpy(hva, buf, chunk);
        } else if (copy) {
            memcpy(buf, hva, chunk);
        }
        gpa += chunk;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}

int dbg_read_phys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    int e = phys(ctx, gpa, buf, len, false, false);

    return e < 0 ? e : phys(ctx, gpa, buf, len, false, true);
}

int dbg_write_phys(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    uint8_t *b = (uint8_t *)(uintptr_t)buf;
    int e = phys(ctx, gpa, b, len, true, false);

    return e < 0 ? e : phys(ctx, gpa, b, len, true, true);
}

void dbg_set_console_sink(void *ctx, const struct gdb_console_sink *sink)
{
    struct dbg *d = ctx;

    if (!d->console)
        return;
    d->console->tap = sink ? sink->write : NULL;
    d->console->tap_ctx = sink ? sink->arg : NULL;
    d->console->tap_only = sink && sink->mode == GDB_CONSOLE_GDB;
}

static int pt_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    return dbg_read_phys(ctx, gpa, buf, len);
}

int dbg_views_monitor(struct dbg *d, const char *cmd, char *out, size_t cap)
{
    bool tlb = !strcmp(cmd, "info tlb");
    struct kvm_sregs *s = NULL;
    int e;

    if (!tlb && strcmp(cmd, "info mem") != 0)
        return -ENOENT;
    if ((e = vcpu_get_sregs(d->runner->vcpu, &s)) < 0)
        return e;
    struct pt_cfg c = {
        .mode = pt_mode_of(s->cr0, s->cr4, s->efer),
        .cr3 = s->cr3,
        .pse = (s->cr4 & CR4_PSE) != 0,
        .nxe = (s->efer & EFER_NXE) != 0,
        .read = pt_read,
        .ctx = d,
    };
    if (cap > INFO_MAX)
        cap = INFO_MAX;
    return tlb ? pt_info_tlb(&c, out, cap) : pt_info_mem(&c, out, cap);
}
