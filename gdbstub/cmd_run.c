/*
 * Run control: running the guest for gdb (or freely once it detached),
 * and the stop replies that report how it stopped.
 */
#include "cmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "break.h"
#include "cmd_priv.h"
#include "rsp.h"

/* See exec_path. */
#define EXEC_PATH_PREFIX "kvmstub: the vCPU switched to "

/* Signals as gdb numbers them (include/gdb/signals.def). */
#define SIG_TRAP 5
#define SIG_SEGV 11

/* The stop reason gdb is told of, or NULL for none. */
static const char *reason_name(enum gdb_bp_event ev)
{
    switch (ev) {
    case GDB_BP_EV_SWBREAK:
        return "swbreak";
    case GDB_BP_EV_HWBREAK:
        return "hwbreak";
    case GDB_BP_EV_WATCH:
        return "watch";
    case GDB_BP_EV_RWATCH:
        return "rwatch";
    case GDB_BP_EV_AWATCH:
        return "awatch";
    default:
        return NULL;
    }
}

/* A stop reply: "W" exit code, or "T" signal, thread, reason, pc/sp/fp. */
size_t gdb_cmd_render_stop(struct gdb_cmd *s, char *reply, size_t cap)
{
    const struct gdb_cmd_stop *st = &s->last;
    struct gdb_x86_regs regs;
    const char *why;
    char out[256];
    size_t n;

    if (st->exited) {
        snprintf(out, sizeof(out), "W%02x", (unsigned)st->exit_code & 0xff);
        gdb_cmd_reply_str(out, reply, cap, &n);
        return n;
    }
    /* gdb makes the stop's thread its current one (Hg) from here on. */
    if (st->thread >= 0 && st->thread < s->nthreads)
        s->g_thread = st->thread;
    gdb_cmd_use_thread(s, s->g_thread);
    n = (size_t)snprintf(out, sizeof(out), "T%02xthread:%x;",
                         (unsigned)st->sig & 0xff, (unsigned)s->g_thread + 1);
    why = reason_name(st->ev);
    if (st->ev ==
        GDB_BP_EV_NO_HISTORY) /* gdb: "No more reverse-execution history." */
        n += (size_t)snprintf(out + n, sizeof(out) - n, "replaylog:begin;");
    else if (why && st->ev >= GDB_BP_EV_WATCH) /* watch:ADDR; and the like */
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s:%llx;", why,
                              (unsigned long long)st->addr);
    else if (why)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s:;", why);
    int got = gdb_target_core_regs(s->ops, s->ctx, &regs);
    if (got == 0) {
        gdb_cmd_regs_to_gdb(s, &regs);
        enum gdb_arch arch = s->arch_fixed ? s->arch : regs.arch;
        int regno[3] = {gdb_arch_pc_regno(arch), gdb_arch_sp_regno(arch),
                        gdb_arch_fp_regno(arch)};
        for (int i = 0; i < 3; i++) {
            /* "NN:" + at most 16 bytes in hex + ";" */
            if (regno[i] < 0 || n + 4 + 32 + 1 >= sizeof(out))
                continue;
            n += (size_t)snprintf(out + n, sizeof(out) - n,
                                  "%02x:", (unsigned)regno[i]);
            n += gdb_cmd_put_reg(arch, &regs, regno[i], out + n);
            out[n++] = ';';
        }
    }
    out[n] = '\0';
    gdb_cmd_reply_str(out, reply, cap, &n);
    return n;
}

/*
 * The "executable" an exec stop names. gdb prints it ("... is executing new
 * program: PATH"), then looks for it (an absolute path in the sysroot,
 * warning "Could not load symbols ... set sysroot?"; a relative one in the
 * current directory and PATH) and would load a file it found in place of
 * the user's symbol file. So: a relative name no file has, that reads as
 * what happened; gdb's one warning then repeats it, "No such file", and
 * the user's symbol file stays.
 */
static const char *exec_path(enum gdb_arch arch)
{
    switch (arch) {
    case GDB_ARCH_I8086:
        return EXEC_PATH_PREFIX "i8086";
    case GDB_ARCH_I386:
        return EXEC_PATH_PREFIX "i386";
    default:
        return EXEC_PATH_PREFIX "i386:x86-64";
    }
}

bool gdb_cmd_mode_exec(struct gdb_cmd *s, char *reply, size_t cap, size_t *len)
{
    struct gdb_x86_regs regs;
    char out[160];
    const char *path;
    size_t n;

    if (!s->exec_events || !s->arch_fixed || s->last.exited ||
        gdb_target_core_regs(s->ops, s->ctx, &regs) < 0 || regs.arch == s->arch)
        return false;
    /*
     * RSP "Stop Reply Packets", exec: gdb marks every breakpoint as out
     * (it sends no z) and inserts them again before it resumes: drop ours
     * so the Z packets to come do not just count references.
     */
    gdb_bp_remove_all(&s->bp);
    s->arch_fixed = false;
    s->exec_pending = true;
    path = exec_path(regs.arch);
    n = (size_t)snprintf(out, sizeof(out),
                         "T%02xexec:", (unsigned)s->last.sig & 0xff);
    rsp_hex_encode(path, strlen(path), out + n);
    n += 2 * strlen(path);
    n += (size_t)snprintf(out + n, sizeof(out) - n, ";thread:1;");
    gdb_cmd_reply_str(out, reply, cap, len);
    return true;
}

/* Record a stop and write its reply. */
static void stop_with(struct gdb_cmd *s, struct gdb_cmd_stop st, char *reply,
                      size_t cap, size_t *len)
{
    s->last = st;
    s->stopped = true;
    if (!gdb_cmd_mode_exec(s, reply, cap, len))
        *len = gdb_cmd_render_stop(s, reply, cap);
}

/* Detached: run with no breakpoints until a crash, an exit or a signal. */
static int run_free(struct gdb_cmd *s, char *reply, size_t cap, size_t *len)
{
    const struct gdb_resume how = {.mode = GDB_RESUME_CONT};
    struct gdb_stop st;
    int r;

    for (;;) {
        if ((r = s->ops->resume(s->ctx, &how, &st)) < 0)
            return r;
        switch (st.kind) {
        case GDB_STOP_DEBUG:
        case GDB_STOP_NONE:
            continue; /* nothing of ours is armed */
        case GDB_STOP_INTERRUPTED:
            return GDB_RUN_POLL;
        case GDB_STOP_EXITED:
            stop_with(s,
                      (struct gdb_cmd_stop){.exited = true,
                                            .exit_code = st.exit_code},
                      reply, cap, len);
            return GDB_RUN_EXITED;
        case GDB_STOP_CRASHED:
            s->free_run = false;
            stop_with(
                s, (struct gdb_cmd_stop){.sig = SIG_SEGV, .thread = st.thread},
                reply, cap, len);
            return GDB_RUN_STOPPED;
        case GDB_STOP_TERMINATE:
            return GDB_RUN_TERMINATE;
        }
    }
}

int gdb_cmd_run(struct gdb_cmd *s, char *reply, size_t cap, size_t *len)
{
    struct gdb_bp_stop bs;
    int r;

    *len = 0;
    if (s->stopped)
        return -EINVAL;
    if (s->free_run)
        return run_free(s, reply, cap, len);
    if (s->exec_pending) {
        /*
         * gdb followed the "exec": now the stop it was about, without
         * running. gdb forgets a stepi at an exec (infrun's follow_exec
         * clears the step range) and resumes with a continue, so that
         * stop ends the stepi; but when the stepi started on a breakpoint
         * gdb first steps "to collect the trap" of its step-over and only
         * then continues: keep answering until that continue.
         */
        if (!s->exec_step) {
            s->exec_pending = false;
            /*
             * gdb is continuing now: a plain step stop would be a SIGTRAP
             * it cannot explain; signal 0 makes it "Program stopped.".
             */
            if (s->last.ev == GDB_BP_EV_TRAP && s->last.sig == SIG_TRAP)
                s->last.sig = 0;
        }
        s->stopped = true;
        *len = gdb_cmd_render_stop(s, reply, cap);
        return GDB_RUN_STOPPED;
    }
    if (s->reverse) {
        r = gdb_bp_run_reverse(&s->bp, s->reverse == 1, &bs);
        if (r < 0 || bs.ev != GDB_BP_EV_INTERRUPTED)
            s->reverse = 0;
    } else {
        r = gdb_bp_run(&s->bp, &bs);
    }
    if (r < 0)
        return r;
    switch (bs.ev) {
    case GDB_BP_EV_INTERRUPTED:
        return GDB_RUN_POLL;
    case GDB_BP_EV_TERMINATE:
        return GDB_RUN_TERMINATE;
    case GDB_BP_EV_EXITED:
        stop_with(
            s, (struct gdb_cmd_stop){.exited = true, .exit_code = bs.exit_code},
            reply, cap, len);
        return GDB_RUN_EXITED;
    case GDB_BP_EV_CRASHED:
        stop_with(s,
                  (struct gdb_cmd_stop){.sig = SIG_SEGV, .thread = bs.thread},
                  reply, cap, len);
        return GDB_RUN_STOPPED;
    default:
        stop_with(s,
                  (struct gdb_cmd_stop){.sig = SIG_TRAP,
                                        .ev = bs.ev,
                                        .addr = bs.addr,
                                        .thread = bs.thread},
                  reply, cap, len);
        return GDB_RUN_STOPPED;
    }
}

void gdb_cmd_interrupt(struct gdb_cmd *s, int sig, char *reply, size_t cap,
                       size_t *reply_len)
{
    if (s->free_run) {
        /* A debugger connected to a guest running freely: a new session. */
        s->free_run = false;
        s->arch_fixed = false;
    }
    /* No vCPU caused it: the one gdb looked at last is reported. */
    stop_with(s, (struct gdb_cmd_stop){.sig = sig, .thread = s->g_thread},
              reply, cap, reply_len);
}

void gdb_cmd_detach(struct gdb_cmd *s)
{
    gdb_bp_remove_all(&s->bp);
    s->free_run = true;
    s->stopped = false;
    s->arch_fixed = false;
    s->exec_pending = false;
    s->exec_events = false; /* the next debugger says in its qSupported */
    s->n_lifted = 0;
}

bool gdb_cmd_is_recording(struct gdb_cmd *s)
{
    uint64_t first, now;

    return s->ops->history && s->ops->seek &&
           s->ops->history(s->ctx, &first, &now) == 0;
}

bool gdb_cmd_is_stopped(const struct gdb_cmd *s)
{
    return s->stopped;
}

bool gdb_cmd_is_step(const struct gdb_cmd *s)
{
    return !s->stopped && s->exec_step && !s->reverse;
}
