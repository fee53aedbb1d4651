#ifndef VMM_SMP_H
#define VMM_SMP_H

/*
 * vCPU threads for a machine with more than one vCPU: one host thread per
 * vCPU runs KVM_RUN (always the same thread for a vCPU: KVM makes a change
 * of thread costly), and the thread that owns the machine coordinates.
 * No lock is held across KVM_RUN. A vCPU is stopped with a kick: its
 * kvm_run immediate_exit set and a signal to its thread (blocked outside
 * KVM_RUN, so a kick that comes early stays pending and still ends the
 * next KVM_RUN). All-stop is "kick every running vCPU, wait until each
 * reports stopped". The machine's signals (SIGINT, SIGTERM, SIGIO, the
 * device event signal) stay blocked in the vCPU threads, inside KVM_RUN
 * too: the coordinator takes them with sigwaitinfo while the vCPUs run.
 * Devices are serialized by dev_lock (the runners take it around every
 * device access).
 *
 * With one vCPU none of this is used: the vCPU runs in the owning thread
 * as it always did.
 */

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "run.h"

#define SMP_SIG_KICK   SIGUSR1 /* coordinator -> vCPU thread: stop */
#define SMP_SIG_NOTIFY SIGUSR2 /* vCPU thread -> coordinator: I stopped */

/* How one vCPU is to run in smp_run. */
enum smp_mode {
    SMP_STAY,     /* stays stopped */
    SMP_CONT,     /* RUN_CONT */
    SMP_STEP,     /* RUN_STEP */
    SMP_STEP_RUN, /* RUN_STEP_RUN */
};

enum smp_state {
    SMP_IDLE,    /* stopped, waiting to be told to go */
    SMP_GO,      /* told to run, not started yet */
    SMP_RUNNING, /* in run_vcpu */
    SMP_DONE,    /* stopped; res and err are this round's */
};

/*
 * One vCPU thread. Fields under smp.lock unless said; the runner is the
 * thread's while it runs and the coordinator's while it is stopped.
 */
struct smp_cpu {
    struct smp *smp;
    struct runner *runner;
    pthread_t thread;
    bool started; /* thread exists (coordinator only) */
    pid_t tid;    /* for tgkill; set before the thread first waits */
    enum smp_state state;
    enum smp_mode mode; /* with SMP_GO */
    bool stop_req;      /* kicked this round */
    bool may_block;     /* stepping from a state that waits (hlt, SIPI) */
    int err;            /* run_vcpu's return this round */
    unsigned seq;       /* order of the reports, with SMP_DONE */
    struct run_result res;
};

/* The coordinator's view. Fields private. */
struct smp {
    pthread_mutex_t lock; /* the handshake: states, modes, results */
    pthread_cond_t cond;  /* vCPU threads wait here to go */
    pthread_mutex_t dev_lock;
    bool lock_init;
    unsigned n;
    struct smp_cpu *cpu; /* n of them, heap */
    bool exiting;        /* threads are to return */
    unsigned seq;        /* reports so far */
    pid_t owner_tid;     /* the coordinator, for SMP_SIG_NOTIFY */
    int stop_fd;         /* eventfd, readable while a stop-all is on */
    sigset_t wait;       /* what the coordinator waits for */
    int event_sig;       /* 0 or the device event signal */
    bool event_pending;  /* it came while a vCPU held dev_lock */
    int (*poll)(void *ctx, bool signalled); /* device events (under dev_lock) */
    void *poll_ctx;
    const char *err_op;
};

/* How smp_run ended. */
struct smp_result {
    bool quit; /* SIGINT or SIGTERM */
    bool io;   /* SIGIO (the debugger has something to say) */
    int first; /* the vCPU that stopped on its own first, or -1 */
};

/*
 * Set s up for n vCPUs (no threads yet) with the machine's signals: quit
 * (SIGINT, SIGTERM), with_io (SIGIO too) and event_sig (0: none) whose
 * arrival calls poll(poll_ctx, true) under dev_lock. Blocks SMP_SIG_KICK
 * and SMP_SIG_NOTIFY in the calling thread, which becomes the
 * coordinator. Returns 0 or -errno (s->err_op).
 */
int smp_init(struct smp *s, unsigned n, bool with_io, int event_sig,
             int (*poll)(void *ctx, bool signalled), void *poll_ctx);

/*
 * Start one thread per vCPU; runners[i] must be set up (run_init with
 * kick_signo SMP_SIG_KICK and dev_lock &s->dev_lock). The threads wait
 * to be told to run. Returns 0 or -errno (s->err_op).
 */
int smp_start(struct smp *s, struct runner *runners);

/*
 * Run the vCPUs as modes[i] says until one stops on its own (or, when
 * some step, until every stepping vCPU that can finish its step did), or
 * a machine signal comes; then stop them all and wait until each is
 * stopped. Device events are serviced meanwhile. Blocks. Each vCPU's
 * outcome is in s->cpu[i] (state SMP_DONE: res, err; SMP_IDLE: it stayed).
 * Returns 0, or -errno on a host failure of the coordinator.
 */
int smp_run(struct smp *s, const enum smp_mode *modes, struct smp_result *out);

/*
 * Whether every vCPU thread is stopped: none told to run or running, so
 * none is inside KVM_RUN and the coordinator may get and set their state
 * (between smp_run calls this always holds). Takes s->lock.
 */
bool smp_is_stopped(struct smp *s);

/* Stop and join the threads, free everything. Safe on a half-built s. */
void smp_destroy(struct smp *s);

#endif
