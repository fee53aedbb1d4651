#ifndef VMM_RUN_H
#define VMM_RUN_H

/*
 * The KVM_RUN loop and exit dispatch. Signals in the wake set (SIGINT,
 * SIGTERM, SIGIO) are blocked in the thread and unblocked only inside
 * KVM_RUN (KVM_SET_SIGNAL_MASK) and inside HLT pauses (sigtimedwait), so a
 * signal that arrives at any moment ends the run at once and none is lost.
 */

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hw/power.h"

struct vcpu;
struct mem;
struct pio_bus;

/*
 * Machine events the run loop services without stopping: stdin became
 * readable, a device's timer is due. The machine makes signo arrive for
 * them (F_SETSIG, a POSIX timer); the run loop unblocks it inside KVM_RUN
 * like the wake signals and calls poll with signalled true when it
 * arrives, and with false after every port-I/O exit (so a device that
 * has room again gets more input). poll returns 0 or -errno (the run ends
 * with that error).
 */
struct run_events {
    int signo; /* 0: none */
    int (*poll)(void *ctx, bool signalled);
    void *ctx;
};

/*
 * Devices in guest-physical address space outside RAM: an MMIO exit goes
 * to fn, which returns 1 if a device took the access (data filled for a
 * read) or 0 if nothing is there (reads then see all-ones); 2 is 1 and
 * the run must stop once the instruction is done (RUN_STOP_DEBUG with
 * watch set, whatever the mode).
 */
struct run_mmio {
    int (*fn)(void *ctx, uint64_t gpa, bool is_write, uint32_t len,
              uint8_t *data);
    void *ctx;
};

/*
 * ACPI S3 as firmware does it (optional): enter is called when a device
 * asks to sleep and returns 1 with *wake_ns the delay until the wake
 * event (an RTC alarm), or 0 if nothing can wake the machine (it then
 * sleeps until a signal ends the VMM). When the time comes, wake returns
 * 1 with the real-mode waking vector in *cs:*ip (the vCPU is reset there)
 * or 0 if there is none (the run then stops with RUN_STOP_POWER). Both
 * return -errno on failure.
 */
struct run_sleep {
    int (*enter)(void *ctx, int64_t *wake_ns);
    int (*wake)(void *ctx, uint16_t *cs, uint16_t *ip);
    void *ctx;
};

struct run_config {
    uint32_t hlt_sleep_ms; /* pause after each HLT */
    uint64_t max_halts;    /* stop at this HLT; 0 = never */
    bool verbose;          /* trace exits on stderr */
    /*
     * HLT waits in the kernel for an interrupt (in-kernel irqchip): a
     * stepped HLT is left to KVM, not emulated.
     */
    bool kernel_hlt;
    struct power *power; /* device requests, checked after each I/O exit */
    struct run_events events;
    struct run_mmio mmio;
    struct run_sleep sleep;
    /*
     * A vCPU thread of an SMP machine (vmm/smp.h): kick_signo is the only
     * wake signal (the machine's signals are the coordinating thread's),
     * and it ends a run as RUN_STOP_SIGNAL with kicked set. 0: the vCPU
     * runs in the thread that owns the machine, as with one vCPU.
     */
    int kick_signo;
    /*
     * Held around every device access (port I/O, MMIO, output flushes,
     * event polls, power requests) when several vCPU threads share the
     * devices; NULL with one vCPU (no locking at all).
     */
    pthread_mutex_t *dev_lock;
};

enum run_mode {
    RUN_CONT,     /* until something stops the guest */
    RUN_STEP,     /* one instruction (guest debug must have SINGLESTEP) */
    RUN_STEP_RUN, /* one instruction standing in for running: HLT pauses */
};

enum run_stop {
    RUN_STOP_DEBUG,         /* KVM_EXIT_DEBUG, or a step finished */
    RUN_STOP_SIGNAL,        /* a wake signal arrived: see quit / io */
    RUN_STOP_HALTED,        /* the max_halts-th HLT */
    RUN_STOP_CRASH,         /* the guest crashed: see crash */
    RUN_STOP_OUTPUT_CLOSED, /* stdout's reader went away (EPIPE) */
    RUN_STOP_POWER,         /* a device asked to exit/reset/power off */
};

struct run_crash {
    const char *what;     /* e.g. "triple fault (KVM_EXIT_SHUTDOWN)" */
    uint32_t exit_reason; /* KVM_EXIT_* */
    uint32_t suberror;    /* KVM_EXIT_INTERNAL_ERROR */
    uint64_t hw_reason;   /* KVM_EXIT_FAIL_ENTRY */
    unsigned vcpu;        /* the index of the vCPU that crashed */
};

struct run_result {
    enum run_stop stop;
    uint32_t exception; /* RUN_STOP_DEBUG: 1 (#DB) or 3 (#BP), 0 if stepped */
    uint64_t dr6;
    bool quit;            /* RUN_STOP_SIGNAL: SIGINT or SIGTERM arrived */
    bool io;              /* RUN_STOP_SIGNAL: SIGIO arrived */
    bool kicked;          /* RUN_STOP_SIGNAL: kick_signo arrived */
    enum power_req power; /* RUN_STOP_POWER: what was asked */
    int power_status;     /* RUN_STOP_POWER with POWER_EXIT */
    /* RUN_STOP_DEBUG: the MMIO handler asked to stop (a watched access) */
    bool watch;
};

struct runner {
    struct vcpu *vcpu;
    struct mem *mem;
    struct pio_bus *bus;
    struct run_config cfg;
    sigset_t wake;
    uint64_t halts;              /* HLTs so far */
    uint64_t exits;              /* KVM_RUN exits so far */
    bool sleep_pending;          /* a HLT pause is not over yet */
    struct timespec sleep_until; /* CLOCK_MONOTONIC */
    struct run_crash crash;
    struct power taken; /* the last device request the loop acted on */
    bool suspended;     /* in ACPI S3: sleep_until is the wake event */
    bool wake_never;    /* in S3 with no wake source */
};

/*
 * Set up r and the vCPU's KVM_RUN signal mask; blocks the wake signals in
 * the calling thread. Returns 0 or -errno (op in vm->err_op).
 */
int run_init(struct runner *r, struct vcpu *vcpu, struct mem *mem,
             struct pio_bus *bus, const struct run_config *cfg);

/*
 * Run the vCPU in the given mode until it stops; *res says why. Blocks.
 * Returns 0, or -errno on a host failure. Register state is consistent
 * afterwards (pending I/O is completed before a step reports).
 */
int run_vcpu(struct runner *r, enum run_mode mode, struct run_result *res);

/* Name of a KVM exit reason, e.g. "KVM_EXIT_IO". */
const char *run_exit_name(uint32_t reason);

#endif
