#ifndef GDBSTUB_TARGET_H
#define GDBSTUB_TARGET_H

/*
 * The abstract debug target the GDB stub drives. The stub knows nothing of
 * KVM: a VMM (or a fake target in the unit tests) fills in a
 * struct gdb_target_ops and passes it with an opaque context pointer.
 *
 * Every operation returns 0 (or a count >= 0) on success and -errno on
 * failure. None of them may print: they report failures through the return
 * value only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The CPU mode picks the target description gdb is given. */
enum gdb_arch {
    GDB_ARCH_I8086,  /* real mode: i386 registers, 16-bit disassembly */
    GDB_ARCH_I386,   /* protected mode */
    GDB_ARCH_X86_64, /* long mode */
};

/* Indices into gdb_x86_regs.gpr, named as on amd64. */
enum gdb_x86_gpr {
    GDB_RAX,
    GDB_RBX,
    GDB_RCX,
    GDB_RDX,
    GDB_RSI,
    GDB_RDI,
    GDB_RBP,
    GDB_RSP,
    GDB_R8,
    GDB_R9,
    GDB_R10,
    GDB_R11,
    GDB_R12,
    GDB_R13,
    GDB_R14,
    GDB_R15,
    GDB_NR_GPR,
};

/* Indices into gdb_x86_regs.seg, in gdb's order. */
enum gdb_x86_seg {
    GDB_CS,
    GDB_SS,
    GDB_DS,
    GDB_ES,
    GDB_FS,
    GDB_GS,
    GDB_NR_SEG,
};

/*
 * A segment's hidden part (Intel SDM vol. 3, 3.4.3 "Segment Registers"):
 * attr is packed as the VMCS guest access rights are (SDM vol. 3, "Guest
 * Register State"): type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14,
 * G 15, unusable 16.
 */
struct gdb_x86_desc {
    uint64_t base;
    uint32_t limit;
    uint32_t attr;
};

#define GDB_X86_ATTR_UNUSABLE (1u << 16)

/*
 * System state, shown to gdb as the org.kvmstub.sys feature: control
 * registers, EFER, the segment descriptor caches, LDTR, TR, GDTR, IDTR and
 * the guest's own debug registers (dr[0..3], dr[6], dr[7]; 4 and 5 unused),
 * which are not the debug registers the stub's breakpoints use.
 */
struct gdb_x86_sys {
    uint64_t cr0, cr2, cr3, cr4, cr8, efer;
    struct gdb_x86_desc seg[GDB_NR_SEG]; /* gdb_x86_seg order */
    uint32_t ldtr, tr;                   /* selectors */
    struct gdb_x86_desc ldt, tss;
    uint64_t gdtr_base, idtr_base;
    uint32_t gdtr_limit, idtr_limit;
    uint64_t dr[8];
};

/*
 * The x86 register file as gdb's org.gnu.gdb.i386.{core,sse,segments}
 * features see it. Values are in host byte order; the stub encodes them
 * little-endian on the wire. In i8086/i386 mode only the low 32 bits of
 * the first eight GPRs, rip and rflags are sent, and xmm0-7.
 */
struct gdb_x86_regs {
    enum gdb_arch arch; /* mode of the vCPU at this stop */
    uint64_t gpr[GDB_NR_GPR];
    uint64_t rip;
    /*
     * The guest's own RFLAGS: TF as the guest set it, even while the
     * target single-steps it for the stub.
     */
    uint64_t rflags;
    uint32_t seg[GDB_NR_SEG]; /* selectors */
    /*
     * Not sent to gdb: where the code is. cs_base is the CS base (ignored
     * in 64-bit code); code16 says IP is 16 bits (real mode, or a 16-bit
     * code segment). See gdb_x86_linear_pc.
     */
    uint64_t cs_base;
    bool code16;
    uint64_t fs_base;
    uint64_t gs_base;
    uint8_t st[8][10]; /* x87 80-bit registers, physical order st0..st7 */
    uint32_t fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop;
    uint8_t xmm[16][16];
    uint32_t mxcsr;
    struct gdb_x86_sys sys; /* get_regs only; see struct gdb_x86_sys */
};

/* What the host's debug facilities can do, found out by probing. */
struct gdb_target_caps {
    bool sw_bp;      /* int3 is intercepted (exit with exception 3) */
    bool hw_bp;      /* debug-register execution breakpoints fire */
    bool hw_watch;   /* debug-register data breakpoints fire */
    bool singlestep; /* single-step exits after one instruction */
    int nr_hw_slots; /* debug registers available (4 on x86) */
    /*
     * The target can watch guest memory by protecting its pages (struct
     * gdb_resume watch): read, write and access watchpoints of any length
     * without debug registers or stepping.
     */
    bool page_watch;
    bool range_step; /* does GDB_RESUME_RANGE itself */
};

/* What a page-protection watch catches; also the access that hit one. */
enum gdb_watch_kind {
    GDB_WATCH_WRITE = 1,
    GDB_WATCH_READ = 2,
    GDB_WATCH_ACCESS = 3, /* read or write */
};

/* A watched range of guest linear addresses. */
struct gdb_watch_range {
    uint64_t addr, len; /* len >= 1, addr + len does not overflow */
    enum gdb_watch_kind kind;
};

enum gdb_resume_mode {
    GDB_RESUME_CONT, /* run until something stops the guest */
    GDB_RESUME_STEP, /* one instruction for the user: a hlt does not sleep */
    /*
     * One instruction standing in for running (breakpoints or watchpoints
     * emulated by stepping): a hlt behaves as when running (sleeps and
     * counts towards the halt limit).
     */
    GDB_RESUME_STEP_RUN,
    GDB_RESUME_STAY, /* threads only (gdb_resume.modes): stays stopped */
    /*
     * Range stepping for the user (RSP vCont;r, caps.range_step): step
     * once, then on while the linear pc stays in [range_start, range_end)
     * with CS and the CPU mode as they were; stop (a plain step stop)
     * before an instruction at any of stop_at, or on anything a step
     * stops on. Execution breakpoints in dr7 are not loaded for a
     * thread in this mode (stop_at stands for them; data ones are); a
     * guest TF set before or after an instruction ends the range there.
     */
    GDB_RESUME_RANGE,
};

/*
 * How the guest is to run: the debug-register and int3 setup goes with
 * every resume; the target only reprograms the hardware when it changed.
 */
struct gdb_resume {
    enum gdb_resume_mode mode;
    /*
     * 0, or an exception the guest raised itself that the target must
     * deliver to the guest before it runs on: 1 (#DB, a trap: the guest
     * handler returns to rip as it is) or 3 (#BP of an int3 at rip that
     * the target stopped at: the handler returns past the int3).
     */
    int inject;
    bool use_sw_bp; /* intercept int3 */
    bool use_hw_bp; /* load dr[] and dr7 */
    uint64_t dr[4];
    uint64_t dr7;
    /*
     * Targets with several threads (nr_threads > 1): how each thread runs,
     * indexed by thread (0-based); NULL means all of them as mode. inject
     * goes to thread `thread`. Debug registers and int3 interception apply
     * to every thread that runs. The target returns once one thread stops
     * on its own (or, when some step, once every stepping thread that can
     * finish its step did), all of them stopped again.
     */
    const enum gdb_resume_mode *modes;
    int thread;
    /*
     * Targets with caps.page_watch: the ranges to watch during this resume
     * (nr_watch of them, NULL when none). The target translates them to
     * physical pages at each resume (what the guest maps later is not
     * followed until the next one) and stops the guest right after an
     * instruction that accessed one of them as its kind says: a
     * GDB_STOP_DEBUG with watch_hit set.
     */
    const struct gdb_watch_range *watch;
    size_t nr_watch;
    /* GDB_RESUME_RANGE: linear pcs; stop_at holds nr_stop_at of them. */
    uint64_t range_start, range_end;
    const uint64_t *stop_at;
    size_t nr_stop_at;
};

enum gdb_stop_kind {
    GDB_STOP_DEBUG,       /* step done, int3 or debug register hit */
    GDB_STOP_INTERRUPTED, /* a signal cut the run short: poll your fds */
    GDB_STOP_EXITED,      /* the guest ended (e.g. halt limit): exit_code */
    GDB_STOP_CRASHED,     /* guest crashed; its state is kept for inspection */
    GDB_STOP_TERMINATE,   /* the VMM was told to quit (SIGINT/SIGTERM) */
    GDB_STOP_NONE,        /* thread_stop: the thread was only stopped */
};

struct gdb_stop {
    enum gdb_stop_kind kind;
    int exception;   /* GDB_STOP_DEBUG: 1 (#DB) or 3 (#BP) */
    uint64_t dr6;    /* GDB_STOP_DEBUG: which debug condition fired */
    int exit_code;   /* GDB_STOP_EXITED */
    const char *why; /* GDB_STOP_CRASHED: short text, static storage */
    int thread;      /* the thread (0-based) the stop is about */
    /*
     * GDB_STOP_DEBUG from a gdb_resume watch range: watch_addr is that
     * range's addr as given, watch_kind the access (WRITE or READ).
     */
    bool watch_hit;
    uint64_t watch_addr;
    enum gdb_watch_kind watch_kind;
    /*
     * With watch_hit after a GDB_RESUME_CONT: the guest's own TF was set
     * and its single-step trap for that instruction is still owed (the
     * stub delivers it with the next resume's inject).
     */
    bool trap_owed;
};

/*
 * One range of the guest's physical address space for gdb's memory map
 * (qXfer:memory-map:read; gdb's memory-map DTD): RAM, or ROM, where gdb
 * writes nothing and puts hardware breakpoints instead of int3 patches.
 */
enum gdb_mem_type {
    GDB_MEM_RAM,
    GDB_MEM_ROM,
};

struct gdb_mem_region {
    uint64_t start, length; /* length 0: up to the end of the 64-bit space */
    enum gdb_mem_type type;
};

/* Where `monitor console` sends the guest's console output. */
enum gdb_console_mode {
    GDB_CONSOLE_STDOUT, /* the VMM's stdout only (the default) */
    GDB_CONSOLE_GDB,    /* the debugger only (O packets) */
    GDB_CONSOLE_BOTH,   /* both */
};

/*
 * The stub's side of the console: write takes up to len guest bytes for
 * the debugger and returns how many it took; the target writes the rest
 * to its own output, so none is lost (it takes none while no debugger
 * waits for a stop reply, or while its buffer is full). Called from any
 * thread, even several at once; never blocks.
 */
struct gdb_console_sink {
    enum gdb_console_mode mode;
    size_t (*write)(void *arg, const uint8_t *buf, size_t len);
    void *arg;
};

/* Reads guest memory with read_mem's contract. */
struct gdb_mem_view {
    int (*read)(void *vctx, uint64_t addr, void *buf, size_t len);
    void *vctx;
};

struct gdb_target_ops {
    /* Fill caps. Never fails. */
    void (*get_caps)(void *ctx, struct gdb_target_caps *caps);
    /* Read all registers (the target may cache them until the next resume). */
    int (*get_regs)(void *ctx, struct gdb_x86_regs *regs);
    /*
     * Optional (may be NULL): like get_regs, but only arch, the GPRs, rip,
     * rflags and the segments need be filled (st, x87 control, xmm and
     * mxcsr may be left zero). Used on hot paths - stop replies and the PC
     * checks of a stepped continue - where reading the FPU would be waste.
     */
    int (*get_core_regs)(void *ctx, struct gdb_x86_regs *regs);
    /*
     * Write all registers. regs->arch is ignored. In real mode a write to a
     * segment selector also sets its base to selector * 16. Of regs->sys
     * only what differs from what get_regs gave is written (a target
     * without system state ignores it).
     */
    int (*set_regs)(void *ctx, const struct gdb_x86_regs *regs);
    /*
     * Copy len bytes at guest linear address addr. Returns 0, or -EFAULT if
     * any byte is outside guest RAM (then nothing is written), -EINVAL if
     * addr + len overflows.
     */
    int (*read_mem)(void *ctx, uint64_t addr, void *buf, size_t len);
    int (*write_mem)(void *ctx, uint64_t addr, const void *buf, size_t len);
    /*
     * Run the guest as *how says and block until it stops; describe the stop
     * in *stop. Returns 0, or -errno on a host failure (the session is over).
     */
    int (*resume)(void *ctx, const struct gdb_resume *how,
                  struct gdb_stop *stop);
    /*
     * Run a `monitor` command line (NUL-terminated). Writes at most cap - 1
     * bytes of text plus a NUL to out. Returns the text length, or -ENOENT
     * for an unknown command (out then holds a message for the user).
     */
    int (*monitor)(void *ctx, const char *cmd, char *out, size_t cap);
    /*
     * Optional (may be NULL): record mode. history gives the oldest
     * instruction count the target can go back to and the current one;
     * -ENOSYS when it is not recording. seek puts the guest at count n
     * (first <= n <= now), dropping the history after it: -ERANGE outside
     * it, -EINTR if a signal cut the re-execution short (the guest is then
     * at a count between). Both block.
     */
    int (*history)(void *ctx, uint64_t *first, uint64_t *now);
    int (*seek)(void *ctx, uint64_t n);
    /*
     * Optional (may be NULL): the stub hands the target a reader of guest
     * memory as the guest wrote it (the stub's int3 patches hidden), for
     * the target's own dumps (`monitor regs`). view is NULL when it goes
     * away; a non-NULL view stays valid until then.
     */
    void (*set_mem_view)(void *ctx, const struct gdb_mem_view *view);
    /*
     * Optional (all NULL: one thread). Threads are the target's CPUs,
     * numbered 0..nr_threads-1 here (gdb's thread ids are these + 1).
     * nr_threads never changes during a session. select_thread makes
     * thread t the one get_regs, get_core_regs, set_regs, read_mem,
     * write_mem and monitor apply to (-EINVAL if there is no such thread).
     * thread_info writes at most cap - 1 bytes plus a NUL about thread t,
     * such as "CPU#1 [halted]", and returns the length. thread_stop tells
     * what thread t did on its own in the last resume (kind GDB_STOP_NONE
     * if it was only stopped with the others).
     */
    int (*nr_threads)(void *ctx);
    int (*select_thread)(void *ctx, int t);
    int (*thread_info)(void *ctx, int t, char *out, size_t cap);
    int (*thread_stop)(void *ctx, int t, struct gdb_stop *stop);
    /*
     * Optional: whether thread t waits for an event (hlt, wait-for-SIPI),
     * so that a step of it may not finish until one comes.
     */
    bool (*thread_waits)(void *ctx, int t);
    /*
     * Optional: the guest's physical memory layout, for gdb's memory map.
     * Writes at most cap regions, sorted by start and not overlapping, to
     * out; returns how many, or -errno. Addresses are physical.
     */
    int (*memory_map)(void *ctx, struct gdb_mem_region *out, size_t cap);
    /*
     * Optional: read_mem and write_mem at guest physical addresses (no
     * paging), for Qqemu.PhyMemMode and `monitor xp`. Same contract, with
     * -EFAULT for bytes outside RAM and ROM.
     */
    int (*read_phys)(void *ctx, uint64_t gpa, void *buf, size_t len);
    int (*write_phys)(void *ctx, uint64_t gpa, const void *buf, size_t len);
    /*
     * Optional: send the guest's console output as sink says (a copy is
     * kept; NULL: all of it to the target's own output again). Called
     * while the guest is stopped.
     */
    void (*set_console_sink)(void *ctx, const struct gdb_console_sink *sink);
};

/*
 * The linear address of the next instruction (Intel SDM vol. 3, 3.4:
 * CS base + IP; 20.1.1 in real mode), which breakpoint addresses and
 * debug registers use, whatever gdb's $pc shows.
 */
static inline uint64_t gdb_x86_linear_pc(const struct gdb_x86_regs *regs)
{
    if (regs->arch == GDB_ARCH_X86_64)
        return regs->rip;
    uint64_t ip = regs->code16 ? regs->rip & 0xffff : regs->rip & 0xffffffff;
    return (regs->cs_base + ip) & 0xffffffff;
}

/* get_core_regs where the target has it, else get_regs. */
static inline int gdb_target_core_regs(const struct gdb_target_ops *ops,
                                       void *ctx, struct gdb_x86_regs *regs)
{
    return ops->get_core_regs ? ops->get_core_regs(ctx, regs)
                              : ops->get_regs(ctx, regs);
}

#endif
