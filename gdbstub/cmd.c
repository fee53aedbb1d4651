#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "break.h"
#include "cmd_priv.h"
#include "rsp.h"

/* Signals as gdb numbers them (include/gdb/signals.def). */
#define SIG_NONE 0
#define SIG_TRAP 5

/* Reply for malformed packets: gdb only checks for the leading E. */
#define EBADPKT 1

struct gdb_cmd *gdb_cmd_new(const struct gdb_target_ops *ops, void *ctx,
                            const struct gdb_cmd_config *cfg)
{
    struct gdb_cmd *s = calloc(1, sizeof(*s));
    int r;

    if (!s)
        return NULL;
    s->ops = ops;
    s->ctx = ctx;
    s->stopped = true;
    s->last = (struct gdb_cmd_stop){.sig = SIG_TRAP, .ev = GDB_BP_EV_TRAP};
    s->buf = malloc(RSP_MAX_PACKET + 1);
    s->text = malloc(RSP_MAX_PACKET / 2 + 1);
    if (!s->buf || !s->text) {
        gdb_cmd_free(s);
        errno = ENOMEM;
        return NULL;
    }
    r = gdb_bp_init(&s->bp, ops, ctx, cfg ? cfg->mechanism : GDB_BP_AUTO);
    if (r < 0) {
        gdb_cmd_free(s);
        errno = -r;
        return NULL;
    }
    s->nthreads = s->bp.nthreads;
    s->c_thread = -1;
    s->act = calloc((size_t)s->nthreads, 1);
    if (!s->act) {
        gdb_cmd_free(s);
        errno = ENOMEM;
        return NULL;
    }
    return s;
}

void gdb_cmd_free(struct gdb_cmd *s)
{
    if (!s)
        return;
    gdb_bp_destroy(&s->bp);
    free(s->act);
    free(s->buf);
    free(s->text);
    free(s);
}

enum gdb_cmd_result gdb_cmd_reply_str(const char *str, char *reply, size_t cap,
                                      size_t *len)
{
    size_t n = strlen(str);

    if (n > cap)
        n = cap;
    memcpy(reply, str, n);
    *len = n;
    return GDB_CMD_REPLY;
}

enum gdb_cmd_result gdb_cmd_reply_err(int e, char *reply, size_t cap,
                                      size_t *len)
{
    char buf[8];

    if (e < 0)
        e = -e;
    snprintf(buf, sizeof(buf), "E%02x", (unsigned)e & 0xff);
    return gdb_cmd_reply_str(buf, reply, cap, len);
}

bool gdb_cmd_parse_hex(const char **p, const char *end, uint64_t *v)
{
    const char *q = *p;
    uint64_t x = 0;
    int d;

    while (q < end && (d = rsp_hex_digit((unsigned char)*q)) >= 0) {
        if (q - *p == 16)
            return false;
        x = x << 4 | (uint64_t)d;
        q++;
    }
    if (q == *p)
        return false;
    *p = q;
    *v = x;
    return true;
}

int gdb_cmd_fix_arch(struct gdb_cmd *s)
{
    struct gdb_x86_regs regs;
    int r;

    if (s->arch_fixed)
        return 0;
    if ((r = gdb_target_core_regs(s->ops, s->ctx, &regs)) < 0)
        return r;
    s->arch = regs.arch;
    s->arch_fixed = true;
    return 0;
}

void gdb_cmd_regs_to_gdb(const struct gdb_cmd *s, struct gdb_x86_regs *regs)
{
    if (!s->pc_offset && regs->arch != GDB_ARCH_X86_64)
        regs->rip = gdb_x86_linear_pc(regs);
}

void gdb_cmd_regs_from_gdb(const struct gdb_cmd *s, struct gdb_x86_regs *v,
                           const struct gdb_x86_regs *raw)
{
    uint64_t lin, base, off, mask;
    bool real;

    if (s->pc_offset || raw->arch == GDB_ARCH_X86_64)
        return;
    lin = v->rip & 0xffffffff;
    if (lin == gdb_x86_linear_pc(raw)) {
        v->rip = raw->rip; /* pc unchanged: the IP as it was */
        return;
    }
    /* Real mode (Intel SDM vol. 3, 20.1.1): the base is selector * 16. */
    real = !(raw->sys.cr0 & 1);
    base = raw->cs_base;
    if (real && v->seg[GDB_CS] != raw->seg[GDB_CS])
        base = (uint64_t)(v->seg[GDB_CS] & 0xffff) << 4;
    mask = raw->code16 ? 0xffff : 0xffffffff;
    off = (lin - base) & 0xffffffff;
    if (off <= mask) {
        v->rip = off;
    } else if (real && lin <= 0xfffff) {
        v->seg[GDB_CS] = (uint32_t)(lin >> 4);
        v->rip = lin & 0xf;
    } else {
        v->rip = off & mask;
    }
}

size_t gdb_cmd_put_reg(enum gdb_arch arch, const struct gdb_x86_regs *regs,
                       int regno, char *out)
{
    uint8_t val[16];
    int n = gdb_arch_reg_get(arch, regs, regno, val);

    if (n <= 0)
        return 0;
    rsp_hex_encode(val, (size_t)n, out);
    return 2 * (size_t)n;
}

void gdb_cmd_use_thread(struct gdb_cmd *s, int t)
{
    if (s->nthreads > 1 && t >= 0 && t < s->nthreads)
        s->ops->select_thread(s->ctx, t);
}

/* ? */
static enum gdb_cmd_result handle_why(struct gdb_cmd *s, char *reply,
                                      size_t cap, size_t *len)
{
    *len = gdb_cmd_render_stop(s, reply, cap);
    return GDB_CMD_REPLY;
}

/* g */
static enum gdb_cmd_result read_regs(struct gdb_cmd *s, char *reply, size_t cap,
                                     size_t *len)
{
    struct gdb_x86_regs regs;
    size_t n = 0;
    int r;

    if ((r = gdb_cmd_fix_arch(s)) < 0 ||
        (r = s->ops->get_regs(s->ctx, &regs)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    gdb_cmd_regs_to_gdb(s, &regs);
    if (2 * gdb_arch_regs_size(s->arch) + 1 > cap)
        return gdb_cmd_reply_err(ENOSPC, reply, cap, len);
    for (int i = 0; i < gdb_arch_nr_regs(s->arch); i++)
        n += gdb_cmd_put_reg(s->arch, &regs, i, reply + n);
    *len = n;
    return GDB_CMD_REPLY;
}

/* G XX... */
static enum gdb_cmd_result write_regs(struct gdb_cmd *s, const char *arg,
                                      size_t alen, char *reply, size_t cap,
                                      size_t *len)
{
    struct gdb_x86_regs regs, raw;
    size_t off = 0;
    int r;

    if ((r = gdb_cmd_fix_arch(s)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    if (alen != 2 * gdb_arch_regs_size(s->arch) ||
        rsp_hex_decode(arg, alen, s->buf) < 0)
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    if ((r = s->ops->get_regs(s->ctx, &raw)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    regs = raw;
    gdb_cmd_regs_to_gdb(s, &regs);
    for (int i = 0; i < gdb_arch_nr_regs(s->arch); i++) {
        int size = gdb_arch_reg_size(s->arch, i);
        gdb_arch_reg_set(s->arch, &regs, i, s->buf + off, (size_t)size);
        off += (size_t)size;
    }
    gdb_cmd_regs_from_gdb(s, &regs, &raw);
    if ((r = s->ops->set_regs(s->ctx, &regs)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    return gdb_cmd_reply_str("OK", reply, cap, len);
}

/* p n, P n=r... */
static enum gdb_cmd_result one_reg(struct gdb_cmd *s, bool write,
                                   const char *arg, const char *end,
                                   char *reply, size_t cap, size_t *len)
{
    struct gdb_x86_regs regs, raw;
    uint64_t regno;
    int r, size;

    if ((r = gdb_cmd_fix_arch(s)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    if (!gdb_cmd_parse_hex(&arg, end, &regno) || regno > 0xffff ||
        (size = gdb_arch_reg_size(s->arch, (int)regno)) <= 0)
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    if (!write && arg != end)
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    if (write && (arg == end || *arg++ != '=' ||
                  (size_t)(end - arg) != 2 * (size_t)size ||
                  rsp_hex_decode(arg, (size_t)(end - arg), s->buf) < 0))
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    if ((r = s->ops->get_regs(s->ctx, &raw)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    regs = raw;
    gdb_cmd_regs_to_gdb(s, &regs);
    if (!write) {
        *len = gdb_cmd_put_reg(s->arch, &regs, (int)regno, reply);
        return GDB_CMD_REPLY;
    }
    gdb_arch_reg_set(s->arch, &regs, (int)regno, s->buf, (size_t)size);
    gdb_cmd_regs_from_gdb(s, &regs, &raw);
    if ((r = s->ops->set_regs(s->ctx, &regs)) < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    return gdb_cmd_reply_str("OK", reply, cap, len);
}

/* "addr,length" then sep (or the end if sep is 0); checks the range. */
static bool parse_range(const char **p, const char *end, char sep,
                        uint64_t *addr, uint64_t *n)
{
    uint64_t last;

    if (!gdb_cmd_parse_hex(p, end, addr) || *p == end || *(*p)++ != ',' ||
        !gdb_cmd_parse_hex(p, end, n))
        return false;
    if (__builtin_add_overflow(*addr, *n, &last))
        return false;
    if (sep == 0)
        return *p == end;
    return *p < end && *(*p)++ == sep;
}

/* m addr,length (hex) and x addr,length (binary, gdb 16) */
static enum gdb_cmd_result read_mem(struct gdb_cmd *s, bool binary,
                                    const char *arg, const char *end,
                                    char *reply, size_t cap, size_t *len)
{
    uint64_t addr, n, max;
    int r;

    if (!parse_range(&arg, end, 0, &addr, &n))
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    /* Cap the length so the reply fits (gdb asks again for the rest). */
    max = binary ? cap - 1 : (cap - 1) / 2;
    if (max > RSP_MAX_PACKET)
        max = RSP_MAX_PACKET;
    if (n > max)
        n = max;
    /* Physical memory (Qqemu.PhyMemMode): int3 patches are linear. */
    if (s->phys_mem)
        r = s->ops->read_phys(s->ctx, addr, s->buf, n);
    else
        r = gdb_bp_read_mem(&s->bp, addr, s->buf, n);
    if (r < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    if (binary) {
        reply[0] = 'b';
        memcpy(reply + 1, s->buf, n);
        *len = n + 1;
    } else {
        rsp_hex_encode(s->buf, n, reply);
        *len = 2 * n;
    }
    return GDB_CMD_REPLY;
}

/* M addr,length:XX... and X addr,length:binary */
static enum gdb_cmd_result write_mem(struct gdb_cmd *s, bool binary,
                                     const char *arg, const char *end,
                                     char *reply, size_t cap, size_t *len)
{
    uint64_t addr, n;
    size_t dlen;
    int r;

    if (!parse_range(&arg, end, ':', &addr, &n) || n > RSP_MAX_PACKET)
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    dlen = (size_t)(end - arg);
    if (binary) {
        if (dlen != n)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        memcpy(s->buf, arg, dlen);
    } else if (dlen != 2 * n || rsp_hex_decode(arg, dlen, s->buf) < 0) {
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    }
    if (n && s->phys_mem)
        r = s->ops->write_phys(s->ctx, addr, s->buf, n);
    else if (n)
        r = gdb_bp_write_mem(&s->bp, addr, s->buf, n);
    else
        r = 0;
    if (r < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    return gdb_cmd_reply_str("OK", reply, cap, len);
}

/* Resume the threads as s->act says. */
static enum gdb_cmd_result start_threads(struct gdb_cmd *s, char *reply,
                                         size_t cap, size_t *len)
{
    gdb_bp_start_threads(&s->bp, s->act, s->last.thread);
    s->stopped = false;
    (void)reply;
    (void)cap;
    *len = 0;
    return GDB_CMD_RESUME;
}

/* Start the guest: one instruction (step) or until something happens. */
static enum gdb_cmd_result resume(struct gdb_cmd *s, bool step, bool has_pc,
                                  uint64_t pc, char *reply, size_t cap,
                                  size_t *len)
{
    struct gdb_x86_regs regs, raw;
    int t = s->c_thread >= 0 ? s->c_thread : s->last.thread;
    int r;

    if (has_pc) {
        gdb_cmd_use_thread(s, t);
        if ((r = s->ops->get_regs(s->ctx, &raw)) < 0)
            return gdb_cmd_reply_err(r, reply, cap, len);
        regs = raw;
        regs.rip = pc; /* gdb's pc: linear outside 64-bit code */
        gdb_cmd_regs_from_gdb(s, &regs, &raw);
        if ((r = s->ops->set_regs(s->ctx, &regs)) < 0)
            return gdb_cmd_reply_err(r, reply, cap, len);
    }
    s->exec_step = step;
    s->n_lifted = 0; /* gdb put back what it still wants */
    /* After an exec stop gdb_cmd_run reports the real one: nothing runs. */
    if (s->nthreads > 1 && !s->exec_pending) {
        /* s: that thread alone (the others stay stopped); c: all. */
        for (int i = 0; i < s->nthreads; i++)
            s->act[i] = !step    ? GDB_BP_ACT_CONT
                        : i == t ? GDB_BP_ACT_STEP
                                 : GDB_BP_ACT_STAY;
        return start_threads(s, reply, cap, len);
    }
    if (!s->exec_pending)
        gdb_bp_start(&s->bp, step);
    s->stopped = false;
    *len = 0;
    return GDB_CMD_RESUME;
}

/* c [addr], s [addr], C sig[;addr], S sig[;addr] (the signal is dropped) */
static enum gdb_cmd_result cont(struct gdb_cmd *s, const char *pkt,
                                const char *end, char *reply, size_t cap,
                                size_t *len)
{
    bool step = pkt[0] == 's' || pkt[0] == 'S';
    const char *p = pkt + 1;
    uint64_t sig, pc = 0;
    bool has_pc = false;

    if (pkt[0] == 'C' || pkt[0] == 'S') {
        if (!gdb_cmd_parse_hex(&p, end, &sig) || sig > 0xff)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        if (p < end && *p != ';')
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        if (p < end)
            p++; /* ";addr" must follow */
        else
            return resume(s, step, false, 0, reply, cap, len);
    }
    if (p < end || p[-1] == ';') {
        if (!gdb_cmd_parse_hex(&p, end, &pc) || p != end)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        has_pc = true;
    }
    return resume(s, step, has_pc, pc, reply, cap, len);
}

/* Which thread ids besides 1..nthreads a packet may name. */
#define TID_ALL 1 /* -1: all threads */
#define TID_ANY 2 /* 0: any thread */

/* A thread id: *tid is -1 (all), 0 (any) or 1..nthreads. */
static bool parse_tid(const struct gdb_cmd *s, const char **p, const char *end,
                      int also, int *tid)
{
    uint64_t v;

    if ((also & TID_ALL) && *p + 2 <= end && (*p)[0] == '-' && (*p)[1] == '1') {
        *p += 2;
        *tid = -1;
        return true;
    }
    if (!gdb_cmd_parse_hex(p, end, &v))
        return false;
    *tid = (int)v;
    return (v >= 1 && v <= (uint64_t)s->nthreads) ||
           ((also & TID_ANY) && v == 0);
}

/*
 * A range step for thread t (vCont;rSTART,END): the range in gdb's pc
 * terms made linear, as the breakpoint manager counts. Outside 64-bit
 * code gdb's pc is CS base + IP already, unless `monitor pc offset`.
 */
static void set_range(struct gdb_cmd *s, int t, uint64_t start, uint64_t end)
{
    struct gdb_x86_regs regs;

    gdb_cmd_use_thread(s, t);
    if (gdb_target_core_regs(s->ops, s->ctx, &regs) < 0)
        return; /* a plain step then */
    if (s->pc_offset && regs.arch != GDB_ARCH_X86_64) {
        start = (regs.cs_base + start) & 0xffffffff;
        end = (regs.cs_base + end) & 0xffffffff;
    }
    gdb_bp_set_range(&s->bp, start, end, regs.seg[GDB_CS], regs.arch);
}

/* vCont;action[:tid]... with actions c, Csig, s, Ssig, t, rSTART,END */
static enum gdb_cmd_result vcont(struct gdb_cmd *s, const char *p,
                                 const char *end, char *reply, size_t cap,
                                 size_t *len)
{
    char first = 0;
    uint64_t sig, rstart = 0, rend = 0;
    bool runs = false;
    int step_t = -1, range_t = -1;
    enum gdb_cmd_result res;

    if (p == end)
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    /* For each thread the leftmost action naming it applies (RSP vCont). */
    memset(s->act, 0xff, (size_t)s->nthreads);
    while (p < end) {
        char act;
        int tid = -1;
        if (*p++ != ';' || p == end)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        act = *p++;
        if (!act || !strchr("cCsStr", act))
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        if ((act == 'C' || act == 'S') &&
            (!gdb_cmd_parse_hex(&p, end, &sig) || sig > 0xff))
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        uint64_t a0 = 0, a1 = 0;
        if (act == 'r' && (!gdb_cmd_parse_hex(&p, end, &a0) || p == end ||
                           *p++ != ',' || !gdb_cmd_parse_hex(&p, end, &a1)))
            return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        if (p < end && *p == ':') {
            p++;
            if (!parse_tid(s, &p, end, TID_ALL, &tid) || tid == 0)
                return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
        }
        uint8_t a = act == 'c' || act == 'C'   ? GDB_BP_ACT_CONT
                    : act == 's' || act == 'S' ? GDB_BP_ACT_STEP
                    : act == 'r'               ? GDB_BP_ACT_RANGE
                                               : GDB_BP_ACT_STAY;
        for (int i = 0; i < s->nthreads; i++) {
            if ((tid > 0 && i != tid - 1) || s->act[i] != 0xff)
                continue;
            if (a == GDB_BP_ACT_RANGE && range_t < 0) {
                range_t = i;
                rstart = a0;
                rend = a1;
            } else if (a == GDB_BP_ACT_RANGE) {
                a = GDB_BP_ACT_STEP; /* one range at a time: a step */
            }
            s->act[i] = a;
            runs |= a != GDB_BP_ACT_STAY;
            if ((a == GDB_BP_ACT_STEP || a == GDB_BP_ACT_RANGE) && step_t < 0)
                step_t = i;
        }
        if (!first)
            first = act;
    }
    for (int i = 0; i < s->nthreads; i++)
        if (s->act[i] == 0xff)
            s->act[i] = GDB_BP_ACT_STAY; /* not named: stays as it is */
    if (s->nthreads > 1 && runs) {
        res = start_threads(s, reply, cap, len);
        if (range_t >= 0)
            set_range(s, range_t, rstart, rend);
        return res;
    }
    if (first == 't' || !runs) {
        /* Already stopped (all-stop): report a stop with no signal. */
        s->last = (struct gdb_cmd_stop){.sig = SIG_NONE, .thread = s->g_thread};
        *len = gdb_cmd_render_stop(s, reply, cap);
        return GDB_CMD_REPLY;
    }
    res = resume(s, first == 's' || first == 'S' || first == 'r', false, 0,
                 reply, cap, len);
    if (res == GDB_CMD_RESUME && first == 'r' && !s->exec_pending)
        set_range(s, 0, rstart, rend);
    return res;
}

/* Remember a point gdb took out (z), forget one it put in (Z). */
static void note_point(struct gdb_cmd *s, bool in, int type, uint64_t addr,
                       uint64_t kind)
{
    for (size_t i = 0; i < s->n_lifted; i++) {
        struct gdb_cmd_point *p = &s->lifted[i];
        if (p->type == type && p->addr == addr && p->kind == kind) {
            if (in)
                *p = s->lifted[--s->n_lifted];
            return;
        }
    }
    if (!in && s->n_lifted < GDB_CMD_MAX_LIFTED)
        s->lifted[s->n_lifted++] =
            (struct gdb_cmd_point){.type = type, .addr = addr, .kind = kind};
}

/* Z type,addr,kind and z type,addr,kind */
static enum gdb_cmd_result zpoint(struct gdb_cmd *s, const char *pkt,
                                  const char *end, char *reply, size_t cap,
                                  size_t *len)
{
    const char *p = pkt + 1;
    uint64_t type, addr, kind;
    int r;

    if (!gdb_cmd_parse_hex(&p, end, &type) || p == end || *p++ != ',')
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    if (type > GDB_BP_ACCESS)
        return gdb_cmd_reply_str("", reply, cap, len);
    if (!gdb_cmd_parse_hex(&p, end, &addr) || p == end || *p++ != ',' ||
        !gdb_cmd_parse_hex(&p, end, &kind) || p != end)
        return gdb_cmd_reply_err(EBADPKT, reply, cap, len);
    if (pkt[0] == 'Z')
        r = gdb_bp_insert(&s->bp, (int)type, addr, kind);
    else
        r = gdb_bp_remove(&s->bp, (int)type, addr, kind);
    if (r == -EOPNOTSUPP)
        return gdb_cmd_reply_str("", reply, cap, len);
    if (r < 0)
        return gdb_cmd_reply_err(r, reply, cap, len);
    note_point(s, pkt[0] == 'Z', (int)type, addr, kind);
    return gdb_cmd_reply_str("OK", reply, cap, len);
}

static bool is(const char *pkt, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(pkt, word, len) == 0;
}

static bool has_prefix(const char *pkt, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && memcmp(pkt, prefix, n) == 0;
}

enum gdb_cmd_result gdb_cmd_handle(struct gdb_cmd *s, const char *pkt,
                                   size_t len, char *reply, size_t cap,
                                   size_t *reply_len)
{
    const char *end = pkt + len, *p = pkt + 1;
    int tid;

    *reply_len = 0;
    gdb_cmd_use_thread(s, s->g_thread);
    if (s->free_run) {
        /* A debugger came without gdb_cmd_interrupt: a new session. */
        s->free_run = false;
        s->arch_fixed = false;
        s->exec_pending = false;
        s->n_lifted = 0;
    }
    s->stopped = true;
    if (len == 0)
        return GDB_CMD_REPLY;
    switch (pkt[0]) {
    case '?': /* ? */
        if (len != 1)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
        return handle_why(s, reply, cap, reply_len);
    case 'g': /* g */
        if (len != 1)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
        return read_regs(s, reply, cap, reply_len);
    case 'G': /* G XX... */
        return write_regs(s, p, len - 1, reply, cap, reply_len);
    case 'p': /* p n */
    case 'P': /* P n=r... */
        return one_reg(s, pkt[0] == 'P', p, end, reply, cap, reply_len);
    case 'm': /* m addr,length */
    case 'x': /* x addr,length */
        return read_mem(s, pkt[0] == 'x', p, end, reply, cap, reply_len);
    case 'M': /* M addr,length:XX... */
    case 'X': /* X addr,length:binary */
        return write_mem(s, pkt[0] == 'X', p, end, reply, cap, reply_len);
    case 'c': /* c [addr] */
    case 's': /* s [addr] */
    case 'C': /* C sig[;addr] */
    case 'S': /* S sig[;addr] */
        return cont(s, pkt, end, reply, cap, reply_len);
    case 'Z': /* Z type,addr,kind */
    case 'z': /* z type,addr,kind */
        return zpoint(s, pkt, end, reply, cap, reply_len);
    case 'H': /* H op thread-id */
        if (len < 3 || (pkt[1] != 'g' && pkt[1] != 'c'))
            return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
        p = pkt + 2;
        if (!parse_tid(s, &p, end, TID_ALL | TID_ANY, &tid) || p != end)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
        if (pkt[1] == 'c')
            s->c_thread = tid > 0 ? tid - 1 : -1;
        else if (tid > 0)
            gdb_cmd_use_thread(s, s->g_thread = tid - 1);
        return gdb_cmd_reply_str("OK", reply, cap, reply_len);
    case 'T': /* T thread-id */
        if (!parse_tid(s, &p, end, 0, &tid) || p != end)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
        return gdb_cmd_reply_str("OK", reply, cap, reply_len);
    case 'D': /* D or D;pid */
        if (!is(pkt, len, "D") && !is(pkt, len, "D;1"))
            return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
        gdb_cmd_detach(s);
        gdb_cmd_reply_str("OK", reply, cap, reply_len);
        return GDB_CMD_DETACH;
    case 'k': /* k */
        if (len != 1)
            return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
        /*
         * The RSP asks no reply, and gdb reads none; lldb waits for the
         * exit status, which debugserver and lldb-server give as X09
         * (killed by SIGKILL), and says "failed to send the k packet"
         * without it.
         */
        gdb_cmd_reply_str("X09", reply, cap, reply_len);
        return GDB_CMD_KILL;
    case 'v':
        if (is(pkt, len, "vCont?")) /* vCont? */
            return gdb_cmd_reply_str("vCont;c;C;s;S;t;r", reply, cap,
                                     reply_len);
        if (has_prefix(pkt, len, "vCont;")) /* vCont;action[:tid]... */
            return vcont(s, pkt + 5, end, reply, cap, reply_len);
        if (has_prefix(pkt, len, "vKill")) { /* vKill;pid */
            /*
             * Our one process is pid 1; without multiprocess+ gdb names
             * it by its placeholder pid 42000 (0xa410). Anything else is
             * not ours to kill.
             */
            if (!is(pkt, len, "vKill;1") && !is(pkt, len, "vKill;a410"))
                return gdb_cmd_reply_err(EBADPKT, reply, cap, reply_len);
            gdb_cmd_reply_str("OK", reply, cap, reply_len);
            return GDB_CMD_KILL;
        }
        return GDB_CMD_REPLY; /* vMustReplyEmpty and the rest */
    case 'b':                 /* bs, bc */
        if (!is(pkt, len, "bs") && !is(pkt, len, "bc"))
            return GDB_CMD_REPLY;
        if (!gdb_cmd_is_recording(s))
            return GDB_CMD_REPLY; /* no history: unsupported */
        s->reverse = pkt[1] == 's' ? 1 : 2;
        s->stopped = false;
        return GDB_CMD_RESUME;
    case 'q':
    case 'Q':
        return gdb_cmd_query(s, pkt, len, reply, cap, reply_len);
    default:
        return GDB_CMD_REPLY;
    }
}
