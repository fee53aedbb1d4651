#include "break.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "break_priv.h"

static bool is_watch(int type)
{
    return type == GDB_BP_WRITE || type == GDB_BP_READ || type == GDB_BP_ACCESS;
}

static int view_read(void *vctx, uint64_t addr, void *buf, size_t len)
{
    return gdb_bp_read_mem(vctx, addr, buf, len);
}

int gdb_bp_init(struct gdb_bp *b, const struct gdb_target_ops *ops, void *ctx,
                enum gdb_bp_mechanism mech)
{
    *b = (struct gdb_bp){.ops = ops, .ctx = ctx, .config = mech};
    ops->get_caps(ctx, &b->caps);
    if (ops->set_mem_view) {
        const struct gdb_mem_view view = {.read = view_read, .vctx = b};
        ops->set_mem_view(ctx, &view);
    }
    if (b->caps.nr_hw_slots < GDB_BP_NR_SLOTS)
        b->caps.hw_bp = b->caps.hw_watch = false;
    b->nthreads = ops->nr_threads ? ops->nr_threads(ctx) : 1;
    if (b->nthreads < 1 || !ops->select_thread || !ops->thread_stop)
        b->nthreads = 1;
    if (b->nthreads > 1) {
        b->act = calloc((size_t)b->nthreads, sizeof(*b->act));
        b->modes = calloc((size_t)b->nthreads, sizeof(*b->modes));
        if (!b->act || !b->modes)
            return -ENOMEM;
    }
    switch (mech) {
    case GDB_BP_AUTO:
        if (b->caps.sw_bp)
            b->mech = GDB_BP_INT3;
        else if (b->caps.hw_bp)
            b->mech = GDB_BP_DR;
        else
            b->mech = GDB_BP_STEP;
        return 0;
    case GDB_BP_INT3:
        b->mech = mech;
        return b->caps.sw_bp ? 0 : -EINVAL;
    case GDB_BP_DR:
        b->mech = mech;
        return b->caps.hw_bp ? 0 : -EINVAL;
    case GDB_BP_STEP:
        b->mech = mech;
        return b->caps.singlestep ? 0 : -EINVAL;
    }
    return -EINVAL;
}

static struct gdb_bp_entry *find(const struct gdb_bp *b, int type,
                                 uint64_t addr, uint64_t len)
{
    for (size_t i = 0; i < b->n; i++) {
        struct gdb_bp_entry *e = &b->v[i];
        if (e->type == type && e->addr == addr &&
            (!is_watch(type) || e->len == len))
            return e;
    }
    return NULL;
}

struct gdb_bp_entry *gdb_bp_find_id(const struct gdb_bp *b, unsigned id)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].id == id)
            return &b->v[i];
    return NULL;
}

/* A Z0 or Z1 at pc, if any (a Z1 first: it is the one hardware reports). */
struct gdb_bp_entry *gdb_bp_break_at(const struct gdb_bp *b, uint64_t pc)
{
    struct gdb_bp_entry *sw = NULL;

    for (size_t i = 0; i < b->n; i++) {
        struct gdb_bp_entry *e = &b->v[i];
        if (e->addr != pc || is_watch(e->type))
            continue;
        if (e->type == GDB_BP_HW)
            return e;
        sw = e;
    }
    return sw;
}

struct gdb_bp_entry *gdb_bp_int3_at(const struct gdb_bp *b, uint64_t pc)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].where == GDB_BP_AT_INT3 && b->v[i].addr == pc)
            return &b->v[i];
    return NULL;
}

bool gdb_bp_has_where(const struct gdb_bp *b, enum gdb_bp_where w)
{
    return b->nr_where[w] > 0;
}

void gdb_bp_set_where(struct gdb_bp *b, struct gdb_bp_entry *e,
                      enum gdb_bp_where w)
{
    b->nr_where[e->where]--;
    b->nr_where[w]++;
    e->where = w;
}

/* Slots free, and slots held by a Z0 that could move to stepping. */
static unsigned free_slots(const struct gdb_bp *b)
{
    unsigned m = 0;

    for (int i = 0; i < GDB_BP_NR_SLOTS; i++)
        if (!b->slot[i].owner)
            m |= 1u << i;
    return m;
}

static unsigned evictable_slots(const struct gdb_bp *b)
{
    unsigned m = 0;

    if (!b->caps.singlestep)
        return 0;
    for (int i = 0; i < GDB_BP_NR_SLOTS; i++) {
        const struct gdb_bp_entry *e = gdb_bp_find_id(b, b->slot[i].owner);
        if (e && e->type == GDB_BP_SW)
            m |= 1u << i;
    }
    return m;
}

static int popcount(unsigned m)
{
    return __builtin_popcount(m);
}

static uint64_t len_bits(uint64_t len)
{
    switch (len) {
    case 2:
        return 1;
    case 4:
        return 3;
    case 8:
        return 2;
    default:
        return 0;
    }
}

/*
 * Cover [addr, addr + len) with naturally aligned 1/2/4/8-byte pieces, as
 * debug registers need. Returns the number of pieces, or -1 if more than
 * max.
 */
static int split(uint64_t addr, uint64_t len, uint64_t *pa, uint64_t *pl,
                 int max)
{
    int n = 0;

    while (len) {
        uint64_t sz = 8;
        while (sz > 1 && (addr % sz != 0 || sz > len))
            sz /= 2;
        if (n == max)
            return -1;
        pa[n] = addr;
        pl[n] = sz;
        n++;
        addr += sz;
        len -= sz;
    }
    return n;
}

/* Give entry e the debug registers for pieces, evicting Z0s as needed. */
static void take_slots(struct gdb_bp *b, struct gdb_bp_entry *e, int n,
                       const uint64_t *pa, const uint64_t *pl, uint64_t rw)
{
    for (int k = 0; k < n; k++) {
        unsigned m = free_slots(b);
        if (!m) {
            m = evictable_slots(b);
            int i = __builtin_ctz(m);
            gdb_bp_set_where(b, gdb_bp_find_id(b, b->slot[i].owner),
                             GDB_BP_AT_STEP);
            b->slot[i].owner = 0;
        }
        int i = __builtin_ctz(m);
        b->slot[i].owner = e->id;
        b->slot[i].addr = pa[k];
        b->slot[i].dr7_bits =
            (rw << (16 + 4 * i)) | (len_bits(pl[k]) << (18 + 4 * i));
    }
    gdb_bp_set_where(b, e, GDB_BP_AT_DR);
}

static void release_slots(struct gdb_bp *b, unsigned id)
{
    for (int i = 0; i < GDB_BP_NR_SLOTS; i++)
        if (b->slot[i].owner == id)
            b->slot[i].owner = 0;
}

/* DR mechanism: move stepping Z0s into debug registers that came free. */
static void promote(struct gdb_bp *b)
{
    if (b->mech != GDB_BP_DR)
        return;
    for (size_t i = 0; i < b->n && free_slots(b); i++) {
        struct gdb_bp_entry *e = &b->v[i];
        uint64_t one = 1;
        if (e->type == GDB_BP_SW && e->where == GDB_BP_AT_STEP)
            take_slots(b, e, 1, &e->addr, &one, GDB_BP_RW_EXEC);
    }
}

static int place_break(struct gdb_bp *b, struct gdb_bp_entry *e)
{
    uint64_t one = 1;
    int r;

    if (e->type == GDB_BP_SW && b->mech == GDB_BP_INT3) {
        static const uint8_t cc = GDB_BP_OPCODE_INT3;
        if ((r = b->ops->read_mem(b->ctx, e->addr, &e->orig, 1)) < 0)
            return r;
        if ((r = b->ops->write_mem(b->ctx, e->addr, &cc, 1)) < 0)
            return r;
        gdb_bp_set_where(b, e, GDB_BP_AT_INT3);
        return 0;
    }
    if (e->type == GDB_BP_SW && b->mech == GDB_BP_DR && free_slots(b)) {
        take_slots(b, e, 1, &e->addr, &one, GDB_BP_RW_EXEC);
        return 0;
    }
    if (e->type == GDB_BP_HW && b->caps.hw_bp && b->mech != GDB_BP_STEP) {
        if (!free_slots(b) && !evictable_slots(b))
            return -ENOSPC;
        take_slots(b, e, 1, &e->addr, &one, GDB_BP_RW_EXEC);
        return 0;
    }
    if (!b->caps.singlestep)
        return e->type == GDB_BP_SW ? -ENOSPC : -EOPNOTSUPP;
    gdb_bp_set_where(b, e, GDB_BP_AT_STEP);
    return 0;
}

static int place_watch(struct gdb_bp *b, struct gdb_bp_entry *e)
{
    bool hw = b->caps.hw_watch && b->mech != GDB_BP_STEP;
    uint64_t pa[GDB_BP_NR_SLOTS], pl[GDB_BP_NR_SLOTS];

    if (hw) {
        int n = split(e->addr, e->len, pa, pl, GDB_BP_NR_SLOTS);
        if (n > 0 &&
            n <= popcount(free_slots(b)) + popcount(evictable_slots(b))) {
            take_slots(b, e, n, pa, pl,
                       e->type == GDB_BP_WRITE ? GDB_BP_RW_WRITE
                                               : GDB_BP_RW_RDWR);
            return 0;
        }
    }
    /*
     * Page protection: every kind, no cost until the guest touches the
     * page. Not in the STEP mechanism (record mode steps everything).
     */
    bool page = b->caps.page_watch && b->mech != GDB_BP_STEP;
    if (page && e->len <= GDB_BP_WATCH_MAX &&
        b->nr_page < GDB_BP_PAGE_WATCH_MAX) {
        static const enum gdb_watch_kind kind[] = {
            [GDB_BP_WRITE] = GDB_WATCH_WRITE,
            [GDB_BP_READ] = GDB_WATCH_READ,
            [GDB_BP_ACCESS] = GDB_WATCH_ACCESS,
        };
        b->page[b->nr_page] = (struct gdb_watch_range){
            .addr = e->addr, .len = e->len, .kind = kind[e->type]};
        b->page_id[b->nr_page++] = e->id;
        gdb_bp_set_where(b, e, GDB_BP_AT_PAGE);
        return 0;
    }
    if (e->type != GDB_BP_WRITE || !b->caps.singlestep)
        return hw || page ? -ENOSPC : -EOPNOTSUPP;
    if (e->len > GDB_BP_WATCH_MAX)
        return -EINVAL;
    /* Bounded, so that a debugger cannot make every step cost more. */
    if (b->nr_shadow == GDB_BP_STEP_WATCH_MAX ||
        e->len > GDB_BP_STEP_WATCH_BYTES - b->shadow_bytes)
        return -ENOSPC;
    struct gdb_bp_shadow *sh = &b->shadow[b->nr_shadow];
    *sh = (struct gdb_bp_shadow){
        .id = e->id, .addr = e->addr, .len = e->len, .bytes = malloc(e->len)};
    if (!sh->bytes)
        return -ENOMEM;
    int r = gdb_bp_read_mem(b, e->addr, sh->bytes, e->len);
    if (r < 0) {
        free(sh->bytes);
        return r;
    }
    b->nr_shadow++;
    b->shadow_bytes += e->len;
    gdb_bp_set_where(b, e, GDB_BP_AT_STEP);
    return 0;
}

int gdb_bp_insert(struct gdb_bp *b, int type, uint64_t addr, uint64_t kind)
{
    struct gdb_bp_entry *e;
    uint64_t end;
    int r;

    if (type < GDB_BP_SW || type > GDB_BP_ACCESS)
        return -EOPNOTSUPP;
    if (is_watch(type)) {
        if (kind == 0 || __builtin_add_overflow(addr, kind, &end))
            return -EINVAL;
    } else if (kind == 0 || kind > 15) {
        return -EINVAL; /* x86 instructions are 1 to 15 bytes */
    }
    e = find(b, type, addr, kind);
    if (e) {
        e->refs++;
        return 0;
    }
    /*
     * Four Z1s at most, as gdb is told by E NN, whatever implements them:
     * an hbreak must mean the same on every host.
     */
    if ((type == GDB_BP_HW && b->nr_hw == GDB_BP_NR_SLOTS) ||
        b->n == GDB_BP_MAX_POINTS)
        return -ENOSPC;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? 2 * b->cap : 16;
        struct gdb_bp_entry *nv = realloc(b->v, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        b->v = nv;
        b->cap = ncap;
    }
    e = &b->v[b->n];
    *e = (struct gdb_bp_entry){.type = type,
                               .addr = addr,
                               .len = is_watch(type) ? kind : 1,
                               .refs = 1,
                               .id = ++b->next_id};
    if (b->next_id == 0)
        e->id = b->next_id = 1; /* 0 means a free slot */
    b->n++;
    b->nr_where[GDB_BP_AT_NONE]++;
    r = is_watch(type) ? place_watch(b, e) : place_break(b, e);
    if (r < 0) {
        b->nr_where[e->where]--;
        b->n--;
        return r;
    }
    if (type == GDB_BP_HW)
        b->nr_hw++;
    return 0;
}

/* Undo the placing of v[i] and drop it from the array. */
static int drop(struct gdb_bp *b, size_t i)
{
    struct gdb_bp_entry *e = &b->v[i];
    int r = 0;

    if (e->where == GDB_BP_AT_INT3 && (r = gdb_bp_sync_int3(b, e)) >= 0)
        r = b->ops->write_mem(b->ctx, e->addr, &e->orig, 1);
    release_slots(b, e->id);
    for (size_t k = 0; k < b->nr_shadow; k++) {
        if (b->shadow[k].id != e->id)
            continue;
        free(b->shadow[k].bytes);
        b->shadow_bytes -= b->shadow[k].len;
        b->shadow[k] = b->shadow[--b->nr_shadow];
        break;
    }
    for (size_t k = 0; k < b->nr_page; k++) {
        if (b->page_id[k] != e->id)
            continue;
        b->nr_page--;
        b->page[k] = b->page[b->nr_page];
        b->page_id[k] = b->page_id[b->nr_page];
        break;
    }
    b->nr_where[e->where]--;
    if (e->type == GDB_BP_HW)
        b->nr_hw--;
    memmove(e, e + 1, (b->n - i - 1) * sizeof(*e));
    b->n--;
    return r;
}

int gdb_bp_remove(struct gdb_bp *b, int type, uint64_t addr, uint64_t kind)
{
    struct gdb_bp_entry *e;
    int r;

    if (type < GDB_BP_SW || type > GDB_BP_ACCESS)
        return -EOPNOTSUPP;
    e = find(b, type, addr, kind);
    if (!e)
        return 0;
    if (--e->refs > 0)
        return 0;
    r = drop(b, (size_t)(e - b->v));
    promote(b);
    return r;
}

void gdb_bp_remove_all(struct gdb_bp *b)
{
    /* Last in, first out, so stacked patches unwind in order. */
    while (b->n)
        drop(b, b->n - 1);
}

void gdb_bp_destroy(struct gdb_bp *b)
{
    if (b->ops) {
        gdb_bp_remove_all(b);
        if (b->ops->set_mem_view)
            b->ops->set_mem_view(b->ctx, NULL);
    }
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
    free(b->act);
    free(b->modes);
    b->act = NULL;
    b->modes = NULL;
    free(b->stop_at);
    b->stop_at = NULL;
    b->nr_stop_at = b->stop_at_cap = 0;
}

static bool in_range(uint64_t a, uint64_t start, size_t len)
{
    return a >= start && a - start < len;
}

int gdb_bp_sync_int3(struct gdb_bp *b, struct gdb_bp_entry *e)
{
    static const uint8_t cc = GDB_BP_OPCODE_INT3;
    uint8_t now;
    int r = b->ops->read_mem(b->ctx, e->addr, &now, 1);

    if (r < 0 || now == GDB_BP_OPCODE_INT3)
        return r;
    /*
     * The guest wrote over the patch: its byte is the one to show and to
     * restore, and the breakpoint goes back in over it.
     */
    e->orig = now;
    return b->ops->write_mem(b->ctx, e->addr, &cc, 1);
}

void gdb_bp_sync_all(struct gdb_bp *b)
{
    if (!gdb_bp_has_where(b, GDB_BP_AT_INT3))
        return;
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].where == GDB_BP_AT_INT3)
            gdb_bp_sync_int3(b, &b->v[i]); /* a failure leaves the patch */
}

int gdb_bp_read_mem(struct gdb_bp *b, uint64_t addr, void *buf, size_t len)
{
    int r = b->ops->read_mem(b->ctx, addr, buf, len);

    if (r < 0)
        return r;
    for (size_t i = 0; i < b->n && b->nr_where[GDB_BP_AT_INT3]; i++) {
        struct gdb_bp_entry *e = &b->v[i];
        if (e->where != GDB_BP_AT_INT3 || !in_range(e->addr, addr, len))
            continue;
        uint8_t *p = (uint8_t *)buf + (e->addr - addr);
        if (*p != GDB_BP_OPCODE_INT3) {
            /* Overwritten by the guest since: put the patch back. */
            static const uint8_t cc = GDB_BP_OPCODE_INT3;
            e->orig = *p;
            b->ops->write_mem(b->ctx, e->addr, &cc, 1);
        }
        *p = e->orig;
    }
    return r;
}

int gdb_bp_write_mem(struct gdb_bp *b, uint64_t addr, const void *buf,
                     size_t len)
{
    const uint8_t *src = buf;
    uint8_t *copy = NULL;
    int r;

    for (size_t i = 0; i < b->n; i++) {
        const struct gdb_bp_entry *e = &b->v[i];
        if (e->where != GDB_BP_AT_INT3 || !in_range(e->addr, addr, len))
            continue;
        if (!copy) {
            copy = malloc(len);
            if (!copy)
                return -ENOMEM;
            memcpy(copy, buf, len);
        }
        copy[e->addr - addr] = GDB_BP_OPCODE_INT3;
    }
    r = b->ops->write_mem(b->ctx, addr, copy ? copy : src, len);
    free(copy);
    if (r < 0)
        return r;
    for (size_t i = 0; i < b->n; i++) {
        struct gdb_bp_entry *e = &b->v[i];
        if (e->where == GDB_BP_AT_INT3 && in_range(e->addr, addr, len))
            e->orig = src[e->addr - addr];
    }
    for (size_t i = 0; i < b->nr_shadow; i++) {
        struct gdb_bp_shadow *sh = &b->shadow[i];
        /* Overlap of [addr, addr+len) and [sh->addr, sh->addr+sh->len). */
        uint64_t lo = addr > sh->addr ? addr : sh->addr;
        uint64_t hi_a = addr + len, hi_e = sh->addr + sh->len;
        uint64_t hi = hi_a < hi_e ? hi_a : hi_e;
        if (lo < hi)
            memcpy(sh->bytes + (lo - sh->addr), src + (lo - addr), hi - lo);
    }
    return r;
}

static const char *mech_name(enum gdb_bp_mechanism m)
{
    switch (m) {
    case GDB_BP_INT3:
        return "int3";
    case GDB_BP_DR:
        return "debug registers";
    case GDB_BP_STEP:
        return "single-step";
    default:
        return "auto";
    }
}

static const char *const type_name[] = {"break", "hbreak", "watch", "rwatch",
                                        "awatch"};

size_t gdb_bp_describe(const struct gdb_bp *b, char *out, size_t cap)
{
    size_t n = 0;

#define ADD(...)                                                               \
    do {                                                                       \
        int k_ = snprintf(out + n, cap - n, __VA_ARGS__);                      \
        if (k_ > 0)                                                            \
            n += (size_t)k_;                                                   \
        if (n >= cap) /* truncated: keep out + n inside the buffer */          \
            n = cap - 1;                                                       \
    } while (0)

    if (cap == 0)
        return 0;
    out[0] = '\0';
    ADD("breakpoints by %s%s; host: int3 %s, hw breakpoints %s, hw "
        "watchpoints %s, single-step %s%s\n",
        mech_name(b->mech), b->config == GDB_BP_AUTO ? " (auto)" : "",
        b->caps.sw_bp ? "yes" : "no", b->caps.hw_bp ? "yes" : "no",
        b->caps.hw_watch ? "yes" : "no", b->caps.singlestep ? "yes" : "no",
        b->caps.page_watch ? ", page protection yes" : "");
    for (size_t i = 0; i < b->n; i++) {
        const struct gdb_bp_entry *e = &b->v[i];
        ADD("%-7s 0x%llx", type_name[e->type], (unsigned long long)e->addr);
        if (is_watch(e->type))
            ADD(" len %llu", (unsigned long long)e->len);
        if (e->where == GDB_BP_AT_INT3) {
            ADD(" int3\n");
        } else if (e->where == GDB_BP_AT_STEP) {
            ADD(" single-step\n");
        } else if (e->where == GDB_BP_AT_PAGE) {
            ADD(" page protection\n");
        } else {
            ADD(" dr");
            for (int s = 0; s < GDB_BP_NR_SLOTS; s++)
                if (b->slot[s].owner == e->id)
                    ADD("%d", s);
            ADD("\n");
        }
    }
    if (b->n == 0)
        ADD("no breakpoints\n");
    if (gdb_bp_has_where(b, GDB_BP_AT_STEP))
        ADD("continue runs by single-stepping\n");
#undef ADD
    return n < cap ? n : cap - 1;
}
