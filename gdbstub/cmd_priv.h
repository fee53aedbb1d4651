#ifndef GDBSTUB_CMD_PRIV_H
#define GDBSTUB_CMD_PRIV_H

/*
 * Internals shared by the dispatcher's files (cmd.c: run control, registers
 * and memory; cmd_query.c: q, Q and monitor packets). Not for other users.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "break.h"
#include "cmd.h"
#include "target.h"

/* The last stop, kept to answer `?` (rendered with the registers then). */
struct gdb_cmd_stop {
    bool exited;          /* W: exit_code; else T: sig and ev */
    int sig;              /* 5 SIGTRAP, 2 SIGINT, 11 SIGSEGV, 0 none */
    enum gdb_bp_event ev; /* TRAP or a breakpoint/watchpoint reason */
    uint64_t addr;        /* watchpoint start */
    int exit_code;
    int thread; /* the target thread (0-based) it is about */
};

struct gdb_cmd {
    const struct gdb_target_ops *ops;
    void *ctx;
    struct gdb_bp bp;
    bool arch_fixed; /* arch was described to gdb this session */
    enum gdb_arch arch;
    bool stopped;  /* as opposed to resumed or running freely */
    bool free_run; /* detached: run with no breakpoints */
    struct gdb_cmd_stop last;
    int nthreads; /* the target's threads (1 without thread ops) */
    int g_thread; /* Hg: registers and memory (0-based) */
    int c_thread; /* Hc: what s steps, or -1 (the thread of the stop) */
    uint8_t *act; /* scratch: enum gdb_bp_act per thread */
    uint8_t *buf; /* scratch, RSP_MAX_PACKET + 1 bytes */
    char *text;   /* monitor output, RSP_MAX_PACKET / 2 + 1 bytes */
};

/* Reply helpers: set *len and return GDB_CMD_REPLY. */
enum gdb_cmd_result gdb_cmd_reply_str(const char *str, char *reply, size_t cap,
                                      size_t *len);
/* "E NN" with NN = the errno (low 8 bits) of -e, or 01 for bad syntax. */
enum gdb_cmd_result gdb_cmd_reply_err(int e, char *reply, size_t cap,
                                      size_t *len);

/*
 * The layout described to gdb, picked from the vCPU's mode the first time
 * it is needed in a session. Returns 0 or the target's -errno.
 */
int gdb_cmd_fix_arch(struct gdb_cmd *s);

/*
 * Parse a hex number of 1-16 digits at *p (before end); advance *p.
 * Returns false if there is none or it overflows 64 bits.
 */
bool gdb_cmd_parse_hex(const char **p, const char *end, uint64_t *v);

/*
 * Append register regno's value in hex (wire order) to out, which has room
 * for 32 characters. Returns the characters written (0 if no such reg).
 */
size_t gdb_cmd_put_reg(enum gdb_arch arch, const struct gdb_x86_regs *regs,
                       int regno, char *out);

/*
 * Write the stop reply for s->last to reply (at most cap bytes), with the
 * expedited registers as they are now. Returns its length.
 */
size_t gdb_cmd_render_stop(struct gdb_cmd *s, char *reply, size_t cap);

/*
 * Make thread t (0-based) the target's selected thread, for the register,
 * memory and monitor operations. A no-op with one thread.
 */
void gdb_cmd_use_thread(struct gdb_cmd *s, int t);

/* q..., Q... packets. */
enum gdb_cmd_result gdb_cmd_query(struct gdb_cmd *s, const char *pkt,
                                  size_t len, char *reply, size_t cap,
                                  size_t *reply_len);

#endif
