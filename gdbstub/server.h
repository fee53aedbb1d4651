#ifndef GDBSTUB_SERVER_H
#define GDBSTUB_SERVER_H

/*
 * The GDB server: listens on TCP or a Unix socket, serves one debugger at a
 * time, frames packets (rsp.c) and hands them to the dispatcher (cmd.c).
 *
 * While the guest runs, the sockets raise SIGIO (O_ASYNC, owned by the
 * calling thread). The caller keeps SIGIO blocked except inside the
 * target's run (KVM_RUN's signal mask), so a byte from gdb - such as the
 * 0x03 interrupt - cuts the run short at once; the server drains SIGIO
 * before it polls, so none is lost.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "rsp.h"

#define GDB_SRV_ADDR_MAX 160
#define GDB_SRV_INBUF    65536
/*
 * Guest console output framed as O packets that the socket did not take
 * yet: when full, gdb_srv_console_write takes no more and the target
 * writes the guest's bytes to its own output instead.
 */
#define GDB_SRV_CONSOLE_BUF 65536

/*
 * Lines logged per connection (attached, refused, closed, dropped): at
 * most GDB_SRV_LOG_BURST per GDB_SRV_LOG_WINDOW_MS, so that a port scan
 * cannot flood stderr; the rest are counted and reported in one line.
 */
#define GDB_SRV_LOG_BURST     5
#define GDB_SRV_LOG_WINDOW_MS 1000

struct gdb_srv {
    int listen_fd;
    int client_fd;
    int busy_fd; /* a refused second debugger, told why: until it closes */
    int quit_fd; /* readable: stop everything (set by gdb_srv_serve) */
    bool is_unix;
    bool loopback;
    bool noack;         /* QStartNoAckMode accepted */
    bool running;       /* the guest is running (with or without a debugger) */
    bool client_spoke;  /* the client sent a packet: it is a debugger */
    bool ran_at_accept; /* the guest was running when the client came */
    char address[GDB_SRV_ADDR_MAX]; /* for messages: "127.0.0.1:1234" */
    char unix_path[108];            /* to unlink on close */
    struct rsp_parser *parser;      /* heap: large buffers */
    char *reply;                    /* RSP_MAX_PACKET + 1 */
    uint8_t *frame;                 /* RSP_MAX_FRAME: the last frame sent */
    size_t frame_len;
    uint8_t *inbuf; /* GDB_SRV_INBUF bytes read, [in_pos, in_len) unread */
    size_t in_pos, in_len;
    const char *err_op;           /* what failed, for the caller's message */
    int64_t log_window_ms;        /* CLOCK_MONOTONIC start of the window */
    unsigned log_shown;           /* connection lines logged in it */
    unsigned long log_suppressed; /* connection lines not logged yet */
    /*
     * Console output for the debugger (gdb_srv_console_write), shared
     * with the threads that run the guest: con_lock guards con_* and the
     * writes to client_fd; con_armed says a debugger waits for a stop
     * reply (O packets are allowed only then); con_buf[con_off, con_len)
     * are framed bytes not sent yet.
     */
    pthread_mutex_t con_lock;
    bool con_lock_ok;
    bool con_armed;
    uint8_t *con_buf; /* GDB_SRV_CONSOLE_BUF */
    size_t con_off, con_len;
};

/* How gdb_srv_serve ended. */
enum gdb_srv_end {
    GDB_SRV_KILLED,  /* the debugger sent k */
    GDB_SRV_EXITED,  /* the guest ended (gdb was told W..) */
    GDB_SRV_QUIT,    /* quit_fd became readable (SIGINT/SIGTERM) */
    GDB_SRV_CRASHED, /* the guest crashed with no debugger attached */
};

/* Make a closed server (safe to gdb_srv_close). */
void gdb_srv_init(struct gdb_srv *s);

/*
 * Listen on spec: "PORT", "HOST:PORT", "[V6]:PORT" (HOST defaults to
 * 127.0.0.1) or "unix:PATH". Returns 0, or -errno with a message in err
 * (e.g. "127.0.0.1:1234: Address already in use").
 */
int gdb_srv_listen(struct gdb_srv *s, const char *spec, char *err,
                   size_t errsz);

/* "127.0.0.1:1234" or "unix:/path": where it listens. */
const char *gdb_srv_address(const struct gdb_srv *s);

/* Whether the listening address is loopback-only (or a Unix socket). */
bool gdb_srv_is_loopback(const struct gdb_srv *s);

/*
 * Serve debuggers until the session ends; the target starts stopped,
 * or running freely if the dispatcher was detached (gdb_cmd_detach) first.
 * Blocks. quit_fd is polled: readable means "quit now". Returns a
 * gdb_srv_end, or -errno on a host failure (s->err_op says which).
 * Connections and dropped clients are logged to stderr (rate-limited, see
 * GDB_SRV_LOG_BURST) and the server keeps serving.
 */
int gdb_srv_serve(struct gdb_srv *s, struct gdb_cmd *cmd, int quit_fd);

/*
 * Send up to len guest console bytes to the debugger as O packets (hex,
 * RSP "Stop Reply Packets"), only while it waits for a stop reply (after
 * a resume packet, before its reply), and never waiting: what the socket
 * cannot take now is buffered (GDB_SRV_CONSOLE_BUF) and sent first by the
 * next write on the socket, at the latest before the stop reply. Returns
 * the bytes taken (0 with no debugger waiting or the buffer full: the
 * caller writes them elsewhere). Any thread; arg is the struct gdb_srv.
 * Bytes buffered when the debugger goes away are dropped with it.
 */
size_t gdb_srv_console_write(void *arg, const uint8_t *buf, size_t len);

/*
 * Close every socket, unlink a Unix socket, free buffers; log how many
 * connection lines the rate limit held back, if any. Idempotent.
 */
void gdb_srv_close(struct gdb_srv *s);

#endif
