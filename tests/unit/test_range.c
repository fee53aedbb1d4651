/*
 * Range stepping (RSP vCont;r) over the fake target: one resume of the
 * target where it can (GDB_RESUME_RANGE), the stub's own steps where it
 * cannot, and the same stops for gdb either way: a plain T05 where the pc
 * leaves the range, a breakpoint or watchpoint in the range as a continue
 * reports it, exits and interruptions as ever.
 */
#include "tests/fake_target.h"
#include "tests/test.h"

#include "gdbstub/break.h"

/* "T05thread:1;" + REASON + the i386 pc, sp, fp the fake has. */
static void check_stop(struct fake_sess *s, const char *reason, uint32_t pc)
{
    char want[256];
    uint32_t v[3] = {pc, 0x8000, 0x8800};
    int regno[3] = {8, 4, 5};
    size_t n = (size_t)sprintf(want, "T05thread:1;%s", reason);

    for (int i = 0; i < 3; i++)
        n += (size_t)sprintf(want + n, "%02x:%02x%02x%02x%02x;", regno[i],
                             v[i] & 0xff, (v[i] >> 8) & 0xff,
                             (v[i] >> 16) & 0xff, v[i] >> 24);
    CHECK_EQ(s->run, GDB_RUN_STOPPED);
    CHECK_STR(s->reply, want);
    CHECK_EQ(gdb_x86_linear_pc(&s->t.regs), pc);
}

static struct fake_sess *sess(bool sw, bool hw, bool watch)
{
    struct fake_sess *s = fake_sess_new(sw, hw, watch, GDB_BP_AUTO);

    if (!s)
        abort();
    return s;
}

static void test_vcont_query(void)
{
    struct fake_sess *s = sess(true, true, true);

    CHECK_STR(fake_pkt(s, "vCont?"), "vCont;c;C;s;S;t;r");
    CHECK_STR(fake_pkt(s, "vCont;r1000"), "E01");
    CHECK_STR(fake_pkt(s, "vCont;r1000,"), "E01");
    CHECK_STR(fake_pkt(s, "vCont;r,1008"), "E01");
    CHECK_STR(fake_pkt(s, "vCont;r1000,1008:2"), "E01"); /* no thread 2 */
    fake_sess_free(s);
}

/* Out of the range: one target resume, a plain T05, every insn in it. */
static void test_leaves_range(void)
{
    struct fake_sess *s = sess(true, true, true);

    fake_go(s, "vCont;r1000,1008:1");
    check_stop(s, "", 0x1008);
    CHECK_EQ(s->t.resumes, 1);
    CHECK_EQ(s->t.range_resumes, 1);
    CHECK_EQ(s->t.range_insns, 8);
    CHECK_EQ(s->t.last_how.range_start, 0x1000);
    CHECK_EQ(s->t.last_how.range_end, 0x1008);
    /* gdb's all-stop form, "the others continue": the same. */
    fake_go(s, "vCont;r1008,1010:1;c");
    check_stop(s, "", 0x1010);
    CHECK_EQ(s->t.resumes, 2);
    /* The pc outside the range from the start: one instruction. */
    fake_go(s, "vCont;r1000,1008:1");
    check_stop(s, "", 0x1011);
    CHECK_EQ(s->t.range_insns, 17);
    fake_sess_free(s);
}

/* An empty range is a plain step (RSP vCont). */
static void test_empty_range(void)
{
    struct fake_sess *s = sess(true, true, true);

    fake_go(s, "vCont;r1000,1000");
    check_stop(s, "", 0x1001);
    CHECK_EQ(s->t.range_resumes, 0);
    CHECK_EQ(s->t.last_how.mode, GDB_RESUME_STEP);
    fake_go(s, "vCont;r2000,1000");
    check_stop(s, "", 0x1002);
    CHECK_EQ(s->t.range_resumes, 0);
    fake_sess_free(s);
}

/*
 * A loop (nop; jmp back) with a breakpoint in it, by each mechanism, and
 * one on the first instruction itself, which the loop comes back to.
 */
static void test_breakpoint_in_range(void)
{
    static const bool host[3][3] = {
        {true, true, true}, {false, true, true}, {false, false, false}};

    for (int m = 0; m < 3; m++) {
        struct fake_sess *s = sess(host[m][0], host[m][1], host[m][2]);
        s->t.mem[0x1002] = 0xEB; /* 1000 nop, 1001 nop, 1002 jmp 1000 */
        s->t.mem[0x1003] = 0xFC;
        CHECK_STR(fake_pkt(s, "Z0,1001,1"), "OK");
        fake_go(s, "vCont;r1000,1004:1");
        check_stop(s, "swbreak:;", 0x1001);
        CHECK_EQ(s->t.range_resumes, 1);
        CHECK_STR(fake_pkt(s, "z0,1001,1"), "OK");
        CHECK_STR(fake_pkt(s, "Z1,1000,1"), "OK");
        fake_go(s, "vCont;r1000,1004:1");
        check_stop(s, "hwbreak:;", 0x1000);
        CHECK_EQ(s->t.range_insns, 3); /* 1, then 2 */
        CHECK_EQ(s->t.range_resumes, 2);
        CHECK_EQ(s->t.mem[0x1000], 0x90); /* gdb sees no patch */
        fake_sess_free(s);
    }
}

/* A data breakpoint in the range stops it with watch:ADDR. */
static void test_watch_in_range(void)
{
    struct fake_sess *s = sess(true, true, true);

    fake_trigger(&s->t, 0x1003, 0x3000, 7, false);
    CHECK_STR(fake_pkt(s, "Z2,3000,1"), "OK");
    fake_go(s, "vCont;r1000,1010:1");
    check_stop(s, "watch:3000;", 0x1004);
    CHECK_EQ(s->t.range_resumes, 1);
    fake_sess_free(s);
}

/* Page-protection watchpoints: still one target resume per range. */
static void test_page_watch_in_range(void)
{
    struct fake_sess *s = sess(false, true, false);

    s->t.caps.page_watch = true; /* caps are read when the session starts */
    gdb_cmd_free(s->cmd);
    struct gdb_cmd_config cfg = {.mechanism = GDB_BP_AUTO};
    s->cmd = gdb_cmd_new(fake_ops(), &s->t, &cfg);
    CHECK(s->cmd != NULL);
    fake_trigger(&s->t, 0x1003, 0x3000, 0, true);
    CHECK_STR(fake_pkt(s, "Z3,3000,1"), "OK");
    fake_go(s, "vCont;r1000,1010:1");
    check_stop(s, "rwatch:3000;", 0x1004);
    CHECK_EQ(s->t.range_resumes, 1);
    CHECK_EQ(s->t.resumes, 1);
    CHECK_EQ(s->t.last_how.nr_watch, 1);
    fake_sess_free(s);
}

/* Watchpoints by stepping: the stub steps the range itself. */
static void test_step_watch_fallback(void)
{
    struct fake_sess *s = sess(false, false, false);

    fake_trigger(&s->t, 0x1005, 0x3000, 7, false);
    CHECK_STR(fake_pkt(s, "Z2,3000,1"), "OK");
    fake_go(s, "vCont;r1000,1010:1");
    check_stop(s, "watch:3000;", 0x1006);
    CHECK_EQ(s->t.range_resumes, 0);
    CHECK_EQ(s->t.resumes, 6);
    fake_go(s, "vCont;r1006,1009:1");
    check_stop(s, "", 0x1009);
    CHECK_EQ(s->t.resumes, 9);
    fake_sess_free(s);
}

/* A target without range_step: the stub's loop, the same stop. */
static void test_target_cannot(void)
{
    struct fake_sess *s = sess(true, true, true);

    s->t.caps.range_step = false;
    gdb_cmd_free(s->cmd);
    struct gdb_cmd_config cfg = {.mechanism = GDB_BP_AUTO};
    s->cmd = gdb_cmd_new(fake_ops(), &s->t, &cfg);
    CHECK(s->cmd != NULL);
    CHECK_STR(fake_pkt(s, "Z0,1005,1"), "OK");
    fake_go(s, "vCont;r1000,1008:1");
    check_stop(s, "swbreak:;", 0x1005);
    CHECK_EQ(s->t.range_resumes, 0);
    CHECK_EQ(s->t.resumes, 5);
    CHECK_STR(fake_pkt(s, "z0,1005,1"), "OK");
    fake_go(s, "vCont;r1005,1008:1");
    check_stop(s, "", 0x1008);
    fake_sess_free(s);
}

/* Exit, crash and an interruption inside the range. */
static void test_ends_in_range(void)
{
    struct fake_sess *s = sess(true, true, true);

    s->t.interrupt_after = 3;
    fake_go(s, "vCont;r1000,1008:1");
    check_stop(s, "", 0x1008); /* polled once, then on to the end */
    CHECK_EQ(s->polls, 1);
    s->t.mem[0x100a] = 0xF4;
    s->t.exit_code = 5;
    fake_go(s, "vCont;r1008,1010:1");
    CHECK_EQ(s->run, GDB_RUN_EXITED);
    CHECK_STR(s->reply, "W05");
    fake_sess_free(s);
    s = sess(true, true, true);
    s->t.mem[0x1002] = 0x0F;
    s->t.mem[0x1003] = 0x0B;
    fake_go(s, "vCont;r1000,1008:1");
    CHECK_EQ(s->run, GDB_RUN_STOPPED);
    CHECK(strncmp(s->reply, "T0b", 3) == 0);
    fake_sess_free(s);
}

/* The guest's own TF: the range ends after the instruction it traps. */
static void test_guest_tf(void)
{
    struct fake_sess *s = sess(true, true, true);

    s->t.regs.rflags |= FAKE_TF;
    s->t.db_vector = 0x2000;
    fake_go(s, "vCont;r1000,1008:1");
    check_stop(s, "", 0x1001);
    CHECK_EQ(s->t.guest_dbs, 0);
    /* The trap it is owed comes first in the next one: its handler. */
    fake_go(s, "vCont;r1001,1008:1");
    CHECK_EQ(s->t.guest_dbs, 1);
    check_stop(s, "", 0x2001);
    fake_sess_free(s);
}

/* 16-bit code: gdb's pc is CS base + IP, or IP under `monitor pc offset`. */
static void test_code16(void)
{
    struct fake_sess *s = sess(true, true, true);
    char hex[64];

    s->t.regs.arch = GDB_ARCH_I8086;
    s->t.regs.code16 = true;
    s->t.regs.cs_base = 0x1000;
    s->t.regs.seg[GDB_CS] = 0x100;
    s->t.regs.rip = 0;
    fake_go(s, "vCont;r1000,1004:1");
    CHECK_EQ(s->run, GDB_RUN_STOPPED);
    CHECK_EQ(s->t.regs.rip, 4);
    rsp_hex_encode("pc offset", 9, hex);
    hex[18] = '\0';
    char pkt[80];
    snprintf(pkt, sizeof(pkt), "qRcmd,%s", hex);
    fake_pkt(s, pkt);
    fake_go(s, "vCont;r4,8:1");
    CHECK_EQ(s->t.regs.rip, 8);
    CHECK_EQ(s->t.last_how.range_start, 0x1004);
    CHECK_EQ(s->t.last_how.range_end, 0x1008);
    CHECK_EQ(s->t.range_resumes, 2);
    fake_sess_free(s);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_vcont_query),
        TEST(test_leaves_range),
        TEST(test_empty_range),
        TEST(test_breakpoint_in_range),
        TEST(test_watch_in_range),
        TEST(test_step_watch_fallback),
        TEST(test_target_cannot),
        TEST(test_ends_in_range),
        TEST(test_guest_tf),
        TEST(test_code16),
        TEST(test_page_watch_in_range),
    };
    return test_main(tests, TEST_COUNT(tests));
}
