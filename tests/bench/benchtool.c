/*
 * benchtool: the timing and arithmetic the bench needs and bash cannot do
 * (no python, no awk in the bench). Every time is measured from just
 * before fork(2) with CLOCK_MONOTONIC and printed in microseconds.
 *
 *   benchtool first-byte CMD...       time until CMD's first stdout byte
 *   benchtool rss CMD...              wait for CMD's first stdout line,
 *                                     print "VmRSS VmHWM" in KiB
 *   benchtool wall CMD...             time until CMD exits with status 0
 *   benchtool wchar N CMD...          time until CMD has written N bytes
 *                                     (/proc/PID/io wchar, polled every
 *                                     ms), CMD's stdout on /dev/null
 *   benchtool gdb-start PORT CMD... -- GDB...
 *                                     start CMD, wait until something
 *                                     listens on 127.0.0.1:PORT (read from
 *                                     /proc/net/tcp: a probe connection
 *                                     would be a debugger to the stub),
 *                                     run GDB to its exit (status 0)
 *   benchtool wait-listen PORT [PID]  wait until something listens on
 *                                     PORT (as gdb-start), PID still alive
 *   benchtool stats [rate K | mul K]  read numbers from stdin (as K/x or
 *                                     x*K); print "median min max n" and
 *                                     the three again, rounded for a table
 *   benchtool ratio A B               print A/B and A/B rounded for a
 *                                     table, or "null -" if either is not
 *                                     a positive number
 *   benchtool cmp A B                 exit 0 if A >= B, 1 if A < B, 2 if
 *                                     either is not a number
 *   benchtool free-port               print an unused TCP port in
 *                                     [20000, 32000), from /proc/net/tcp
 *   benchtool pin CPU CMD...          exec CMD bound to CPU (its threads
 *                                     and children too)
 *
 * Children get /dev/null on stdin, inherit stderr and are killed when
 * benchtool dies (PR_SET_PDEATHSIG), so a `timeout` around benchtool
 * leaves nothing behind. Exit status 0 on success, 1 with a message on
 * stderr on failure, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_LIMIT_US (120 * 1000000LL) /* give up on any wait after this */
#define RSS_SETTLE_MS 200 /* let a started VMM's threads finish starting */

static int64_t now_us(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0) {
        perror("benchtool: clock_gettime");
        exit(1);
    }
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(long us)
{
    struct timespec ts = {.tv_sec = us / 1000000,
                          .tv_nsec = us % 1000000 * 1000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static void fail(const char *what)
{
    fprintf(stderr, "benchtool: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void fail_msg(const char *msg, const char *arg)
{
    fprintf(stderr, "benchtool: %s%s\n", msg, arg ? arg : "");
    exit(1);
}

/*
 * Fork and exec argv with stdin /dev/null and stdout on out_fd (or
 * /dev/null when out_fd < 0). Returns the child's pid.
 */
static pid_t spawn(char **argv, int out_fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();

    if (pid < 0)
        fail("fork");
    if (pid > 0)
        return pid;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
        dup2(out_fd >= 0 ? out_fd : null_fd, STDOUT_FILENO) < 0)
        _exit(127);
    execvp(argv[0], argv);
    fprintf(stderr, "benchtool: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void reap(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            fail("waitpid");
}

static void kill_and_reap(pid_t pid)
{
    int status;

    if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
        fail("kill");
    reap(pid, &status);
}

static bool exited_ok(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void print_us(int64_t us)
{
    if (printf("%lld\n", (long long)us) < 0 || fflush(stdout) == EOF)
        fail("stdout");
}

/* Read from fd until `until` is seen (or, when until < 0, any byte). */
static void read_until(int fd, int until)
{
    char buf[4096];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail("read child stdout");
        if (n == 0)
            fail_msg("child closed stdout before its first byte", NULL);
        if (until < 0 || memchr(buf, until, (size_t)n))
            return;
    }
}

static int cmd_first_byte(char **argv)
{
    int p[2];

    if (pipe2(p, O_CLOEXEC) < 0)
        fail("pipe2");
    int64_t t0 = now_us();
    pid_t pid = spawn(argv, p[1]);
    close(p[1]);
    read_until(p[0], -1);
    int64_t t1 = now_us();
    kill_and_reap(pid);
    close(p[0]);
    print_us(t1 - t0);
    return 0;
}

/* The value in KiB of a "Name:   N kB" line of /proc/PID/status. */
static long status_kib(const char *status, const char *name)
{
    const char *p = strstr(status, name);

    if (!p)
        fail_msg("no field in /proc/PID/status: ", name);
    return strtol(p + strlen(name), NULL, 10);
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t len = 0;

    if (fd < 0)
        return -1;
    while (len + 1 < size) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return (ssize_t)len;
}

static int cmd_rss(char **argv)
{
    int p[2];
    char path[64], status[8192];

    if (pipe2(p, O_CLOEXEC) < 0)
        fail("pipe2");
    pid_t pid = spawn(argv, p[1]);
    close(p[1]);
    read_until(p[0], '\n');
    sleep_us(RSS_SETTLE_MS * 1000L);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (read_file(path, status, sizeof(status)) <= 0)
        fail(path);
    long rss = status_kib(status, "VmRSS:");
    long hwm = status_kib(status, "VmHWM:");
    kill_and_reap(pid);
    close(p[0]);
    if (printf("%ld %ld\n", rss, hwm) < 0 || fflush(stdout) == EOF)
        fail("stdout");
    return 0;
}

static int cmd_wall(char **argv)
{
    int status;
    int64_t t0 = now_us();
    pid_t pid = spawn(argv, -1);

    reap(pid, &status);
    int64_t t1 = now_us();
    if (!exited_ok(status))
        fail_msg("command failed: ", argv[0]);
    print_us(t1 - t0);
    return 0;
}

/* The wchar count of /proc/PID/io, or -1 once the process is gone. */
static long long proc_wchar(pid_t pid)
{
    char path[64], io[4096];

    snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
    if (read_file(path, io, sizeof(io)) <= 0)
        return -1;
    const char *p = strstr(io, "wchar:");
    return p ? strtoll(p + 6, NULL, 10) : -1;
}

static int cmd_wchar(long long n, char **argv)
{
    int64_t t0 = now_us();
    pid_t pid = spawn(argv, -1);

    for (;;) {
        long long w = proc_wchar(pid);
        if (w >= n)
            break;
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r < 0 && errno != EINTR)
            fail("waitpid");
        if (r == pid)
            fail_msg("command exited before writing enough: ", argv[0]);
        if (now_us() - t0 > WAIT_LIMIT_US)
            fail_msg("timed out: ", argv[0]);
        sleep_us(1000);
    }
    int64_t t1 = now_us();
    kill_and_reap(pid);
    print_us(t1 - t0);
    return 0;
}

/* Whether any socket in /proc/net/tcp{,6} has local port `port`, in the
 * given state only (st >= 0) or in any state (st < 0). */
static bool port_in_use(unsigned port, int want_st)
{
    static const char *const files[] = {"/proc/net/tcp", "/proc/net/tcp6"};
    static char buf[1 << 20];

    for (size_t i = 0; i < 2; i++) {
        if (read_file(files[i], buf, sizeof(buf)) <= 0)
            continue;
        /* "sl: local_addr:port rem_addr:port st ..." (st 0A = LISTEN) */
        for (char *line = buf; line; line = strchr(line, '\n')) {
            unsigned lport, st;
            line += *line == '\n';
            if (sscanf(line, "%*u: %*[0-9A-Fa-f]:%X %*[0-9A-Fa-f]:%*X %X",
                       &lport, &st) == 2 &&
                lport == port && (want_st < 0 || st == (unsigned)want_st))
                return true;
        }
    }
    return false;
}

static bool is_listening(unsigned port)
{
    return port_in_use(port, 0x0a);
}

/*
 * free-port: a TCP port in [20000, 32000), below Linux's default ephemeral
 * range, that no socket uses. Read from /proc/net/tcp rather than probed
 * with connect(2): a probe could reach someone's GDB stub as a debugger.
 */
static int cmd_free_port(void)
{
    unsigned seed = (unsigned)now_us() ^ (unsigned)getpid() * 2654435761u;

    for (int i = 0; i < 100; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned port = 20000 + (seed >> 8) % 12000;
        if (!port_in_use(port, -1)) {
            if (printf("%u\n", port) < 0 || fflush(stdout) == EOF)
                fail("stdout");
            return 0;
        }
    }
    fail_msg("no free port found", NULL);
    return 1;
}

/* wait-listen PORT [PID]: until something listens on PORT (PID alive). */
static int cmd_wait_listen(unsigned port, pid_t pid)
{
    int64_t t0 = now_us();

    while (!is_listening(port)) {
        if (pid > 0 && kill(pid, 0) < 0)
            fail_msg("process gone before it listened", NULL);
        if (now_us() - t0 > 20 * 1000000LL)
            fail_msg("nothing listened on the port in 20 s", NULL);
        sleep_us(1000);
    }
    return 0;
}
static int cmd_gdb_start(unsigned port, char **vmm_argv, char **gdb_argv)
{
    int status;
    int64_t t0 = now_us();
    pid_t vmm = spawn(vmm_argv, -1);

    while (!is_listening(port)) {
        pid_t r = waitpid(vmm, &status, WNOHANG);
        if (r == vmm)
            fail_msg("VMM exited before listening: ", vmm_argv[0]);
        if (now_us() - t0 > WAIT_LIMIT_US)
            fail_msg("VMM never listened: ", vmm_argv[0]);
        sleep_us(100);
    }
    pid_t gdb = spawn(gdb_argv, -1);
    reap(gdb, &status);
    int64_t t1 = now_us();
    kill_and_reap(vmm);
    if (!exited_ok(status))
        fail_msg("gdb failed: ", gdb_argv[0]);
    print_us(t1 - t0);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* A number for a table cell: about three significant digits, no exponent. */
static void human(double x, char *buf, size_t size)
{
    double a = x < 0 ? -x : x;

    if (a >= 100)
        snprintf(buf, size, "%.0f", x);
    else if (a >= 10)
        snprintf(buf, size, "%.1f", x);
    else
        snprintf(buf, size, "%.2f", x);
}

/*
 * stats [rate K | mul K]: samples on stdin, each turned into K/x (times
 * into rates) or x*K first. Prints "median min max n" and then the three
 * figures again formatted for the table.
 */
static int cmd_stats(const char *how, const char *k_arg)
{
    static double v[65536];
    double k = 1;
    size_t n = 0;
    bool rate = how && strcmp(how, "rate") == 0;

    if (k_arg)
        k = strtod(k_arg, NULL);
    while (n < sizeof(v) / sizeof(v[0]) && scanf("%lf", &v[n]) == 1) {
        if (rate && v[n] <= 0)
            fail_msg("stats: a rate needs positive samples", NULL);
        v[n] = rate ? k / v[n] : v[n] * k;
        n++;
    }
    if (n == 0)
        fail_msg("stats: no samples", NULL);
    qsort(v, n, sizeof(v[0]), cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    char a[32], b[32], c[32];
    human(med, a, sizeof(a));
    human(v[0], b, sizeof(b));
    human(v[n - 1], c, sizeof(c));
    if (printf("%.10g %.10g %.10g %zu %s %s %s\n", med, v[0], v[n - 1], n, a, b,
               c) < 0 ||
        fflush(stdout) == EOF)
        fail("stdout");
    return 0;
}
static int cmd_ratio(const char *a, const char *b)
{
    char *end_a, *end_b, buf[64] = "null -";
    double x = strtod(a, &end_a), y = strtod(b, &end_b);

    if (end_a != a && !*end_a && end_b != b && !*end_b && x > 0 && y > 0) {
        char h[32];
        human(x / y, h, sizeof(h));
        snprintf(buf, sizeof(buf), "%.10g %s", x / y, h);
    }
    if (puts(buf) == EOF || fflush(stdout) == EOF)
        fail("stdout");
    return 0;
}

/* cmp A B: exit 0 if A >= B, 1 if A < B, 2 if either is not a number. */
static int cmd_cmp(const char *a, const char *b)
{
    char *end_a, *end_b;
    double x = strtod(a, &end_a), y = strtod(b, &end_b);

    if (end_a == a || *end_a || end_b == b || *end_b)
        return 2;
    return x >= y ? 0 : 1;
}

/* pin CPU CMD...: run CMD (and its threads and children) on CPU only. */
static int cmd_pin(const char *cpu_arg, char **argv)
{
    cpu_set_t set;
    char *end;
    long cpu = strtol(cpu_arg, &end, 10);

    if (end == cpu_arg || *end || cpu < 0 || cpu >= CPU_SETSIZE)
        fail_msg("pin: bad CPU number ", cpu_arg);
    CPU_ZERO(&set);
    CPU_SET((int)cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        fail("sched_setaffinity");
    execvp(argv[0], argv);
    fail(argv[0]);
    return 1;
}

static int usage(void)
{
    fputs("usage: benchtool first-byte|rss|wall CMD... | wchar N CMD... |\n"
          "       gdb-start PORT CMD... -- GDB... | wait-listen PORT [PID] |\n"
          "       stats [rate K | mul K] | ratio A B | cmp A B | free-port |\n"
          "       pin CPU CMD...\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (argc >= 3 && strcmp(cmd, "first-byte") == 0)
        return cmd_first_byte(argv + 2);
    if (argc >= 3 && strcmp(cmd, "rss") == 0)
        return cmd_rss(argv + 2);
    if (argc >= 3 && strcmp(cmd, "wall") == 0)
        return cmd_wall(argv + 2);
    if (argc >= 4 && strcmp(cmd, "wchar") == 0)
        return cmd_wchar(strtoll(argv[2], NULL, 10), argv + 3);
    if (argc >= 6 && strcmp(cmd, "gdb-start") == 0) {
        int sep = 0;
        for (int i = 3; i < argc; i++)
            if (strcmp(argv[i], "--") == 0)
                sep = i;
        if (sep <= 3 || sep == argc - 1)
            return usage();
        argv[sep] = NULL;
        return cmd_gdb_start((unsigned)strtoul(argv[2], NULL, 10), argv + 3,
                             argv + sep + 1);
    }
    if ((argc == 2 || argc == 4) && strcmp(cmd, "stats") == 0)
        return cmd_stats(argc == 4 ? argv[2] : NULL,
                         argc == 4 ? argv[3] : NULL);
    if ((argc == 3 || argc == 4) && strcmp(cmd, "wait-listen") == 0)
        return cmd_wait_listen((unsigned)strtoul(argv[2], NULL, 10),
                               argc == 4 ? (pid_t)strtol(argv[3], NULL, 10)
                                         : 0);
    if (argc == 4 && strcmp(cmd, "ratio") == 0)
        return cmd_ratio(argv[2], argv[3]);
    if (argc == 4 && strcmp(cmd, "cmp") == 0)
        return cmd_cmp(argv[2], argv[3]);
    if (argc == 2 && strcmp(cmd, "free-port") == 0)
        return cmd_free_port();
    if (argc >= 4 && strcmp(cmd, "pin") == 0)
        return cmd_pin(argv[2], argv + 3);
    return usage();
}
