#ifndef TESTS_FAKE_TARGET_H
#define TESTS_FAKE_TARGET_H

/*
 * A fake debug target for the dispatcher and breakpoint tests: memory is a
 * byte array, registers a struct, caps configurable, and resume runs a toy
 * CPU over the memory:
 *
 *   0xCC        int3: a #BP stop (pc at the int3) if caps.sw_bp and the
 *               resume asks for use_sw_bp, else the guest's #BP (below)
 *   0xEB rel8   jmp short, as on x86
 *   0xF4        hlt: the guest exits with exit_code
 *   0x0F 0x0B   ud2: the guest crashes (pc stays at the ud2)
 *   0x9D        a toy popf: clears RFLAGS.TF
 *   0xCF        a toy iret: back to where the last exception came from
 *   other       an instruction of insn_len bytes that does nothing
 *
 * The pc is linear: regs.cs_base + IP (IP wraps at 16 bits if
 * regs.code16). The CPU honours debug-register execution breakpoints (a
 * fault before the instruction: #DB with DR6.B<i>) when caps.hw_bp, data
 * breakpoints (a trap after it) when caps.hw_watch, and single-step (#DB
 * with DR6.BS). The guest's own TF traps after each instruction that
 * starts with it set: with a single step it is the same one #DB exit, with
 * use_hw_bp on a hw_bp host an exit too (as hardware KVM intercepts #DB
 * then), else the guest takes it. The guest taking #DB or #BP (also one
 * the stub injects) counts in guest_dbs/guest_bps and goes to db_vector/
 * bp_vector (IP in the CS segment; 0: on where it was) with TF cleared, a
 * toy iret returning. Triggers make the instruction at a pc write (or
 * read) a byte, to fire watchpoints and overwrite code. Knobs stop the
 * run after a number of instructions: exit_after (exited) and
 * interrupt_after (interrupted, once). Counters record the resumes.
 * With caps.page_watch the ranges a resume lists are watched as page
 * protection would (fake_page_hit): a stop after the accessing
 * instruction with watch_hit set.
 * GDB_RESUME_RANGE (caps.range_step) steps on while the pc stays in the
 * range and off stop_at, as target.h says, without debug-register
 * execution breakpoints; range_resumes and range_insns count it.
 *
 * Also here: a session helper driving gdb_cmd over the fake.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gdbstub/cmd.h"
#include "gdbstub/rsp.h"
#include "gdbstub/target.h"

#define FAKE_MEM_SIZE     0x10000
#define FAKE_MAX_TRIGGERS 8
#define FAKE_RUNAWAY      1000000 /* instructions per resume before giving up */
#define FAKE_RUNAWAY_CODE 0xee
#define FAKE_DR6_BS       0x4000ULL
#define FAKE_TF           0x100ULL

struct fake_trigger {
    bool used;
    bool read; /* a read of addr, else a write of val to addr */
    uint64_t pc;
    uint64_t addr;
    uint8_t val;
};

struct fake_target {
    uint8_t mem[FAKE_MEM_SIZE];
    struct gdb_x86_regs regs;
    struct gdb_target_caps caps;
    uint64_t insn_len; /* length of an ordinary instruction */
    struct fake_trigger trig[FAKE_MAX_TRIGGERS];
    uint64_t exit_after;      /* exit once this many have run; 0 = never */
    uint64_t interrupt_after; /* interrupt once at this count; 0 = never */
    int exit_code;
    /* The instruction at mode_pc switches the CPU mode to mode_to. */
    bool mode_switch;
    uint64_t mode_pc;
    enum gdb_arch mode_to;
    uint64_t executed;             /* instructions run so far */
    uint64_t db_vector, bp_vector; /* guest handlers' IPs, 0 = none */
    uint64_t ret_rip, ret_rflags;  /* what the toy iret goes back to */
    /* Counters for assertions. */
    unsigned resumes, steps, conts, mem_writes, guest_dbs, guest_bps;
    unsigned injects;                  /* resumes that asked to inject */
    unsigned bad_step, bad_sw, bad_hw; /* asked for what caps lack */
    unsigned page_stops, page_accesses, bad_page; /* page protection */
    unsigned range_resumes, range_insns;
    struct gdb_resume last_how;
};

static inline void fake_init(struct fake_target *f, bool sw_bp, bool hw_bp,
                             bool hw_watch)
{
    memset(f, 0, sizeof(*f));
    f->caps = (struct gdb_target_caps){.sw_bp = sw_bp,
                                       .hw_bp = hw_bp,
                                       .hw_watch = hw_watch,
                                       .singlestep = true,
                                       .nr_hw_slots = 4,
                                       .range_step = true};
    f->insn_len = 1;
    memset(f->mem, 0x90, sizeof(f->mem));
    f->regs.arch = GDB_ARCH_I386;
    f->regs.rip = 0x1000;
    f->regs.gpr[GDB_RSP] = 0x8000;
    f->regs.gpr[GDB_RBP] = 0x8800;
    f->regs.rflags = 0x2;
}

/* Make the instruction at pc write val to addr (or read addr). */
static inline void fake_trigger(struct fake_target *f, uint64_t pc,
                                uint64_t addr, uint8_t val, bool read)
{
    for (int i = 0; i < FAKE_MAX_TRIGGERS; i++) {
        if (!f->trig[i].used) {
            f->trig[i] = (struct fake_trigger){true, read, pc, addr, val};
            return;
        }
    }
}

static inline void fake_get_caps(void *ctx, struct gdb_target_caps *caps)
{
    *caps = ((struct fake_target *)ctx)->caps;
}

static inline int fake_get_regs(void *ctx, struct gdb_x86_regs *regs)
{
    *regs = ((struct fake_target *)ctx)->regs;
    return 0;
}

static inline int fake_set_regs(void *ctx, const struct gdb_x86_regs *regs)
{
    struct fake_target *f = ctx;
    enum gdb_arch arch = f->regs.arch;

    f->regs = *regs;
    f->regs.arch = arch;
    return 0;
}

static inline int fake_check(uint64_t addr, size_t len)
{
    uint64_t end;

    if (__builtin_add_overflow(addr, len, &end))
        return -EINVAL;
    return end > FAKE_MEM_SIZE ? -EFAULT : 0;
}

static inline int fake_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct fake_target *f = ctx;
    int r = fake_check(addr, len);

    if (r == 0 && len)
        memcpy(buf, f->mem + addr, len);
    return r;
}

static inline int fake_write_mem(void *ctx, uint64_t addr, const void *buf,
                                 size_t len)
{
    struct fake_target *f = ctx;
    int r = fake_check(addr, len);

    if (r == 0 && len) {
        memcpy(f->mem + addr, buf, len);
        f->mem_writes++;
    }
    return r;
}

/* DR7 LEN<i> decoded (00 1, 01 2, 11 4, 10 8 bytes). */
static inline uint64_t fake_dr_len(uint64_t dr7, int i)
{
    static const uint64_t len[4] = {1, 2, 8, 4};
    return len[(dr7 >> (18 + 4 * i)) & 3];
}

static inline unsigned fake_dr_rw(uint64_t dr7, int i)
{
    return (unsigned)(dr7 >> (16 + 4 * i)) & 3;
}

/* DR6 bits of the data breakpoints an access to addr fires. */
static inline uint64_t fake_data_hit(const struct fake_target *f,
                                     const struct gdb_resume *how,
                                     uint64_t addr, bool write)
{
    uint64_t dr6 = 0;

    if (!f->caps.hw_watch || !how->use_hw_bp)
        return 0;
    for (int i = 0; i < 4; i++) {
        unsigned rw = fake_dr_rw(how->dr7, i);
        if (!(how->dr7 & (1ULL << (2 * i))) || rw == 0 || rw == 2)
            continue;
        if (rw == 1 && !write)
            continue;
        if (addr >= how->dr[i] && addr - how->dr[i] < fake_dr_len(how->dr7, i))
            dr6 |= 1ULL << i;
    }
    return dr6;
}

/*
 * The page-protection range (gdb_resume watch) an access to addr hits, if
 * caps.page_watch: as a target emulating accesses to protected pages, it
 * counts every access to a watched page in page_accesses (pages are
 * FAKE_PAGE bytes) and reports those inside a range of the right kind.
 */
#define FAKE_PAGE 0x100
static inline const struct gdb_watch_range *
fake_page_hit(struct fake_target *f, const struct gdb_resume *how,
              uint64_t addr, bool write)
{
    const struct gdb_watch_range *hit = NULL;
    bool on_page = false;

    if (!f->caps.page_watch)
        return NULL;
    if (how->nr_watch && !how->watch)
        f->bad_page++;
    for (size_t i = 0; i < how->nr_watch && how->watch; i++) {
        const struct gdb_watch_range *w = &how->watch[i];
        uint64_t first = w->addr / FAKE_PAGE;
        uint64_t last = (w->addr + w->len - 1) / FAKE_PAGE;
        if (addr / FAKE_PAGE >= first && addr / FAKE_PAGE <= last)
            on_page = true;
        if (addr >= w->addr && addr - w->addr < w->len && !hit &&
            (w->kind & (write ? GDB_WATCH_WRITE : GDB_WATCH_READ)))
            hit = w;
    }
    if (on_page)
        f->page_accesses++;
    return hit;
}

/* The guest takes exception vec (1 or 3), to return to ret_ip. */
static inline void fake_deliver(struct fake_target *f, int vec, uint64_t ret_ip)
{
    uint64_t handler = vec == 1 ? f->db_vector : f->bp_vector;

    if (vec == 1)
        f->guest_dbs++;
    else
        f->guest_bps++;
    f->regs.rip = ret_ip;
    if (!handler)
        return;
    f->ret_rip = ret_ip;
    f->ret_rflags = f->regs.rflags;
    f->regs.rflags &= ~FAKE_TF;
    f->regs.rip = handler;
}

/* IP + n in the code segment's width. */
static inline uint64_t fake_ip_add(const struct fake_target *f, uint64_t n)
{
    uint64_t ip = f->regs.rip + n;
    return f->regs.code16 ? ip & 0xffff : ip;
}

static inline int fake_resume(void *ctx, const struct gdb_resume *how,
                              struct gdb_stop *st)
{
    struct fake_target *f = ctx;
    bool step = how->mode != GDB_RESUME_CONT;
    bool range = how->mode == GDB_RESUME_RANGE;
    uint32_t cs0 = f->regs.seg[GDB_CS];
    enum gdb_arch arch0 = f->regs.arch;

    f->resumes++;
    if (range)
        f->range_resumes++;
    if (step)
        f->steps++;
    else
        f->conts++;
    f->last_how = *how;
    if (step && !f->caps.singlestep)
        f->bad_step++;
    if (how->use_sw_bp && !f->caps.sw_bp)
        f->bad_sw++;
    if (how->use_hw_bp && !f->caps.hw_bp && !f->caps.hw_watch)
        f->bad_hw++;
    *st = (struct gdb_stop){.kind = GDB_STOP_DEBUG};
    if (how->inject) {
        f->injects++;
        /* #BP: the stop left IP at the int3; the handler returns past it. */
        fake_deliver(f, how->inject,
                     how->inject == 3 ? fake_ip_add(f, 1) : f->regs.rip);
    }
    for (uint64_t n = 0;; n++) {
        uint64_t pc = gdb_x86_linear_pc(&f->regs), dr6 = 0;
        bool tf = (f->regs.rflags & FAKE_TF) != 0;
        if (f->interrupt_after && f->executed >= f->interrupt_after) {
            f->interrupt_after = 0;
            st->kind = GDB_STOP_INTERRUPTED;
            return 0;
        }
        if ((f->exit_after && f->executed >= f->exit_after) ||
            n == FAKE_RUNAWAY) {
            st->kind = GDB_STOP_EXITED;
            st->exit_code =
                n == FAKE_RUNAWAY ? FAKE_RUNAWAY_CODE : f->exit_code;
            return 0;
        }
        if (pc + 2 > FAKE_MEM_SIZE) {
            st->kind = GDB_STOP_CRASHED;
            st->why = "pc outside RAM";
            return 0;
        }
        /* Execution breakpoints fault before the instruction. */
        if (f->caps.hw_bp && how->use_hw_bp && !range) {
            for (int i = 0; i < 4; i++) {
                if ((how->dr7 & (1ULL << (2 * i))) &&
                    fake_dr_rw(how->dr7, i) == 0 && how->dr[i] == pc) {
                    st->exception = 1;
                    st->dr6 = 1ULL << i;
                    return 0;
                }
            }
        }
        uint8_t op = f->mem[pc];
        if (op == 0xCC && f->caps.sw_bp && how->use_sw_bp) {
            st->exception = 3;
            return 0;
        }
        if (op == 0xCC) {
            /* The guest's own #BP (a trap: no TF trap after it). */
            f->executed++;
            fake_deliver(f, 3, fake_ip_add(f, 1));
            if (step) {
                st->exception = 1;
                st->dr6 = FAKE_DR6_BS;
                return 0;
            }
            continue;
        }
        if (op == 0x0F && f->mem[pc + 1] == 0x0B) {
            st->kind = GDB_STOP_CRASHED;
            st->why = "invalid opcode";
            return 0;
        }
        const struct gdb_watch_range *wr = NULL;
        enum gdb_watch_kind wk = GDB_WATCH_WRITE;
        for (int i = 0; i < FAKE_MAX_TRIGGERS; i++) {
            const struct fake_trigger *t = &f->trig[i];
            if (!t->used || t->pc != pc || t->addr >= FAKE_MEM_SIZE)
                continue;
            if (!t->read)
                f->mem[t->addr] = t->val;
            dr6 |= fake_data_hit(f, how, t->addr, !t->read);
            const struct gdb_watch_range *w =
                fake_page_hit(f, how, t->addr, !t->read);
            if (w && !wr) {
                wr = w;
                wk = t->read ? GDB_WATCH_READ : GDB_WATCH_WRITE;
            }
        }
        f->executed++;
        if (f->mode_switch && pc == f->mode_pc)
            f->regs.arch = f->mode_to;
        if (op == 0xF4) {
            f->regs.rip = fake_ip_add(f, 1);
            st->kind = GDB_STOP_EXITED;
            st->exit_code = f->exit_code;
            return 0;
        }
        if (op == 0xEB) {
            f->regs.rip =
                fake_ip_add(f, 2 + (uint64_t)(int64_t)(int8_t)f->mem[pc + 1]);
        } else if (op == 0xCF) {
            f->regs.rip = f->ret_rip;
            f->regs.rflags = f->ret_rflags;
        } else {
            if (op == 0x9D)
                f->regs.rflags &= ~FAKE_TF;
            f->regs.rip = fake_ip_add(f, f->insn_len);
        }
        if (wr) {
            /* After the instruction, as a target with protected pages. */
            f->page_stops++;
            /* The guest's own trap: the stub delivers it (a step's too). */
            st->trap_owed = tf && !step;
            st->exception = 1;
            st->watch_hit = true;
            st->watch_addr = wr->addr;
            st->watch_kind = wk;
            return 0;
        }
        if (step || (tf && f->caps.hw_bp && how->use_hw_bp))
            dr6 |= tf ? FAKE_DR6_BS : 0;
        if (step)
            dr6 |= FAKE_DR6_BS;
        if (tf && !(dr6 & FAKE_DR6_BS))
            fake_deliver(f, 1, f->regs.rip); /* the guest's own trap */
        if (range) {
            uint64_t now = gdb_x86_linear_pc(&f->regs);
            bool stop_at = false;
            f->range_insns++;
            for (size_t i = 0; i < how->nr_stop_at; i++)
                stop_at |= how->stop_at[i] == now;
            if (dr6 == FAKE_DR6_BS && !tf && !how->inject && !stop_at &&
                now >= how->range_start && now < how->range_end &&
                f->regs.seg[GDB_CS] == cs0 && f->regs.arch == arch0 &&
                !(f->regs.rflags & FAKE_TF))
                continue;
        }
        if (dr6) {
            st->exception = 1;
            st->dr6 = dr6;
            return 0;
        }
    }
}

static inline int fake_monitor(void *ctx, const char *cmd, char *out,
                               size_t cap)
{
    const char *text;

    (void)ctx;
    if (strcmp(cmd, "help") == 0)
        text = "echo TEXT  print TEXT\n";
    else if (strncmp(cmd, "echo ", 5) == 0)
        text = cmd + 5;
    else if (strcmp(cmd, "quiet") == 0)
        text = "";
    else {
        snprintf(out, cap, "unknown command: %s", cmd);
        return -ENOENT;
    }
    snprintf(out, cap, "%s", text);
    return (int)strlen(out);
}

static inline const struct gdb_target_ops *fake_ops(void)
{
    static const struct gdb_target_ops ops = {
        .get_caps = fake_get_caps,
        .get_regs = fake_get_regs,
        .set_regs = fake_set_regs,
        .read_mem = fake_read_mem,
        .write_mem = fake_write_mem,
        .resume = fake_resume,
        .monitor = fake_monitor,
    };
    return &ops;
}

/* A gdb_cmd session over a fake target, with a reply buffer. */
struct fake_sess {
    struct fake_target t;
    struct gdb_cmd *cmd;
    enum gdb_cmd_result res; /* of the last packet */
    int run;                 /* of the last gdb_cmd_run */
    unsigned polls;          /* GDB_RUN_POLL seen by fake_go */
    size_t len;
    char reply[RSP_MAX_PACKET + 1];
};

/* NULL if gdb_cmd_new refused (errno says why). */
static inline struct fake_sess *
fake_sess_new(bool sw_bp, bool hw_bp, bool hw_watch, enum gdb_bp_mechanism mech)
{
    struct fake_sess *s = calloc(1, sizeof(*s));
    struct gdb_cmd_config cfg = {.mechanism = mech};

    if (!s)
        return NULL;
    fake_init(&s->t, sw_bp, hw_bp, hw_watch);
    s->cmd = gdb_cmd_new(fake_ops(), &s->t, &cfg);
    if (!s->cmd) {
        free(s);
        return NULL;
    }
    return s;
}

static inline void fake_sess_free(struct fake_sess *s)
{
    if (s)
        gdb_cmd_free(s->cmd);
    free(s);
}

/* Send a packet of len bytes; returns the reply, NUL-terminated. */
static inline const char *fake_pktn(struct fake_sess *s, const char *pkt,
                                    size_t len)
{
    s->len = 0;
    s->res =
        gdb_cmd_handle(s->cmd, pkt, len, s->reply, RSP_MAX_PACKET, &s->len);
    s->reply[s->len] = '\0';
    return s->reply;
}

static inline const char *fake_pkt(struct fake_sess *s, const char *pkt)
{
    return fake_pktn(s, pkt, strlen(pkt));
}

/* Run until a stop, going on after each poll (at most max_polls). */
static inline const char *fake_run(struct fake_sess *s, unsigned max_polls)
{
    s->len = 0;
    for (;;) {
        s->run = gdb_cmd_run(s->cmd, s->reply, RSP_MAX_PACKET, &s->len);
        if (s->run != GDB_RUN_POLL || s->polls >= max_polls)
            break;
        s->polls++;
    }
    s->reply[s->len] = '\0';
    return s->reply;
}

/* Send a packet; if it resumes the guest, run until it stops. */
static inline const char *fake_go(struct fake_sess *s, const char *pkt)
{
    fake_pkt(s, pkt);
    if (s->res != GDB_CMD_RESUME)
        return s->reply;
    return fake_run(s, 1000);
}

#endif
