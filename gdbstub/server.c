#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

void gdb_srv_init(struct gdb_srv *s)
{
    *s = (struct gdb_srv){
        .listen_fd = -1, .client_fd = -1, .busy_fd = -1, .quit_fd = -1};
    s->con_lock_ok = pthread_mutex_init(&s->con_lock, NULL) == 0;
}

const char *gdb_srv_address(const struct gdb_srv *s)
{
    return s->address;
}

bool gdb_srv_is_loopback(const struct gdb_srv *s)
{
    return s->is_unix || s->loopback;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Report the connection lines held back, if any, and start a new window. */
static void log_flush(struct gdb_srv *s, int64_t now)
{
    if (s->log_suppressed)
        fprintf(stderr,
                "vmm: %lu more connection message(s) suppressed (at most "
                "%d a second)\n",
                s->log_suppressed, GDB_SRV_LOG_BURST);
    s->log_suppressed = 0;
    s->log_shown = 0;
    s->log_window_ms = now;
}

/*
 * Log one line about a connection, unless GDB_SRV_LOG_BURST were logged
 * in this window already: then count it for log_flush.
 */
__attribute__((format(printf, 2, 3))) static void log_conn(struct gdb_srv *s,
                                                           const char *fmt, ...)
{
    int64_t now = now_ms();
    va_list ap;

    if (now - s->log_window_ms >= GDB_SRV_LOG_WINDOW_MS)
        log_flush(s, now);
    if (s->log_shown >= GDB_SRV_LOG_BURST) {
        s->log_suppressed++;
        return;
    }
    s->log_shown++;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/*
 * How long poll may sleep (ms, -1 forever) so that suppressed lines are
 * reported soon after a burst ends; reports them once the window is over.
 */
static int log_poll_timeout(struct gdb_srv *s)
{
    if (!s->log_suppressed)
        return -1;
    int64_t left = s->log_window_ms + GDB_SRV_LOG_WINDOW_MS - now_ms();
    if (left <= 0) {
        log_flush(s, now_ms());
        return -1;
    }
    return (int)left;
}

static int srv_fail(struct gdb_srv *s, const char *op)
{
    int e = errno ? errno : EIO;

    s->err_op = op;
    return -e;
}

/*
 * Make fd raise SIGIO at this thread when it becomes readable (fcntl(2):
 * F_SETOWN_EX with F_OWNER_TID, O_ASYNC).
 */
static int set_async(int fd)
{
    struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = gettid()};
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETOWN_EX, &owner) < 0 ||
        fcntl(fd, F_SETFL, fl | O_ASYNC) < 0)
        return -errno;
    return 0;
}

/*
 * Loopback: 127.0.0.0/8 (RFC 1122 3.2.1.3), ::1, and 127.0.0.0/8 written
 * as an IPv4-mapped IPv6 address, ::ffff:127.x.y.z (RFC 4291 2.5.5.2).
 */
static bool addr_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            return in6->sin6_addr.s6_addr[12] == 127;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return false;
}

/*
 * bind(2) a Unix socket whose file is mode 0600 (owner only) whatever the
 * umask: unix(7) creates it as 0777 less the umask, and anyone who can
 * connect controls the guest. umask(2) is per process; the server is set
 * up before the VMM has any other thread.
 */
static int bind_private(int fd, const struct sockaddr_un *sun)
{
    mode_t old = umask(0177);
    int r = bind(fd, (const struct sockaddr *)sun, sizeof(*sun));
    int e = errno;

    umask(old);
    return r < 0 ? -e : 0;
}

/*
 * Is someone listening on the Unix socket at sun? 1 yes, 0 no (a socket
 * left by a VMM that was killed: ECONNREFUSED, or gone already), -errno
 * if we cannot tell. Never blocks: a listener whose queue is full (its
 * owner does not accept) makes a blocking connect(2) wait forever, but a
 * non-blocking one fails with EAGAIN (unix(7)), and that is a live one.
 */
static int unix_is_live(const struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int r, e;

    if (fd < 0)
        return -errno;
    r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
    e = errno;
    close(fd);
    if (r == 0 || e == EAGAIN || e == EINPROGRESS)
        return 1;
    if (e == ECONNREFUSED || e == ENOENT)
        return 0;
    return -e;
}

static int listen_unix(struct gdb_srv *s, const char *path, char *err,
                       size_t errsz)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int e, live;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        snprintf(err, errsz, "socket path too long");
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    s->is_unix = true;
    snprintf(s->address, sizeof(s->address), "unix:%s", path);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0)
        goto fail;
    e = bind_private(s->listen_fd, &sun);
    if (e == -EADDRINUSE) {
        /*
         * A socket left by a VMM that was killed: nobody accepts on it, so
         * take its place (as QEMU does). A live one, or any other kind of
         * file, is left alone.
         */
        struct stat st;
        if (lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
            errno = EADDRINUSE;
            goto fail;
        }
        live = unix_is_live(&sun);
        if (live > 0) {
            snprintf(err, errsz,
                     "%s: %s (another process is listening on this socket)",
                     path, strerror(EADDRINUSE));
            return -EADDRINUSE;
        }
        if (live < 0) {
            errno = -live;
            goto fail;
        }
        if (unlink(path) < 0 && errno != ENOENT)
            goto fail;
        e = bind_private(s->listen_fd, &sun);
    }
    if (e < 0) {
        errno = -e;
        goto fail;
    }
    strcpy(s->unix_path, path);
    if (listen(s->listen_fd, 1) < 0)
        goto fail;
    return 0;
fail:
    e = errno;
    snprintf(err, errsz, "%s: %s", path, strerror(e));
    return -e;
}

static int listen_tcp(struct gdb_srv *s, const char *host, const char *port,
                      char *err, size_t errsz)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char hbuf[NI_MAXHOST];
    int e, one = 1;

    e = getaddrinfo(host, port, &hints, &ai);
    if (e != 0) {
        snprintf(err, errsz, "%s: %s", host, gai_strerror(e));
        return -EINVAL;
    }
    s->listen_fd =
        socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (s->listen_fd < 0)
        goto fail;
    if (setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) <
        0)
        goto fail;
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, hbuf, sizeof(hbuf), NULL, 0,
                    NI_NUMERICHOST) != 0)
        snprintf(hbuf, sizeof(hbuf), "%s", host);
    snprintf(s->address, sizeof(s->address),
             ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", hbuf, port);
    s->loopback = addr_is_loopback(ai->ai_addr);
    if (bind(s->listen_fd, ai->ai_addr, ai->ai_addrlen) < 0)
        goto fail;
    if (listen(s->listen_fd, 1) < 0)
        goto fail;
    freeaddrinfo(ai);
    return 0;
fail:
    e = errno;
    snprintf(err, errsz, "%s: %s", s->address[0] ? s->address : host,
             strerror(e));
    freeaddrinfo(ai);
    return -e;
}

int gdb_srv_listen(struct gdb_srv *s, const char *spec, char *err, size_t errsz)
{
    char buf[GDB_SRV_ADDR_MAX];
    const char *host = "127.0.0.1", *port;
    int e;

    snprintf(err, errsz, "invalid address");
    if (strlen(spec) >= sizeof(buf))
        return -EINVAL;
    strcpy(buf, spec);
    s->parser = malloc(sizeof(*s->parser));
    s->reply = malloc(RSP_MAX_PACKET + 1);
    s->frame = malloc(RSP_MAX_FRAME);
    s->inbuf = malloc(GDB_SRV_INBUF);
    s->con_buf = malloc(GDB_SRV_CONSOLE_BUF);
    if (!s->parser || !s->reply || !s->frame || !s->inbuf || !s->con_buf ||
        !s->con_lock_ok) {
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    if (strncmp(buf, "unix:", 5) == 0) {
        e = listen_unix(s, buf + 5, err, errsz);
    } else {
        char *colon = strrchr(buf, ':');
        port = buf;
        if (colon) {
            *colon = '\0';
            host = buf;
            port = colon + 1;
            size_t hl = strlen(buf);
            if (hl >= 2 && buf[0] == '[' && buf[hl - 1] == ']') {
                buf[hl - 1] = '\0';
                host = buf + 1;
            }
        }
        e = listen_tcp(s, host, port, err, errsz);
    }
    if (e < 0)
        return e;
    if ((e = set_async(s->listen_fd)) < 0) {
        snprintf(err, errsz, "fcntl O_ASYNC: %s", strerror(-e));
        return e;
    }
    return 0;
}

static void con_lock(struct gdb_srv *s)
{
    if (s->con_lock_ok)
        pthread_mutex_lock(&s->con_lock);
}

static void con_unlock(struct gdb_srv *s)
{
    if (s->con_lock_ok)
        pthread_mutex_unlock(&s->con_lock);
}

static void close_client(struct gdb_srv *s)
{
    con_lock(s);
    if (s->client_fd >= 0)
        close(s->client_fd);
    s->client_fd = -1;
    s->con_armed = false;
    s->con_off = s->con_len = 0;
    con_unlock(s);
    s->noack = false;
    s->in_pos = s->in_len = 0;
    s->frame_len = 0;
}

static void close_busy(struct gdb_srv *s)
{
    if (s->busy_fd >= 0)
        close(s->busy_fd);
    s->busy_fd = -1;
}

/*
 * A second debugger: tell it why it is refused, with an ack (for the
 * packet it sends first) and an RSP error with text ("E.text") as the
 * reply, which gdb shows as "warning: Remote failure reply: E.kvmstub:
 * ...". Then stop writing, but close only once it closes: closing with
 * its packet unread would reset the connection, and gdb would see
 * "Broken pipe" instead of the message.
 */
static void refuse_busy(struct gdb_srv *s, int fd)
{
    static const char msg[] =
        "E.kvmstub: another debugger is attached (one at a time)";
    char frame[sizeof(msg) + 8];
    unsigned sum = 0;

    for (const char *p = msg; *p; p++)
        sum += (unsigned char)*p;
    snprintf(frame, sizeof(frame), "+$%s#%02x", msg, sum & 0xff);
    close_busy(s); /* one at a time is told */
    (void)!send(fd, frame, strlen(frame), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)!shutdown(fd, SHUT_WR);
    s->busy_fd = fd;
}

/* The refused debugger's bytes: dropped; its close: ours. */
static void serve_busy(struct gdb_srv *s)
{
    char buf[512];
    ssize_t n = recv(s->busy_fd, buf, sizeof(buf), MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        close_busy(s);
}

void gdb_srv_close(struct gdb_srv *s)
{
    if (s->log_suppressed)
        log_flush(s, now_ms());
    close_client(s);
    close_busy(s);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    s->listen_fd = -1;
    if (s->unix_path[0])
        unlink(s->unix_path);
    s->unix_path[0] = '\0';
    free(s->parser);
    free(s->reply);
    free(s->frame);
    free(s->inbuf);
    free(s->con_buf);
    s->con_buf = NULL;
    if (s->con_lock_ok)
        pthread_mutex_destroy(&s->con_lock);
    s->con_lock_ok = false;
    s->parser = NULL;
    s->reply = NULL;
    s->frame = NULL;
    s->inbuf = NULL;
}

/*
 * Drop the debugger: log it, take its breakpoints out, let the guest go.
 * A connection that never sent a packet (a port scan, a health check) is
 * not a debugger: the guest goes back to what it was doing before it came.
 */
static void drop_client(struct gdb_srv *s, struct gdb_cmd *cmd, const char *why)
{
    if (!s->client_spoke) {
        close_client(s);
        if (s->ran_at_accept) {
            gdb_cmd_detach(cmd);
            s->running = true;
        } else {
            log_conn(s, "vmm: a connection closed without sending a "
                        "packet; the guest stays stopped\n");
        }
        return;
    }
    log_conn(s,
             "vmm: debugger %s; the guest runs on, waiting for "
             "another debugger on %s\n",
             why, s->address);
    close_client(s);
    gdb_cmd_detach(cmd);
    gdb_cmd_reset_views(cmd);
    s->running = true;
}

/*
 * Send what the socket takes now of the console's framed bytes. Returns
 * 0 (all sent or EAGAIN) or -errno. Under con_lock.
 */
static int con_flush_some(struct gdb_srv *s)
{
    while (s->con_off < s->con_len) {
        ssize_t n = send(s->client_fd, s->con_buf + s->con_off,
                         s->con_len - s->con_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : -errno;
        s->con_off += (size_t)n;
    }
    s->con_off = s->con_len = 0;
    return 0;
}

size_t gdb_srv_console_write(void *arg, const uint8_t *buf, size_t len)
{
    enum { CHUNK = 1024 }; /* guest bytes a packet */
    struct gdb_srv *s = arg;
    size_t taken = 0;
    char pay[1 + 2 * CHUNK];

    /* Never wait: the server holds the lock only while it sends. */
    if (!s->con_lock_ok || pthread_mutex_trylock(&s->con_lock) != 0)
        return 0;
    if (!s->con_armed || s->client_fd < 0 || !s->con_buf)
        goto out;
    if (con_flush_some(s) < 0)
        goto out;     /* the server sees the error at its next send */
    if (s->con_off) { /* make room at the end */
        memmove(s->con_buf, s->con_buf + s->con_off, s->con_len - s->con_off);
        s->con_len -= s->con_off;
        s->con_off = 0;
    }
    while (taken < len) {
        /* "$O" + 2 hex digits a byte + "#xx": a frame is never longer */
        size_t room = GDB_SRV_CONSOLE_BUF - s->con_len, chunk = len - taken;
        if (room < 7)
            break;
        if (chunk > (room - 5) / 2)
            chunk = (room - 5) / 2;
        if (chunk > CHUNK)
            chunk = CHUNK;
        pay[0] = 'O';
        rsp_hex_encode(buf + taken, chunk, pay + 1);
        size_t n = rsp_frame(pay, 1 + 2 * chunk, s->con_buf + s->con_len, room);
        if (n == 0)
            break;
        s->con_len += n;
        taken += chunk;
    }
    (void)con_flush_some(s);
out:
    pthread_mutex_unlock(&s->con_lock);
    return taken;
}

static int send_raw(struct gdb_srv *s, const void *buf, size_t len);

/* Wait until the socket has room, or quit_fd is readable (-ECANCELED). */
static int wait_room(struct gdb_srv *s)
{
    struct pollfd pfd[2] = {
        {.fd = s->client_fd, .events = POLLOUT},
        {.fd = s->quit_fd, .events = POLLIN},
    };

    if (poll(pfd, 2, -1) < 0 && errno != EINTR)
        return -errno;
    return pfd[1].revents ? -ECANCELED : 0;
}

/*
 * Console bytes not sent yet go out before anything else: packets must
 * not interleave on the socket. Returns 0 or -errno.
 */
static int con_flush_all(struct gdb_srv *s)
{
    int e = 0;

    con_lock(s);
    while (s->client_fd >= 0 && s->con_len) {
        if ((e = con_flush_some(s)) < 0 || !s->con_len)
            break;
        con_unlock(s);
        e = wait_room(s);
        con_lock(s);
        if (e < 0)
            break;
    }
    con_unlock(s);
    return e;
}

static int send_all(struct gdb_srv *s, const void *buf, size_t len)
{
    int e = con_flush_all(s);

    if (e < 0)
        return e;
    return send_raw(s, buf, len);
}

static int send_raw(struct gdb_srv *s, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = send(s->client_fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                return -errno;
            /*
             * A debugger that does not read: wait for room, but never past
             * a SIGINT/SIGTERM (the socket is non-blocking for this).
             */
            int e = wait_room(s);
            if (e < 0)
                return e;
            continue;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Frame and send a reply; kept for retransmission on '-'. Any reply ends
 * the time when O packets may be sent.
 */
static int send_reply(struct gdb_srv *s, const char *payload, size_t len)
{
    con_lock(s);
    s->con_armed = false;
    con_unlock(s);
    s->frame_len = rsp_frame(payload, len, s->frame, RSP_MAX_FRAME);
    if (s->frame_len == 0)
        return -EMSGSIZE;
    return send_all(s, s->frame, s->frame_len);
}

static void accept_client(struct gdb_srv *s, struct gdb_cmd *cmd)
{
    int one = 1;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (fd < 0)
        return; /* the peer gave up already (ECONNABORTED etc.) */
    if (s->client_fd >= 0) {
        /*
         * One debugger at a time: the second is told why (refuse_busy).
         */
        log_conn(s, "vmm: refused a second debugger connection (one is "
                    "attached)\n");
        refuse_busy(s, fd);
        return;
    }
    /* Without TCP_NODELAY each small reply waits for the peer's ACK. */
    if (!s->is_unix &&
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
        close(fd);
        return;
    }
    if (set_async(fd) < 0) {
        close(fd);
        return;
    }
    s->client_fd = fd;
    s->noack = false;
    s->in_pos = s->in_len = 0;
    s->frame_len = 0;
    rsp_init(s->parser);
    log_conn(s, "vmm: debugger attached\n");
    s->client_spoke = false;
    s->ran_at_accept = s->running;
    if (s->running) {
        size_t len;
        /* gdb expects a stopped target when it connects. */
        gdb_cmd_interrupt(cmd, 5, s->reply, RSP_MAX_PACKET, &len);
        s->running = false;
    }
}

/*
 * Take the pending SIGIO: from here on, new input raises a new one. One
 * call is enough: SIGIO is a standard signal, which does not queue (at
 * most one instance is pending: signal(7), "Queueing and delivery
 * semantics for standard signals"), and the sockets send it to this
 * thread only (F_OWNER_TID). A SIGIO sent to the whole process as well
 * would only make the next KVM_RUN return at once, and the loop come
 * here again.
 */
static void drain_sigio(void)
{
    static const struct timespec zero = {0, 0};
    sigset_t io;

    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    (void)sigtimedwait(&io, NULL, &zero);
}

enum { IN_MORE, IN_KILL, IN_GONE };

/*
 * Handle buffered input. While the guest runs only '+', '-' and 0x03
 * matter; when a packet resumes the guest, the rest stays buffered.
 */
static int process_input(struct gdb_srv *s, struct gdb_cmd *cmd)
{
    size_t len, plen;

    while (s->client_fd >= 0 && s->in_pos < s->in_len) {
        uint8_t b = s->inbuf[s->in_pos++];
        enum rsp_event ev = rsp_feed(s->parser, b);
        int e = 0;

        switch (ev) {
        case RSP_EV_NONE:
        case RSP_EV_ACK:
            break;
        case RSP_EV_NAK:
            if (s->frame_len && !s->noack)
                e = send_all(s, s->frame, s->frame_len);
            break;
        case RSP_EV_BAD:
        case RSP_EV_OVERFLOW:
            if (!s->noack)
                e = send_all(s, "-", 1);
            break;
        case RSP_EV_INTERRUPT:
            if (s->running) {
                gdb_cmd_interrupt(cmd, 2, s->reply, RSP_MAX_PACKET, &len);
                s->running = false;
                e = send_reply(s, s->reply, len);
            }
            break;
        case RSP_EV_PACKET: {
            const char *pkt = rsp_payload(s->parser, &plen);
            s->client_spoke = true;
            if (!s->noack && (e = send_all(s, "+", 1)) < 0)
                break;
            if (s->running)
                break; /* all-stop: gdb waits for our stop reply */
            switch (gdb_cmd_handle(cmd, pkt, plen, s->reply, RSP_MAX_PACKET,
                                   &len)) {
            case GDB_CMD_REPLY:
                e = send_reply(s, s->reply, len);
                break;
            case GDB_CMD_NOACK:
                e = send_reply(s, s->reply, len);
                s->noack = true;
                break;
            case GDB_CMD_RESUME:
                s->running = true;
                con_lock(s);
                s->con_armed = true; /* gdb waits for the stop reply */
                con_unlock(s);
                return IN_MORE;
            case GDB_CMD_DETACH:
                send_reply(s, s->reply, len);
                drop_client(s, cmd, "detached");
                return IN_GONE;
            case GDB_CMD_KILL:
                /* vKill wants its OK, lldb's k its X09 (gdb reads none). */
                if (len)
                    send_reply(s, s->reply, len);
                fprintf(stderr, "vmm: killed by the debugger\n");
                close_client(s);
                return IN_KILL;
            }
            break;
        }
        }
        if (e == -ECANCELED) { /* told to quit while gdb did not read */
            close_client(s);
            return IN_GONE;
        }
        if (e < 0) {
            drop_client(s, cmd, "connection lost");
            return IN_GONE;
        }
    }
    return IN_MORE;
}

/* Read what the client sent. Returns IN_GONE if it went away. */
static int read_client(struct gdb_srv *s, struct gdb_cmd *cmd)
{
    if (s->in_pos == s->in_len)
        s->in_pos = s->in_len = 0;
    if (s->in_len == GDB_SRV_INBUF)
        return IN_MORE; /* process what we have first */
    ssize_t n = recv(s->client_fd, s->inbuf + s->in_len,
                     GDB_SRV_INBUF - s->in_len, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return IN_MORE;
    if (n <= 0) {
        drop_client(s, cmd, n == 0 ? "disconnected" : "connection lost");
        return IN_GONE;
    }
    s->in_len += (size_t)n;
    return IN_MORE;
}

enum { POLL_LISTEN, POLL_QUIT, POLL_BUSY, POLL_CLIENT };

int gdb_srv_serve(struct gdb_srv *s, struct gdb_cmd *cmd, int quit_fd)
{
    struct pollfd pfd[4];
    size_t len;

    /* Detached before serving (--gdb-nowait): the guest runs at once. */
    s->running = !gdb_cmd_is_stopped(cmd);
    s->quit_fd = quit_fd;
    gdb_cmd_set_console_writer(cmd, gdb_srv_console_write, s);
    for (;;) {
        int nfds = s->client_fd >= 0 ? 4 : 3;
        pfd[POLL_LISTEN] = (struct pollfd){s->listen_fd, POLLIN, 0};
        pfd[POLL_QUIT] = (struct pollfd){quit_fd, POLLIN, 0};
        /* A negative fd is ignored by poll(2). */
        pfd[POLL_BUSY] = (struct pollfd){s->busy_fd, POLLIN, 0};
        pfd[POLL_CLIENT] = (struct pollfd){s->client_fd, POLLIN | POLLRDHUP, 0};
        /* Stopped: wait for input. Running: look, then run the guest. */
        bool was_running = s->running;
        int timeout = log_poll_timeout(s);
        if (s->running)
            drain_sigio();
        if (poll(pfd, (nfds_t)nfds, s->running ? 0 : timeout) < 0) {
            if (errno == EINTR)
                continue;
            return srv_fail(s, "poll");
        }
        if (pfd[POLL_QUIT].revents) {
            close_client(s);
            return GDB_SRV_QUIT;
        }
        if (s->busy_fd >= 0 && pfd[POLL_BUSY].revents)
            serve_busy(s);
        bool client_in = nfds == 4 && pfd[POLL_CLIENT].revents;
        bool hangup =
            nfds == 4 && (pfd[POLL_CLIENT].revents & (POLLRDHUP | POLLHUP));
        if (client_in)
            read_client(s, cmd);
        if (s->client_fd >= 0 && process_input(s, cmd) == IN_KILL)
            return GDB_SRV_KILLED;
        /*
         * A debugger that hung up and reconnected at once must find its
         * old connection gone, not be refused as a second debugger: its
         * last bytes and its EOF may need two reads, so drain the old
         * connection before accepting.
         */
        while (hangup && s->client_fd >= 0 && s->in_pos == s->in_len &&
               read_client(s, cmd) != IN_GONE) {
            if (process_input(s, cmd) == IN_KILL)
                return GDB_SRV_KILLED;
            if (s->in_pos == s->in_len && s->in_len == 0)
                break; /* nothing read: EAGAIN */
        }
        if (pfd[POLL_LISTEN].revents)
            accept_client(s, cmd);
        if (!s->running)
            continue;
        if (!was_running) {
            /*
             * The packet that resumed the guest left a SIGIO pending: take
             * it and look at the sockets once more before entering the
             * guest, instead of a KVM_RUN that would return EINTR at once.
             * A single step ends at once: input that came with its packet
             * (its SIGIO taken here) is read at the stop, so no second
             * look (a syscall per stepi).
             */
            was_running = true;
            if (!gdb_cmd_is_step(cmd))
                continue;
            drain_sigio();
        }

        int r = gdb_cmd_run(cmd, s->reply, RSP_MAX_PACKET, &len);
        if (r < 0)
            return r; /* the target's failure: its owner names the call */
        switch (r) {
        case GDB_RUN_POLL:
            break;
        case GDB_RUN_STOPPED: {
            s->running = false;
            if (s->client_fd < 0)
                return GDB_SRV_CRASHED; /* only a crash stops a free run */
            int e = send_reply(s, s->reply, len);
            if (e == -ECANCELED)
                close_client(s);
            else if (e < 0)
                drop_client(s, cmd, "connection lost");
            break;
        }
        case GDB_RUN_EXITED:
            if (s->client_fd >= 0)
                send_reply(s, s->reply, len);
            close_client(s);
            return GDB_SRV_EXITED;
        case GDB_RUN_TERMINATE:
            close_client(s);
            return GDB_SRV_QUIT;
        }
    }
}
