#include "run.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "mem.h"
#include "pio.h"
#include "vcpu.h"
#include "vm.h"

#define HLT_OPCODE 0xf4
#define CR0_PE     0x1ull
#define EFER_LMA   (1ull << 10)
#define RFLAGS_VM  (1ull << 17)

int run_init(struct runner *r, struct vcpu *vcpu, struct mem *mem,
             struct pio_bus *bus, const struct run_config *cfg)
{
    sigset_t cur;

    *r = (struct runner){.vcpu = vcpu, .mem = mem, .bus = bus, .cfg = *cfg};
    sigemptyset(&r->wake);
    if (cfg->kick_signo > 0) {
        sigaddset(&r->wake, cfg->kick_signo);
    } else {
        sigaddset(&r->wake, SIGINT);
        sigaddset(&r->wake, SIGTERM);
        sigaddset(&r->wake, SIGIO);
    }
    if (cfg->events.signo > 0)
        sigaddset(&r->wake, cfg->events.signo);
    if (sigprocmask(SIG_BLOCK, &r->wake, &cur) < 0)
        return vm_fail(vcpu->vm, "sigprocmask");
    /* Inside KVM_RUN the wake signals are deliverable: they end the run
     * with EINTR and stay pending for drain_signals(). The kernel's
     * sigset is 8 bytes on x86-64 (KVM API doc, KVM_SET_SIGNAL_MASK). */
    for (int s = 1; s <= 64; s++)
        if (sigismember(&r->wake, s))
            sigdelset(&cur, s);
    return vcpu_set_signal_mask(vcpu, &cur);
}

const char *run_exit_name(uint32_t reason)
{
    static const char *const names[] = {
        [KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
        [KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
        [KVM_EXIT_IO] = "KVM_EXIT_IO",
        [KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
        [KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
        [KVM_EXIT_HLT] = "KVM_EXIT_HLT",
        [KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
        [KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
        [KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
        [KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
        [KVM_EXIT_INTR] = "KVM_EXIT_INTR",
        [KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
        [KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
        [KVM_EXIT_NMI] = "KVM_EXIT_NMI",
        [KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
        [KVM_EXIT_OSI] = "KVM_EXIT_OSI",
        [KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
    };

    if (reason < sizeof(names) / sizeof(names[0]) && names[reason])
        return names[reason];
    return "unknown exit reason";
}

static void dev_lock(struct runner *r)
{
    if (r->cfg.dev_lock)
        pthread_mutex_lock(r->cfg.dev_lock);
}

static void dev_unlock(struct runner *r)
{
    if (r->cfg.dev_lock)
        pthread_mutex_unlock(r->cfg.dev_lock);
}

/* Callers hold the device lock. */
static int poll_events_locked(struct runner *r, bool signalled)
{
    if (!r->cfg.events.poll)
        return 0;
    return r->cfg.events.poll(r->cfg.events.ctx, signalled);
}

static int poll_events(struct runner *r, bool signalled)
{
    if (!r->cfg.events.poll)
        return 0;
    dev_lock(r);
    int e = poll_events_locked(r, signalled);
    dev_unlock(r);
    return e;
}

/*
 * Take every pending wake signal; note which kinds arrived. Machine
 * events are serviced here; *event says whether one came.
 */
static int drain_signals_ev(struct runner *r, struct run_result *res,
                            bool *event)
{
    static const struct timespec zero = {0, 0};

    *event = false;
    for (;;) {
        int s = sigtimedwait(&r->wake, NULL, &zero);
        if (s < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            return vm_fail(r->vcpu->vm, "sigtimedwait");
        }
        if (s == SIGIO)
            res->io = true;
        else if (r->cfg.kick_signo > 0 && s == r->cfg.kick_signo)
            res->kicked = true;
        else if (r->cfg.events.signo > 0 && s == r->cfg.events.signo)
            *event = true;
        else
            res->quit = true;
    }
    return *event ? poll_events(r, true) : 0;
}

static int drain_signals(struct runner *r, struct run_result *res)
{
    bool event;

    return drain_signals_ev(r, res, &event);
}

/*
 * KVM_RUN was cut short by a signal. Returns 1 when it was only a machine
 * event (serviced: run on), 0 when the run stops (res says why), -errno.
 */
static int on_signal(struct runner *r, struct run_result *res)
{
    bool event;
    int e = drain_signals_ev(r, res, &event);

    if (e < 0)
        return e;
    if (event && !res->quit && !res->io && !res->kicked)
        return 1;
    res->stop = RUN_STOP_SIGNAL;
    return 0;
}

static void ts_add_ms(struct timespec *t, uint32_t ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec++;
    }
}

/*
 * Sleep until r->sleep_until unless a wake signal comes first. Returns 1 if
 * the pause is over, 0 if a signal cut it short (res says which), -errno.
 */
static int finish_sleep(struct runner *r, struct run_result *res)
{
    for (;;) {
        struct timespec now, left;
        if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
            return vm_fail(r->vcpu->vm, "clock_gettime");
        left.tv_sec = r->sleep_until.tv_sec - now.tv_sec;
        left.tv_nsec = r->sleep_until.tv_nsec - now.tv_nsec;
        if (left.tv_nsec < 0) {
            left.tv_nsec += 1000000000L;
            left.tv_sec--;
        }
        if (left.tv_sec < 0) {
            r->sleep_pending = false;
            return 1;
        }
        int s = sigtimedwait(&r->wake, NULL, &left);
        if (s < 0) {
            if (errno == EAGAIN) {
                r->sleep_pending = false;
                return 1;
            }
            if (errno == EINTR)
                continue;
            return vm_fail(r->vcpu->vm, "sigtimedwait");
        }
        bool event = r->cfg.events.signo > 0 && s == r->cfg.events.signo;
        if (s == SIGIO)
            res->io = true;
        else if (!event)
            res->quit = true;
        int e = drain_signals(r, res);
        if (e == 0 && event)
            e = poll_events(r, true);
        if (e < 0)
            return e;
        if (!res->quit && !res->io)
            continue; /* only a machine event: the pause goes on */
        return 0;
    }
}

/* Count a HLT; true if it is the one that ends the run. */
static bool count_halt(struct runner *r)
{
    r->halts++;
    return r->cfg.max_halts && r->halts >= r->cfg.max_halts;
}

static void start_sleep(struct runner *r)
{
    if (!r->cfg.hlt_sleep_ms)
        return;
    if (clock_gettime(CLOCK_MONOTONIC, &r->sleep_until) < 0)
        return; /* cannot fail with CLOCK_MONOTONIC; then just don't pause */
    ts_add_ms(&r->sleep_until, r->cfg.hlt_sleep_ms);
    r->sleep_pending = true;
}

/*
 * The width of the instruction pointer in the current code segment: 64 bits
 * in 64-bit mode (EFER.LMA and CS.L), else 32 or 16 bits by CS.D, which is 0
 * for real-mode and virtual-8086 code. Execution past the end wraps within
 * that width: a 16-bit instruction that ends at 0xFFFF is followed by IP 0
 * (Intel SDM vol. 1, "Operand-Size and Address-Size Attributes").
 */
static uint64_t ip_mask(const struct kvm_sregs *s)
{
    if ((s->efer & EFER_LMA) && s->cs.l)
        return UINT64_MAX;
    return s->cs.db ? 0xffffffffull : 0xffffull;
}

/*
 * The current privilege level: 0 in real mode, 3 in virtual-8086 mode,
 * else SS.DPL, which always equals CPL (Intel SDM vol. 3, "Checks on Guest
 * Segment Registers"; KVM reports CPL there on AMD too).
 */
static unsigned cpl(const struct kvm_regs *regs, const struct kvm_sregs *s)
{
    if (!(s->cr0 & CR0_PE))
        return 0;
    if (regs->rflags & RFLAGS_VM)
        return 3;
    return s->ss.dpl;
}

/*
 * Whether the instruction at CS:IP is a HLT that a step may emulate.
 * Single-stepping a HLT is emulated (IP += 1) rather than left to KVM: KVM
 * backends disagree on it (some exit with KVM_EXIT_HLT and lose the step,
 * some report the step and deliver a stale HLT exit on the next run), while
 * the architectural effect with no interrupt sources is just "continue at
 * the next instruction". Only at CPL 0: elsewhere HLT raises #GP (Intel
 * SDM vol. 2, HLT), and KVM runs it to deliver that.
 */
static int next_is_hlt(struct runner *r, bool *is_hlt)
{
    struct kvm_regs *regs = NULL;
    struct kvm_sregs *sregs = NULL;
    uint64_t gpa;
    int e;

    *is_hlt = false;
    if ((e = vcpu_get_regs(r->vcpu, &regs)) < 0 ||
        (e = vcpu_get_sregs(r->vcpu, &sregs)) < 0)
        return e;
    if (cpl(regs, sregs) != 0)
        return 0;
    uint64_t ip = regs->rip & ip_mask(sregs);
    if (vcpu_translate(r->vcpu, sregs->cs.base + ip, &gpa) < 0)
        return 0; /* unmapped: let KVM step it and report what happens */
    const uint8_t *p = mem_gpa_to_hva(r->mem, gpa, 1);
    *is_hlt = p && *p == HLT_OPCODE;
    return 0;
}

static int emulate_hlt_step(struct runner *r, enum run_mode mode,
                            struct run_result *res)
{
    struct kvm_regs *regs = NULL;
    struct kvm_sregs *sregs = NULL;
    int e;

    if ((e = vcpu_get_regs(r->vcpu, &regs)) < 0 ||
        (e = vcpu_get_sregs(r->vcpu, &sregs)) < 0)
        return e;
    struct kvm_regs next = *regs;
    next.rip = (regs->rip + 1) & ip_mask(sregs);
    if ((e = vcpu_set_regs(r->vcpu, &next)) < 0)
        return e;
    if (count_halt(r)) {
        res->stop = RUN_STOP_HALTED;
        return 0;
    }
    if (mode == RUN_STEP_RUN)
        start_sleep(r);
    res->stop = RUN_STOP_DEBUG;
    return 0;
}

/*
 * After KVM_EXIT_HLT, KVM has moved RIP past the HLT without the 16-bit
 * wrap (a HLT at CS:FFFF leaves IP 0x10000, past the CS limit: the next
 * fetch would raise #GP). Put IP where the CPU would have it.
 */
static int fix_ip_after_hlt(struct runner *r)
{
    struct kvm_regs *regs = NULL;
    struct kvm_sregs *sregs = NULL;
    int e;

    if ((e = vcpu_get_regs(r->vcpu, &regs)) < 0)
        return e;
    if (regs->rip <= 0xffff)
        return 0; /* fits every width: skip the KVM_GET_SREGS */
    if ((e = vcpu_get_sregs(r->vcpu, &sregs)) < 0)
        return e;
    uint64_t ip = regs->rip & ip_mask(sregs);
    if (ip == regs->rip)
        return 0;
    struct kvm_regs next = *regs;
    next.rip = ip;
    return vcpu_set_regs(r->vcpu, &next);
}

/* The S3 wait: far off when nothing can wake the machine. */
static void arm_suspend(struct runner *r, int64_t wake_ns)
{
    if (clock_gettime(CLOCK_MONOTONIC, &r->sleep_until) < 0)
        r->sleep_until = (struct timespec){0, 0};
    if (r->wake_never)
        wake_ns = 3600ll * 1000000000ll;
    r->sleep_until.tv_sec += (time_t)(wake_ns / 1000000000);
    r->sleep_until.tv_nsec += (long)(wake_ns % 1000000000);
    if (r->sleep_until.tv_nsec >= 1000000000L) {
        r->sleep_until.tv_nsec -= 1000000000L;
        r->sleep_until.tv_sec++;
    }
    r->sleep_pending = true;
}

/*
 * Wait out an S3 sleep and resume at the waking vector. Returns 1 when the
 * guest runs on, 0 when the run stops (res says why; a signal leaves the
 * machine asleep for the next run), or -errno. A user stepping does not
 * wait: the wake comes at once.
 */
static int finish_suspend(struct runner *r, enum run_mode mode,
                          struct run_result *res)
{
    uint16_t cs, ip;
    int e;

    while (mode != RUN_STEP) {
        e = finish_sleep(r, res);
        if (e <= 0) {
            res->stop = RUN_STOP_SIGNAL;
            return e;
        }
        if (!r->wake_never)
            break;
        arm_suspend(r, 0);
    }
    r->sleep_pending = false;
    r->suspended = false;
    e = r->cfg.sleep.wake(r->cfg.sleep.ctx, &cs, &ip);
    if (e < 0)
        return e;
    if (e == 0) {
        res->stop = RUN_STOP_POWER;
        res->power = POWER_SLEEP;
        return 0;
    }
    if (r->cfg.verbose)
        fprintf(stderr, "vmm: ACPI S3 wake, resuming at %04x:%04x\n", cs, ip);
    return (e = vcpu_reset_real_mode_at(r->vcpu, cs, ip)) < 0 ? e : 1;
}

/* A device asked for S3: start the sleep. Returns 0 or -errno. */
static int enter_suspend(struct runner *r)
{
    int64_t ns = 0;
    int e = r->cfg.sleep.enter(r->cfg.sleep.ctx, &ns);

    if (e < 0)
        return e;
    r->wake_never = e == 0 || ns < 0;
    r->suspended = true;
    arm_suspend(r, ns < 0 ? 0 : ns);
    return 0;
}

static void record_crash(struct runner *r, const char *what)
{
    struct kvm_run *run = r->vcpu->run;

    r->crash = (struct run_crash){
        .what = what, .exit_reason = run->exit_reason, .vcpu = r->vcpu->index};
    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
        r->crash.suberror = run->internal.suberror;
    if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
        r->crash.hw_reason = run->fail_entry.hardware_entry_failure_reason;
}

static int handle_io(struct runner *r)
{
    struct kvm_run *run = r->vcpu->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    size_t len = (size_t)run->io.size * run->io.count;

    /* KVM puts the data inside the kvm_run mapping; trust but verify. */
    if (run->io.data_offset > (uint64_t)r->vcpu->run_size ||
        len > (size_t)r->vcpu->run_size - run->io.data_offset) {
        record_crash(r, "KVM_EXIT_IO with data outside kvm_run");
        return 1;
    }
    if (r->cfg.verbose)
        fprintf(stderr, "vmm: exit io %s port 0x%x size %u count %u\n",
                run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                run->io.port, run->io.size, run->io.count);
    return pio_dispatch(r->bus, run->io.port,
                        run->io.direction == KVM_EXIT_IO_OUT, run->io.size,
                        run->io.count, data);
}

static int handle_mmio(struct runner *r)
{
    struct kvm_run *run = r->vcpu->run;

    if (r->cfg.verbose)
        fprintf(stderr, "vmm: exit mmio %s 0x%llx len %u\n",
                run->mmio.is_write ? "write" : "read",
                (unsigned long long)run->mmio.phys_addr, run->mmio.len);
    uint32_t len = run->mmio.len;
    if (len > sizeof(run->mmio.data))
        len = sizeof(run->mmio.data);
    int took = r->cfg.mmio.fn
                   ? r->cfg.mmio.fn(r->cfg.mmio.ctx, run->mmio.phys_addr,
                                    run->mmio.is_write, len, run->mmio.data)
                   : 0;
    if (took == 1 || took == 2)
        return took;
    /* Nothing is there: reads see all-ones. */
    if (!run->mmio.is_write)
        memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
    return 0;
}

/*
 * Complete the instruction an MMIO exit stopped, serving the further
 * MMIO or I/O exits it makes on the way (a read-modify-write, a string
 * instruction's next iterations). A string instruction that goes on
 * exiting past FINISH_MAX is left with its last exit served but not
 * completed: the next KVM_RUN completes it with the data given. Returns 0
 * or -errno.
 */
#define FINISH_MAX 65536

static int finish_mmio(struct runner *r, struct run_result *res)
{
    struct kvm_run *run = r->vcpu->run;

    for (int k = 0; k < FINISH_MAX; k++) {
        int e = vcpu_complete_io_more(r->vcpu);
        if (e <= 0)
            return e;
        r->exits++;
        dev_lock(r);
        if (run->exit_reason == KVM_EXIT_MMIO)
            e = handle_mmio(r) == 2 ? 2 : 0;
        else
            e = handle_io(r);
        dev_unlock(r);
        if (e == 2)
            res->watch = true;
        if (e < 0 && e != -EINTR && e != -EPIPE)
            return e;
    }
    return 0;
}

int run_vcpu(struct runner *r, enum run_mode mode, struct run_result *res)
{
    struct kvm_run *run = r->vcpu->run;
    int e, pe;

    *res = (struct run_result){0};
    dev_lock(r);
    e = pio_flush(r->bus); /* output an interrupted OUT still owes */
    dev_unlock(r);
    if (e == -EINTR) {
        res->stop = RUN_STOP_SIGNAL;
        return drain_signals(r, res);
    }
    if (e == -EPIPE) {
        res->stop = RUN_STOP_OUTPUT_CLOSED;
        return 0;
    }
    if (e < 0) {
        errno = -e;
        return vm_fail(r->vcpu->vm, "write guest output to stdout");
    }
    if (r->suspended) {
        if ((e = finish_suspend(r, mode, res)) <= 0)
            return e;
        if (mode != RUN_CONT) {
            res->stop = RUN_STOP_DEBUG; /* the step ends at the vector */
            return 0;
        }
    }
    if (r->sleep_pending) {
        if (mode == RUN_STEP) {
            r->sleep_pending = false; /* a user stepping does not wait */
        } else {
            e = finish_sleep(r, res);
            if (e <= 0) {
                res->stop = RUN_STOP_SIGNAL;
                return e;
            }
        }
    }
    if (mode != RUN_CONT && !r->cfg.kernel_hlt) {
        bool hlt;
        if ((e = next_is_hlt(r, &hlt)) < 0)
            return e;
        if (hlt)
            return emulate_hlt_step(r, mode, res);
    }
    for (;;) {
        e = vcpu_run(r->vcpu);
        if (e == -EINTR) {
            if ((e = on_signal(r, res)) <= 0)
                return e;
            continue;
        }
        if (e == -EAGAIN)
            continue; /* an AP left wait-for-SIPI (KVM API doc, KVM_RUN) */
        if (e < 0)
            return e;
        r->exits++;
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            dev_lock(r);
            e = handle_io(r);
            if (e == 0 && power_pending(r->cfg.power)) {
                /* Done after the instruction that asked, as on hardware. */
                r->taken = *r->cfg.power;
                r->cfg.power->req = POWER_NONE;
                e = r->taken.req == POWER_SLEEP && r->cfg.sleep.enter ? 3 : 2;
            }
            pe = e == 0 ? poll_events_locked(r, false) : 0;
            dev_unlock(r);
            if (pe < 0)
                return pe;
            if (e == 1) {
                res->stop = RUN_STOP_CRASH;
                return 0;
            }
            if (e == -EPIPE) {
                res->stop = RUN_STOP_OUTPUT_CLOSED;
                return 0;
            }
            if (e == -EINTR) {
                /* A signal cut short a wait for room on stdout: the rest
                 * of the output is kept and written before the next run. */
                if ((e = vcpu_complete_io(r->vcpu)) < 0)
                    return e;
                res->stop = RUN_STOP_SIGNAL;
                return drain_signals(r, res);
            }
            if (e < 0) {
                errno = -e;
                return vm_fail(r->vcpu->vm, "write guest output to stdout");
            }
            if (e == 3) { /* S3: sleep, then resume at the waking vector */
                if ((e = vcpu_complete_io(r->vcpu)) < 0 ||
                    (e = enter_suspend(r)) < 0)
                    return e;
                if ((e = finish_suspend(r, mode, res)) <= 0)
                    return e;
                if (mode != RUN_CONT) {
                    res->stop = RUN_STOP_DEBUG;
                    return 0;
                }
                continue;
            }
            if (e == 2) {
                res->stop = RUN_STOP_POWER;
                res->power = r->taken.req;
                res->power_status = r->taken.status;
                return vcpu_complete_io(r->vcpu);
            }
            if (mode != RUN_CONT) {
                /* The instruction is done once KVM completes the I/O. */
                res->stop = RUN_STOP_DEBUG;
                return vcpu_complete_io(r->vcpu);
            }
            break;
        case KVM_EXIT_MMIO:
            dev_lock(r);
            e = handle_mmio(r);
            dev_unlock(r);
            if (mode != RUN_CONT || e == 2) {
                res->stop = RUN_STOP_DEBUG;
                res->watch = e == 2;
                return finish_mmio(r, res);
            }
            break;
        case KVM_EXIT_HLT:
            if ((e = fix_ip_after_hlt(r)) < 0)
                return e;
            if (r->cfg.verbose)
                fprintf(stderr, "vmm: exit hlt (%llu)\n",
                        (unsigned long long)r->halts + 1);
            if (count_halt(r)) {
                res->stop = RUN_STOP_HALTED;
                return 0;
            }
            start_sleep(r);
            if (mode != RUN_CONT) {
                if (mode == RUN_STEP)
                    r->sleep_pending = false;
                res->stop = RUN_STOP_DEBUG;
                return 0;
            }
            if (r->sleep_pending) {
                e = finish_sleep(r, res);
                if (e <= 0) {
                    res->stop = RUN_STOP_SIGNAL;
                    return e;
                }
            }
            break;
        case KVM_EXIT_DEBUG:
            res->stop = RUN_STOP_DEBUG;
            res->exception = run->debug.arch.exception;
            res->dr6 = run->debug.arch.dr6;
            return 0;
        case KVM_EXIT_INTR:
            if ((e = on_signal(r, res)) <= 0)
                return e;
            break;
        case KVM_EXIT_SHUTDOWN:
            record_crash(r, "triple fault (KVM_EXIT_SHUTDOWN)");
            res->stop = RUN_STOP_CRASH;
            return 0;
        case KVM_EXIT_FAIL_ENTRY:
            record_crash(r, "VM entry failed (KVM_EXIT_FAIL_ENTRY)");
            res->stop = RUN_STOP_CRASH;
            return 0;
        case KVM_EXIT_INTERNAL_ERROR:
            record_crash(r, "KVM could not emulate the guest "
                            "(KVM_EXIT_INTERNAL_ERROR)");
            res->stop = RUN_STOP_CRASH;
            return 0;
        default:
            record_crash(r, "unexpected VM exit");
            res->stop = RUN_STOP_CRASH;
            return 0;
        }
    }
}
