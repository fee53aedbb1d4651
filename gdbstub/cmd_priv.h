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

/* A point gdb took out (z) since the guest last ran, for `monitor`. */
struct gdb_cmd_point {
    int type; /* Z type */
    uint64_t addr, kind;
};

#define GDB_CMD_MAX_LIFTED 64

struct gdb_cmd {
    const struct gdb_target_ops *ops;
    void *ctx;
    struct gdb_bp bp;
    bool arch_fixed; /* arch was described to gdb this session */
    enum gdb_arch arch;
    bool stopped;  /* as opposed to resumed or running freely */
    int reverse;   /* the resume is bs (1) or bc (2), else 0 */
    bool free_run; /* detached: run with no breakpoints */
    struct gdb_cmd_stop last;
    /*
     * Mode changes: gdb said exec-events+ in qSupported, so a stop in
     * another CPU mode than the layout gdb has is first reported as an
     * exec event (gdb then re-reads target.xml and resumes) and `last`,
     * the real stop, answers that resume without running the guest.
     */
    bool exec_events;
    bool exec_pending;
    bool exec_step; /* the resume being answered is a step */
    /*
     * gdb takes its breakpoints out at every stop and puts back the ones
     * still set when it resumes: what it took out since the last resume.
     */
    struct gdb_cmd_point lifted[GDB_CMD_MAX_LIFTED];
    size_t n_lifted;
    /*
     * Outside 64-bit code gdb's pc is the linear CS base + IP (true, the
     * default) or IP itself (`monitor pc offset`).
     */
    bool pc_offset;
    int nthreads; /* the target's threads (1 without thread ops) */
    int g_thread; /* Hg: registers and memory (0-based) */
    int c_thread; /* Hc: what s steps, or -1 (the thread of the stop) */
    uint8_t *act; /* scratch: enum gdb_bp_act per thread */
    uint8_t *buf; /* scratch, RSP_MAX_PACKET + 1 bytes */
    char *text;   /* monitor output, RSP_MAX_PACKET / 2 + 1 bytes */
    /* Qqemu.PhyMemMode:1: m, M, x and X take physical addresses. */
    bool phys_mem;
    /*
     * `monitor console`: the mode, and the server's writer of O packets
     * (write NULL: no server, e.g. in unit tests without one).
     */
    enum gdb_console_mode console;
    struct gdb_console_sink sink;
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
 * Registers as gdb is to see them: with linear pcs, outside 64-bit code,
 * rip becomes CS base + IP.
 */
void gdb_cmd_regs_to_gdb(const struct gdb_cmd *s, struct gdb_x86_regs *regs);

/*
 * The other way: v holds what gdb wrote over the gdb view of raw (the
 * target's registers as read). An unchanged pc gets raw's IP back; a new
 * linear pc becomes an IP in the code segment (in real mode, if CS cannot
 * reach it, CS:IP = pc/16 : pc%16).
 */
void gdb_cmd_regs_from_gdb(const struct gdb_cmd *s, struct gdb_x86_regs *v,
                           const struct gdb_x86_regs *raw);

/*
 * Parse a hex number of 1-16 digits at *p (before end); advance *p.
 * Returns false if there is none or it overflows 64 bits.
 */
bool gdb_cmd_parse_hex(const char **p, const char *end, uint64_t *v);

/*
 * qXfer reads: "OFFSET,LENGTH" (hex) from *p to end, LENGTH not 0 (a
 * 0 would make gdb ask forever); then the reply for that window of the
 * document doc (dlen bytes): 'm' and the bytes while more follow, 'l'
 * and the last ones (or nothing, past the end).
 */
bool gdb_cmd_parse_xfer(const char *p, const char *end, uint64_t *off,
                        uint64_t *n);
enum gdb_cmd_result gdb_cmd_xfer_reply(const char *doc, size_t dlen,
                                       uint64_t off, uint64_t n, char *reply,
                                       size_t cap, size_t *len);

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
 * After a stop was recorded in s->last (and not yet sent): if the vCPU is
 * now in another mode than the layout described to gdb, and gdb takes exec
 * events, write an exec stop reply instead and return true (the real stop
 * then answers gdb's next resume). Returns false when nothing changed.
 */
bool gdb_cmd_mode_exec(struct gdb_cmd *s, char *reply, size_t cap, size_t *len);

/* Whether the target records (answers bs and bc). */
bool gdb_cmd_is_recording(struct gdb_cmd *s);

/*
 * Make thread t (0-based) the target's selected thread, for the register,
 * memory and monitor operations. A no-op with one thread.
 */
void gdb_cmd_use_thread(struct gdb_cmd *s, int t);

/*
 * Memory views (cmd_views.c). qXfer:memory-map:read::offset,length (p
 * after "qXfer:memory-map:read:"); Qqemu.PhyMemMode:v and
 * qqemu.PhyMemMode (pkt whole). Both reply like gdb_cmd_query.
 */
enum gdb_cmd_result gdb_cmd_xfer_memory_map(struct gdb_cmd *s, const char *p,
                                            const char *end, char *reply,
                                            size_t cap, size_t *len);
enum gdb_cmd_result gdb_cmd_phy_mem_mode(struct gdb_cmd *s, const char *pkt,
                                         size_t plen, char *reply, size_t cap,
                                         size_t *len);
/* Whether the target can give gdb a memory map (qSupported). */
bool gdb_cmd_has_memory_map(const struct gdb_cmd *s);

/*
 * `monitor xp ...` and `monitor console ...` (cmd the whole command,
 * blanks squeezed): text in out (at most cap - 1 bytes plus a NUL).
 * Return its length, -ENOENT if cmd is neither, -EINVAL for bad syntax
 * (out then holds the message for the user).
 */
int gdb_cmd_views_monitor(struct gdb_cmd *s, const char *cmd, char *out,
                          size_t cap);

/* q..., Q... packets. */
enum gdb_cmd_result gdb_cmd_query(struct gdb_cmd *s, const char *pkt,
                                  size_t len, char *reply, size_t cap,
                                  size_t *reply_len);

#endif
