/*
 * The stub against a target with threads (one per CPU): thread packets,
 * stop replies naming the thread, per-thread registers, vCont actions
 * honoured thread by thread, breakpoints on every thread, stepping
 * watchpoints one thread a round. The fake CPUs execute one-byte
 * instructions (pc += 1); a CPU that continues runs to the first
 * execution breakpoint within 64 bytes of its pc, else it is interrupted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/cmd.h"
#include "gdbstub/rsp.h"
#include "tests/test.h"

#define NT 3

struct mt {
    uint64_t pc[NT];
    int sel;
    uint8_t mem[0x1000];
    enum gdb_resume_mode modes[NT]; /* of the last resume */
    int resumes;
    struct gdb_stop own[NT];
    bool waits[NT];
    int writer;  /* this thread's step writes mem[0x800] (-1: none) */
    bool ranges; /* does GDB_RESUME_RANGE (else the stub steps) */
};

static void mt_caps(void *ctx, struct gdb_target_caps *c)
{
    struct mt *m = ctx;

    *c = (struct gdb_target_caps){.hw_bp = true,
                                  .singlestep = true,
                                  .nr_hw_slots = 4,
                                  .range_step = m->ranges};
}

/* GDB_RESUME_RANGE: on while in the range and off stop_at. */
static bool mt_range_on(const struct gdb_resume *how, uint64_t pc)
{
    for (size_t i = 0; i < how->nr_stop_at; i++)
        if (how->stop_at[i] == pc)
            return false;
    return pc >= how->range_start && pc < how->range_end;
}

static int mt_regs(void *ctx, struct gdb_x86_regs *r)
{
    struct mt *m = ctx;

    memset(r, 0, sizeof(*r));
    r->arch = GDB_ARCH_I386;
    r->rip = m->pc[m->sel];
    r->gpr[GDB_RAX] = (uint64_t)m->sel;
    return 0;
}

static int mt_set_regs(void *ctx, const struct gdb_x86_regs *r)
{
    struct mt *m = ctx;

    m->pc[m->sel] = r->rip;
    return 0;
}

static int mt_read(void *ctx, uint64_t a, void *buf, size_t len)
{
    struct mt *m = ctx;

    if (a > sizeof(m->mem) || len > sizeof(m->mem) - a)
        return -EFAULT;
    memcpy(buf, m->mem + a, len);
    return 0;
}

static int mt_write(void *ctx, uint64_t a, const void *buf, size_t len)
{
    struct mt *m = ctx;

    if (a > sizeof(m->mem) || len > sizeof(m->mem) - a)
        return -EFAULT;
    memcpy(m->mem + a, buf, len);
    return 0;
}

static int mt_resume(void *ctx, const struct gdb_resume *how,
                     struct gdb_stop *stop)
{
    struct mt *m = ctx;
    int first = -1;

    m->resumes++;
    *stop = (struct gdb_stop){.kind = GDB_STOP_INTERRUPTED};
    for (int t = 0; t < NT; t++) {
        enum gdb_resume_mode md = how->modes ? how->modes[t] : how->mode;
        m->modes[t] = md;
        m->own[t] = (struct gdb_stop){.kind = GDB_STOP_NONE, .thread = t};
        if (md == GDB_RESUME_STAY || (md != GDB_RESUME_CONT && m->waits[t]))
            continue;
        if (md != GDB_RESUME_CONT) {
            m->pc[t]++;
            while (md == GDB_RESUME_RANGE && mt_range_on(how, m->pc[t]))
                m->pc[t]++;
            if (t == m->writer)
                m->mem[0x800]++;
            m->own[t] = (struct gdb_stop){.kind = GDB_STOP_DEBUG,
                                          .exception = 1,
                                          .dr6 = 0x4000,
                                          .thread = t};
            if (first < 0)
                first = t;
            continue;
        }
        for (uint64_t d = 1; d < 64; d++)
            for (int i = 0; i < 4; i++)
                if ((how->dr7 & (1ull << (2 * i))) &&
                    how->dr[i] == m->pc[t] + d && first < 0) {
                    m->pc[t] += d;
                    m->own[t] = (struct gdb_stop){.kind = GDB_STOP_DEBUG,
                                                  .exception = 1,
                                                  .dr6 = 1ull << i,
                                                  .thread = t};
                    first = t;
                }
    }
    if (first >= 0)
        *stop = m->own[first];
    return 0;
}

static int mt_monitor(void *ctx, const char *cmd, char *out, size_t cap)
{
    (void)ctx;
    (void)cmd;
    snprintf(out, cap, "no\n");
    return -ENOENT;
}

static int mt_nr(void *ctx)
{
    (void)ctx;
    return NT;
}

static int mt_select(void *ctx, int t)
{
    struct mt *m = ctx;

    if (t < 0 || t >= NT)
        return -EINVAL;
    m->sel = t;
    return 0;
}

static int mt_info(void *ctx, int t, char *out, size_t cap)
{
    (void)ctx;
    return snprintf(out, cap, "T%d", t);
}

static int mt_stop(void *ctx, int t, struct gdb_stop *st)
{
    struct mt *m = ctx;

    *st = m->own[t];
    return 0;
}

static bool mt_waits(void *ctx, int t)
{
    struct mt *m = ctx;

    return m->waits[t];
}

static const struct gdb_target_ops mt_ops = {
    .get_caps = mt_caps,
    .get_regs = mt_regs,
    .set_regs = mt_set_regs,
    .read_mem = mt_read,
    .write_mem = mt_write,
    .resume = mt_resume,
    .monitor = mt_monitor,
    .nr_threads = mt_nr,
    .select_thread = mt_select,
    .thread_info = mt_info,
    .thread_stop = mt_stop,
    .thread_waits = mt_waits,
};

struct sess {
    struct mt m;
    struct gdb_cmd *cmd;
    enum gdb_cmd_result res;
    size_t len;
    char reply[RSP_MAX_PACKET + 1];
};

static struct sess *sess(void)
{
    struct sess *s = calloc(1, sizeof(*s));
    struct gdb_cmd_config cfg = {.mechanism = GDB_BP_AUTO};

    if (!s)
        abort();
    s->m.pc[0] = 0x100;
    s->m.pc[1] = 0x200;
    s->m.pc[2] = 0x300;
    s->m.writer = -1;
    s->cmd = gdb_cmd_new(&mt_ops, &s->m, &cfg);
    if (!s->cmd)
        abort();
    return s;
}

static void sess_free(struct sess *s)
{
    gdb_cmd_free(s->cmd);
    free(s);
}

/* Send pkt; if it resumes, run until a stop (polls go on). */
static const char *go(struct sess *s, const char *pkt)
{
    s->len = 0;
    s->res = gdb_cmd_handle(s->cmd, pkt, strlen(pkt), s->reply, RSP_MAX_PACKET,
                            &s->len);
    if (s->res == GDB_CMD_RESUME) {
        int r;
        for (int k = 0; k < 100; k++)
            if ((r = gdb_cmd_run(s->cmd, s->reply, RSP_MAX_PACKET, &s->len)) !=
                GDB_RUN_POLL)
                break;
    }
    s->reply[s->len] = '\0';
    return s->reply;
}

#define CHECK_PREFIX(a, b)                                                     \
    do {                                                                       \
        const char *check_s_ = (a), *check_w_ = (b);                           \
        if (strncmp(check_s_, check_w_, strlen(check_w_)) != 0) {              \
            printf("FAIL %s:%d: %s (got '%s', want '%s...')\n", __FILE__,      \
                   __LINE__, #a, check_s_, check_w_);                          \
            test_failures++;                                                   \
        }                                                                      \
    } while (0)

static void test_thread_packets(void)
{
    struct sess *s = sess();

    CHECK_STR(go(s, "qfThreadInfo"), "m1,2,3");
    CHECK_STR(go(s, "qsThreadInfo"), "l");
    CHECK_STR(go(s, "qC"), "QC1");
    CHECK_STR(go(s, "qThreadExtraInfo,2"), "5431"); /* "T1" */
    CHECK_STR(go(s, "qThreadExtraInfo,4"), "E01");
    CHECK_STR(go(s, "qThreadExtraInfo,0"), "E01");
    CHECK_STR(go(s, "T3"), "OK");
    CHECK_STR(go(s, "T4"), "E01");
    CHECK_STR(go(s, "T0"), "E01");
    CHECK_STR(go(s, "Hg2"), "OK");
    CHECK_STR(go(s, "p8"), "00020000"); /* thread 2's pc */
    CHECK_STR(go(s, "qC"), "QC2");
    CHECK_STR(go(s, "Hg4"), "E01");
    CHECK_STR(go(s, "p8"), "00020000"); /* unchanged */
    CHECK_STR(go(s, "Hg0"), "OK");      /* any: keeps it */
    CHECK_STR(go(s, "p0"), "01000000"); /* eax = the thread's index */
    CHECK_STR(go(s, "P8=00030000"), "OK");
    CHECK_EQ(s->m.pc[1], 0x300);
    CHECK_EQ(s->m.pc[0], 0x100);
    CHECK_STR(go(s, "Hg3"), "OK");
    /* ? names the thread of the last stop, which gdb then takes as Hg. */
    CHECK_STR(go(s, "?"), "T05thread:1;08:00010000;04:00000000;05:00000000;");
    CHECK_STR(go(s, "qC"), "QC1");
    sess_free(s);
}

static void test_vcont_actions(void)
{
    struct sess *s = sess();

    /* gdb's stepi with scheduler-locking off: thread 2 steps, all run. */
    CHECK_PREFIX(go(s, "vCont;s:2;c"), "T05thread:2;08:01020000;");
    CHECK_EQ(s->m.modes[0], GDB_RESUME_CONT);
    CHECK_EQ(s->m.modes[1], GDB_RESUME_STEP);
    CHECK_EQ(s->m.modes[2], GDB_RESUME_CONT);
    CHECK_STR(go(s, "p8"), "01020000"); /* Hg follows the stop */
    /* scheduler-locking on: only thread 3 moves. */
    CHECK_PREFIX(go(s, "vCont;s:3"), "T05thread:3;08:01030000;");
    CHECK_EQ(s->m.modes[0], GDB_RESUME_STAY);
    CHECK_EQ(s->m.modes[1], GDB_RESUME_STAY);
    CHECK_EQ(s->m.modes[2], GDB_RESUME_STEP);
    CHECK_EQ(s->m.pc[0], 0x100);
    CHECK_EQ(s->m.pc[1], 0x201);
    /* Only thread 1 continues: interrupted, reported on it. */
    s->m.resumes = 0;
    CHECK_STR(go(s, "vCont;c:1"), "");
    CHECK_EQ(s->m.modes[0], GDB_RESUME_CONT);
    CHECK_EQ(s->m.modes[1], GDB_RESUME_STAY);
    CHECK(s->m.resumes > 0);
    /* The leftmost action naming a thread wins. */
    go(s, "vCont;s:1;c:1;s:2");
    CHECK_EQ(s->m.modes[0], GDB_RESUME_STEP);
    CHECK_EQ(s->m.modes[1], GDB_RESUME_STEP);
    CHECK_EQ(s->m.modes[2], GDB_RESUME_STAY);
    CHECK_STR(go(s, "vCont;c:4"), "E01");
    CHECK_STR(go(s, "vCont;c:0"), "E01");
    /* Legacy s steps the Hc thread alone. */
    CHECK_STR(go(s, "Hc3"), "OK");
    CHECK_PREFIX(go(s, "s"), "T05thread:3;08:02030000;");
    CHECK_EQ(s->m.modes[0], GDB_RESUME_STAY);
    CHECK_EQ(s->m.modes[2], GDB_RESUME_STEP);
    sess_free(s);
}

static void test_break_any_thread(void)
{
    struct sess *s = sess();

    /* A breakpoint ahead of thread 3 stops there, naming thread 3. */
    CHECK_STR(go(s, "Z1,310,1"), "OK");
    CHECK_PREFIX(go(s, "vCont;c"), "T05thread:3;hwbreak:;08:10030000;");
    CHECK_STR(go(s, "qC"), "QC3");
    /* Continuing from it: thread 3 steps off it alone first. */
    CHECK_STR(go(s, "Z1,120,1"), "OK");
    CHECK_PREFIX(go(s, "vCont;c"), "T05thread:1;hwbreak:;08:20010000;");
    CHECK_EQ(s->m.pc[2], 0x311);
    CHECK_STR(go(s, "z1,310,1"), "OK");
    CHECK_STR(go(s, "z1,120,1"), "OK");
    sess_free(s);
}

static void test_step_watch_rounds(void)
{
    struct sess *s = sess();

    /* No data breakpoints here: a write watchpoint is done by stepping. */
    s->m.writer = 1;
    s->m.waits[2] = true; /* thread 3 waits for an interrupt */
    CHECK_STR(go(s, "Z2,800,1"), "OK");
    CHECK_PREFIX(go(s, "vCont;c"), "T05thread:2;watch:800;");
    /* One thread a round, taking turns, never the waiting one. */
    CHECK(s->m.modes[0] == GDB_RESUME_STAY || s->m.modes[1] == GDB_RESUME_STAY);
    CHECK_EQ(s->m.modes[2], GDB_RESUME_STAY);
    CHECK_EQ(s->m.mem[0x800], 1);
    sess_free(s);
}

static void test_range_threads(void)
{
    struct sess *s = sess();

    /* The target cannot: the stub steps thread 2, the others run. */
    CHECK_PREFIX(go(s, "vCont;r200,204:2;c"), "T05thread:2;08:04020000;");
    CHECK_EQ(s->m.resumes, 4);
    CHECK_EQ(s->m.modes[0], GDB_RESUME_CONT);
    CHECK_EQ(s->m.modes[1], GDB_RESUME_STEP);
    CHECK_EQ(s->m.modes[2], GDB_RESUME_CONT);
    sess_free(s);
    /* The target can: one resume; a breakpoint in the range ends it. */
    s = sess();
    s->m.ranges = true; /* caps are read when the session starts */
    gdb_cmd_free(s->cmd);
    struct gdb_cmd_config cfg = {.mechanism = GDB_BP_AUTO};
    s->cmd = gdb_cmd_new(&mt_ops, &s->m, &cfg);
    if (!s->cmd)
        abort();
    CHECK_PREFIX(go(s, "vCont;r200,210:2;c"), "T05thread:2;08:10020000;");
    CHECK_EQ(s->m.resumes, 1);
    CHECK_EQ(s->m.modes[1], GDB_RESUME_RANGE);
    CHECK_STR(go(s, "Z1,214,1"), "OK");
    s->m.resumes = 0;
    CHECK_PREFIX(go(s, "vCont;r210,220:2"),
                 "T05thread:2;hwbreak:;08:14020000;");
    CHECK_EQ(s->m.resumes, 1);
    CHECK_EQ(s->m.modes[0], GDB_RESUME_STAY);
    CHECK_EQ(s->m.pc[0], 0x100);
    /* A second range in one packet is a plain step. */
    CHECK_PREFIX(go(s, "vCont;r100,110:1;r300,310:3"), "T05thread:1;");
    CHECK_EQ(s->m.modes[0], GDB_RESUME_RANGE);
    CHECK_EQ(s->m.modes[2], GDB_RESUME_STEP);
    CHECK_EQ(s->m.pc[0], 0x110);
    CHECK_EQ(s->m.pc[2], 0x301);
    CHECK_STR(go(s, "vCont;r100:1"), "E01");
    CHECK_STR(go(s, "vCont;r100,:1"), "E01");
    sess_free(s);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_thread_packets),   TEST(test_vcont_actions),
        TEST(test_break_any_thread), TEST(test_step_watch_rounds),
        TEST(test_range_threads),
    };
    return test_main(tests, TEST_COUNT(tests));
}
