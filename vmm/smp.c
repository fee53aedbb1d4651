#include "smp.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vcpu.h"

static const struct timespec zero_ts = {0, 0};

static int smp_fail(struct smp *s, const char *op, int e)
{
    s->err_op = op;
    return -e;
}

int smp_init(struct smp *s, unsigned n, bool with_io, int event_sig,
             int (*poll)(void *ctx, bool signalled), void *poll_ctx)
{
    sigset_t own;
    int e;

    *s = (struct smp){.stop_fd = -1,
                      .event_sig = event_sig,
                      .poll = poll,
                      .poll_ctx = poll_ctx,
                      .owner_tid = gettid()};
    s->cpu = calloc(n, sizeof(*s->cpu));
    if (!s->cpu)
        return smp_fail(s, "allocate the vCPU threads", ENOMEM);
    s->n = n;
    if ((e = pthread_mutex_init(&s->lock, NULL)) != 0)
        return smp_fail(s, "pthread_mutex_init", e);
    if ((e = pthread_mutex_init(&s->dev_lock, NULL)) != 0) {
        pthread_mutex_destroy(&s->lock);
        return smp_fail(s, "pthread_mutex_init", e);
    }
    if ((e = pthread_cond_init(&s->cond, NULL)) != 0) {
        pthread_mutex_destroy(&s->dev_lock);
        pthread_mutex_destroy(&s->lock);
        return smp_fail(s, "pthread_cond_init", e);
    }
    s->lock_init = true;
    s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->stop_fd < 0)
        return smp_fail(s, "eventfd", errno);
    /* The vCPU threads inherit this mask: every machine signal blocked. */
    sigemptyset(&own);
    sigaddset(&own, SMP_SIG_KICK);
    sigaddset(&own, SMP_SIG_NOTIFY);
    if ((e = pthread_sigmask(SIG_BLOCK, &own, NULL)) != 0)
        return smp_fail(s, "pthread_sigmask", e);
    sigemptyset(&s->wait);
    sigaddset(&s->wait, SIGINT);
    sigaddset(&s->wait, SIGTERM);
    sigaddset(&s->wait, SMP_SIG_NOTIFY);
    if (with_io)
        sigaddset(&s->wait, SIGIO);
    if (event_sig > 0)
        sigaddset(&s->wait, event_sig);
    return 0;
}

static void notify(struct smp *s)
{
    tgkill(getpid(), s->owner_tid, SMP_SIG_NOTIFY);
}

static enum run_mode run_mode_of(enum smp_mode m)
{
    return m == SMP_STEP       ? RUN_STEP
           : m == SMP_STEP_RUN ? RUN_STEP_RUN
                               : RUN_CONT;
}

static void *cpu_main(void *arg)
{
    struct smp_cpu *c = arg;
    struct smp *s = c->smp;
    struct kvm_run *run = c->runner->vcpu->run;
    sigset_t kick;

    sigemptyset(&kick);
    sigaddset(&kick, SMP_SIG_KICK);
    pthread_mutex_lock(&s->lock);
    c->tid = gettid();
    for (;;) {
        while (c->state != SMP_GO && !s->exiting)
            pthread_cond_wait(&s->cond, &s->lock);
        if (s->exiting)
            break;
        c->state = SMP_RUNNING;
        enum smp_mode mode = c->mode;
        pthread_mutex_unlock(&s->lock);

        /*
         * Forget the kicks of an earlier round, then look at stop_req: a
         * kick for this round either came before that look (stop_req is
         * set first) or comes after it, when immediate_exit and the
         * pending signal end the KVM_RUN below.
         */
        __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
        while (sigtimedwait(&kick, NULL, &zero_ts) > 0)
            ;
        bool may_block = false;
        if (mode == SMP_STEP || mode == SMP_STEP_RUN) {
            uint32_t mp;
            /* A halted or wait-for-SIPI vCPU may never finish its step. */
            if (vcpu_get_mp_state(c->runner->vcpu, &mp) == 0)
                may_block = mp != KVM_MP_STATE_RUNNABLE;
        }
        pthread_mutex_lock(&s->lock);
        c->may_block = may_block;
        bool stop = c->stop_req;
        pthread_mutex_unlock(&s->lock);
        if (may_block)
            notify(s);

        struct run_result res = {.stop = RUN_STOP_SIGNAL, .kicked = true};
        int err = 0;
        if (!stop)
            err = run_vcpu(c->runner, run_mode_of(mode), &res);
        pthread_mutex_lock(&s->lock);
        c->res = res;
        c->err = err;
        c->state = SMP_DONE;
        c->seq = ++s->seq;
        pthread_mutex_unlock(&s->lock);
        notify(s);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int smp_start(struct smp *s, struct runner *runners)
{
    for (unsigned i = 0; i < s->n; i++) {
        struct smp_cpu *c = &s->cpu[i];
        c->smp = s;
        c->runner = &runners[i];
        c->state = SMP_IDLE;
        int e = pthread_create(&c->thread, NULL, cpu_main, c);
        if (e != 0)
            return smp_fail(s, "pthread_create", e);
        c->started = true;
    }
    return 0;
}

/* Whether a vCPU's result is its own stop rather than a kick. */
static bool is_own_stop(const struct smp_cpu *c)
{
    return c->state == SMP_DONE &&
           (c->err < 0 || c->res.stop != RUN_STOP_SIGNAL);
}

/*
 * Under s->lock: whether the round is over. A vCPU that continues ends it
 * by stopping on its own; a stepping one by anything but a finished step.
 * Steps end it once every stepping vCPU that can finish did (one that
 * waits in hlt or for a SIPI may never: it does not hold the others up).
 */
static bool round_over(const struct smp *s)
{
    unsigned pending = 0, done = 0, steppers = 0;

    for (unsigned i = 0; i < s->n; i++) {
        const struct smp_cpu *c = &s->cpu[i];
        bool step = c->mode == SMP_STEP || c->mode == SMP_STEP_RUN;
        if (c->state == SMP_IDLE)
            continue;
        if (is_own_stop(c) &&
            (!step || c->err < 0 || c->res.stop != RUN_STOP_DEBUG))
            return true;
        if (!step)
            continue;
        steppers++;
        if (c->state == SMP_DONE)
            done++;
        else if (!(c->state == SMP_RUNNING && c->may_block))
            pending++;
    }
    return steppers && !pending && done;
}

static bool any_running(const struct smp *s)
{
    for (unsigned i = 0; i < s->n; i++)
        if (s->cpu[i].state == SMP_GO || s->cpu[i].state == SMP_RUNNING)
            return true;
    return false;
}

/* Kick every vCPU still running and wait until each reports stopped. */
static void stop_all(struct smp *s)
{
    static const uint64_t one = 1;
    sigset_t note;

    /* A console wait for room on stdout ends too (pio_console wake). */
    if (write(s->stop_fd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is full, so it is readable already. */
    }
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->n; i++) {
        struct smp_cpu *c = &s->cpu[i];
        if (c->state != SMP_GO && c->state != SMP_RUNNING)
            continue;
        c->stop_req = true;
        if (c->state == SMP_RUNNING) {
            __atomic_store_n(&c->runner->vcpu->run->immediate_exit, 1,
                             __ATOMIC_RELAXED);
            tgkill(getpid(), c->tid, SMP_SIG_KICK);
        }
    }
    sigemptyset(&note);
    sigaddset(&note, SMP_SIG_NOTIFY);
    while (any_running(s)) {
        pthread_mutex_unlock(&s->lock);
        sigwaitinfo(&note, NULL);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
}

/*
 * Service the device event signal. A vCPU may hold the device lock for
 * long (its console write waits for room on stdout, until a stop ends
 * it): then the event stays pending and is tried again soon, so the
 * coordinator never blocks where it cannot hear a signal. Returns 0 or
 * -errno.
 */
static int on_event(struct smp *s)
{
    if (!s->poll)
        return 0;
    if (pthread_mutex_trylock(&s->dev_lock) != 0) {
        s->event_pending = true;
        return 0;
    }
    s->event_pending = false;
    int e = s->poll(s->poll_ctx, true);
    pthread_mutex_unlock(&s->dev_lock);
    return e;
}

/* Note a machine signal. Returns 1 if it ends the round, 0, or -errno. */
static int on_sig(struct smp *s, int sig, struct smp_result *out)
{
    if (sig == SMP_SIG_NOTIFY)
        return 0;
    if (s->event_sig > 0 && sig == s->event_sig)
        return on_event(s);
    if (sig == SIGIO)
        out->io = true;
    else
        out->quit = true;
    return 1;
}

int smp_run(struct smp *s, const enum smp_mode *modes, struct smp_result *out)
{
    uint64_t v;
    bool any = false;
    int ret = 0;

    *out = (struct smp_result){.first = -1};
    /* Nothing runs: what is left from the last round is stale. */
    sigset_t note;
    sigemptyset(&note);
    sigaddset(&note, SMP_SIG_NOTIFY);
    while (sigtimedwait(&note, NULL, &zero_ts) > 0)
        ;
    if (read(s->stop_fd, &v, sizeof(v)) < 0) {
        /* EAGAIN: no stop-all was on */
    }
    pthread_mutex_lock(&s->lock);
    for (unsigned i = 0; i < s->n; i++) {
        struct smp_cpu *c = &s->cpu[i];
        c->stop_req = false;
        c->may_block = false;
        c->err = 0;
        c->res = (struct run_result){0};
        c->mode = modes[i];
        c->state = modes[i] == SMP_STAY ? SMP_IDLE : SMP_GO;
        any |= modes[i] != SMP_STAY;
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (!any)
        return 0;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool over = round_over(s);
        pthread_mutex_unlock(&s->lock);
        if (over)
            break;
        if (s->event_pending && (ret = on_event(s)) < 0) {
            s->err_op = "device event";
            break;
        }
        static const struct timespec retry = {0, 1000000}; /* 1 ms */
        int sig = s->event_pending ? sigtimedwait(&s->wait, NULL, &retry)
                                   : sigwaitinfo(&s->wait, NULL);
        if (sig < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            ret = smp_fail(s, "sigwaitinfo", errno);
            break;
        }
        int r = on_sig(s, sig, out);
        if (r < 0) {
            ret = r;
            s->err_op = "device event";
            break;
        }
        if (r > 0)
            break;
    }
    stop_all(s);
    if (s->event_pending) { /* no vCPU holds the device lock now */
        int r = on_event(s);
        if (r < 0 && !ret) {
            ret = r;
            s->err_op = "device event";
        }
    }
    /* Signals that came while the round ended are this round's news. */
    for (;;) {
        int sig = sigtimedwait(&s->wait, NULL, &zero_ts);
        if (sig < 0)
            break;
        int r = on_sig(s, sig, out);
        if (r < 0 && !ret) {
            ret = r;
            s->err_op = "device event";
        }
    }
    pthread_mutex_lock(&s->lock);
    unsigned best = 0;
    for (unsigned i = 0; i < s->n; i++) {
        const struct smp_cpu *c = &s->cpu[i];
        if (!is_own_stop(c))
            continue;
        if (out->first < 0 || c->seq < best) {
            out->first = (int)i;
            best = c->seq;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

bool smp_is_stopped(struct smp *s)
{
    pthread_mutex_lock(&s->lock);
    bool running = any_running(s);
    pthread_mutex_unlock(&s->lock);
    return !running;
}

void smp_destroy(struct smp *s)
{
    if (s->lock_init) {
        pthread_mutex_lock(&s->lock);
        s->exiting = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        for (unsigned i = 0; i < s->n; i++)
            if (s->cpu[i].started)
                pthread_join(s->cpu[i].thread, NULL);
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->dev_lock);
        pthread_mutex_destroy(&s->lock);
        s->lock_init = false;
    }
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    s->stop_fd = -1;
    free(s->cpu);
    s->cpu = NULL;
    s->n = 0;
}
