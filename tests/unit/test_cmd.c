/*
 * Packet dispatch tests: exact replies for good and bad packets over the
 * fake target.
 */
#include "tests/fake_target.h"
#include "tests/test.h"

#include "gdbstub/arch.h"

#define STOP_I386 "T05thread:1;08:00100000;04:00800000;05:00880000;"

static struct fake_sess *sess(void)
{
    return fake_sess_new(true, true, true, GDB_BP_AUTO);
}

/* The reply as text after hex-decoding it. */
static const char *unhex(const struct fake_sess *s, char *buf, size_t cap)
{
    if (s->len % 2 || s->len / 2 >= cap ||
        rsp_hex_decode(s->reply, s->len, buf) < 0)
        return "(bad hex)";
    buf[s->len / 2] = '\0';
    return buf;
}

static const char *hex(const char *text, char *buf)
{
    rsp_hex_encode(text, strlen(text), buf);
    buf[2 * strlen(text)] = '\0';
    return buf;
}

static void test_supported(void)
{
    struct fake_sess *s = sess();
    static const char want[] = "PacketSize=20000;qXfer:features:read+;"
                               "QStartNoAckMode+;vContSupported+;swbreak+;"
                               "hwbreak+";

    CHECK_STR(fake_pkt(s, "qSupported"), want);
    CHECK_STR(fake_pkt(s, "qSupported:multiprocess+;swbreak+;hwbreak+;"
                          "xmlRegisters=i386"),
              want);
    CHECK_EQ(s->res, GDB_CMD_REPLY);
    CHECK_STR(fake_pkt(s, "QStartNoAckMode"), "OK");
    CHECK_EQ(s->res, GDB_CMD_NOACK);
    fake_sess_free(s);
}

static void test_unknown(void)
{
    struct fake_sess *s = sess();
    static const char *const pkts[] = {"vMustReplyEmpty",
                                       "qTStatus",
                                       "qFoo",
                                       "QBar",
                                       "!",
                                       "qSupportedX",
                                       "qCRC:0,1",
                                       "vFile:open:x",
                                       "qXfer:auxv:read::0,10",
                                       "vCont",
                                       "i",
                                       "\x01"};

    for (size_t i = 0; i < sizeof(pkts) / sizeof(pkts[0]); i++) {
        CHECK_STR(fake_pkt(s, pkts[i]), "");
        CHECK_EQ(s->res, GDB_CMD_REPLY);
    }
    CHECK_STR(fake_pktn(s, "", 0), "");
    CHECK_EQ(s->t.resumes + s->t.mem_writes, 0);
    fake_sess_free(s);
}

static void test_why(void)
{
    struct fake_sess *s = sess();

    CHECK_STR(fake_pkt(s, "?"), STOP_I386);
    CHECK_STR(fake_pkt(s, "?x"), "E01");
    /* Long mode: 64-bit values for rip (16), rsp (7), rbp (6). */
    s->t.regs.arch = GDB_ARCH_X86_64;
    CHECK_STR(fake_pkt(s, "?"), "T05thread:1;10:0010000000000000;"
                                "07:0080000000000000;06:0088000000000000;");
    fake_sess_free(s);
}

static void test_regs(void)
{
    struct fake_sess *s = sess();
    size_t size = gdb_arch_regs_size(GDB_ARCH_I386);
    char *g = malloc(2 * size + 1);

    fake_pkt(s, "g");
    CHECK_EQ(s->len, 2 * size);
    CHECK(strncmp(s->reply, "00000000", 8) == 0);         /* eax */
    CHECK(strncmp(s->reply + 8 * 8, "00100000", 8) == 0); /* eip */
    memcpy(g, s->reply, s->len + 1);
    memcpy(g + 8 * 8, "78563412", 8);
    memcpy(g, "efbeadde", 8);
    CHECK_STR(fake_pkt(s, "gx"), "E01");
    /* G: the whole file back, changed */
    char *pkt = malloc(2 * size + 2);
    pkt[0] = 'G';
    memcpy(pkt + 1, g, 2 * size + 1);
    CHECK_STR(fake_pkt(s, pkt), "OK");
    CHECK_EQ(s->t.regs.rip, 0x12345678);
    CHECK_EQ(s->t.regs.gpr[GDB_RAX], 0xdeadbeef);
    pkt[2 * size] = '\0'; /* one digit short */
    CHECK_STR(fake_pkt(s, pkt), "E01");
    pkt[1] = 'x';
    pkt[2 * size] = '0';
    CHECK_STR(fake_pkt(s, pkt), "E01"); /* not hex */
    CHECK_STR(fake_pkt(s, "G00"), "E01");
    CHECK_EQ(s->t.regs.rip, 0x12345678);
    /* p / P */
    CHECK_STR(fake_pkt(s, "p8"), "78563412");
    CHECK_STR(fake_pkt(s, "p4"), "00800000");
    s->t.regs.sys.cr0 = 0x60000011;
    s->t.regs.sys.dr[7] = 0x400;
    CHECK_STR(fake_pkt(s, "p29"), "1100006000000000"); /* 41: cr0 */
    CHECK_STR(fake_pkt(s, "p52"), "0004000000000000"); /* 82: dr7, the last */
    CHECK_STR(fake_pkt(s, "p53"), "E01");
    CHECK_STR(fake_pkt(s, "P2b=0010000000000000"), "OK"); /* 43: cr3 */
    CHECK_EQ(s->t.regs.sys.cr3, 0x1000);
    CHECK_STR(fake_pkt(s, "p28"), "00000000"); /* mxcsr */
    CHECK_STR(fake_pkt(s, "p99"), "E01");
    CHECK_STR(fake_pkt(s, "p"), "E01");
    CHECK_STR(fake_pkt(s, "p8x"), "E01");
    CHECK_STR(fake_pkt(s, "P8=00200000"), "OK");
    CHECK_EQ(s->t.regs.rip, 0x2000);
    CHECK_STR(fake_pkt(s, "P8=0020"), "E01");
    CHECK_STR(fake_pkt(s, "P8=0020000000"), "E01");
    CHECK_STR(fake_pkt(s, "P8"), "E01");
    CHECK_STR(fake_pkt(s, "P99=00000000"), "E01");
    CHECK_STR(fake_pkt(s, "P8=zz200000"), "E01");
    CHECK_EQ(s->t.regs.rip, 0x2000);
    free(pkt);
    free(g);
    fake_sess_free(s);
}

/* The layout described to gdb sticks for the session. */
static void test_arch_fixed(void)
{
    struct fake_sess *s = sess();
    size_t len;

    fake_pkt(s, "qXfer:features:read:target.xml:0,10");
    CHECK_EQ(s->reply[0], 'm');
    s->t.regs.arch = GDB_ARCH_X86_64;
    fake_pkt(s, "g");
    CHECK_EQ(s->len, 2 * gdb_arch_regs_size(GDB_ARCH_I386));
    CHECK_STR(fake_pkt(s, "?"), STOP_I386);
    gdb_cmd_detach(s->cmd);
    gdb_cmd_interrupt(s->cmd, 5, s->reply, RSP_MAX_PACKET, &len);
    fake_pkt(s, "g");
    CHECK_EQ(s->len, 2 * gdb_arch_regs_size(GDB_ARCH_X86_64));
    s->t.regs.arch = GDB_ARCH_I8086;
    fake_pkt(s, "g");
    CHECK_EQ(s->len, 2 * gdb_arch_regs_size(GDB_ARCH_X86_64));
    fake_sess_free(s);
}

/* hex of "kvmstub: the vCPU switched to i386:x86-64" */
#define EXEC_X86_64                                                            \
    "6b766d737475623a20746865207643505520737769746368656420746f20693338363a"   \
    "7838362d3634"

/* `monitor breakpoints` as text. */
static const char *bp_text(struct fake_sess *s)
{
    static char buf[4096];

    fake_pkt(s, "qRcmd,627265616b706f696e7473");
    return unhex(s, buf, sizeof(buf));
}

/* Real mode at 07C0:0005: gdb's pc is linear 0x7c05 unless `monitor pc offset`.
 */
static void test_pc_linear(void)
{
    struct fake_sess *s = sess();
    char text[512];

    s->t.regs.arch = GDB_ARCH_I8086;
    s->t.regs.code16 = true;
    s->t.regs.seg[GDB_CS] = 0x7c0;
    s->t.regs.cs_base = 0x7c00;
    s->t.regs.rip = 5;
    CHECK_STR(fake_pkt(s, "p8"), "057c0000");
    CHECK(strstr(fake_pkt(s, "?"), ";08:057c0000;") != NULL);
    fake_pkt(s, "qRcmd,7063206f6666736574"); /* pc offset */
    CHECK(strstr(unhex(s, text, sizeof(text)), "pc: offset") != NULL);
    CHECK_STR(fake_pkt(s, "p8"), "05000000");
    fake_pkt(s, "qRcmd,7063206c696e656172"); /* pc linear */
    CHECK(strstr(unhex(s, text, sizeof(text)), "pc: linear") != NULL);
    CHECK_STR(fake_pkt(s, "qRcmd,7063206e6f"), "E16"); /* pc no */
    /* G with the pc as read keeps IP; a new linear pc maps back. */
    fake_pkt(s, "g");
    char *pkt = malloc(s->len + 2);
    pkt[0] = 'G';
    memcpy(pkt + 1, s->reply, s->len + 1);
    CHECK_STR(fake_pkt(s, pkt), "OK");
    free(pkt);
    CHECK_EQ(s->t.regs.rip, 5);
    CHECK_STR(fake_pkt(s, "P8=107c0000"), "OK");
    CHECK_EQ(s->t.regs.rip, 0x10);
    CHECK_EQ(s->t.regs.seg[GDB_CS], 0x7c0);
    /* Below the CS base in real mode: CS:IP = 0100:0000. */
    CHECK_STR(fake_pkt(s, "P8=00100000"), "OK");
    CHECK_EQ(s->t.regs.seg[GDB_CS], 0x100);
    CHECK_EQ(s->t.regs.rip, 0);
    /* c ADDR takes a linear address too. */
    s->t.regs.seg[GDB_CS] = 0x7c0;
    s->t.regs.cs_base = 0x7c00;
    s->t.exit_after = s->t.executed + 1;
    fake_go(s, "c7c20");
    CHECK_STR(s->reply, "W00");
    CHECK_EQ(s->t.regs.rip, 0x21);
    fake_sess_free(s);
}

/* lldb's qHostInfo / qProcessInfo: a triple per mode. */
static void test_lldb_info(void)
{
    struct fake_sess *s = sess();
    char want[256], h[128];

    snprintf(want, sizeof(want),
             "triple:%s;ostype:unknown;endian:little;ptrsize:4;",
             hex("i386-unknown-unknown", h));
    CHECK_STR(fake_pkt(s, "qHostInfo"), want);
    snprintf(want, sizeof(want),
             "pid:1;triple:%s;ostype:unknown;endian:little;ptrsize:4;",
             hex("i386-unknown-unknown", h));
    CHECK_STR(fake_pkt(s, "qProcessInfo"), want);
    CHECK_STR(fake_pkt(s, "qWatchpointSupportInfo:"), "num:4;");
    fake_sess_free(s);

    s = sess();
    s->t.regs.arch = GDB_ARCH_I8086;
    CHECK(strstr(fake_pkt(s, "qHostInfo"),
                 hex("i386-unknown-unknown-code16", h)) != NULL);
    fake_sess_free(s);

    s = sess();
    s->t.regs.arch = GDB_ARCH_X86_64;
    snprintf(want, sizeof(want),
             "pid:1;triple:%s;ostype:unknown;endian:little;ptrsize:8;",
             hex("x86_64-unknown-unknown", h));
    CHECK_STR(fake_pkt(s, "qProcessInfo"), want);
    fake_sess_free(s);
}

static void test_monitor_lifted(void)
{
    struct fake_sess *s = sess();
    char buf[4096];

    CHECK_STR(fake_pkt(s, "Z0,1800,1"), "OK");
    CHECK_STR(fake_pkt(s, "Z2,3000,2"), "OK");
    CHECK_STR(fake_pkt(s, "Z1,1900,1"), "OK");
    CHECK(strstr(bp_text(s), "lifted") == NULL);
    CHECK_STR(fake_pkt(s, "z0,1800,1"), "OK");
    CHECK_STR(fake_pkt(s, "z2,3000,2"), "OK");
    const char *t = bp_text(s);
    CHECK(strstr(t, "1 inserted; lifted by gdb") != NULL);
    CHECK(strstr(t, "break   0x1800 lifted\n") != NULL);
    CHECK(strstr(t, "watch   0x3000 len 2 lifted\n") != NULL);
    CHECK(strstr(t, "hbreak  0x1900") != NULL);
    /* Put back: no longer lifted; a resume forgets the rest. */
    CHECK_STR(fake_pkt(s, "Z0,1800,1"), "OK");
    CHECK(strstr(bp_text(s), "break   0x1800 lifted") == NULL);
    fake_go(s, "s");
    CHECK(strstr(bp_text(s), "lifted") == NULL);
    /* A bare monitor: the help, with breakpoints in it. */
    fake_pkt(s, "qRcmd,");
    CHECK(strstr(unhex(s, buf, sizeof(buf)), "breakpoints ") != NULL);
    CHECK(strstr(buf, "echo TEXT") != NULL);
    fake_sess_free(s);
}

static struct fake_sess *mode_sess(bool exec_events)
{
    struct fake_sess *s = sess();

    fake_pkt(s, exec_events ? "qSupported:swbreak+;exec-events+;hwbreak+"
                            : "qSupported:swbreak+;hwbreak+");
    fake_pkt(s, "qXfer:features:read:target.xml:0,10");
    s->t.mode_switch = true;
    s->t.mode_pc = 0x1000;
    s->t.mode_to = GDB_ARCH_X86_64;
    return s;
}

static void test_mode_exec(void)
{
    struct fake_sess *s = mode_sess(true);

    CHECK(strstr(fake_pkt(s, "qSupported:exec-events+"), ";exec-events+"));
    /* A step into long mode: an exec event, breakpoints dropped. */
    fake_pkt(s, "Z0,1800,1");
    fake_go(s, "s");
    CHECK_STR(s->reply, "T05exec:" EXEC_X86_64 ";thread:1;");
    CHECK_EQ(s->t.resumes, 1);
    CHECK(strstr(bp_text(s), "no breakpoints") != NULL);
    /* gdb reads the new layout, inserts again, continues: the step end. */
    fake_pkt(s, "qXfer:features:read:target.xml:0,1000");
    CHECK(strstr(s->reply, "i386:x86-64") != NULL);
    fake_pkt(s, "g");
    CHECK_EQ(s->len, 2 * gdb_arch_regs_size(GDB_ARCH_X86_64));
    CHECK_STR(fake_pkt(s, "Z0,1800,1"), "OK");
    fake_go(s, "vCont;c");
    CHECK_STR(s->reply, "T00thread:1;10:0110000000000000;07:0080000000000000;"
                        "06:0088000000000000;");
    CHECK_EQ(s->t.resumes, 1);
    CHECK_EQ(s->t.regs.rip, 0x1001);
    /* Then the guest runs again, to the breakpoint. */
    fake_go(s, "c");
    CHECK(strncmp(s->reply, "T05thread:1;swbreak:;10:0018", 28) == 0);
    CHECK_STR(fake_pkt(s, "z0,1800,1"), "OK");
    CHECK(strstr(bp_text(s), "no breakpoints") != NULL);
    fake_sess_free(s);

    /* A stepi off a breakpoint: gdb steps, then continues; both answered. */
    s = mode_sess(true);
    fake_go(s, "s");
    CHECK(strncmp(s->reply, "T05exec:", 8) == 0);
    fake_pkt(s, "qXfer:features:read:target.xml:0,1000");
    fake_go(s, "vCont;s:1");
    CHECK(strncmp(s->reply, "T05thread:1;10:0110", 19) == 0);
    fake_go(s, "vCont;c");
    CHECK(strncmp(s->reply, "T00thread:1;10:0110", 19) == 0);
    CHECK_EQ(s->t.resumes, 1);
    fake_go(s, "s");
    CHECK(strncmp(s->reply, "T05thread:1;10:0210", 19) == 0);
    CHECK_EQ(s->t.resumes, 2);
    fake_sess_free(s);

    /* Without exec-events+ (lldb): the plain stop, in the old layout. */
    s = mode_sess(false);
    fake_go(s, "s");
    CHECK_STR(s->reply, "T05thread:1;08:01100000;04:00800000;05:00880000;");
    fake_sess_free(s);

    /* Same mode: no exec. */
    s = mode_sess(true);
    s->t.mode_to = GDB_ARCH_I386;
    fake_go(s, "s");
    CHECK_STR(s->reply, "T05thread:1;08:01100000;04:00800000;05:00880000;");
    fake_sess_free(s);
}

static void test_xfer(void)
{
    struct fake_sess *s = sess();
    size_t xlen, got = 0;
    const char *xml = gdb_arch_target_xml(GDB_ARCH_I386, &xlen);
    char *all = malloc(xlen + 1), pkt[80];

    for (int i = 0; i < 1000; i++) {
        snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,40",
                 got);
        fake_pkt(s, pkt);
        CHECK(s->len >= 1 && s->len <= 0x41);
        if (s->len < 1 || got + s->len - 1 > xlen)
            break;
        memcpy(all + got, s->reply + 1, s->len - 1);
        got += s->len - 1;
        if (s->reply[0] != 'm')
            break;
        CHECK_EQ(s->len, 0x41);
    }
    CHECK_EQ(s->reply[0], 'l');
    CHECK_EQ(got, xlen);
    CHECK_MEM(all, xml, xlen);
    /* One big read. */
    fake_pkt(s, "qXfer:features:read:target.xml:0,ffff");
    CHECK_EQ(s->reply[0], 'l');
    CHECK_EQ(s->len, xlen + 1);
    snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,10", xlen);
    CHECK_STR(fake_pkt(s, pkt), "l");
    CHECK_STR(fake_pkt(s, "qXfer:features:read:target.xml:ffffffff,10"), "l");
    CHECK_STR(fake_pkt(s, "qXfer:features:read:other.xml:0,10"), "E00");
    CHECK_STR(fake_pkt(s, "qXfer:features:read:target.xml:0"), "E01");
    CHECK_STR(fake_pkt(s, "qXfer:features:read:target.xml:,10"), "E01");
    CHECK_STR(fake_pkt(s, "qXfer:features:read:target.xml:0,10x"), "E01");
    CHECK_STR(fake_pkt(s, "qXfer:features:read:target.xml"), "E01");
    free(all);
    fake_sess_free(s);
}

static void test_mem_read(void)
{
    struct fake_sess *s = sess();

    memcpy(s->t.mem + 0x1000, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
    CHECK_STR(fake_pkt(s, "m1000,8"), "0123456789abcdef");
    CHECK_STR(fake_pkt(s, "m1003,2"), "6789");
    CHECK_STR(fake_pkt(s, "m1000,0"), "");
    CHECK_STR(fake_pkt(s, "mfffe,2"), "9090");
    CHECK_STR(fake_pkt(s, "mffff,2"), "E0e");
    CHECK_STR(fake_pkt(s, "m10000,1"), "E0e");
    CHECK_STR(fake_pkt(s, "mffffffffffffffff,2"), "E01");
    CHECK_STR(fake_pkt(s, "mffffffffffffffff,1"), "E01");
    CHECK_STR(fake_pkt(s, "m1000"), "E01");
    CHECK_STR(fake_pkt(s, "m1000,"), "E01");
    CHECK_STR(fake_pkt(s, "m,4"), "E01");
    CHECK_STR(fake_pkt(s, "m1000,4x"), "E01");
    CHECK_STR(fake_pkt(s, "m1000;4"), "E01");
    CHECK_STR(fake_pkt(s, "m11112222333344445,1"), "E01");
    /* Long reads are cut to fit the reply. */
    fake_pkt(s, "m0,ffffff");
    CHECK_EQ(s->len, 2 * ((RSP_MAX_PACKET - 1) / 2));
    fake_pkt(s, "m0,10000");
    CHECK_EQ(s->len, 2 * ((RSP_MAX_PACKET - 1) / 2));
    /* x: binary */
    fake_pkt(s, "x1000,8");
    CHECK_EQ(s->len, 9);
    CHECK_MEM(s->reply, "b\x01\x23\x45\x67\x89\xab\xcd\xef", 9);
    CHECK_STR(fake_pkt(s, "x1000,0"), "b");
    CHECK_STR(fake_pkt(s, "xffff,2"), "E0e");
    CHECK_STR(fake_pkt(s, "xffffffffffffffff,2"), "E01");
    fake_pkt(s, "x0,10000");
    CHECK_EQ(s->len, 0x10001);
    fake_sess_free(s);
}

static void test_mem_write(void)
{
    struct fake_sess *s = sess();
    uint8_t *snap = malloc(FAKE_MEM_SIZE);

    CHECK_STR(fake_pkt(s, "M1000,3:a1B2c3"), "OK");
    CHECK_MEM(s->t.mem + 0x1000, "\xa1\xb2\xc3\x90", 4);
    CHECK_STR(fake_pkt(s, "M1000,0:"), "OK");
    memcpy(snap, s->t.mem, FAKE_MEM_SIZE);
    CHECK_STR(fake_pkt(s, "M1000,3:a1b2"), "E01");
    CHECK_STR(fake_pkt(s, "M1000,1:a1b2"), "E01");
    CHECK_STR(fake_pkt(s, "M1000,2:a1g2"), "E01");
    CHECK_STR(fake_pkt(s, "M1000,2"), "E01");
    CHECK_STR(fake_pkt(s, "M1000:2,0000"), "E01");
    CHECK_STR(fake_pkt(s, "Mffffffffffffffff,2:0000"), "E01");
    CHECK_STR(fake_pkt(s, "Mffff,2:0000"), "E0e");
    CHECK_MEM(s->t.mem, snap, FAKE_MEM_SIZE);
    /* X: binary, already unescaped (NUL, '}', '#' are data) */
    CHECK_STR(fake_pktn(s, "X2000,4:\x00}#\xff", 12), "OK");
    CHECK_MEM(s->t.mem + 0x2000, "\x00}#\xff", 4);
    memcpy(snap, s->t.mem, FAKE_MEM_SIZE);
    CHECK_STR(fake_pkt(s, "X2000,0:"), "OK"); /* the probe */
    CHECK_STR(fake_pkt(s, "X2000,3:ab"), "E01");
    CHECK_STR(fake_pkt(s, "X2000,1:ab"), "E01");
    CHECK_STR(fake_pkt(s, "X2000,1"), "E01");
    CHECK_STR(fake_pkt(s, "Xffffffffffffffff,2:ab"), "E01");
    CHECK_STR(fake_pkt(s, "Xffff,2:ab"), "E0e");
    CHECK_MEM(s->t.mem, snap, FAKE_MEM_SIZE);
    free(snap);
    fake_sess_free(s);
}

static void test_resume(void)
{
    struct fake_sess *s = sess();

    s->t.exit_after = 1;
    CHECK_STR(fake_pkt(s, "c"), "");
    CHECK_EQ(s->res, GDB_CMD_RESUME);
    CHECK_EQ(s->t.resumes, 0); /* the run is gdb_cmd_run's */
    fake_run(s, 0);
    CHECK_STR(s->reply, "W00");
    fake_sess_free(s);

    s = sess();
    fake_go(s, "s");
    CHECK_STR(s->reply, "T05thread:1;08:01100000;04:00800000;05:00880000;");
    fake_go(s, "s2000");
    CHECK_EQ(s->t.regs.rip, 0x2001);
    fake_go(s, "S05;3000");
    CHECK_EQ(s->t.regs.rip, 0x3001);
    fake_go(s, "S05");
    CHECK_EQ(s->t.regs.rip, 0x3002);
    CHECK_EQ(s->t.steps, 4);
    s->t.exit_after = s->t.executed + 2;
    fake_go(s, "C0b;4000");
    CHECK_STR(s->reply, "W00");
    CHECK_EQ(s->t.regs.rip, 0x4002);
    static const char *const bad[] = {"cxyz", "c10g",     "s-1",
                                      "C",    "C123",     "C05;",
                                      "S05x", "Cxx;1000", "c;1000"};
    unsigned resumes = s->t.resumes;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_STR(fake_pkt(s, bad[i]), "E01");
        CHECK_EQ(s->res, GDB_CMD_REPLY);
    }
    CHECK_EQ(s->t.regs.rip, 0x4002);
    CHECK_EQ(s->t.resumes, resumes);
    fake_sess_free(s);
}

static void test_vcont(void)
{
    struct fake_sess *s = sess();

    CHECK_STR(fake_pkt(s, "vCont?"), "vCont;c;C;s;S;t;r");
    fake_go(s, "vCont;s:1;c");
    CHECK_EQ(s->t.regs.rip, 0x1001);
    CHECK_EQ(s->t.last_how.mode, GDB_RESUME_STEP);
    fake_go(s, "vCont;s");
    CHECK_EQ(s->t.regs.rip, 0x1002);
    fake_go(s, "vCont;S05:-1");
    CHECK_EQ(s->t.regs.rip, 0x1003);
    fake_go(s, "vCont;S0b:1;C02");
    CHECK_EQ(s->t.regs.rip, 0x1004);
    s->t.exit_after = s->t.executed + 3;
    fake_go(s, "vCont;c:1;s");
    CHECK_STR(s->reply, "W00");
    CHECK_EQ(s->t.regs.rip, 0x1007);
    s->t.exit_after = 0;
    s->t.interrupt_after = s->t.executed + 3;
    CHECK_STR(fake_pkt(s, "vCont;C05:-1"), "");
    CHECK_EQ(s->res, GDB_CMD_RESUME);
    fake_run(s, 0);
    CHECK_EQ(s->run, GDB_RUN_POLL);
    CHECK_STR(fake_pkt(s, "vCont;t"),
              "T00thread:1;08:0a100000;04:00800000;05:00880000;");
    CHECK_EQ(s->res, GDB_CMD_REPLY);
    CHECK(gdb_cmd_is_stopped(s->cmd));
    CHECK_STR(fake_pkt(s, "?"), s->reply);
    static const char *const bad[] = {"vCont;",     "vCont;x",  "vCont;c:2",
                                      "vCont;s:0",  "vCont;c:", "vCont;C",
                                      "vCont;Cxy",  "vCont;c;", "vCont;cc",
                                      "vCont;c:1x", "vCont;r1", "vCont;s:p1.1"};
    unsigned resumes = s->t.resumes;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_STR(fake_pkt(s, bad[i]), "E01");
        CHECK_EQ(s->res, GDB_CMD_REPLY);
    }
    CHECK_EQ(s->t.resumes, resumes);
    fake_sess_free(s);
}

static void test_threads(void)
{
    struct fake_sess *s = sess();

    CHECK_STR(fake_pkt(s, "Hg0"), "OK");
    CHECK_STR(fake_pkt(s, "Hg-1"), "OK");
    CHECK_STR(fake_pkt(s, "Hg1"), "OK");
    CHECK_STR(fake_pkt(s, "Hc-1"), "OK");
    CHECK_STR(fake_pkt(s, "Hc0"), "OK");
    CHECK_STR(fake_pkt(s, "Hg2"), "E01");
    CHECK_STR(fake_pkt(s, "Hg"), "E01");
    CHECK_STR(fake_pkt(s, "Hx0"), "E01");
    CHECK_STR(fake_pkt(s, "Hg1x"), "E01");
    CHECK_STR(fake_pkt(s, "qC"), "QC1");
    CHECK_STR(fake_pkt(s, "qfThreadInfo"), "m1");
    CHECK_STR(fake_pkt(s, "qsThreadInfo"), "l");
    CHECK_STR(fake_pkt(s, "T1"), "OK");
    CHECK_STR(fake_pkt(s, "T2"), "E01");
    CHECK_STR(fake_pkt(s, "T"), "E01");
    CHECK_STR(fake_pkt(s, "T-1"), "E01");
    CHECK_STR(fake_pkt(s, "qAttached"), "1");
    CHECK_STR(fake_pkt(s, "qAttached:1"), "1");
    fake_sess_free(s);
}

static void test_detach_kill(void)
{
    struct fake_sess *s = sess();

    CHECK_STR(fake_pkt(s, "D;2"), "E01");
    CHECK_EQ(s->res, GDB_CMD_REPLY);
    CHECK_STR(fake_pkt(s, "Dx"), "E01");
    CHECK_STR(fake_pkt(s, "D"), "OK");
    CHECK_EQ(s->res, GDB_CMD_DETACH);
    CHECK_STR(fake_pkt(s, "D;1"), "OK");
    CHECK_EQ(s->res, GDB_CMD_DETACH);
    /* lldb waits for the exit status: X09 (killed), as debugserver says. */
    CHECK_STR(fake_pkt(s, "k"), "X09");
    CHECK_EQ(s->res, GDB_CMD_KILL);
    CHECK_STR(fake_pkt(s, "k1"), "E01");
    CHECK_EQ(s->res, GDB_CMD_REPLY);
    fake_pkt(s, "vKill;1");
    CHECK_EQ(s->res, GDB_CMD_KILL);
    fake_sess_free(s);
}

/* The stub's own monitor commands, before the target's. */
#define STUB_HELP                                                              \
    "breakpoints  list breakpoints and the mechanism in use\n"                 \
    "pc [linear|offset]  gdb's pc outside 64-bit code: CS base + IP\n"         \
    "             (linear, the default) or IP\n"

static void test_monitor(void)
{
    struct fake_sess *s = sess();
    char text[4096], h[256], pkt[300];

    snprintf(pkt, sizeof(pkt), "qRcmd,%s", hex("help", h));
    fake_pkt(s, pkt);
    CHECK_STR(unhex(s, text, sizeof(text)),
              STUB_HELP "echo TEXT  print TEXT\n");
    fake_pkt(s, "qRcmd,6563686f206869"); /* echo hi */
    CHECK_STR(s->reply, "6869");
    CHECK_STR(fake_pkt(s, "qRcmd,7175696574"), "OK"); /* quiet */
    fake_pkt(s, "qRcmd,666f6f");                      /* foo */
    CHECK_STR(unhex(s, text, sizeof(text)), "unknown command: foo");
    fake_pkt(s, "qRcmd,627265616b706f696e7473"); /* breakpoints */
    CHECK_STR(unhex(s, text, sizeof(text)),
              "breakpoints by int3 (auto); host: int3 yes, hw breakpoints "
              "yes, hw watchpoints yes, single-step yes\nno breakpoints\n");
    CHECK_STR(fake_pkt(s, "qRcmd,6"), "E01");
    CHECK_STR(fake_pkt(s, "qRcmd,zz"), "E01");
    CHECK_STR(fake_pkt(s, "qRcmd,00"), "E01");
    fake_pkt(s, "qRcmd,"); /* a bare monitor: the whole help */
    CHECK_STR(unhex(s, text, sizeof(text)),
              STUB_HELP "echo TEXT  print TEXT\n");
    fake_sess_free(s);
}

/* Whitespace around and inside a monitor command does not matter. */
static void test_monitor_blanks(void)
{
    static const char *const forms[][2] = {
        {"help", "  help"},
        {"help", "help "},
        {"help", "\thelp \t\n"},
        {"breakpoints", "breakpoints "},
        {"breakpoints", "   breakpoints"},
        {"echo a b", "echo  a \t  b "},
        {"echo a b", " echo a b"},
        {"foo bar", "foo   bar"},
        {"", "  \t "},
    };
    struct fake_sess *s = sess();
    char want[4096], got[4096], h[256], pkt[300];

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        snprintf(pkt, sizeof(pkt), "qRcmd,%s", hex(forms[i][0], h));
        fake_pkt(s, pkt);
        snprintf(want, sizeof(want), "%s", unhex(s, got, sizeof(got)));
        snprintf(pkt, sizeof(pkt), "qRcmd,%s", hex(forms[i][1], h));
        fake_pkt(s, pkt);
        CHECK_STR(unhex(s, got, sizeof(got)), want);
        CHECK(want[0] != '\0');
    }
    fake_sess_free(s);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_supported),  TEST(test_unknown),
        TEST(test_why),        TEST(test_regs),
        TEST(test_arch_fixed), TEST(test_xfer),
        TEST(test_mem_read),   TEST(test_mem_write),
        TEST(test_resume),     TEST(test_vcont),
        TEST(test_threads),    TEST(test_detach_kill),
        TEST(test_monitor),    TEST(test_monitor_blanks),
        TEST(test_mode_exec),  TEST(test_monitor_lifted),
        TEST(test_lldb_info),  TEST(test_pc_linear),
    };
    return test_main(tests, TEST_COUNT(tests));
}
