/* Option and size parsing, the loader's bounds, the port bus. */
#include "tests/test.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/hw/debugexit.h"
#include "vmm/hw/power.h"
#include "vmm/loader.h"
#include "vmm/mem.h"
#include "vmm/pio.h"

static enum cli_action parse(struct cli_opts *o, char *err, ...)
{
    static char name[] = "vmm";
    char *argv[16] = {name};
    int argc = 1;
    va_list ap;

    va_start(ap, err);
    for (char *a; argc < 15 && (a = va_arg(ap, char *)); argc++)
        argv[argc] = a;
    va_end(ap);
    return cli_parse(argc, argv, o, err, 256);
}

static void test_defaults(void)
{
    struct cli_opts o;
    char err[256];

    CHECK_EQ(parse(&o, err, "img", NULL), CLI_RUN);
    CHECK_EQ(o.mem_size, 1 << 20);
    CHECK_EQ(o.hlt_sleep_ms, 1000);
    CHECK_EQ(o.max_halts, 0);
    CHECK(o.gdb == NULL);
    CHECK_EQ(o.mechanism, CLI_MECH_AUTO);
    CHECK_STR(o.image, "img");
    CHECK_EQ(o.machine, CLI_MACHINE_BARE);
    CHECK(o.kernel == NULL);
}

static void test_machines(void)
{
    struct cli_opts o;
    char err[256];

    CHECK_EQ(parse(&o, err, "--machine", "pc", "img", NULL), CLI_RUN);
    CHECK_EQ(o.machine, CLI_MACHINE_PC);
    CHECK_EQ(o.mem_size, 128 << 20);
    CHECK_STR(o.image, "img");
    CHECK_EQ(parse(&o, err, "--machine=bare", "img", NULL), CLI_RUN);
    CHECK_EQ(o.machine, CLI_MACHINE_BARE);
    CHECK_EQ(o.mem_size, 1 << 20);
    /* --kernel picks the pc machine. */
    CHECK_EQ(parse(&o, err, "--kernel", "k.elf", "--append", "a b", "--initrd",
                   "m1 x,m2", NULL),
             CLI_RUN);
    CHECK_EQ(o.machine, CLI_MACHINE_PC);
    CHECK_STR(o.kernel, "k.elf");
    CHECK_STR(o.append, "a b");
    CHECK_STR(o.initrd, "m1 x,m2");
    CHECK(o.image == NULL);
    CHECK_EQ(parse(&o, err, "--machine", "pc", "-m", "2M", "--kernel", "k",
                   "-g", "1234", NULL),
             CLI_RUN);
    CHECK_EQ(o.mem_size, 2 << 20);
    CHECK_EQ(parse(&o, err, "--machine", "pc", "-m", "5G", "img", NULL),
             CLI_RUN);
    CHECK_EQ(o.mem_size, 5ull << 30);
}

static void test_machine_errors(void)
{
    static const char *const bad[][6] = {
        {"--machine", "foo", "img"},
        {"--machine", "", "img"},
        {"--machine", "bare", "--kernel", "k"},
        {"--kernel", "k", "img"},
        {"--kernel", "", NULL},
        {"--append", "x", "img"},
        {"--initrd", "m", "img"},
        {"--machine", "pc", "--append", "x", "img"},
        {"--machine", "pc", "--hlt-sleep", "0", "img"},
        {"--machine", "pc", "--max-halts", "1", "img"},
        {"--kernel", "k", "--max-halts", "1"},
        {"--machine", "pc", "-m", "1M", "img"},
        {"--machine", "pc", "-m", "2047K", "img"},
        {"--machine", "pc", NULL},
        {"--kernel", "k", "--initrd", "", NULL},
    };
    struct cli_opts o;
    char err[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum cli_action a = parse(&o, err, bad[i][0], bad[i][1], bad[i][2],
                                  bad[i][3], bad[i][4], bad[i][5], NULL);
        if (a != CLI_USAGE_ERROR)
            printf("FAIL: accepted %s %s %s %s\n", bad[i][0], bad[i][1],
                   bad[i][2] ? bad[i][2] : "", bad[i][3] ? bad[i][3] : "");
        CHECK_EQ(a, CLI_USAGE_ERROR);
        CHECK(err[0] != '\0');
    }
    CHECK_EQ(parse(&o, err, "--machine", "pc", "--hlt-sleep", "0", "img", NULL),
             CLI_USAGE_ERROR);
    CHECK(strstr(err, "bare machine only") != NULL);
    CHECK_EQ(parse(&o, err, "--kernel", "k", "img", NULL), CLI_USAGE_ERROR);
    CHECK(strstr(err, "not two of them") != NULL);
}

static void test_all_options(void)
{
    struct cli_opts o;
    char err[256];

    CHECK_EQ(parse(&o, err, "-m", "2M", "--hlt-sleep", "0", "--max-halts", "7",
                   "-g", "1234", "--debug-mechanism", "step", "-v", "img",
                   NULL),
             CLI_RUN);
    CHECK_EQ(o.mem_size, 2 << 20);
    CHECK_EQ(o.hlt_sleep_ms, 0);
    CHECK_EQ(o.max_halts, 7);
    CHECK_STR(o.gdb, "1234");
    CHECK_EQ(o.mechanism, CLI_MECH_STEP);
    CHECK(o.verbose);
    CHECK_EQ(parse(&o, err, "--mem=64K", "--gdb=unix:/tmp/x", "img", NULL),
             CLI_RUN);
    CHECK_EQ(o.mem_size, 64 << 10);
    CHECK_EQ(parse(&o, err, "--help", NULL), CLI_HELP);
    CHECK_EQ(parse(&o, err, "--version", NULL), CLI_VERSION);
    CHECK_EQ(parse(&o, err, "--host-info", NULL), CLI_HOST_INFO);
}

static void test_usage_errors(void)
{
    static const char *const bad[][3] = {
        {"--bogus", "img", NULL},
        {"img", "extra", NULL},
        {"-m", "0", "img"},
        {"-m", "-1", "img"},
        {"-m", "abc", "img"},
        {"-m", "1Q", "img"},
        {"-m", "65G", "img"},
        {"-m", "99999999999999G", "img"},
        {"--hlt-sleep", "-5", "img"},
        {"--hlt-sleep", "x", "img"},
        {"--max-halts", "x", "img"},
        {"-g", "99999", "img"},
        {"-g", "abc", "img"},
        {"-g", "host:", "img"},
        {"-g", "unix:", "img"},
        {"-g", ":1234", "img"},
        {"--debug-mechanism", "foo", "img"},
        {"--debug-mechanism", "step", "img"}, /* without --gdb */
    };
    struct cli_opts o;
    char err[256];

    CHECK_EQ(parse(&o, err, NULL), CLI_USAGE_ERROR);
    CHECK(strstr(err, "missing IMAGE") != NULL);
    CHECK_EQ(parse(&o, err, "-m", NULL), CLI_USAGE_ERROR);
    CHECK(strstr(err, "needs a value") != NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum cli_action a =
            parse(&o, err, bad[i][0], bad[i][1], bad[i][2], NULL);
        if (a != CLI_USAGE_ERROR)
            printf("FAIL: accepted %s %s\n", bad[i][0], bad[i][1]);
        CHECK_EQ(a, CLI_USAGE_ERROR);
        CHECK(err[0] != '\0');
    }
}

static void test_sizes(void)
{
    uint64_t v = 0;

    CHECK_OK(cli_parse_size("4096", &v));
    CHECK_EQ(v, 4096);
    CHECK_OK(cli_parse_size("4k", &v));
    CHECK_EQ(v, 4096);
    CHECK_OK(cli_parse_size("1M", &v));
    CHECK_EQ(v, 1 << 20);
    CHECK_OK(cli_parse_size("3G", &v));
    CHECK_EQ(v, 3ull << 30);
    CHECK_OK(cli_parse_size("1MiB", &v));
    CHECK_EQ(v, 1 << 20);
    CHECK_EQ(cli_parse_size("", &v), -EINVAL);
    CHECK_EQ(cli_parse_size("M", &v), -EINVAL);
    CHECK_EQ(cli_parse_size("1MM", &v), -EINVAL);
    CHECK_EQ(cli_parse_size(" 1", &v), -EINVAL);
    CHECK_EQ(cli_parse_size("99999999999999999999", &v), -ERANGE);
    CHECK_EQ(cli_parse_size("17179869184G", &v), -ERANGE);
}

static void test_gdb_spec(void)
{
    char buf[128];
    const char *h, *p;
    bool u;

    CHECK_OK(cli_parse_gdb("1234", buf, sizeof(buf), &h, &p, &u));
    CHECK_STR(h, "127.0.0.1");
    CHECK_STR(p, "1234");
    CHECK(!u);
    CHECK_OK(cli_parse_gdb("0.0.0.0:99", buf, sizeof(buf), &h, &p, &u));
    CHECK_STR(h, "0.0.0.0");
    CHECK_STR(p, "99");
    CHECK_OK(cli_parse_gdb("[::1]:99", buf, sizeof(buf), &h, &p, &u));
    CHECK_STR(h, "::1");
    CHECK_OK(cli_parse_gdb("unix:/tmp/s", buf, sizeof(buf), &h, &p, &u));
    CHECK(u);
    CHECK_STR(p, "/tmp/s");
    CHECK(cli_parse_gdb("0", buf, sizeof(buf), &h, &p, &u) < 0);
    CHECK(cli_parse_gdb("65536", buf, sizeof(buf), &h, &p, &u) < 0);
    CHECK(cli_parse_gdb("[::1", buf, sizeof(buf), &h, &p, &u) < 0);
}

static void write_file(const char *path, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    uint8_t b = 0xab;

    CHECK(fd >= 0);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ(write(fd, &b, 1), 1);
    close(fd);
}

static void test_loader_bounds(void)
{
    char dir[] = "/tmp/kvmstub-unit.XXXXXX";
    char path[64];
    static uint8_t ram[8192];
    struct mem m = {.host = ram, .size = sizeof(ram)};

    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/img", dir);
    write_file(path, 4096);
    CHECK_EQ(loader_check_file(path), 4096);
    CHECK_EQ(loader_load_file(&m, path, 0), 4096);
    CHECK_EQ(ram[0], 0xab);
    CHECK_EQ(ram[4095], 0xab);
    CHECK_EQ(ram[4096], 0);
    CHECK_EQ(loader_load_file(&m, path, 4096), 4096);
    memset(ram, 0, sizeof(ram));
    CHECK_EQ(loader_load_file(&m, path, 4097), -EFBIG);
    CHECK_EQ(loader_load_file(&m, path, UINT64_MAX - 10), -EFBIG);
    CHECK_EQ(ram[4097], 0); /* nothing written on failure */
    write_file(path, 8193);
    CHECK_EQ(loader_load_file(&m, path, 0), -EFBIG);
    CHECK_EQ(ram[0], 0);
    write_file(path, 0);
    CHECK_EQ(loader_load_file(&m, path, 0), -ENODATA);
    CHECK_EQ(loader_check_file(path), -ENODATA);
    CHECK_EQ(loader_load_file(&m, dir, 0), -EISDIR);
    CHECK_EQ(loader_check_file(dir), -EISDIR);
    CHECK_EQ(loader_check_file("/dev/null"), -EINVAL);
    snprintf(path, sizeof(path), "%s/missing", dir);
    CHECK_EQ(loader_load_file(&m, path, 0), -ENOENT);
    snprintf(path, sizeof(path), "%s/img", dir);
    unlink(path);
    rmdir(dir);
}

static void test_gpa_bounds(void)
{
    static uint8_t ram[4096];
    struct mem m = {.host = ram, .size = sizeof(ram)};

    CHECK(mem_gpa_to_hva(&m, 0, 4096) == ram);
    CHECK(mem_gpa_to_hva(&m, 4095, 1) == ram + 4095);
    CHECK(mem_gpa_to_hva(&m, 4095, 2) == NULL);
    CHECK(mem_gpa_to_hva(&m, 4096, 0) == ram + 4096);
    CHECK(mem_gpa_to_hva(&m, 4097, 0) == NULL);
    CHECK(mem_gpa_to_hva(&m, UINT64_MAX, 2) == NULL);
    m.host = MAP_FAILED;
    CHECK(mem_gpa_to_hva(&m, 0, 1) == NULL);
}

static void test_split_gpa(void)
{
    static uint8_t ram[3 * 4096];
    /* 8 KiB at 0, 4 KiB at 0x10000 */
    struct mem m = {.host = ram,
                    .size = sizeof(ram),
                    .high_size = 4096,
                    .high_base = 0x10000};

    CHECK(mem_gpa_to_hva(&m, 0, 8192) == ram);
    CHECK(mem_gpa_to_hva(&m, 8191, 1) == ram + 8191);
    CHECK(mem_gpa_to_hva(&m, 8191, 2) == NULL);
    CHECK(mem_gpa_to_hva(&m, 8192, 1) == NULL);
    CHECK(mem_gpa_to_hva(&m, 0xffff, 1) == NULL);
    CHECK(mem_gpa_to_hva(&m, 0xffff, 2) == NULL);
    CHECK(mem_gpa_to_hva(&m, 0x10000, 4096) == ram + 8192);
    CHECK(mem_gpa_to_hva(&m, 0x10fff, 1) == ram + 3 * 4096 - 1);
    CHECK(mem_gpa_to_hva(&m, 0x10fff, 2) == NULL);
    CHECK(mem_gpa_to_hva(&m, 0x11000, 1) == NULL);
    CHECK(mem_gpa_to_hva(&m, 0, 0x11000) == NULL); /* straddles the hole */
    CHECK(mem_gpa_to_hva(&m, UINT64_MAX, 2) == NULL);
}

/* --restore takes the vCPU count from the file; --smp is noted to agree. */
static void test_restore_smp(void)
{
    struct cli_opts o;
    char err[256];

    CHECK_EQ(parse(&o, err, "--restore", "f.snap", NULL), CLI_RUN);
    CHECK(!o.smp_set);
    CHECK_EQ(parse(&o, err, "--restore", "f.snap", "--smp", "2", NULL),
             CLI_RUN);
    CHECK(o.smp_set);
    CHECK_EQ(o.smp, 2);
    CHECK_EQ(parse(&o, err, "--machine", "pc", "--smp", "2", "--record",
                   "--gdb", "1", "img", NULL),
             CLI_USAGE_ERROR);
    CHECK(strstr(err, "--record knows one vCPU") != NULL);
    CHECK_EQ(parse(&o, err, "--restore", "f.snap", "--smp", "2", "--record",
                   "--gdb", "1", NULL),
             CLI_USAGE_ERROR);
    /* Without --restore the bare machine still has one vCPU. */
    CHECK_EQ(parse(&o, err, "--smp", "2", "img", NULL), CLI_USAGE_ERROR);
    CHECK(strstr(err, "pc machine") != NULL);
}

static void test_debugexit(void)
{
    struct power p = {0};
    struct debugexit d;
    uint8_t data[8] = {0x10, 0, 0, 0};

    debugexit_init(&d, &p);
    CHECK_OK(debugexit_io(&d, 0xf4, false, 1, 1, data));
    CHECK_EQ(data[0], 0xff);
    CHECK(!power_pending(&p));
    data[0] = 0x10;
    CHECK_OK(debugexit_io(&d, 0xf4, true, 1, 1, data));
    CHECK_EQ(p.req, POWER_EXIT);
    CHECK_EQ(p.status, 33);
    /* The first request wins. */
    data[0] = 0;
    CHECK_OK(debugexit_io(&d, 0xf4, true, 1, 1, data));
    CHECK_EQ(p.status, 33);
    p = (struct power){0};
    memcpy(data, "\x00\x01\x00\x00", 4); /* 0x100: (0x201) & 0xff */
    CHECK_OK(debugexit_io(&d, 0xf6, true, 2, 1, data));
    CHECK_EQ(p.status, 1);
    p = (struct power){0};
    memcpy(data, "\x7f\x00\x00\x80", 4);
    CHECK_OK(debugexit_io(&d, 0xf4, true, 4, 1, data));
    CHECK_EQ(p.status, 0xff);
}

static int seen_calls;
static int count_handler(void *ctx, uint16_t port, bool w, uint8_t size,
                         uint32_t count, uint8_t *data)
{
    (void)ctx;
    (void)port;
    (void)w;
    (void)size;
    (void)count;
    data[0] = 0x42;
    seen_calls++;
    return 0;
}

static void test_pio_bus(void)
{
    struct pio_bus bus;
    uint8_t data[8];

    pio_init(&bus);
    CHECK_OK(pio_register(&bus, 0x10, 4, count_handler, NULL));
    CHECK_EQ(pio_register(&bus, 0x13, 1, count_handler, NULL), -EBUSY);
    CHECK_EQ(pio_register(&bus, 0xffff, 2, count_handler, NULL), -EINVAL);
    CHECK_EQ(pio_register(&bus, 0x20, 0, count_handler, NULL), -EINVAL);
    CHECK_OK(pio_dispatch(&bus, 0x13, false, 1, 1, data));
    CHECK_EQ(data[0], 0x42);
    CHECK_EQ(seen_calls, 1);
    memset(data, 0, sizeof(data));
    CHECK_OK(pio_dispatch(&bus, 0x14, false, 4, 2, data));
    CHECK_EQ(seen_calls, 1);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(data[i], 0xff);
}

static void test_console_writes_all(void)
{
    int p[2];
    uint8_t out[64] = "Hello\n";
    char in[64] = {0};

    CHECK_OK(pipe(p));
    static struct pio_console con;
    con = (struct pio_console){.fd = p[1], .wake_fd = {-1, -1}};
    CHECK_OK(pio_console_handler(&con, 0xf1, true, 1, 6, out));
    CHECK_EQ(read(p[0], in, sizeof(in)), 6);
    CHECK_STR(in, "Hello\n");
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    CHECK_EQ(pio_console_handler(&con, 0xf1, true, 1, 6, out), -EPIPE);
    CHECK(con.closed);
    close(p[1]);
}

/*
 * A socket on stdout whose reader stalls: the console sends without
 * blocking and without touching the socket's (shared) flags; a wake fd
 * cuts the wait short with the rest kept; flushing while the reader reads
 * delivers every byte in order; a reader that leaves is EPIPE.
 */
static void test_console_socket(void)
{
    static struct pio_console con;
    static uint8_t out[PIO_CONSOLE_PEND], in[PIO_CONSOLE_PEND + 1];
    int sv[2], wake[2], small = 4096, e;
    size_t got = 0;

    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 7 + i / 251);
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)));
    CHECK_OK(pipe(wake));
    CHECK_EQ(write(wake[1], "w", 1), 1); /* as if SIGTERM were pending */
    con = (struct pio_console){
        .fd = sv[0], .wake_fd = {wake[0], -1}, .is_socket = true};
    CHECK_EQ(pio_console_write(&con, out, sizeof(out)), -EINTR);
    CHECK(con.pend_len > 0 && con.pend_len < sizeof(out));
    CHECK_EQ(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
    for (int rounds = 0; rounds < 100000; rounds++) {
        ssize_t n = recv(sv[1], in + got, sizeof(in) - got, MSG_DONTWAIT);
        if (n > 0)
            got += (size_t)n;
        e = pio_console_flush(&con);
        if (e != -EINTR)
            break;
    }
    CHECK_OK(e);
    for (ssize_t n;
         (n = recv(sv[1], in + got, sizeof(in) - got, MSG_DONTWAIT)) > 0;)
        got += (size_t)n;
    CHECK_EQ(got, sizeof(out));
    CHECK_MEM(in, out, sizeof(out));
    close(sv[1]);
    CHECK_EQ(pio_console_write(&con, out, 1), -EPIPE);
    CHECK(con.closed);
    close(sv[0]);
    close(wake[0]);
    close(wake[1]);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_defaults),           TEST(test_all_options),
        TEST(test_usage_errors),       TEST(test_sizes),
        TEST(test_gdb_spec),           TEST(test_loader_bounds),
        TEST(test_gpa_bounds),         TEST(test_pio_bus),
        TEST(test_console_writes_all), TEST(test_console_socket),
        TEST(test_machines),           TEST(test_machine_errors),
        TEST(test_split_gpa),          TEST(test_debugexit),
        TEST(test_restore_smp),
    };
    return test_main(tests, TEST_COUNT(tests));
}
