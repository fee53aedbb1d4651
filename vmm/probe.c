#include "probe.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <time.h>

#include "mem.h"
#include "vcpu.h"
#include "vm.h"

/* Where probe code can go wrong it lands on OUT to this port, then HLT. */
#define PROBE_PORT_BAD   0x99
#define PROBE_TIMEOUT_NS 200000000L /* a stuck probe guest counts as "no" */

struct probe_vm {
    struct vm vm;
    struct mem mem;
    struct vcpu vcpu;
};

static void probe_vm_destroy(struct probe_vm *p)
{
    vcpu_destroy(&p->vcpu);
    mem_unmap(&p->mem);
    vm_close(&p->vm);
}

/*
 * A fresh VM running code at 0 in real mode. IVT entries 1 and 3 point at
 * 0x100, where the guest reports "not intercepted" by OUT to
 * PROBE_PORT_BAD, so an exception KVM does not catch ends in an exit.
 */
static int probe_vm_create(struct probe_vm *p, const uint8_t *code, size_t len)
{
    static const uint8_t bad[] = {0xe6, PROBE_PORT_BAD, 0xf4, 0xeb, 0xfd};
    int e;

    *p = (struct probe_vm){.vm = {.fd = -1, .kvm_fd = -1},
                           .mem = {.host = MAP_FAILED},
                           .vcpu = {.fd = -1, .run = MAP_FAILED}};
    if ((e = vm_open(&p->vm)) < 0 || (e = mem_map(&p->mem, &p->vm, 4096)) < 0)
        return e;
    memcpy(p->mem.host, code, len);
    memcpy(p->mem.host + 0x100, bad, sizeof(bad));
    /* IVT: vector n at 4n is offset:segment. */
    p->mem.host[1 * 4] = 0x00;
    p->mem.host[1 * 4 + 1] = 0x01;
    p->mem.host[3 * 4] = 0x00;
    p->mem.host[3 * 4 + 1] = 0x01;
    if ((e = vcpu_create(&p->vcpu, &p->vm, 0)) < 0 ||
        (e = vcpu_reset_real_mode(&p->vcpu)) < 0)
        return e;
    return 0;
}

/* KVM_RUN with a watchdog: a guest that loops without exits is cut off. */
static int probe_run(struct probe_vm *p, timer_t timer)
{
    struct itimerspec its = {.it_value = {0, PROBE_TIMEOUT_NS}};
    struct itimerspec off = {{0, 0}, {0, 0}};

    if (timer_settime(timer, 0, &its, NULL) < 0)
        return vm_fail(&p->vm, "timer_settime");
    int e = vcpu_run(&p->vcpu);
    if (timer_settime(timer, 0, &off, NULL) < 0 && e >= 0)
        e = vm_fail(&p->vm, "timer_settime");
    if (e == -EINTR) {
        /* Eat the watchdog's SIGALRM, or every later probe would stop
         * at once and count as "not supported". */
        static const struct timespec zero = {0, 0};
        sigset_t alrm;
        sigemptyset(&alrm);
        sigaddset(&alrm, SIGALRM);
        while (sigtimedwait(&alrm, NULL, &zero) > 0)
            ;
    }
    return e;
}

static bool is_debug_exit(struct probe_vm *p, uint32_t exc)
{
    return p->vcpu.run->exit_reason == KVM_EXIT_DEBUG &&
           p->vcpu.run->debug.arch.exception == exc;
}

static int try_one(const uint8_t *code, size_t len,
                   const struct kvm_guest_debug *dbg, timer_t timer,
                   struct probe_result *res, uint32_t exc, uint64_t want_pc,
                   bool *ok)
{
    struct probe_vm p;
    int e = probe_vm_create(&p, code, len);

    *ok = false;
    if (e < 0)
        goto fail;
    sigset_t none; /* everything deliverable inside KVM_RUN */
    sigemptyset(&none);
    if ((e = vcpu_set_signal_mask(&p.vcpu, &none)) < 0)
        goto fail;
    if ((e = vcpu_set_guest_debug(&p.vcpu, dbg)) < 0) {
        if (e == -EINVAL) /* this kind of guest debug is not supported */
            e = 0;
        goto out;
    }
    e = probe_run(&p, timer);
    if (e == -EINTR) {
        e = 0; /* stuck guest: not supported */
        goto out;
    }
    if (e < 0)
        goto fail;
    if (is_debug_exit(&p, exc)) {
        struct kvm_regs *regs = NULL;
        if ((e = vcpu_get_regs(&p.vcpu, &regs)) < 0)
            goto fail;
        *ok = regs->rip == want_pc;
    }
    goto out;
fail:
    res->err_op = p.vm.err_op;
    res->err = e;
out:
    probe_vm_destroy(&p);
    return e;
}

/*
 * Page protection: page 1 read-only, page 2 a hole. The guest does
 * movb $0x55,0x1000; mov 0x2000,%al; out %al,$0x98; hlt. Wanted: an MMIO
 * write of 0x55 at 0x1000 that left RAM alone, an MMIO read at 0x2000
 * whose data (0x66) the guest got.
 */
static int probe_pages(struct probe_result *res, timer_t timer)
{
    static const uint8_t code[] = {0xc6, 0x06, 0x00, 0x10, 0x55, 0xa0,
                                   0x00, 0x20, 0xe6, 0x98, 0xf4};
    static const struct mem_prot_page prot[] = {
        {0x1000, MEM_PROT_READONLY},
        {0x2000, MEM_PROT_HOLE},
    };
    struct probe_vm p = {.vm = {.fd = -1, .kvm_fd = -1},
                         .mem = {.host = MAP_FAILED},
                         .vcpu = {.fd = -1, .run = MAP_FAILED}};
    struct kvm_regs *regs = NULL;
    int e;

    if ((e = vm_open(&p.vm)) < 0 || (e = mem_map(&p.mem, &p.vm, 0x3000)) < 0)
        goto fail;
    if (vm_check_cap(&p.vm, KVM_CAP_READONLY_MEM) <= 0)
        goto out;
    memcpy(p.mem.host, code, sizeof(code));
    if (mem_protect(&p.mem, &p.vm, prot, 2) < 0)
        goto out; /* not offered: not supported */
    if ((e = vcpu_create(&p.vcpu, &p.vm, 0)) < 0 ||
        (e = vcpu_reset_real_mode(&p.vcpu)) < 0)
        goto fail;
    sigset_t none; /* the watchdog's signal deliverable inside KVM_RUN */
    sigemptyset(&none);
    if ((e = vcpu_set_signal_mask(&p.vcpu, &none)) < 0)
        goto fail;
    struct kvm_run *run = p.vcpu.run;
    /* Each exit is the next expected one, or the probe says "no". */
    for (int step = 0; step < 3; step++) {
        if ((e = probe_run(&p, timer)) < 0) {
            if (e != -EINTR)
                goto fail;
            e = 0; /* stuck: not supported */
            goto out;
        }
        if (run->exit_reason != (step < 2 ? KVM_EXIT_MMIO : KVM_EXIT_IO))
            break;
        if (step == 0) {
            res->ro_write_exits =
                run->mmio.is_write && run->mmio.phys_addr == 0x1000 &&
                run->mmio.len == 1 && run->mmio.data[0] == 0x55 &&
                p.mem.host[0x1000] == 0;
        } else if (step == 1) {
            if (run->mmio.is_write || run->mmio.phys_addr != 0x2000)
                break;
            run->mmio.data[0] = 0x66;
        } else if ((e = vcpu_get_regs(&p.vcpu, &regs)) < 0) {
            goto fail;
        } else {
            res->hole_read_exits = (regs->rax & 0xff) == 0x66;
        }
    }
    goto out;
fail:
    res->err_op = p.vm.err_op;
    res->err = e;
out:
    probe_vm_destroy(&p);
    return e < 0 ? e : 0;
}

int probe_host(struct probe_result *res)
{
    /* 0: nop; 1: nop; 2: movb $0x55,0x200; 7: out 0x99; 9: hlt */
    static const uint8_t code[] = {0x90, 0x90, 0xc6, 0x06, 0x00,
                                   0x02, 0x55, 0xe6, 0x98, 0xf4};
    /* 0: int3; 1: hlt */
    static const uint8_t int3[] = {0xcc, 0xf4};
    struct timespec t0, t1;
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL,
                           .sigev_signo = SIGALRM};
    sigset_t alrm, old;
    timer_t timer;
    int e;

    *res = (struct probe_result){0};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    /* SIGALRM stays blocked outside KVM_RUN and is eaten afterwards. */
    if (sigprocmask(SIG_BLOCK, &alrm, &old) < 0)
        return -errno;
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) < 0) {
        e = -errno;
        res->err_op = "timer_create";
        res->err = e;
        sigprocmask(SIG_SETMASK, &old, NULL);
        return e;
    }

    struct kvm_guest_debug step = {.control = KVM_GUESTDBG_ENABLE |
                                              KVM_GUESTDBG_SINGLESTEP};
    e = try_one(code, sizeof(code), &step, timer, res, 1, 1, &res->singlestep);
    struct kvm_guest_debug sw = {.control = KVM_GUESTDBG_ENABLE |
                                            KVM_GUESTDBG_USE_SW_BP};
    if (e >= 0)
        e = try_one(int3, sizeof(int3), &sw, timer, res, 3, 0, &res->sw_bp);
    struct kvm_guest_debug hw = {.control = KVM_GUESTDBG_ENABLE |
                                            KVM_GUESTDBG_USE_HW_BP};
    hw.arch.debugreg[0] = 1; /* execute breakpoint on the second nop */
    hw.arch.debugreg[7] = 0x1;
    if (e >= 0)
        e = try_one(code, sizeof(code), &hw, timer, res, 1, 1, &res->hw_bp);
    /* Write watchpoint on the byte at 0x200 (DR7: L0, R/W0 = 01, LEN0 =
     * 00); a data breakpoint is a trap, reported after the write. */
    hw.arch.debugreg[0] = 0x200;
    hw.arch.debugreg[7] = 0x1 | (0x1 << 16);
    if (e >= 0)
        e = try_one(code, sizeof(code), &hw, timer, res, 1, 7, &res->hw_watch);

    if (e >= 0)
        e = probe_pages(res, timer);
    /*
     * KVM API doc, KVM_SET_GUEST_DEBUG: KVM_CAP_SET_GUEST_DEBUG2 gives the
     * supported control flags; without the capability (kernels before
     * 5.16) there is no BLOCKIRQ.
     */
    if (e >= 0) {
        struct vm v = {.fd = -1, .kvm_fd = -1};
        if (vm_open(&v) == 0)
            res->blockirq = (vm_check_cap(&v, KVM_CAP_SET_GUEST_DEBUG2) &
                             KVM_GUESTDBG_BLOCKIRQ) != 0;
        vm_close(&v);
    }

    timer_delete(timer);
    static const struct timespec zero = {0, 0};
    while (sigtimedwait(&alrm, NULL, &zero) > 0)
        ;
    sigprocmask(SIG_SETMASK, &old, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res->usec = (double)(t1.tv_sec - t0.tv_sec) * 1e6 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    return e < 0 ? e : 0;
}
