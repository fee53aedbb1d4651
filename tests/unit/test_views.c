/*
 * The stub's memory views and console against the fake target: gdb's
 * memory map, Qqemu.PhyMemMode with m and M, `monitor xp`, `monitor
 * console`, and the server's O packets (gdb_srv_console_write) over a
 * socket pair, including a debugger that does not read.
 */
#include "tests/fake_target.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdbstub/server.h"
#include "tests/test.h"

#define PHYS_OFF 0x100 /* the fake's "physical" address = linear - this */

static struct gdb_console_sink sink_seen;
static int sink_calls;
static bool sink_null;

static int map3(void *ctx, struct gdb_mem_region *out, size_t cap)
{
    (void)ctx;
    if (cap < 3)
        return -ENOSPC;
    out[0] = (struct gdb_mem_region){0, 0xc000, GDB_MEM_RAM};
    out[1] = (struct gdb_mem_region){0xc000, 0x4000, GDB_MEM_ROM};
    out[2] = (struct gdb_mem_region){0x20000, 0x1000, GDB_MEM_RAM};
    return 3;
}

static int rphys(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    return fake_read_mem(ctx, gpa + PHYS_OFF, buf, len);
}

static int wphys(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    return fake_write_mem(ctx, gpa + PHYS_OFF, buf, len);
}

static void set_sink(void *ctx, const struct gdb_console_sink *sink)
{
    (void)ctx;
    sink_calls++;
    sink_null = sink == NULL;
    if (sink)
        sink_seen = *sink;
}

static size_t writer(void *arg, const uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    return len;
}

static struct fake_sess *views_sess(void)
{
    static struct gdb_target_ops ops;
    struct fake_sess *s = calloc(1, sizeof(*s));

    ops = *fake_ops();
    ops.memory_map = map3;
    ops.read_phys = rphys;
    ops.write_phys = wphys;
    ops.set_console_sink = set_sink;
    fake_init(&s->t, false, true, false);
    s->cmd = gdb_cmd_new(&ops, &s->t, NULL);
    CHECK(s->cmd != NULL);
    return s;
}

static const char *hex(const char *str, char *out)
{
    rsp_hex_encode(str, strlen(str), out);
    out[2 * strlen(str)] = '\0';
    return out;
}

/* The reply of a monitor command, decoded. */
static const char *monitor(struct fake_sess *s, const char *cmd, char *text)
{
    char pkt[512], h[400];
    snprintf(pkt, sizeof(pkt), "qRcmd,%s", hex(cmd, h));
    const char *r = fake_pkt(s, pkt);
    size_t n = strlen(r);
    if (n % 2 || rsp_hex_decode(r, n, text) < 0)
        snprintf(text, 64, "(raw) %.50s", r);
    else
        text[n / 2] = '\0';
    return text;
}

static void test_memory_map(void)
{
    struct fake_sess *s = views_sess();
    const char *r;

    r = fake_pkt(s, "qSupported:multiprocess+");
    CHECK(strstr(r, "qXfer:memory-map:read+") != NULL);
    r = fake_pkt(s, "qXfer:memory-map:read::0,1000");
    CHECK_EQ(r[0], 'l');
    CHECK(strstr(r, "<memory-map>") != NULL);
    CHECK(strstr(r, "<memory type=\"ram\" start=\"0x0\" length=\"0xc000\"/>"));
    CHECK(strstr(r, "<memory type=\"rom\" start=\"0xc000\" "
                    "length=\"0x4000\"/>"));
    /* The hole at 0x10000 stays out; above the last region: RAM to 2^64. */
    CHECK(strstr(r, "start=\"0x10000\"") == NULL);
    CHECK(strstr(r, "<memory type=\"ram\" start=\"0x21000\" "
                    "length=\"0xfffffffffffdf000\"/>"));
    CHECK(strstr(r, "</memory-map>\n") != NULL);
    /* In pieces, as gdb reads it: the same bytes. */
    char whole[2048];
    snprintf(whole, sizeof(whole), "%s", r + 1);
    CHECK_EQ(fake_pkt(s, "qXfer:memory-map:read::0,10")[0], 'm');
    CHECK(strncmp(s->reply + 1, whole, 16) == 0);
    CHECK_STR(fake_pkt(s, "qXfer:memory-map:read::10000,10"), "l");
    CHECK_STR(fake_pkt(s, "qXfer:memory-map:read:x:0,10"), "E00");
    CHECK_STR(fake_pkt(s, "qXfer:memory-map:read::0,0"), "E01");
    fake_sess_free(s);
    /* A target without a map: not advertised, not answered. */
    s = fake_sess_new(false, true, false, GDB_BP_AUTO);
    CHECK(strstr(fake_pkt(s, "qSupported"), "memory-map") == NULL);
    CHECK_STR(fake_pkt(s, "qXfer:memory-map:read::0,100"), "");
    CHECK_STR(fake_pkt(s, "Qqemu.PhyMemMode:1"), "E26"); /* ENOSYS */
    fake_sess_free(s);
}

static void test_phy_mem_mode(void)
{
    struct fake_sess *s = views_sess();

    s->t.mem[0x1000] = 0xab;
    s->t.mem[0x1100] = 0xcd;
    CHECK_STR(fake_pkt(s, "qqemu.PhyMemMode"), "0");
    CHECK_STR(fake_pkt(s, "m1000,1"), "ab");
    CHECK_STR(fake_pkt(s, "Qqemu.PhyMemMode:1"), "OK");
    CHECK_STR(fake_pkt(s, "qqemu.PhyMemMode"), "1");
    CHECK_STR(fake_pkt(s, "m1000,1"), "cd"); /* physical 0x1000 */
    CHECK_STR(fake_pkt(s, "M1000,1:5a"), "OK");
    CHECK_EQ(s->t.mem[0x1100], 0x5a);
    CHECK_EQ(s->t.mem[0x1000], 0xab);
    CHECK_STR(fake_pkt(s, "Qqemu.PhyMemMode:0"), "OK");
    CHECK_STR(fake_pkt(s, "m1000,1"), "ab");
    CHECK_STR(fake_pkt(s, "Qqemu.PhyMemMode:2"), "E01");
    CHECK_STR(fake_pkt(s, "Qqemu.PhyMemMode:"), "E01");
    /* A debugger that leaves takes the mode with it. */
    fake_pkt(s, "Qqemu.PhyMemMode:1");
    gdb_cmd_reset_views(s->cmd);
    CHECK_STR(fake_pkt(s, "qqemu.PhyMemMode"), "0");
    fake_sess_free(s);
}

static void test_xp(void)
{
    struct fake_sess *s = views_sess();
    static char t[RSP_MAX_PACKET];

    for (int i = 0; i < 32; i++)
        s->t.mem[0x2000 + PHYS_OFF + i] = (uint8_t)(0x10 + i);
    monitor(s, "xp 0x2000 20", t);
    CHECK_STR(t, "0000000000002000: 0x10 0x11 0x12 0x13 0x14 0x15 0x16 0x17 "
                 "0x18 0x19 0x1a 0x1b 0x1c 0x1d 0x1e 0x1f\n"
                 "0000000000002010: 0x20 0x21 0x22 0x23\n");
    monitor(s, "xp /2xw 0x2000", t);
    CHECK_STR(t, "0000000000002000: 0x13121110 0x17161514\n");
    monitor(s, "xp /3xb 0x2001", t);
    CHECK_STR(t, "0000000000002001: 0x11 0x12 0x13\n");
    monitor(s, "xp /1g 0x2000", t);
    CHECK_STR(t, "0000000000002000: 0x1716151413121110\n");
    monitor(s, "xp 0x2000", t); /* 16 bytes by default */
    CHECK(strstr(t, "0x1f\n") != NULL && strstr(t, "0x20") == NULL);
    monitor(s, "xp 0xfff8 16", t); /* runs off the end of memory */
    CHECK(strstr(t, "cannot read (not RAM or ROM)") != NULL);
    CHECK(strstr(monitor(s, "xp", t), "usage: monitor xp") != NULL);
    CHECK(strstr(monitor(s, "xp /2q 0", t), "usage") != NULL);
    CHECK(strstr(monitor(s, "xp zz", t), "usage") != NULL);
    /* At most 4096 bytes: 256 lines. */
    monitor(s, "xp 0 100000", t);
    int lines = 0;
    for (const char *p = t; (p = strchr(p, '\n')); p++)
        lines++;
    CHECK_EQ(lines, 256);
    fake_sess_free(s);
}

static void test_console(void)
{
    struct fake_sess *s = views_sess();
    char t[512];

    sink_calls = 0;
    CHECK(strstr(monitor(s, "console", t), "console: stdout") != NULL);
    /* No server writer yet: the stub says it cannot. */
    CHECK(strstr(monitor(s, "console gdb", t), "cannot") != NULL);
    CHECK_EQ(sink_calls, 0);
    gdb_cmd_set_console_writer(s->cmd, writer, &sink_calls);
    CHECK(strstr(monitor(s, "console gdb", t), "console: gdb") != NULL);
    CHECK_EQ(sink_calls, 1);
    CHECK(!sink_null);
    CHECK_EQ(sink_seen.mode, GDB_CONSOLE_GDB);
    CHECK(sink_seen.write == writer);
    CHECK(sink_seen.arg == &sink_calls);
    CHECK(strstr(monitor(s, "console both", t), "console: both") != NULL);
    CHECK_EQ(sink_seen.mode, GDB_CONSOLE_BOTH);
    CHECK(strstr(monitor(s, "console", t), "console: both") != NULL);
    CHECK(strstr(monitor(s, "console nowhere", t), "usage") != NULL);
    CHECK(strstr(monitor(s, "console stdout", t), "console: stdout") != NULL);
    CHECK(sink_null);
    /* The debugger leaves: back to stdout. */
    monitor(s, "console gdb", t);
    gdb_cmd_reset_views(s->cmd);
    CHECK(sink_null);
    CHECK(strstr(monitor(s, "console", t), "console: stdout") != NULL);
    /* The help names them. */
    CHECK(strstr(monitor(s, "help", t), "console [stdout|gdb|both]") != NULL);
    CHECK(strstr(t, "\nxp ADDR [LEN]") != NULL);
    fake_sess_free(s);
    /* A target without the ops: neither is offered. */
    s = fake_sess_new(false, true, false, GDB_BP_AUTO);
    CHECK(strstr(monitor(s, "help", t), "console") == NULL);
    CHECK(strstr(t, "xp ADDR") == NULL);
    CHECK(strstr(monitor(s, "console gdb", t), "cannot") != NULL);
    CHECK(strstr(monitor(s, "xp 0 4", t), "cannot read physical") != NULL);
    fake_sess_free(s);
}

/* Read what is there now from fd (non-blocking) into buf. */
static size_t drain(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    ssize_t k;

    while (n + 1 < cap && (k = recv(fd, buf + n, cap - 1 - n, 0)) > 0)
        n += (size_t)k;
    buf[n] = '\0';
    return n;
}

static void test_server_o_packets(void)
{
    struct gdb_srv srv;
    char err[128], path[64], buf[1 << 16];
    int sv[2];

    gdb_srv_init(&srv);
    snprintf(path, sizeof(path), "/tmp/test_views.%d.sock", (int)getpid());
    CHECK_OK(gdb_srv_listen(&srv, strcat(strcpy(buf, "unix:"), path), err,
                            sizeof(err)));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    srv.client_fd = sv[0];
    /* Not armed (no resume packet pending): takes nothing. */
    CHECK_EQ(gdb_srv_console_write(&srv, (const uint8_t *)"Hi", 2), 0);
    srv.con_armed = true;
    CHECK_EQ(gdb_srv_console_write(&srv, (const uint8_t *)"Hello\n", 6), 6);
    drain(sv[1], buf, sizeof(buf));
    /* "O" + hex of "Hello\n", checksum: the sum of the payload mod 256. */
    CHECK_STR(buf, "$O48656c6c6f0a#85");
    /* A debugger that does not read: bounded, never blocks. */
    int one = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
    static uint8_t big[4096];
    memset(big, 'x', sizeof(big));
    size_t total = 0, k;
    int rounds = 0;
    while ((k = gdb_srv_console_write(&srv, big, sizeof(big))) > 0 &&
           rounds < 10000) {
        total += k;
        rounds++;
    }
    CHECK(rounds < 10000);
    CHECK(total > 0);
    /* What was taken all arrives, in whole packets, once it reads. */
    size_t got = 0, n;
    unsigned long xs = 0;
    do {
        n = drain(sv[1], buf, sizeof(buf));
        for (size_t i = 0; i < n; i++)
            xs += buf[i] == '7' && i + 1 < n && buf[i + 1] == '8';
        got += n;
        /* the server flushes buffered packets on the next write */
        gdb_srv_console_write(&srv, big, 0);
    } while (n > 0);
    CHECK(got > 2 * total);
    CHECK(xs >= total - 64); /* "78" per byte, less pairs cut at reads */
    close(sv[1]);
    gdb_srv_close(&srv); /* closes sv[0] as the client */
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_memory_map), TEST(test_phy_mem_mode),     TEST(test_xp),
        TEST(test_console),    TEST(test_server_o_packets),
    };
    return test_main(tests, TEST_COUNT(tests));
}
