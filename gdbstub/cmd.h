#ifndef GDBSTUB_CMD_H
#define GDBSTUB_CMD_H

/*
 * GDB packet dispatch over an abstract target (gdbstub/target.h), plus the
 * breakpoint and watchpoint manager that picks a mechanism the target's
 * host supports. No I/O: packets come in as payloads (already unframed by
 * rsp.c) and replies go out as payloads for the caller to frame and send.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target.h"

/* How Z0 breakpoints are implemented; AUTO picks the best the host has. */
enum gdb_bp_mechanism {
    GDB_BP_AUTO,
    GDB_BP_INT3, /* patch 0xCC, needs caps.sw_bp */
    GDB_BP_DR,   /* debug registers, then stepping when all are taken */
    GDB_BP_STEP, /* single-step and compare the PC */
};

struct gdb_cmd_config {
    enum gdb_bp_mechanism mechanism;
};

/* One debugging session's state. Opaque. */
struct gdb_cmd;

/*
 * Make a session over (ops, ctx); the target starts stopped (`?` answers
 * SIGTRAP). Returns NULL with errno ENOMEM, or EINVAL if cfg asks for a
 * mechanism the target's caps do not have. ops and ctx must outlive it.
 */
struct gdb_cmd *gdb_cmd_new(const struct gdb_target_ops *ops, void *ctx,
                            const struct gdb_cmd_config *cfg);
void gdb_cmd_free(struct gdb_cmd *s);

enum gdb_cmd_result {
    GDB_CMD_REPLY,  /* send the reply (empty = unsupported packet) */
    GDB_CMD_RESUME, /* no reply yet: call gdb_cmd_run until it stops */
    GDB_CMD_DETACH, /* send the reply, then drop the client (D) */
    GDB_CMD_KILL,   /* send the reply, then end the VMM (k: X09, vKill: OK) */
    GDB_CMD_NOACK,  /* send the reply with an ack, then stop acking */
};

/*
 * Handle one packet payload (pkt[len] is NUL). Writes the reply payload
 * (unframed) to reply, at most cap bytes (cap >= RSP_MAX_PACKET), and its
 * length to *reply_len. Never blocks.
 */
enum gdb_cmd_result gdb_cmd_handle(struct gdb_cmd *s, const char *pkt,
                                   size_t len, char *reply, size_t cap,
                                   size_t *reply_len);

enum gdb_run_result {
    GDB_RUN_STOPPED,   /* reply holds a stop packet (T..) */
    GDB_RUN_POLL,      /* interrupted: poll fds, then run again or interrupt */
    GDB_RUN_EXITED,    /* reply holds W..: the guest ended, so does the VMM */
    GDB_RUN_TERMINATE, /* the VMM was told to quit: drop everything */
};

/*
 * Run the target after GDB_CMD_RESUME (or freely after a detach, with no
 * breakpoints) until something gdb must hear of. Blocks. Returns a
 * gdb_run_result, or -errno on a host failure. The reply is only set for
 * STOPPED and EXITED.
 */
int gdb_cmd_run(struct gdb_cmd *s, char *reply, size_t cap, size_t *reply_len);

/*
 * The target is not running any more because the debugger asked (0x03) or
 * a debugger just connected: record a stop with signal sig (2 = SIGINT,
 * 5 = SIGTRAP) and write its stop reply.
 */
void gdb_cmd_interrupt(struct gdb_cmd *s, int sig, char *reply, size_t cap,
                       size_t *reply_len);

/*
 * The debugger went away (D or a dropped connection): remove every
 * breakpoint and watchpoint, restoring guest memory. The guest then runs
 * freely through gdb_cmd_run.
 */
void gdb_cmd_detach(struct gdb_cmd *s);

/*
 * The server's writer of guest console output as O packets (see struct
 * gdb_console_sink), used by `monitor console gdb|both`; write NULL: none.
 */
void gdb_cmd_set_console_writer(struct gdb_cmd *s,
                                size_t (*write)(void *arg, const uint8_t *buf,
                                                size_t len),
                                void *arg);

/*
 * A debugger left: its session settings go back to the defaults (console
 * on stdout only, virtual addresses for m and M).
 */
void gdb_cmd_reset_views(struct gdb_cmd *s);

/* Whether the guest is currently stopped (as opposed to running freely). */
bool gdb_cmd_is_stopped(const struct gdb_cmd *s);

/*
 * Whether the resume gdb_cmd_handle just started is a single step (s,
 * S, vCont;s): it ends at once, so the server need not look at the
 * sockets once more before it runs the guest.
 */
bool gdb_cmd_is_step(const struct gdb_cmd *s);

#endif
