/*
 * Breakpoint manager tests: each mechanism (int3, debug registers,
 * single-stepping) must give gdb the same stops, over the fake target.
 */
#include "tests/fake_target.h"
#include "tests/test.h"

#include "gdbstub/break.h"
#include "gdbstub/cmd_priv.h"

enum mode { M_INT3, M_DR, M_STEP, M_NR };

static const char *const mode_name[M_NR] = {"int3", "dr", "step"};

/* A host with just enough for the mechanism (so AUTO picks it). */
static struct fake_sess *sess_for(enum mode m)
{
    switch (m) {
    case M_INT3:
        return fake_sess_new(true, true, true, GDB_BP_AUTO);
    case M_DR:
        return fake_sess_new(false, true, true, GDB_BP_AUTO);
    default:
        return fake_sess_new(false, false, false, GDB_BP_AUTO);
    }
}

/* "TSSthread:1;REASON" + i386 pc, sp, fp as the fake sets them. */
static const char *stop_str(char *buf, const char *head, uint32_t pc)
{
    uint32_t v[3] = {pc, 0x8000, 0x8800};
    int regno[3] = {8, 4, 5};
    size_t n = (size_t)sprintf(buf, "%s", head);

    for (int i = 0; i < 3; i++)
        n += (size_t)sprintf(buf + n, "%02x:%02x%02x%02x%02x;", regno[i],
                             v[i] & 0xff, (v[i] >> 8) & 0xff,
                             (v[i] >> 16) & 0xff, v[i] >> 24);
    return buf;
}

static void check_stop(struct fake_sess *s, const char *head, uint32_t pc)
{
    char want[256];

    CHECK_EQ(s->run, GDB_RUN_STOPPED);
    CHECK_STR(s->reply, stop_str(want, head, pc));
    CHECK_EQ(s->t.regs.rip, pc);
}

/* "Zt,addr,kind" (or zt) with the reply checked. */
static void z(struct fake_sess *s, const char *zt, uint64_t addr, uint64_t kind,
              const char *want)
{
    char pkt[64];

    snprintf(pkt, sizeof(pkt), "%s,%llx,%llx", zt, (unsigned long long)addr,
             (unsigned long long)kind);
    CHECK_STR(fake_pkt(s, pkt), want);
}

static void test_mechanism_choice(void)
{
    struct fake_sess *s;

    errno = 0;
    CHECK(!fake_sess_new(false, true, true, GDB_BP_INT3));
    CHECK_EQ(errno, EINVAL);
    errno = 0;
    CHECK(!fake_sess_new(true, false, false, GDB_BP_DR));
    CHECK_EQ(errno, EINVAL);
    s = fake_sess_new(true, true, true, GDB_BP_STEP);
    CHECK(s);
    fake_sess_free(s);
    s = fake_sess_new(true, false, false, GDB_BP_INT3);
    CHECK(s);
    fake_sess_free(s);
}

/* 13 breakpoints over a loop, hit in order, then round again. */
static void loop_13(enum mode m)
{
    struct fake_sess *s = sess_for(m);

    printf("  mechanism %s\n", mode_name[m]);
    s->t.exit_after = 100000;
    s->t.mem[0x1040] = 0xEB; /* jmp 0x1000 */
    s->t.mem[0x1041] = (uint8_t)(0x1000 - 0x1042);
    for (int k = 0; k < 13; k++)
        z(s, "Z0", 0x1002 + 4 * (uint64_t)k, 1, "OK");
    for (int round = 0; round < 2; round++) {
        for (int k = 0; k < 13; k++) {
            fake_go(s, "c");
            check_stop(s, "T05thread:1;swbreak:;", 0x1002 + 4 * (uint32_t)k);
        }
    }
    CHECK_EQ(s->t.bad_step + s->t.bad_sw + s->t.bad_hw, 0);
    if (m == M_INT3)
        CHECK_EQ(s->t.conts, 26); /* 25 of them after stepping off */
    fake_sess_free(s);
}

static void test_loop_13(void)
{
    for (int m = 0; m < M_NR; m++)
        loop_13((enum mode)m);
}

/* 100 breakpoints in straight-line code, then the guest exits. */
static void hundred(enum mode m)
{
    struct fake_sess *s = sess_for(m);

    printf("  mechanism %s\n", mode_name[m]);
    s->t.regs.rip = 0x2000;
    s->t.mem[0x2000 + 300] = 0xF4;
    for (int k = 0; k < 100; k++)
        z(s, "Z0", 0x2001 + 3 * (uint64_t)k, 1, "OK");
    for (int k = 0; k < 100; k++) {
        fake_go(s, "c");
        check_stop(s, "T05thread:1;swbreak:;", 0x2001 + 3 * (uint32_t)k);
    }
    fake_go(s, "c");
    CHECK_EQ(s->run, GDB_RUN_EXITED);
    CHECK_STR(s->reply, "W00");
    CHECK_STR(fake_pkt(s, "?"), "W00");
    fake_sess_free(s);
}

static void test_hundred(void)
{
    for (int m = 0; m < M_NR; m++)
        hundred((enum mode)m);
}

static void test_int3_bookkeeping(void)
{
    struct fake_sess *s = sess_for(M_INT3);
    uint8_t *snap = malloc(FAKE_MEM_SIZE);

    for (int i = 0; i < 16; i++)
        s->t.mem[0x1000 + i] = (uint8_t)(0x10 + i);
    memcpy(snap, s->t.mem, FAKE_MEM_SIZE);
    CHECK_STR(fake_pkt(s, "Z0,1001,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z0,1003,1"), "OK");
    CHECK_EQ(s->t.mem[0x1001], 0xCC);
    CHECK_EQ(s->t.mem[0x1003], 0xCC);
    CHECK_STR(fake_pkt(s, "m1000,4"), "10111213"); /* patches hidden */
    CHECK_STR(fake_pkt(s, "x1001,1"), "b\x11");
    /* A write over a patch updates the saved byte and keeps the 0xCC. */
    CHECK_STR(fake_pkt(s, "M1000,3:aabbcc"), "OK");
    CHECK_EQ(s->t.mem[0x1000], 0xaa);
    CHECK_EQ(s->t.mem[0x1001], 0xCC);
    CHECK_EQ(s->t.mem[0x1002], 0xcc);
    CHECK_STR(fake_pkt(s, "m1000,4"), "aabbcc13");
    CHECK_STR(fake_pkt(s, "X1003,1:\x77"), "OK");
    CHECK_EQ(s->t.mem[0x1003], 0xCC);
    CHECK_STR(fake_pkt(s, "m1003,1"), "77");
    snap[0x1000] = 0xaa;
    snap[0x1001] = 0xbb;
    snap[0x1002] = 0xcc;
    snap[0x1003] = 0x77;
    /* Removal restores the byte gdb last wrote. */
    CHECK_STR(fake_pkt(s, "z0,1001,1"), "OK");
    CHECK_EQ(s->t.mem[0x1001], 0xbb);
    /* Twice inserted, removed once: still in. */
    CHECK_STR(fake_pkt(s, "Z0,1005,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z0,1005,1"), "OK");
    CHECK_STR(fake_pkt(s, "z0,1005,1"), "OK");
    CHECK_EQ(s->t.mem[0x1005], 0xCC);
    for (int k = 0; k < 50; k++)
        z(s, "Z0", 0x3000 + 7 * (uint64_t)k, 1, "OK");
    /* Detach takes everything out, byte for byte. */
    CHECK_STR(fake_pkt(s, "D"), "OK");
    CHECK_EQ(s->res, GDB_CMD_DETACH);
    CHECK_MEM(s->t.mem, snap, FAKE_MEM_SIZE);
    gdb_cmd_detach(s->cmd); /* again, as the server does */
    CHECK_MEM(s->t.mem, snap, FAKE_MEM_SIZE);
    free(snap);
    fake_sess_free(s);
}

/* Resuming from a breakpoint's address steps off it first. */
static void step_over(enum mode m)
{
    struct fake_sess *s = sess_for(m);

    printf("  mechanism %s\n", mode_name[m]);
    s->t.exit_after = 1000;
    CHECK_STR(fake_pkt(s, "Z0,1000,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z0,1001,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z0,1005,1"), "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1001);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1005);
    fake_go(s, "s"); /* a user step reports no breakpoint */
    check_stop(s, "T05thread:1;", 0x1006);
    fake_go(s, "c1000"); /* from a breakpoint, via the pc given */
    check_stop(s, "T05thread:1;swbreak:;", 0x1001);
    /* Removed while stopped at it: the run goes on past. */
    CHECK_STR(fake_pkt(s, "z0,1001,1"), "OK");
    fake_go(s, "s1000");
    check_stop(s, "T05thread:1;", 0x1001);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1005);
    if (m == M_INT3) {
        CHECK_EQ(s->t.mem[0x1000], 0xCC);
        CHECK_EQ(s->t.mem[0x1001], 0x90);
    }
    CHECK_EQ(s->t.bad_step + s->t.bad_sw + s->t.bad_hw, 0);
    fake_sess_free(s);
}

static void test_step_over(void)
{
    for (int m = 0; m < M_NR; m++)
        step_over((enum mode)m);
}

/* A jmp-to-self with a breakpoint on it hits again at once. */
static void test_self_loop(void)
{
    for (int m = 0; m < M_NR; m++) {
        struct fake_sess *s = sess_for((enum mode)m);
        s->t.exit_after = 1000;
        s->t.mem[0x1000] = 0xEB;
        s->t.mem[0x1001] = 0xFE;
        CHECK_STR(fake_pkt(s, "Z0,1000,1"), "OK");
        fake_go(s, "c");
        check_stop(s, "T05thread:1;swbreak:;", 0x1000);
        CHECK_EQ(s->t.executed, 1);
        fake_sess_free(s);
    }
}

static void test_dr_sharing(void)
{
    struct fake_sess *s = sess_for(M_DR);

    s->t.exit_after = 1000;
    CHECK_STR(fake_pkt(s, "Z0,1010,1"), "OK"); /* takes DR0 */
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1010);
    CHECK_EQ(s->t.last_how.dr7 & 0xff, 0x01);
    CHECK_EQ(s->t.steps, 0);
    CHECK_STR(fake_pkt(s, "s1000"), "");
    CHECK_STR(fake_run(s, 0), "T05thread:1;08:01100000;04:00800000;"
                              "05:00880000;");
    for (int k = 0; k < 4; k++)
        z(s, "Z1", 0x1020 + 0x10 * (uint64_t)k, 1, "OK");
    z(s, "Z1", 0x1070, 1, "E1c"); /* all four held by Z1s */
    z(s, "Z1", 0x1020, 1, "OK");  /* the same one again */
    /* The Z0 went to stepping and still hits; Z1s report hwbreak. */
    s->t.steps = 0;
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1010);
    CHECK(s->t.steps > 0);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;hwbreak:;", 0x1020);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;hwbreak:;", 0x1030);
    /* Z0 gone: no stepping; the Z1s in DR0-3 fire as #DB. */
    CHECK_STR(fake_pkt(s, "z0,1010,1"), "OK");
    s->t.steps = 0;
    fake_go(s, "c");
    check_stop(s, "T05thread:1;hwbreak:;", 0x1040);
    CHECK_EQ(s->t.steps, 1); /* stepping off 0x1030 only */
    CHECK_EQ(s->t.last_how.dr7 & 0xff, 0x55);
    CHECK(s->t.last_how.use_hw_bp);
    CHECK(!s->t.last_how.use_sw_bp);
    /* Freeing a DR lets a stepping Z0 have it back. */
    CHECK_STR(fake_pkt(s, "Z0,1060,1"), "OK");
    CHECK_STR(fake_pkt(s, "z1,1050,1"), "OK");
    s->t.steps = 0;
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1060);
    CHECK_EQ(s->t.steps, 1);
    fake_sess_free(s);
}

static void test_hbreak_int3_host(void)
{
    struct fake_sess *s = sess_for(M_INT3);

    s->t.exit_after = 1000;
    CHECK_STR(fake_pkt(s, "Z1,1004,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z0,1008,1"), "OK");
    CHECK_EQ(s->t.mem[0x1004], 0x90); /* no patch for a Z1 */
    fake_go(s, "c");
    check_stop(s, "T05thread:1;hwbreak:;", 0x1004);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1008);
    CHECK(s->t.last_how.use_sw_bp && s->t.last_how.use_hw_bp);
    for (int k = 1; k < 4; k++)
        z(s, "Z1", 0x1100 + (uint64_t)k, 1, "OK");
    z(s, "Z1", 0x1200, 1, "E1c");
    /* No debug registers at all: a Z1 is stepped, still hwbreak. */
    fake_sess_free(s);
    s = fake_sess_new(true, false, false, GDB_BP_AUTO);
    s->t.exit_after = 1000;
    CHECK_STR(fake_pkt(s, "Z1,1004,1"), "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;hwbreak:;", 0x1004);
    CHECK_EQ(s->t.bad_hw, 0);
    fake_sess_free(s);
}

/* A write watchpoint done by stepping stops just after the write. */
static void step_watch(struct fake_sess *s)
{
    s->t.exit_after = 1000;
    fake_trigger(&s->t, 0x1003, 0x3002, 0x55, false);
    fake_trigger(&s->t, 0x1009, 0x3002, 0x55, false); /* same value */
    fake_trigger(&s->t, 0x100b, 0x3060, 0x66, false);
    CHECK_STR(fake_pkt(s, "Z2,3000,4"), "OK");
    CHECK_STR(fake_pkt(s, "Z2,3010,64"), "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;watch:3000;", 0x1004);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;watch:3010;", 0x100c);
    /* gdb's own write to a watched byte is no hit. */
    CHECK_STR(fake_pkt(s, "M3001,1:42"), "OK");
    CHECK_STR(fake_pkt(s, "z2,3010,64"), "OK");
    s->t.mem[0x1010] = 0xF4;
    fake_go(s, "c");
    CHECK_STR(s->reply, "W00");
}

static void test_step_watch(void)
{
    struct fake_sess *s = sess_for(M_STEP);
    step_watch(s);
    CHECK_STR(fake_pkt(s, "Z3,3000,4"), ""); /* unsupported */
    CHECK_STR(fake_pkt(s, "Z4,3000,4"), "");
    CHECK_EQ(s->t.bad_hw + s->t.bad_sw + s->t.bad_step, 0);
    fake_sess_free(s);
    /* int3 host without data breakpoints: the same by stepping. */
    s = fake_sess_new(true, true, false, GDB_BP_AUTO);
    step_watch(s);
    CHECK_STR(fake_pkt(s, "Z3,3000,4"), "");
    fake_sess_free(s);
    /* Forced STEP ignores the debug registers the host has. */
    s = fake_sess_new(true, true, true, GDB_BP_STEP);
    step_watch(s);
    CHECK_EQ(s->t.last_how.use_hw_bp, false);
    fake_sess_free(s);
}

static void test_step_watch_user_step(void)
{
    struct fake_sess *s = sess_for(M_STEP);

    fake_trigger(&s->t, 0x1000, 0x3000, 0x1, false);
    CHECK_STR(fake_pkt(s, "Z2,3000,1"), "OK");
    fake_go(s, "s");
    check_stop(s, "T05thread:1;watch:3000;", 0x1001);
    fake_go(s, "s");
    check_stop(s, "T05thread:1;", 0x1002);
    z(s, "Z2", 0x3000, 0x1001, "E16"); /* too long to step */
    z(s, "Z2", 0xfffe, 4, "E0e");      /* outside RAM */
    z(s, "Z2", 0xfffffffffffffffe, 4, "E16");
    fake_sess_free(s);
}

static void test_hw_watch(void)
{
    struct fake_sess *s = sess_for(M_INT3);

    s->t.exit_after = 1000;
    fake_trigger(&s->t, 0x1002, 0x3001, 0x9, false);
    fake_trigger(&s->t, 0x1004, 0x3104, 0, true);
    fake_trigger(&s->t, 0x1006, 0x3205, 0x7, false);
    CHECK_STR(fake_pkt(s, "Z2,3000,4"), "OK");
    CHECK_STR(fake_pkt(s, "Z3,3104,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z4,3200,8"), "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;watch:3000;", 0x1003);
    CHECK_EQ(s->t.steps, 0);
    /* DR0 write 4 bytes, DR1 read/write 1, DR2 read/write 8. */
    CHECK_EQ(s->t.last_how.dr7, 0x1 | 0x4 | 0x10 | 0x100 | (0x1ULL << 16) |
                                    (0x3ULL << 18) | (0x3ULL << 20) |
                                    (0x3ULL << 24) | (0x2ULL << 26));
    CHECK_EQ(s->t.last_how.dr[0], 0x3000);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;rwatch:3104;", 0x1005);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;awatch:3200;", 0x1007);
    CHECK_STR(fake_pkt(s, "Z2,4000,8"), "OK"); /* the last DR */
    CHECK_STR(fake_pkt(s, "Z3,4100,1"), "E1c");
    CHECK_STR(fake_pkt(s, "Z2,4100,3"), "OK"); /* goes to stepping */
    CHECK_STR(fake_pkt(s, "z2,4000,8"), "OK");
    CHECK_STR(fake_pkt(s, "z2,4100,3"), "OK");
    CHECK_STR(fake_pkt(s, "z3,3104,1"), "OK");
    CHECK_STR(fake_pkt(s, "z4,3200,8"), "OK");
    /* Unaligned: split over aligned pieces (1 + 2 + 1 bytes). */
    CHECK_STR(fake_pkt(s, "Z2,4001,4"), "OK");
    fake_trigger(&s->t, 0x1008, 0x4004, 0x1, false);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;watch:4001;", 0x1009);
    CHECK_EQ(s->t.steps, 0);
    CHECK_STR(fake_pkt(s, "z2,4001,4"), "OK");
    CHECK_STR(fake_pkt(s, "z2,3000,4"), "OK");
    CHECK_STR(fake_pkt(s, "c"), "");
    fake_run(s, 0);
    CHECK_EQ(s->t.last_how.use_hw_bp, false);
    CHECK_STR(s->reply, "W00");
    fake_sess_free(s);
}

/* A data breakpoint stealing a Z0's debug register (DR mechanism). */
static void test_watch_evicts_break(void)
{
    struct fake_sess *s = sess_for(M_DR);

    s->t.exit_after = 1000;
    fake_trigger(&s->t, 0x1020, 0x3000, 0x9, false);
    for (int k = 0; k < 4; k++)
        z(s, "Z0", 0x1010 + (uint64_t)k, 1, "OK");
    CHECK_STR(fake_pkt(s, "Z4,3000,2"), "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1010);
    for (int k = 0; k < 4; k++)
        z(s, "z0", 0x1010 + (uint64_t)k, 1, "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;awatch:3000;", 0x1021);
    fake_sess_free(s);
}

static void test_z_errors(void)
{
    struct fake_sess *s = sess_for(M_INT3);

    CHECK_STR(fake_pkt(s, "Z0,1000,0"), "E16");
    CHECK_STR(fake_pkt(s, "Z0,1000,10"), "E16");
    CHECK_STR(fake_pkt(s, "Z0,ffffffff,1"), "E0e");
    CHECK_STR(fake_pkt(s, "Z2,1000,0"), "E16");
    CHECK_STR(fake_pkt(s, "Z5,1000,1"), "");
    CHECK_STR(fake_pkt(s, "z7,1000,1"), "");
    CHECK_STR(fake_pkt(s, "Z0,1000"), "E01");
    CHECK_STR(fake_pkt(s, "Z0,1000,1;X1,0"), "E01");
    CHECK_STR(fake_pkt(s, "Z0"), "E01");
    CHECK_STR(fake_pkt(s, "Zx,1000,1"), "E01");
    CHECK_STR(fake_pkt(s, "Z0,10000000000000000,1"), "E01");
    CHECK_STR(fake_pkt(s, "z0,1000,1"), "OK"); /* not there: fine */
    CHECK_EQ(s->t.mem_writes, 0);
    fake_sess_free(s);
}

static void test_interrupted(void)
{
    for (int m = 0; m < M_NR; m++) {
        struct fake_sess *s = sess_for((enum mode)m);
        s->t.exit_after = 10000;
        CHECK_STR(fake_pkt(s, "Z0,1000,1"), "OK");
        CHECK_STR(fake_pkt(s, "Z0,1050,1"), "OK");
        s->t.interrupt_after = 20;
        CHECK_STR(fake_pkt(s, "c"), "");
        CHECK_EQ(s->res, GDB_CMD_RESUME);
        CHECK(!gdb_cmd_is_stopped(s->cmd));
        fake_run(s, 0);
        CHECK_EQ(s->run, GDB_RUN_POLL);
        CHECK_EQ(s->t.regs.rip, 0x1014);
        if (m == M_INT3)
            CHECK_EQ(s->t.mem[0x1000], 0xCC);
        /* Run again after the poll: on to the breakpoint. */
        fake_run(s, 0);
        check_stop(s, "T05thread:1;swbreak:;", 0x1050);
        /* Or gdb interrupts: SIGINT. */
        s->t.interrupt_after = s->t.executed + 5;
        fake_pkt(s, "c");
        fake_run(s, 0);
        CHECK_EQ(s->run, GDB_RUN_POLL);
        gdb_cmd_interrupt(s->cmd, 2, s->reply, RSP_MAX_PACKET, &s->len);
        s->reply[s->len] = '\0';
        CHECK_STR(s->reply, "T02thread:1;08:55100000;04:00800000;05:00880000;");
        CHECK(gdb_cmd_is_stopped(s->cmd));
        CHECK_STR(fake_pkt(s, "?"), s->reply);
        fake_sess_free(s);
    }
}

/* Interrupted while stepping off a breakpoint: the patch goes back. */
static void test_interrupted_step_over(void)
{
    struct fake_sess *s = sess_for(M_INT3);

    CHECK_STR(fake_pkt(s, "Z0,1000,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z0,1002,1"), "OK");
    fake_pkt(s, "c");
    s->t.interrupt_after = 1;
    s->t.executed = 1; /* fires before the first instruction */
    fake_run(s, 0);
    CHECK_EQ(s->run, GDB_RUN_POLL);
    CHECK_EQ(s->t.regs.rip, 0x1000);
    CHECK_EQ(s->t.mem[0x1000], 0xCC);
    fake_run(s, 0);
    check_stop(s, "T05thread:1;swbreak:;", 0x1002);
    fake_sess_free(s);
}

static void test_exit_and_crash(void)
{
    for (int m = 0; m < M_NR; m++) {
        struct fake_sess *s = sess_for((enum mode)m);
        CHECK_STR(fake_pkt(s, "Z0,1004,1"), "OK");
        s->t.mem[0x1002] = 0x0F;
        s->t.mem[0x1003] = 0x0B;
        fake_go(s, "c");
        check_stop(s, "T0bthread:1;", 0x1002);
        CHECK_STR(fake_pkt(s, "?"), s->reply);
        s->t.mem[0x1002] = 0xF4;
        s->t.exit_code = 3;
        fake_go(s, "c");
        CHECK_EQ(s->run, GDB_RUN_EXITED);
        CHECK_STR(s->reply, "W03");
        fake_sess_free(s);
    }
}

static void test_detach_free_run(void)
{
    struct fake_sess *s = sess_for(M_INT3);
    char want[256];

    CHECK_STR(fake_pkt(s, "Z0,1004,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z2,3000,4"), "OK");
    CHECK_STR(fake_pkt(s, "D;1"), "OK");
    CHECK_EQ(s->res, GDB_CMD_DETACH);
    CHECK(!gdb_cmd_is_stopped(s->cmd));
    CHECK_EQ(s->t.mem[0x1004], 0x90);
    s->t.interrupt_after = 10;
    fake_run(s, 0);
    CHECK_EQ(s->run, GDB_RUN_POLL);
    CHECK_EQ(s->t.last_how.mode, GDB_RESUME_CONT);
    CHECK(!s->t.last_how.use_sw_bp && !s->t.last_how.use_hw_bp);
    /* A debugger connects: SIGTRAP, and a new session. */
    gdb_cmd_interrupt(s->cmd, 5, s->reply, RSP_MAX_PACKET, &s->len);
    s->reply[s->len] = '\0';
    CHECK_STR(s->reply, stop_str(want, "T05thread:1;", 0x100a));
    CHECK_STR(fake_pkt(s, "D"), "OK");
    /* A crash while running freely stops with SIGSEGV. */
    s->t.mem[0x1010] = 0x0F;
    s->t.mem[0x1011] = 0x0B;
    fake_run(s, 0);
    check_stop(s, "T0bthread:1;", 0x1010);
    CHECK(gdb_cmd_is_stopped(s->cmd));
    fake_sess_free(s);
}

/*
 * Real mode with CS != 0 (a boot sector at 07C0:0000): breakpoints are
 * linear (CS base + IP), gdb's pc is IP. A loop at 0100:0000 with a point
 * at linear 0x1005 = IP 5 is hit once per round, never at the same place
 * twice in a row; a point at linear 0x5 is never hit.
 */
static void real_mode_cs(struct fake_sess *s)
{
    s->t.regs.arch = GDB_ARCH_I8086;
    s->t.regs.code16 = true;
    s->t.regs.cs_base = 0x1000;
    s->t.regs.seg[GDB_CS] = 0x100;
    s->t.regs.rip = 0;
    s->t.mem[0x1008] = 0xEB; /* jmp 0100:0000 */
    s->t.mem[0x1009] = (uint8_t)(0 - 0xa);
    s->t.exit_after = 1000;
}

static void linear_pc(enum mode m, const char *zt, const char *reason)
{
    struct fake_sess *s = sess_for(m);
    char want[256];

    printf("  mechanism %s, %s\n", mode_name[m], zt);
    real_mode_cs(s);
    z(s, zt, 0x1005, 1, "OK");
    for (int round = 0; round < 3; round++) {
        uint64_t before = s->t.executed;
        fake_go(s, "c");
        CHECK_EQ(s->run, GDB_RUN_STOPPED);
        /* gdb's pc in 16-bit code is linear (CS base + IP) by default. */
        CHECK_STR(s->reply, stop_str(want, reason, 0x1005));
        CHECK_EQ(s->t.regs.rip, 5);
        CHECK_EQ(s->t.executed - before, (round == 0 ? 5u : 9u));
    }
    z(s, zt[1] == '0' ? "z0" : "z1", 0x1005, 1, "OK");
    fake_sess_free(s);
}

static void test_linear_pc(void)
{
    for (int m = 0; m < M_NR; m++) {
        linear_pc((enum mode)m, "Z0", "T05thread:1;swbreak:;");
        linear_pc((enum mode)m, "Z1", "T05thread:1;hwbreak:;");
    }
    /* Under stepping a point at linear 0x5 is not IP 5 in CS 0x100. */
    for (int m = 0; m < M_NR; m++) {
        struct fake_sess *s = sess_for((enum mode)m);
        real_mode_cs(s);
        z(s, "Z0", 0x5, 1, "OK");
        z(s, "Z1", 0x6, 1, "OK");
        fake_go(s, "c");
        CHECK_EQ(s->run, GDB_RUN_EXITED);
        fake_sess_free(s);
    }
}

/* A fifth hbreak is refused whatever implements them (E1c, ENOSPC). */
static void test_hbreak_limit(void)
{
    for (int m = 0; m <= M_NR; m++) {
        struct fake_sess *s =
            m < M_NR
                ? sess_for((enum mode)m)
                : fake_sess_new(true, false, false, GDB_BP_AUTO); /* no DRs */
        for (int k = 0; k < 4; k++)
            z(s, "Z1", 0x1100 + 4 * (uint64_t)k, 1, "OK");
        z(s, "Z1", 0x1200, 1, "E1c");
        z(s, "Z1", 0x1100, 1, "OK"); /* the same again is fine */
        z(s, "z1", 0x1100, 1, "OK");
        z(s, "z1", 0x1100, 1, "OK");
        z(s, "Z1", 0x1200, 1, "OK"); /* room again */
        fake_sess_free(s);
    }
}

/*
 * The guest single-steps itself: TF set at 0x1000, the toy popf at 0x1005
 * clears it, so 6 instructions start with TF set and the guest's #DB
 * handler (a toy iret at 0x1800) runs 6 times, whatever the debugger has
 * set and whichever mechanism does it.
 */
static void guest_tf(enum mode m, const char *zt, uint64_t addr)
{
    struct fake_sess *s = sess_for(m);

    printf("  mechanism %s, %s\n", mode_name[m], zt ? zt : "no points");
    s->t.regs.rflags |= FAKE_TF;
    s->t.mem[0x1005] = 0x9D;
    s->t.mem[0x1800] = 0xCF;
    s->t.db_vector = 0x1800;
    s->t.mem[0x1010] = 0xF4;
    if (zt)
        z(s, zt, addr, 1, "OK");
    fake_go(s, "c");
    CHECK_STR(s->reply, "W00");
    CHECK_EQ(s->t.guest_dbs, 6);
    CHECK_EQ(s->t.regs.rflags & FAKE_TF, 0);
    fake_sess_free(s);
}

static void test_guest_tf(void)
{
    for (int m = 0; m < M_NR; m++) {
        guest_tf((enum mode)m, NULL, 0);
        guest_tf((enum mode)m, "Z2", 0x3000);
        guest_tf((enum mode)m, "Z1", 0x1f00);
        guest_tf((enum mode)m, "Z0", 0x1f00);
    }
}

/*
 * gdb stepi over instructions the guest traces: the guest still traps.
 * The trap is delivered with the next resume, so the second stepi runs
 * the guest's handler (its iret) and stops back at 0x1001.
 */
static void test_guest_tf_user_step(void)
{
    for (int m = 0; m < M_NR; m++) {
        struct fake_sess *s = sess_for((enum mode)m);
        s->t.regs.rflags |= FAKE_TF;
        s->t.mem[0x1005] = 0x9D;
        s->t.mem[0x1800] = 0xCF;
        s->t.db_vector = 0x1800;
        s->t.mem[0x1010] = 0xF4;
        fake_go(s, "s");
        check_stop(s, "T05thread:1;", 0x1001);
        CHECK_EQ(s->t.guest_dbs, 0);
        fake_go(s, "s");
        check_stop(s, "T05thread:1;", 0x1001);
        CHECK_EQ(s->t.guest_dbs, 1); /* the first trap, delivered */
        CHECK(s->t.regs.rflags & FAKE_TF);
        fake_go(s, "s");
        check_stop(s, "T05thread:1;", 0x1002);
        fake_go(s, "c");
        CHECK_STR(s->reply, "W00");
        CHECK_EQ(s->t.guest_dbs, 6);
        fake_sess_free(s);
    }
}

/* int3 mechanism: the guest's own int3 runs the guest's #BP handler. */
static void test_guest_int3(void)
{
    struct fake_sess *s = sess_for(M_INT3);

    s->t.exit_after = 1000;
    s->t.mem[0x1003] = 0xCC;
    CHECK_STR(fake_pkt(s, "Z0,1008,1"), "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1008);
    CHECK_EQ(s->t.guest_bps, 1);
    CHECK(s->t.last_how.use_sw_bp);
    /* With a handler, and stepped onto by the user. */
    s->t.bp_vector = 0x1800;
    s->t.mem[0x1800] = 0xCF;
    s->t.regs.rip = 0x1003;
    fake_go(s, "s");
    CHECK_EQ(s->run, GDB_RUN_STOPPED);
    CHECK_EQ(s->t.guest_bps, 2);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;swbreak:;", 0x1008);
    CHECK_EQ(s->t.guest_bps, 2);
    fake_sess_free(s);
}

/* A guest write over our 0xCC is the guest's byte from then on. */
static void test_int3_guest_overwrite(void)
{
    struct fake_sess *s = sess_for(M_INT3);

    s->t.mem[0x1010] = 0xF4;
    fake_trigger(&s->t, 0x1001, 0x1005, 0x42, false);
    fake_trigger(&s->t, 0x1002, 0x1006, 0x43, false);
    CHECK_STR(fake_pkt(s, "Z0,1005,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z0,1006,1"), "OK");
    fake_go(s, "c");
    CHECK_STR(s->reply, "W00"); /* both patches gone under the guest */
    CHECK_STR(fake_pkt(s, "m1005,2"), "4243");
    CHECK_EQ(s->t.mem[0x1005], 0xCC); /* the breakpoints are back in */
    CHECK_EQ(s->t.mem[0x1006], 0xCC);
    CHECK_STR(fake_pkt(s, "z0,1005,1"), "OK");
    CHECK_EQ(s->t.mem[0x1005], 0x42);
    CHECK_STR(fake_pkt(s, "D"), "OK");
    CHECK_EQ(s->t.mem[0x1006], 0x43);
    fake_sess_free(s);
}

static struct gdb_mem_view captured;

static void capture_view(void *ctx, const struct gdb_mem_view *view)
{
    (void)ctx;
    captured = view ? *view : (struct gdb_mem_view){0};
}

/* The target's own dumps (monitor regs) see the guest's bytes. */
static void test_mem_view(void)
{
    struct gdb_target_ops ops = *fake_ops();
    struct gdb_cmd_config cfg = {.mechanism = GDB_BP_INT3};
    struct fake_target t;
    uint8_t buf[4];

    ops.set_mem_view = capture_view;
    fake_init(&t, true, true, true);
    struct gdb_cmd *c = gdb_cmd_new(&ops, &t, &cfg);
    CHECK(c && captured.read);
    CHECK_OK(gdb_bp_insert(&c->bp, GDB_BP_SW, 0x1001, 1));
    CHECK_EQ(t.mem[0x1001], 0xCC);
    CHECK_OK(captured.read(captured.vctx, 0x1000, buf, 4));
    CHECK_EQ(buf[1], 0x90);
    gdb_cmd_free(c);
    CHECK(!captured.read);
}

/* What a debugger can make the stub hold is bounded. */
static void test_limits(void)
{
    struct fake_sess *s = sess_for(M_STEP);
    char pkt[64];
    unsigned refused = 0;

    for (int k = 0; k < 64; k++)
        z(s, "Z2", 0x4000 + 2 * (uint64_t)k, 1, "OK");
    z(s, "Z2", 0x5000, 1, "E1c");
    for (int k = 0; k < 64; k++)
        z(s, "z2", 0x4000 + 2 * (uint64_t)k, 1, "OK");
    for (int k = 0; k < 16; k++)
        z(s, "Z2", 0x100 * (uint64_t)k, 0x1000, "OK");
    z(s, "Z2", 0xf000, 1, "E1c"); /* 64 KiB held */
    CHECK_EQ(s->cmd->bp.shadow_bytes, 65536);
    /* The red team's 200,000 Z2,addr,1000: all refused, nothing kept. */
    for (unsigned k = 0; k < 200000; k++) {
        snprintf(pkt, sizeof(pkt), "Z2,%x,1000", 0x1001 + k % 0xd000);
        if (strcmp(fake_pkt(s, pkt), "E1c") == 0)
            refused++;
    }
    CHECK_EQ(refused, 200000);
    CHECK(s->cmd->bp.shadow_bytes <= 65536);
    CHECK(s->cmd->bp.n <= 16);
    z(s, "z2", 0, 0x1000, "OK");
    z(s, "Z2", 0xf000, 1, "OK"); /* room again */
    fake_sess_free(s);
    /* Breakpoints of all kinds: GDB_BP_MAX_POINTS. */
    s = sess_for(M_INT3);
    for (unsigned k = 0; k < 4096; k++)
        z(s, "Z0", 0x2000 + k, 1, "OK");
    z(s, "Z0", 0x1000, 1, "E1c");
    CHECK_STR(fake_pkt(s, "D"), "OK");
    for (unsigned k = 0; k < 4096; k++)
        CHECK_EQ(s->t.mem[0x2000 + k], 0x90);
    fake_sess_free(s);
}

static void test_monitor_breakpoints(void)
{
    struct fake_sess *s = sess_for(M_DR);
    char text[1024];

    for (int k = 0; k < 5; k++)
        z(s, "Z0", 0x1000 + (uint64_t)k, 1, "OK");
    CHECK_STR(fake_pkt(s, "Z2,3000,2"), "OK");
    fake_pkt(s, "qRcmd,627265616b706f696e7473");
    CHECK(s->len % 2 == 0 && s->len / 2 < sizeof(text));
    CHECK_OK(rsp_hex_decode(s->reply, s->len, text));
    text[s->len / 2] = '\0';
    printf("%s", text);
    CHECK(strstr(text, "breakpoints by debug registers (auto)"));
    CHECK(strstr(text, "break   0x1001 dr1"));
    CHECK(strstr(text, "break   0x1000 single-step"));
    CHECK(strstr(text, "break   0x1004 single-step"));
    CHECK(strstr(text, "watch   0x3000 len 2 dr0"));
    CHECK(strstr(text, "continue runs by single-stepping"));
    fake_sess_free(s);
}

/* A session over a fake host whose target protects pages (caps.page_watch). */
static struct fake_sess *page_sess(bool hw_watch, enum gdb_bp_mechanism mech)
{
    struct fake_sess *s = calloc(1, sizeof(*s));
    struct gdb_cmd_config cfg = {.mechanism = mech};

    if (!s)
        return NULL;
    fake_init(&s->t, false, true, hw_watch);
    s->t.caps.page_watch = true;
    s->cmd = gdb_cmd_new(fake_ops(), &s->t, &cfg);
    if (!s->cmd) {
        free(s);
        return NULL;
    }
    return s;
}

static void page_text(struct fake_sess *s, char *text, size_t cap)
{
    fake_pkt(s, "qRcmd,627265616b706f696e7473");
    CHECK(s->len % 2 == 0 && s->len / 2 < cap);
    CHECK_OK(rsp_hex_decode(s->reply, s->len, text));
    text[s->len / 2] = '\0';
}

/* Every kind by page protection, without a step, stop after the access. */
static void test_page_watch(void)
{
    struct fake_sess *s = page_sess(false, GDB_BP_AUTO);
    char text[1024];

    CHECK(s != NULL);
    s->t.exit_after = 1000;
    fake_trigger(&s->t, 0x1001, 0x3010, 0x1, false); /* page, not range */
    fake_trigger(&s->t, 0x1002, 0x3001, 0x9, false);
    fake_trigger(&s->t, 0x1003, 0x3104, 0x4, false); /* write: not rwatch */
    fake_trigger(&s->t, 0x1004, 0x3104, 0, true);
    fake_trigger(&s->t, 0x1006, 0x3205, 0, true);
    fake_trigger(&s->t, 0x1008, 0x3206, 0x7, false);
    fake_trigger(&s->t, 0x100a, 0x3301, 0x5, false); /* across 0x3300 */
    CHECK_STR(fake_pkt(s, "Z2,3000,4"), "OK");
    CHECK_STR(fake_pkt(s, "Z3,3104,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z4,3200,8"), "OK");
    CHECK_STR(fake_pkt(s, "Z2,32fe,4"), "OK");
    page_text(s, text, sizeof(text));
    CHECK(strstr(text, "page protection yes"));
    CHECK(strstr(text, "rwatch  0x3104 len 1 page protection"));
    fake_go(s, "c");
    check_stop(s, "T05thread:1;watch:3000;", 0x1003);
    CHECK_EQ(s->t.steps, 0);
    CHECK_EQ(s->t.last_how.nr_watch, 4);
    CHECK_EQ(s->t.last_how.use_hw_bp, false);
    CHECK_EQ(s->t.page_accesses, 2); /* 0x3010 went on without a stop */
    fake_go(s, "c");
    check_stop(s, "T05thread:1;rwatch:3104;", 0x1005);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;awatch:3200;", 0x1007);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;awatch:3200;", 0x1009);
    fake_go(s, "c");
    check_stop(s, "T05thread:1;watch:32fe;", 0x100b);
    CHECK_EQ(s->t.steps, 0);
    /* A user step over a watched write reports the watchpoint. */
    fake_trigger(&s->t, 0x100b, 0x3002, 0x3, false);
    fake_go(s, "s");
    check_stop(s, "T05thread:1;watch:3000;", 0x100c);
    /* Deleted: nothing handed on, the guest runs to its end. */
    CHECK_STR(fake_pkt(s, "z2,3000,4"), "OK");
    CHECK_STR(fake_pkt(s, "z3,3104,1"), "OK");
    CHECK_STR(fake_pkt(s, "z4,3200,8"), "OK");
    CHECK_STR(fake_pkt(s, "z2,32fe,4"), "OK");
    s->t.mem[0x1010] = 0xF4;
    fake_go(s, "c");
    CHECK_STR(s->reply, "W00");
    CHECK_EQ(s->t.last_how.nr_watch, 0);
    CHECK_EQ(s->t.steps, 1);
    CHECK_EQ(s->t.bad_page, 0);
    /* Bounds: too long, too many. */
    z(s, "Z3", 0x3000, 0x1001, "E1c");
    for (unsigned k = 0; k < GDB_BP_PAGE_WATCH_MAX; k++)
        z(s, "Z3", 0x4000 + k, 1, "OK");
    z(s, "Z3", 0x5000, 1, "E1c");
    z(s, "Z2", 0x5000, 1, "OK"); /* a write watch still has stepping */
    fake_sess_free(s);
}

/*
 * A guest tracing itself (as guest_tf) past a page-protection hit: the
 * stop says its trap is owed, the stub delivers it, 6 #DBs in all.
 */
static void test_page_watch_guest_tf(void)
{
    struct fake_sess *s = page_sess(false, GDB_BP_AUTO);

    s->t.regs.rflags |= FAKE_TF;
    s->t.mem[0x1005] = 0x9D;
    s->t.mem[0x1800] = 0xCF;
    s->t.db_vector = 0x1800;
    s->t.mem[0x1010] = 0xF4;
    fake_trigger(&s->t, 0x1002, 0x3000, 0x1, false);
    z(s, "Z4", 0x3000, 1, "OK");
    fake_go(s, "c");
    check_stop(s, "T05thread:1;awatch:3000;", 0x1003);
    fake_go(s, "c");
    CHECK_STR(s->reply, "W00");
    CHECK_EQ(s->t.guest_dbs, 6);
    CHECK_EQ(s->t.injects, 1);
    fake_sess_free(s);
}

/* Debug registers first where data breakpoints fire; pages after them. */
static void test_page_watch_after_dr(void)
{
    struct fake_sess *s = page_sess(true, GDB_BP_AUTO);
    char text[1024];

    s->t.exit_after = 1000;
    fake_trigger(&s->t, 0x1002, 0x3100, 0, true);
    for (int k = 0; k < 4; k++)
        z(s, "Z2", 0x3000 + 8 * (uint64_t)k, 8, "OK");
    CHECK_STR(fake_pkt(s, "Z3,3100,1"), "OK");
    page_text(s, text, sizeof(text));
    CHECK(strstr(text, "watch   0x3000 len 8 dr0"));
    CHECK(strstr(text, "rwatch  0x3100 len 1 page protection"));
    fake_go(s, "c");
    check_stop(s, "T05thread:1;rwatch:3100;", 0x1003);
    CHECK_EQ(s->t.steps, 0);
    CHECK_EQ(s->t.last_how.use_hw_bp, true);
    fake_sess_free(s);
    /* The STEP mechanism (record mode) keeps to stepping. */
    s = page_sess(false, GDB_BP_STEP);
    CHECK_STR(fake_pkt(s, "Z3,3100,1"), "");
    CHECK_STR(fake_pkt(s, "Z2,3100,1"), "OK");
    fake_trigger(&s->t, 0x1001, 0x3100, 0x2, false);
    s->t.exit_after = 1000;
    fake_go(s, "c");
    check_stop(s, "T05thread:1;watch:3100;", 0x1002);
    CHECK_EQ(s->t.last_how.nr_watch, 0);
    CHECK(s->t.steps >= 2);
    fake_sess_free(s);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_mechanism_choice),
        TEST(test_loop_13),
        TEST(test_hundred),
        TEST(test_int3_bookkeeping),
        TEST(test_step_over),
        TEST(test_self_loop),
        TEST(test_dr_sharing),
        TEST(test_hbreak_int3_host),
        TEST(test_step_watch),
        TEST(test_step_watch_user_step),
        TEST(test_hw_watch),
        TEST(test_watch_evicts_break),
        TEST(test_z_errors),
        TEST(test_interrupted),
        TEST(test_interrupted_step_over),
        TEST(test_exit_and_crash),
        TEST(test_detach_free_run),
        TEST(test_monitor_breakpoints),
        TEST(test_linear_pc),
        TEST(test_hbreak_limit),
        TEST(test_guest_tf),
        TEST(test_guest_tf_user_step),
        TEST(test_guest_int3),
        TEST(test_int3_guest_overwrite),
        TEST(test_mem_view),
        TEST(test_limits),
        TEST(test_page_watch),
        TEST(test_page_watch_after_dr),
        TEST(test_page_watch_guest_tf),
    };
    return test_main(tests, TEST_COUNT(tests));
}
