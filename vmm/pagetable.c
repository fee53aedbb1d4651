#include "pagetable.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CR0_PG    (1ull << 31)
#define CR4_PAE   (1ull << 5)
#define CR4_LA57  (1ull << 12)
#define EFER_LMA  (1ull << 10)
#define PTE_P     0x1ull
#define PTE_RW    0x2ull
#define PTE_US    0x4ull
#define PTE_PWT   0x8ull
#define PTE_PCD   0x10ull
#define PTE_A     0x20ull
#define PTE_D     0x40ull
#define PTE_PS    0x80ull
#define PTE_G     0x100ull
#define PTE_XD    (1ull << 63)
#define ADDR_MASK 0x000ffffffffff000ull /* bits 51:12 (SDM vol. 3, 4.5) */
#define MAX_LEVEL 5

enum pt_mode pt_mode_of(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    if (!(cr0 & CR0_PG))
        return PT_OFF;
    if (efer & EFER_LMA)
        return (cr4 & CR4_LA57) ? PT_LA57 : PT_LONG;
    return (cr4 & CR4_PAE) ? PT_PAE : PT_32;
}

const char *pt_mode_name(enum pt_mode mode)
{
    switch (mode) {
    case PT_OFF:
        return "paging disabled";
    case PT_32:
        return "32-bit paging";
    case PT_PAE:
        return "PAE paging";
    case PT_LONG:
        return "4-level paging";
    case PT_LA57:
        return "5-level paging";
    }
    return "unknown paging mode";
}

/* The shape of one mode's tables, top level first. */
struct shape {
    int levels;
    unsigned shift[MAX_LEVEL]; /* linear bits a level's entry maps */
    unsigned entries[MAX_LEVEL];
    unsigned esize;      /* bytes per entry */
    unsigned canon_bit;  /* sign-extend linear above this bit, 0: none */
    unsigned large_from; /* levels >= this may have PS leaves */
};

static void shape_of(enum pt_mode m, bool pse, struct shape *s)
{
    memset(s, 0, sizeof(*s));
    switch (m) {
    case PT_32:
        *s = (struct shape){2, {22, 12}, {1024, 1024}, 4, 0, pse ? 0 : 9};
        break;
    case PT_PAE:
        /* The PDPT's 4 entries have no PS (SDM vol. 3, 4.4.1). */
        *s = (struct shape){3, {30, 21, 12}, {4, 512, 512}, 8, 0, 1};
        break;
    case PT_LONG:
        *s =
            (struct shape){4, {39, 30, 21, 12}, {512, 512, 512, 512}, 8, 47, 1};
        break;
    case PT_LA57:
        *s = (struct shape){
            5, {48, 39, 30, 21, 12}, {512, 512, 512, 512, 512}, 8, 56, 2};
        break;
    case PT_OFF:
        break;
    }
}

struct walk {
    const struct pt_cfg *c;
    struct shape sh;
    int (*visit)(void *arg, const struct pt_map *m);
    void *arg;
    unsigned long leaves;
    uint8_t table[MAX_LEVEL][4096];
};

static uint64_t canonical(const struct shape *s, uint64_t la)
{
    if (s->canon_bit && (la >> s->canon_bit) & 1)
        la |= ~0ull << s->canon_bit;
    return la;
}

/* Flags a level passes down: rights narrow, XD widens. */
static unsigned rights(const struct walk *w, uint64_t e, unsigned in, int lvl)
{
    unsigned f = in;

    /* PAE PDPTEs carry no R/W, U/S or XD (SDM vol. 3, Table 4-8). */
    if (w->c->mode == PT_PAE && lvl == 0)
        return f;
    if (!(e & PTE_RW))
        f &= ~PT_W;
    if (!(e & PTE_US))
        f &= ~PT_U;
    if (w->sh.esize == 8 && (e & PTE_XD))
        f |= PT_NX;
    return f;
}

static int walk_level(struct walk *w, int lvl, uint64_t table, uint64_t base,
                      unsigned in)
{
    const struct shape *s = &w->sh;
    size_t tsize = (size_t)s->entries[lvl] * s->esize;
    int r;

    if (w->c->read(w->c->ctx, table, w->table[lvl], tsize) < 0)
        return 0; /* a table outside RAM maps nothing we can show */
    for (unsigned i = 0; i < s->entries[lvl]; i++) {
        uint64_t e = 0;
        memcpy(&e, w->table[lvl] + (size_t)i * s->esize, s->esize);
        /*
         * Not present; or XD set without EFER.NXE, a reserved bit: the
         * access faults (SDM vol. 3, 4.7), so nothing is mapped there.
         */
        if (!(e & PTE_P) || (s->esize == 8 && !w->c->nxe && (e & PTE_XD)))
            continue;
        uint64_t la = base + ((uint64_t)i << s->shift[lvl]);
        unsigned f = rights(w, e, in, lvl);
        bool last = lvl == s->levels - 1;
        bool large = !last && lvl >= (int)s->large_from && (e & PTE_PS);
        if (!last && !large) {
            uint64_t next =
                s->esize == 4 ? (e & 0xfffff000ull) : (e & ADDR_MASK);
            if ((r = walk_level(w, lvl + 1, next, la, f)) != 0)
                return r;
            continue;
        }
        struct pt_map m = {.linear = canonical(s, la),
                           .size = 1ull << s->shift[lvl]};
        if (s->esize == 4 && large) /* PSE-36: bits 20:13 are 39:32 */
            m.phys = (e & 0xffc00000ull) | ((e >> 13) & 0xffull) << 32;
        else if (s->esize == 4)
            m.phys = e & 0xfffff000ull;
        else
            m.phys = e & ADDR_MASK & ~(m.size - 1); /* PAT bit 12 aside */
        m.flags = f | ((e & PTE_G) ? PT_G : 0) | ((e & PTE_A) ? PT_A : 0) |
                  ((e & PTE_D) ? PT_D : 0) | ((e & PTE_PCD) ? PT_PCD : 0) |
                  ((e & PTE_PWT) ? PT_PWT : 0);
        if (++w->leaves > PT_MAX_LEAVES)
            return -E2BIG;
        if ((r = w->visit(w->arg, &m)) != 0)
            return r;
    }
    return 0;
}

int pt_walk(const struct pt_cfg *c,
            int (*visit)(void *arg, const struct pt_map *m), void *arg)
{
    struct walk *w;
    uint64_t top;
    int r;

    if (c->mode == PT_OFF || !c->read)
        return -EINVAL;
    w = malloc(sizeof(*w)); /* 20 KiB of tables: off the stack */
    if (!w)
        return -ENOMEM;
    w->c = c;
    w->visit = visit;
    w->arg = arg;
    w->leaves = 0;
    shape_of(c->mode, c->pse, &w->sh);
    if (c->mode == PT_PAE)
        top = c->cr3 & 0xffffffe0ull; /* 32-byte aligned PDPT */
    else if (c->mode == PT_32)
        top = c->cr3 & 0xfffff000ull;
    else
        top = c->cr3 & ADDR_MASK;
    r = walk_level(w, 0, top, 0, PT_W | PT_U);
    free(w);
    return r;
}

/* Bounded text: once a line does not fit, "...\n" ends it. */
struct text {
    char *out;
    size_t cap, n;
    bool cut;
};

#define ELLIPSIS "...\n"

static int put(struct text *t, const char *line)
{
    size_t len = strlen(line), room = sizeof(ELLIPSIS);

    if (t->cut)
        return 1;
    if (t->cap < room || t->n + len + room > t->cap) {
        if (t->cap >= room && t->n + room <= t->cap) {
            memcpy(t->out + t->n, ELLIPSIS, room);
            t->n += room - 1;
        }
        t->cut = true;
        return 1;
    }
    memcpy(t->out + t->n, line, len + 1);
    t->n += len;
    return 0;
}

static int width(const struct pt_cfg *c)
{
    return c->mode == PT_32 || c->mode == PT_PAE ? 8 : 16;
}

/* "START-END" with an exclusive END (2^64 written out). */
static void range(char *buf, size_t cap, int wd, uint64_t start, uint64_t size)
{
    uint64_t end = start + size;

    if (end == 0 && size)
        snprintf(buf, cap, "%0*llx-1%0*llx", wd, (unsigned long long)start, wd,
                 0ull);
    else
        snprintf(buf, cap, "%0*llx-%0*llx", wd, (unsigned long long)start, wd,
                 (unsigned long long)end);
}

struct run {
    const struct pt_cfg *c;
    struct text *t;
    bool have;
    uint64_t start, size;
    unsigned rights;
};

#define RIGHTS (PT_W | PT_U | PT_NX)

static int end_run(struct run *r)
{
    char line[96], rg[48];

    if (!r->have)
        return 0;
    r->have = false;
    range(rg, sizeof(rg), width(r->c), r->start, r->size);
    snprintf(line, sizeof(line), "%s %0*llx %cr%c%c\n", rg, width(r->c),
             (unsigned long long)r->size, (r->rights & PT_U) ? 'u' : '-',
             (r->rights & PT_W) ? 'w' : '-', (r->rights & PT_NX) ? '-' : 'x');
    return put(r->t, line);
}

static int mem_visit(void *arg, const struct pt_map *m)
{
    struct run *r = arg;
    unsigned f = m->flags & RIGHTS;

    if (r->have && r->start + r->size == m->linear && r->rights == f) {
        r->size += m->size;
        return 0;
    }
    if (end_run(r))
        return 1;
    *r = (struct run){r->c, r->t, true, m->linear, m->size, f};
    return 0;
}

static int header(const struct pt_cfg *c, struct text *t, const char *what)
{
    char line[256];

    snprintf(line, sizeof(line), "%s, CR3 0x%llx; %s\n", pt_mode_name(c->mode),
             (unsigned long long)c->cr3, what);
    return put(t, line);
}

static int finish(struct text *t, int r)
{
    char line[64];

    if (r == -E2BIG) {
        snprintf(line, sizeof(line), "(stopped after %u pages)\n",
                 PT_MAX_LEAVES);
        put(t, line);
    } else if (r < 0) {
        return r;
    }
    return (int)t->n;
}

static int unpaged(struct text *t)
{
    put(t, "paging disabled: linear addresses are physical\n");
    return (int)t->n;
}

int pt_info_mem(const struct pt_cfg *c, char *out, size_t cap)
{
    struct text t = {out, cap, 0, false};
    struct run r = {.c = c, .t = &t};
    int e;

    if (cap == 0)
        return -EINVAL;
    out[0] = '\0';
    if (c->mode == PT_OFF)
        return unpaged(&t);
    header(c, &t, "linear ranges, size, rights");
    e = pt_walk(c, mem_visit, &r);
    if (e >= 0 || e == -E2BIG)
        end_run(&r);
    return finish(&t, e < 0 ? e : 0);
}

struct tlb {
    const struct pt_cfg *c;
    struct text *t;
};

static int tlb_visit(void *arg, const struct pt_map *m)
{
    struct tlb *k = arg;
    char line[128];
    const char *sz = m->size == 1ull << 30   ? "1G"
                     : m->size == 1ull << 22 ? "4M"
                     : m->size == 1ull << 21 ? "2M"
                                             : "4K";

    snprintf(line, sizeof(line), "%0*llx: %013llx %s %c%c%c%c%c%c%c%c\n",
             width(k->c), (unsigned long long)m->linear,
             (unsigned long long)m->phys, sz, (m->flags & PT_NX) ? 'X' : '-',
             (m->flags & PT_G) ? 'G' : '-', (m->flags & PT_D) ? 'D' : '-',
             (m->flags & PT_A) ? 'A' : '-', (m->flags & PT_PCD) ? 'C' : '-',
             (m->flags & PT_PWT) ? 'T' : '-', (m->flags & PT_U) ? 'U' : '-',
             (m->flags & PT_W) ? 'W' : '-');
    return put(k->t, line);
}

int pt_info_tlb(const struct pt_cfg *c, char *out, size_t cap)
{
    struct text t = {out, cap, 0, false};
    struct tlb k = {c, &t};

    if (cap == 0)
        return -EINVAL;
    out[0] = '\0';
    if (c->mode == PT_OFF)
        return unpaged(&t);
    header(c, &t,
           "linear: physical size flags (X no-exec, G global, D dirty, A "
           "accessed, C cache off, T write-through, U user, W writable)");
    return finish(&t, pt_walk(c, tlb_visit, &k));
}
