/*
 * rspclient: a raw GDB Remote Serial Protocol client for what gdb cannot
 * script: naks, garbage, interrupts during a HLT pause, half packets,
 * oversized packets and a second concurrent client.
 *
 *   rspclient ADDR ACTION...      ADDR is HOST:PORT, [V6]:PORT or unix:PATH
 *
 * It connects (retrying for up to 5 s, so tests need not wait for the
 * port), then performs the actions in order. Each reply read is printed on
 * stdout as "< PAYLOAD" (non-printable bytes as \xNN). Exit status: 0 when
 * every action succeeded, 1 with a message naming the first failed action
 * on stderr, 2 on a usage error. Every blocking wait has a timeout.
 */
#include <errno.h>
#include <fnmatch.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_MS      5000        /* how long to retry connecting */
#define DEFAULT_TIMEOUT 5000        /* per blocking read, ms; see timeout:MS */
#define QUIET_MS        200         /* rawexpect: silence that ends the read */
#define MAX_REPLY       (64u << 20) /* decoded reply cap (run-length bombs) */

struct client {
    const char *addr;
    int fd;
    bool noack; /* QStartNoAckMode was accepted: no '+' either way */
    int timeout_ms;
    uint8_t in[65536]; /* received, [in_pos, in_len) not consumed */
    size_t in_pos, in_len;
    char *last; /* last reply (decoded), NUL-terminated */
    size_t last_len, last_cap;
    char err[512];
};

static const char usage_text[] =
    "usage: rspclient ADDR ACTION...\n"
    "  ADDR: HOST:PORT, [V6]:PORT or unix:PATH\n"
    "  pkt:P        send packet P, read its ack and one reply\n"
    "  send:P       send packet P, read its ack only (c, s)\n"
    "  reply        read one reply packet\n"
    "  expect:GLOB  the last reply matches the fnmatch(3) glob\n"
    "  raw:BYTES    send bytes with C escapes (\\x03 \\n \\\\)\n"
    "  rawexpect:GLOB  bytes received (until 200 ms of silence) match\n"
    "  intr         send 0x03\n"
    "  time-intr    send 0x03, read the stop reply, print latency_us N\n"
    "  sleep:MS     pause\n"
    "  waitfile:PATH  wait (up to the timeout) until PATH exists\n"
    "  timeout:MS   timeout for every later blocking read (default 5000)\n"
    "  close        close the connection; reset: close with a TCP RST\n"
    "  connect      reconnect (no-op while connected)\n"
    "  half:P       send the first half of packet P's frame, then close\n"
    "  garbage:N:SEED  send N pseudo-random bytes (xorshift64)\n"
    "  bigpkt:N     send a packet of N 'a', read the '-' or reply\n"
    "  expect-eof   the server closes the connection within the timeout\n";

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
    return now_us() / 1000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        continue;
    }
}

__attribute__((format(printf, 2, 3))) static int fail(struct client *c,
                                                      const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* Returns a connected fd, or -errno. */
static int connect_once(const char *addr)
{
    if (strncmp(addr, "unix:", 5) == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(addr + 5) >= sizeof(sun.sun_path))
            return -ENAMETOOLONG;
        strcpy(sun.sun_path, addr + 5);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -errno;
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
            int e = errno;
            close(fd);
            return -e;
        }
        return fd;
    }

    char host[256];
    const char *colon = strrchr(addr, ':');
    size_t hlen = colon ? (size_t)(colon - addr) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof(host) || !colon[1])
        return -EINVAL;
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        memmove(host, host + 1, hlen - 1);
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return -EHOSTUNREACH;
    int ret = -ECONNREFUSED;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            ret = -errno;
            continue;
        }
        int one = 1;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
            ret = -errno;
            close(fd);
            continue;
        }
        ret = fd;
        break;
    }
    freeaddrinfo(res);
    return ret;
}

static void drop(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->noack = false;
    c->in_pos = c->in_len = 0;
}

static int do_connect(struct client *c)
{
    int64_t deadline = now_ms() + CONNECT_MS;

    if (c->fd >= 0)
        return 0;
    for (;;) {
        int fd = connect_once(c->addr);
        if (fd >= 0) {
            c->fd = fd;
            return 0;
        }
        if ((fd != -ECONNREFUSED && fd != -ENOENT) || now_ms() >= deadline)
            return fail(c, "connect %s: %s", c->addr, strerror(-fd));
        sleep_ms(20);
    }
}

/* Wait for events on c->fd until deadline (ms). 1 ready, 0 timeout, -errno. */
static int wait_fd(struct client *c, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        struct pollfd p = {.fd = c->fd, .events = events};
        int n = poll(&p, 1, left > 0 ? (int)left : 0);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

/* Next received byte (0..255), -ETIMEDOUT, -EPIPE on EOF, or -errno. */
static int read_byte(struct client *c, int64_t deadline)
{
    if (c->in_pos < c->in_len)
        return c->in[c->in_pos++];
    if (c->fd < 0)
        return -ENOTCONN;
    int r = wait_fd(c, POLLIN, deadline);
    if (r <= 0)
        return r == 0 ? -ETIMEDOUT : r;
    ssize_t n;
    do {
        n = read(c->fd, c->in, sizeof(c->in));
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EPIPE;
    c->in_pos = 1;
    c->in_len = (size_t)n;
    return c->in[0];
}

static const char *rd_err(int r)
{
    return r == -EPIPE ? "connection closed by the server" : strerror(-r);
}

/* Send all of buf; 0 or -errno (EPIPE, ECONNRESET, ETIMEDOUT...). */
static int send_all(struct client *c, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    if (c->fd < 0)
        return -ENOTCONN;
    while (len > 0) {
        int r = wait_fd(c, POLLOUT, now_ms() + c->timeout_ms);
        if (r <= 0)
            return r == 0 ? -ETIMEDOUT : r;
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* $payload#cs, escaping '$', '#', '}' and '*'. Caller frees; NULL on ENOMEM. */
static uint8_t *frame(const char *payload, size_t len, size_t *flen)
{
    uint8_t *f = malloc(2 * len + 4), sum = 0;
    size_t n = 0;

    if (!f)
        return NULL;
    f[n++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)payload[i];
        if (b == '$' || b == '#' || b == '}' || b == '*') {
            f[n++] = '}';
            sum += '}';
            b ^= 0x20;
        }
        f[n++] = b;
        sum += b;
    }
    n += (size_t)sprintf((char *)f + n, "#%02x", sum);
    *flen = n;
    return f;
}

static int send_packet(struct client *c, const char *payload, size_t len)
{
    size_t flen;
    uint8_t *f = frame(payload, len, &flen);

    if (!f)
        return fail(c, "out of memory");
    int r = send_all(c, f, flen);
    free(f);
    if (r < 0)
        return fail(c, "send: %s", strerror(-r));
    return 0;
}

static int read_ack(struct client *c)
{
    if (c->noack)
        return 0;
    int b = read_byte(c, now_ms() + c->timeout_ms);
    if (b == '+')
        return 0;
    if (b == '-')
        return fail(c, "got '-' (nak) instead of '+'");
    if (b < 0)
        return fail(c, "waiting for '+': %s", rd_err(b));
    return fail(c, "got byte 0x%02x instead of '+'", b);
}

static int last_put(struct client *c, uint8_t b)
{
    if (c->last_len + 1 >= c->last_cap) {
        size_t cap = c->last_cap ? 2 * c->last_cap : 4096;
        char *p = cap <= MAX_REPLY ? realloc(c->last, cap) : NULL;
        if (!p)
            return fail(c, "reply longer than %u bytes", MAX_REPLY);
        c->last = p;
        c->last_cap = cap;
    }
    c->last[c->last_len++] = (char)b;
    c->last[c->last_len] = '\0';
    return 0;
}

/* Empty the last reply (allocating it, so c->last is never NULL after). */
static int last_clear(struct client *c)
{
    c->last_len = 0;
    if (last_put(c, 0) < 0)
        return -1;
    c->last_len = 0;
    return 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * Read one packet into c->last: skip to '$', undo '}' escapes and '*'
 * run-length counts, check the checksum and ack it.
 */
static int read_packet(struct client *c)
{
    int64_t deadline = now_ms() + c->timeout_ms;
    uint8_t sum = 0;
    bool esc = false;
    int b;

    if (last_clear(c) < 0)
        return -1;
    do {
        b = read_byte(c, deadline);
    } while (b >= 0 && b != '$');
    while (b >= 0 && (b = read_byte(c, deadline)) >= 0 && b != '#') {
        sum += (uint8_t)b;
        if (esc) {
            esc = false;
            b ^= 0x20;
        } else if (b == '}') {
            esc = true;
            continue;
        } else if (b == '*') {
            int n = read_byte(c, deadline);
            if (n < 0) {
                b = n;
                break;
            }
            sum += (uint8_t)n;
            if (c->last_len == 0 || n < 29)
                return fail(c, "bad run-length count 0x%02x", n);
            for (int i = 0; i < n - 29; i++) {
                if (last_put(c, (uint8_t)c->last[c->last_len - 1]) < 0)
                    return -1;
            }
            continue;
        }
        if (last_put(c, (uint8_t)b) < 0)
            return -1;
    }
    int h1 = b >= 0 ? read_byte(c, deadline) : b;
    int h2 = h1 >= 0 ? read_byte(c, deadline) : h1;
    if (h2 < 0)
        return fail(c, "reading a reply: %s", rd_err(h2));
    if (hexval(h1) < 0 || hexval(h2) < 0 ||
        (uint8_t)(hexval(h1) << 4 | hexval(h2)) != sum)
        return fail(c, "reply checksum '%c%c', computed %02x", h1, h2, sum);
    if (!c->noack) {
        int r = send_all(c, "+", 1);
        if (r < 0)
            return fail(c, "sending '+': %s", strerror(-r));
    }
    return 0;
}

/* Print prefix and buf with non-printable bytes as \xNN. */
static int print_esc(struct client *c, const char *prefix, const char *buf,
                     size_t len)
{
    int r = fputs(prefix, stdout);

    for (size_t i = 0; i < len && r >= 0; i++) {
        unsigned char ch = (unsigned char)buf[i];
        if (ch == '\\')
            r = fputs("\\\\", stdout);
        else if (ch < 0x20 || ch > 0x7e)
            r = printf("\\x%02x", ch);
        else
            r = putchar(ch);
    }
    if (r >= 0)
        r = putchar('\n');
    if (r < 0 || fflush(stdout) != 0)
        return fail(c, "writing stdout: %s", strerror(errno));
    return 0;
}

static int print_last(struct client *c)
{
    return print_esc(c, "< ", c->last, c->last_len);
}

static int match_last(struct client *c, const char *pat)
{
    if (fnmatch(pat, c->last ? c->last : "", 0) == 0)
        return 0;
    return fail(c, "last reply '%.200s' does not match '%s'",
                c->last ? c->last : "", pat);
}

/*
 * Collect raw bytes into c->last: the first within the timeout, the rest
 * until QUIET_MS of silence (or EOF).
 */
static int read_raw(struct client *c)
{
    int64_t deadline = now_ms() + c->timeout_ms;
    int b;

    if (last_clear(c) < 0)
        return -1;
    while ((b = read_byte(c, deadline)) >= 0) {
        if (last_put(c, (uint8_t)b) < 0)
            return -1;
        deadline = now_ms() + QUIET_MS;
    }
    if (b != -ETIMEDOUT && b != -EPIPE && b != -ECONNRESET)
        return fail(c, "read: %s", strerror(-b));
    return print_esc(c, "< ", c->last, c->last_len);
}

/* C-style escapes in place (\xNN, \n, \r, \t, \\); returns the length. */
static size_t unescape(char *s)
{
    size_t o = 0;

    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\' || !s[i + 1]) {
            s[o++] = s[i];
            continue;
        }
        char e = s[++i];
        if (e == 'x' && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            s[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
            i += 2;
        } else {
            s[o++] = e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
        }
    }
    return o;
}

/*
 * garbage:N:SEED - drains what the server sends meanwhile, so that a server
 * that answers the garbage never blocks on us.
 */
static int send_garbage(struct client *c, unsigned long n, uint64_t x)
{
    uint8_t buf[4096];
    unsigned long sent = 0;

    x = x ? x : 0x9e3779b97f4a7c15u;
    while (sent < n) {
        size_t len = n - sent < sizeof(buf) ? n - sent : sizeof(buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13; /* xorshift64 (Marsaglia 2003) */
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (uint8_t)(x >> 32);
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLOUT};
        int r = poll(&p, 1, c->timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return fail(c, "poll: %s", strerror(errno));
        if (r == 0)
            return fail(c, "server stopped reading after %lu bytes", sent);
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t got = read(c->fd, c->in, sizeof(c->in));
            if (got == 0 || (got < 0 && errno == ECONNRESET))
                break;
            if (got < 0 && errno != EINTR)
                return fail(c, "read: %s", strerror(errno));
        }
        if (!(p.revents & POLLOUT))
            continue;
        ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
            break;
        if (w < 0 && errno != EINTR && errno != EAGAIN)
            return fail(c, "send: %s", strerror(errno));
        sent += w > 0 ? (unsigned long)w : 0;
    }
    c->in_pos = c->in_len = 0;
    if (printf("# garbage: sent %lu of %lu bytes\n", sent, n) < 0)
        return fail(c, "writing stdout: %s", strerror(errno));
    return 0;
}

static int expect_eof(struct client *c)
{
    int64_t deadline = now_ms() + c->timeout_ms;
    int b;

    if (c->fd < 0)
        return fail(c, "not connected");
    while ((b = read_byte(c, deadline)) >= 0)
        continue;
    if (b == -EPIPE || b == -ECONNRESET)
        return 0;
    if (b == -ETIMEDOUT)
        return fail(c, "connection still open after %d ms", c->timeout_ms);
    return fail(c, "read: %s", strerror(-b));
}

/* bigpkt:N - a well-formed packet of N 'a'; reads back '-' or ack+reply. */
static int send_big(struct client *c, unsigned long n)
{
    char *payload = malloc(n + 1);

    if (!payload)
        return fail(c, "out of memory");
    memset(payload, 'a', n);
    int r = send_packet(c, payload, n);
    free(payload);
    if (r < 0)
        return r;
    int b = read_byte(c, now_ms() + c->timeout_ms);
    if (b < 0)
        return fail(c, "after the big packet: %s", rd_err(b));
    if (b == '-') {
        if (last_clear(c) < 0 || last_put(c, '-') < 0)
            return -1;
        return print_last(c);
    }
    if (b == '$')
        c->in_pos--; /* no-ack mode: the reply itself */
    else if (b != '+')
        return fail(c, "got byte 0x%02x after the big packet", b);
    if (read_packet(c) < 0)
        return -1;
    return print_last(c);
}

/* Parse a number ending at stop; false on junk. */
static bool parse_num(const char *s, char stop, unsigned long *out)
{
    char *end;

    if (!s || !*s || *s == '-')
        return false;
    errno = 0;
    *out = strtoul(s, &end, 0);
    return errno == 0 && end != s && *end == stop;
}

/*
 * Run one action; 0 or -1 with c->err set. With dry_run, only check the
 * syntax (returns -2 on a usage error in either mode).
 */
static int run_action(struct client *c, char *a, bool dry_run)
{
    char *arg = strchr(a, ':');
    size_t nlen = arg ? (size_t)(arg - a) : strlen(a);
    unsigned long n = 0, m = 0;

    if (arg)
        arg++;
#define IS(name) (nlen == strlen(name) && strncmp(a, name, nlen) == 0)
    bool num_arg = IS("sleep") || IS("timeout") || IS("bigpkt");
    bool str_arg = IS("pkt") || IS("send") || IS("expect") || IS("raw") ||
                   IS("rawexpect") || IS("half") || IS("waitfile");
    bool no_arg = IS("reply") || IS("intr") || IS("time-intr") || IS("close") ||
                  IS("reset") || IS("connect") || IS("expect-eof");
    if (IS("garbage")) {
        char *colon = arg ? strchr(arg, ':') : NULL;
        if (!colon || !parse_num(arg, ':', &n) ||
            !parse_num(colon + 1, '\0', &m))
            return -2;
    } else if ((num_arg && !parse_num(arg, '\0', &n)) || (str_arg && !arg) ||
               (no_arg && arg) || (!num_arg && !str_arg && !no_arg)) {
        return -2;
    }
    if (dry_run)
        return 0;
    if (c->fd < 0 && !IS("connect") && !IS("sleep") && !IS("timeout") &&
        !IS("waitfile"))
        return fail(c, "not connected");

    int r = 0;
    if (IS("pkt")) {
        if (send_packet(c, arg, strlen(arg)) < 0 || read_ack(c) < 0 ||
            read_packet(c) < 0 || print_last(c) < 0)
            return -1;
        if (strcmp(arg, "QStartNoAckMode") == 0 && strcmp(c->last, "OK") == 0)
            c->noack = true;
    } else if (IS("send")) {
        if (send_packet(c, arg, strlen(arg)) < 0 || read_ack(c) < 0)
            return -1;
    } else if (IS("reply")) {
        if (read_packet(c) < 0 || print_last(c) < 0)
            return -1;
    } else if (IS("expect")) {
        return match_last(c, arg);
    } else if (IS("raw")) {
        r = send_all(c, arg, unescape(arg));
    } else if (IS("rawexpect")) {
        if (read_raw(c) < 0)
            return -1;
        return match_last(c, arg);
    } else if (IS("intr")) {
        r = send_all(c, "\x03", 1);
    } else if (IS("time-intr")) {
        int64_t t0 = now_us();
        r = send_all(c, "\x03", 1);
        if (r < 0)
            return fail(c, "send: %s", strerror(-r));
        if (read_packet(c) < 0)
            return -1;
        int64_t dt = now_us() - t0;
        if (print_last(c) < 0)
            return -1;
        if (printf("latency_us %lld\n", (long long)dt) < 0)
            return fail(c, "writing stdout: %s", strerror(errno));
    } else if (IS("sleep")) {
        sleep_ms((long)n);
    } else if (IS("waitfile")) {
        int64_t deadline = now_ms() + c->timeout_ms;
        while (access(arg, F_OK) < 0) {
            if (now_ms() >= deadline)
                return fail(c, "%s did not appear within %d ms", arg,
                            c->timeout_ms);
            sleep_ms(10);
        }
    } else if (IS("timeout")) {
        c->timeout_ms = (int)n;
    } else if (IS("close")) {
        drop(c);
    } else if (IS("reset")) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
            return fail(c, "SO_LINGER: %s", strerror(errno));
        drop(c);
    } else if (IS("connect")) {
        return do_connect(c);
    } else if (IS("half")) {
        size_t flen;
        uint8_t *f = frame(arg, strlen(arg), &flen);
        if (!f)
            return fail(c, "out of memory");
        r = send_all(c, f, flen / 2);
        free(f);
        drop(c);
    } else if (IS("garbage")) {
        return send_garbage(c, n, m);
    } else if (IS("expect-eof")) {
        return expect_eof(c);
    } else if (IS("bigpkt")) {
        return send_big(c, n);
    }
#undef IS
    if (r < 0)
        return fail(c, "send: %s", strerror(-r));
    return 0;
}

int main(int argc, char **argv)
{
    static struct client c = {.fd = -1, .timeout_ms = DEFAULT_TIMEOUT};

    if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++) {
        if (run_action(&c, argv[i], true) == -2) {
            fprintf(stderr, "rspclient: bad action '%s'\n%s", argv[i],
                    usage_text);
            return 2;
        }
    }
    c.addr = argv[1];
    if (do_connect(&c) < 0) {
        fprintf(stderr, "rspclient: %s\n", c.err);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        /* keep argv intact for the message: raw: unescapes in place */
        char *a = strdup(argv[i]);
        if (!a) {
            fprintf(stderr, "rspclient: out of memory\n");
            return 1;
        }
        int r = run_action(&c, a, false);
        free(a);
        if (r < 0) {
            fprintf(stderr, "rspclient: action %d '%.100s': %s\n", i - 1,
                    argv[i], c.err);
            drop(&c);
            return 1;
        }
    }
    drop(&c);
    free(c.last);
    return 0;
}
