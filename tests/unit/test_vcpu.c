/*
 * vCPU set-up against the real /dev/kvm: the CPUID table each vCPU gets
 * (read back with KVM_GET_CPUID2), and the Multiboot machine state of
 * vcpu_reset_flat32, read back and run. Skips (never passes) where
 * /dev/kvm is unusable or KVMSTUB_TEST_NO_KVM=1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/test.h"
#include "vmm/mem.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define CPUID_ENTRIES 512

static bool kvm_usable(void)
{
    const char *no = getenv("KVMSTUB_TEST_NO_KVM");
    if (no && !strcmp(no, "1"))
        return false;
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *t,
                                           uint32_t fn, uint32_t idx)
{
    for (uint32_t i = 0; i < t->nent; i++)
        if (t->entries[i].function == fn && t->entries[i].index == idx)
            return &t->entries[i];
    return NULL;
}

/* What KVM_GET_CPUID2 says vCPU c was given. */
static void check_cpuid(struct vcpu *c, unsigned index)
{
    struct kvm_cpuid2 *t =
        calloc(1, sizeof(*t) + CPUID_ENTRIES * sizeof(t->entries[0]));

    CHECK(t != NULL);
    if (!t)
        return;
    t->nent = CPUID_ENTRIES;
    CHECK_OK(ioctl(c->fd, KVM_GET_CPUID2, t));
    CHECK(t->nent > 0 && t->nent <= CPUID_ENTRIES);

    const struct kvm_cpuid_entry2 *e = find(t, 1, 0);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ(e->ecx >> 31, 1);     /* hypervisor present */
        CHECK_EQ(e->ebx >> 24, index); /* initial APIC ID */
    }
    e = find(t, 0x40000000, 0);
    CHECK(e != NULL);
    if (e) {
        char sig[12];
        memcpy(sig, &e->ebx, 4);
        memcpy(sig + 4, &e->ecx, 4);
        memcpy(sig + 8, &e->edx, 4);
        CHECK_MEM(sig, "KVMKVMKVM\0\0\0", 12);
        CHECK(e->eax >= 0x40000001);
    }
    CHECK(find(t, 0x40000001, 0) != NULL);
    e = find(t, 0x80000001, 0);
    CHECK(e != NULL);
    if (e)
        CHECK_EQ((e->edx >> 29) & 1, 1); /* long mode */
    /* x2APIC ID on every subleaf of the topology leaves KVM offers. */
    for (uint32_t i = 0; i < t->nent; i++)
        if (t->entries[i].function == 0xb || t->entries[i].function == 0x1f)
            CHECK_EQ(t->entries[i].edx, index);
    free(t);
}

static void test_cpuid_per_vcpu(void)
{
    struct vm vm;
    struct vcpu c0 = {.fd = -1, .run = MAP_FAILED};
    struct vcpu c1 = {.fd = -1, .run = MAP_FAILED};

    CHECK_OK(vm_open(&vm));
    CHECK_OK(vcpu_create(&c0, &vm, 0));
    CHECK_OK(vcpu_create(&c1, &vm, 1));
    CHECK_EQ(c1.index, 1);
    if (c0.fd >= 0)
        check_cpuid(&c0, 0);
    if (c1.fd >= 0)
        check_cpuid(&c1, 1);
    vcpu_destroy(&c1);
    vcpu_destroy(&c0);
    vm_close(&vm);
}

static void check_flat_seg(const struct kvm_segment *s, unsigned type)
{
    CHECK_EQ(s->base, 0);
    CHECK_EQ(s->limit, 0xffffffffu);
    CHECK_EQ(s->type, type);
    CHECK_EQ(s->present, 1);
    CHECK_EQ(s->s, 1);
    CHECK_EQ(s->db, 1);
    CHECK_EQ(s->g, 1);
    CHECK_EQ(s->dpl, 0);
}

/*
 * The state as KVM holds it (not the cache), then a run: at 1 MiB,
 * add %ebx,%eax; mov %eax,0x110000; hlt. As 16-bit code the add would
 * leave EAX's upper half alone and the offsets could not reach 1 MiB.
 */
static void test_flat32(void)
{
    static const uint8_t code[] = {0x01, 0xd8, 0xa3, 0x00,
                                   0x00, 0x11, 0x00, 0xf4};
    struct vm vm;
    struct mem mem = {.host = MAP_FAILED};
    struct vcpu c = {.fd = -1, .run = MAP_FAILED};
    struct kvm_sregs s;
    struct kvm_regs r;

    CHECK_OK(vm_open(&vm));
    CHECK_OK(mem_map(&mem, &vm, 2 << 20));
    CHECK_OK(vcpu_create(&c, &vm, 0));
    if (c.run == MAP_FAILED || mem.host == MAP_FAILED)
        goto out;
    memcpy(mem.host + 0x100000, code, sizeof(code));
    CHECK_OK(vcpu_reset_flat32(&c, 0x100000, 0x2badb002, 0x10000));
    /* The raw ioctls below must see what vcpu.c may hold back. */
    CHECK_OK(vcpu_flush(&c));

    CHECK_OK(ioctl(c.fd, KVM_GET_SREGS, &s));
    check_flat_seg(&s.cs, 0xb);
    const struct kvm_segment *data[] = {&s.ds, &s.es, &s.fs, &s.gs, &s.ss};
    for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
        check_flat_seg(data[i], 0x3);
    CHECK_EQ(s.cr0 & 0x80000001u, 1); /* PE=1, PG=0 */
    CHECK_EQ(s.efer, 0);
    CHECK_EQ(s.tr.type, 0xb);
    CHECK_EQ(s.tr.s, 0);
    CHECK_EQ(s.tr.present, 1);
    CHECK_EQ(s.gdt.limit, 0);
    CHECK_EQ(s.idt.limit, 0);
    CHECK_OK(ioctl(c.fd, KVM_GET_REGS, &r));
    CHECK_EQ(r.rip, 0x100000);
    CHECK_EQ(r.rflags, 0x2);
    CHECK_EQ(r.rax, 0x2badb002);
    CHECK_EQ(r.rbx, 0x10000);
    CHECK_EQ(r.rcx | r.rdx | r.rsi | r.rdi | r.rsp | r.rbp, 0);

    CHECK_OK(vcpu_run(&c));
    CHECK_EQ(c.run->exit_reason, KVM_EXIT_HLT);
    CHECK_OK(ioctl(c.fd, KVM_GET_REGS, &r));
    CHECK_EQ(r.rax, 0x2baeb002);
    CHECK_EQ(r.rip, 0x100000 + sizeof(code));
    uint32_t stored;
    memcpy(&stored, mem.host + 0x110000, 4);
    CHECK_EQ(stored, 0x2baeb002);
out:
    vcpu_destroy(&c);
    mem_unmap(&mem);
    vm_close(&vm);
}

/* What one pass of test_sync_coherent saw after each KVM_RUN. */
#define SYNC_STOPS 4
struct sync_pass {
    struct kvm_regs regs[SYNC_STOPS];
    struct kvm_sregs sregs[SYNC_STOPS];
    struct kvm_regs raw; /* KVM_GET_REGS after vcpu_flush, at the end */
    uint32_t stored;     /* what the guest wrote at 0x110000 */
    struct vcpu_stats stats;
    uint32_t sync_cap;
};

/*
 * One pass: the flat32 state, a register write before the first run,
 * three single steps with a write (RBX + 1) after each, then a run to the
 * HLT. At 1 MiB: add %ebx,%eax; mov %eax,0x110000; inc %ecx; hlt.
 */
static void sync_pass(bool no_sync, struct sync_pass *p)
{
    static const uint8_t code[] = {0x01, 0xd8, 0xa3, 0x00, 0x00,
                                   0x11, 0x00, 0x41, 0xf4};
    struct vm vm;
    struct mem mem = {.host = MAP_FAILED};
    struct vcpu c = {.fd = -1, .run = MAP_FAILED};
    struct kvm_regs *r = NULL, next;
    struct kvm_sregs *s = NULL;

    memset(p, 0, sizeof(*p));
    CHECK_OK(vm_open(&vm));
    vm.no_sync_regs = no_sync;
    CHECK_OK(mem_map(&mem, &vm, 2 << 20));
    CHECK_OK(vcpu_create(&c, &vm, 0));
    if (c.run == MAP_FAILED || mem.host == MAP_FAILED)
        goto out;
    memcpy(mem.host + 0x100000, code, sizeof(code));
    CHECK_OK(vcpu_reset_flat32(&c, 0x100000, 5, 7));
    CHECK_OK(vcpu_get_regs(&c, &r));
    next = *r;
    next.rcx = 100;
    CHECK_OK(vcpu_set_regs(&c, &next));
    struct kvm_guest_debug dbg = {.control = KVM_GUESTDBG_ENABLE |
                                             KVM_GUESTDBG_SINGLESTEP};
    CHECK_OK(vcpu_set_guest_debug(&c, &dbg));
    for (int i = 0; i < SYNC_STOPS; i++) {
        if (i == SYNC_STOPS - 1) {
            dbg.control = 0;
            CHECK_OK(vcpu_set_guest_debug(&c, &dbg));
        }
        CHECK_OK(vcpu_run(&c));
        CHECK_EQ(c.run->exit_reason,
                 i == SYNC_STOPS - 1 ? KVM_EXIT_HLT : KVM_EXIT_DEBUG);
        CHECK_OK(vcpu_get_regs(&c, &r));
        CHECK_OK(vcpu_get_sregs(&c, &s));
        if (!r || !s)
            goto out;
        p->regs[i] = *r;
        p->sregs[i] = *s;
        if (i < SYNC_STOPS - 1) {
            next = *r;
            next.rbx++;
            CHECK_OK(vcpu_set_regs(&c, &next));
        }
    }
    CHECK_OK(vcpu_flush(&c));
    CHECK_OK(ioctl(c.fd, KVM_GET_REGS, &p->raw));
    memcpy(&p->stored, mem.host + 0x110000, 4);
    p->stats = c.stats;
    p->sync_cap = c.sync_cap;
out:
    vcpu_destroy(&c);
    mem_unmap(&mem);
    vm_close(&vm);
}

/*
 * The register cache gives the same registers with KVM_CAP_SYNC_REGS
 * (reads from kvm_run->s.regs, writes through kvm_dirty_regs) as with the
 * ioctls, and the writes reach the guest either way.
 */
static void test_sync_coherent(void)
{
    static struct sync_pass on, off;

    sync_pass(false, &on);
    sync_pass(true, &off);
    for (int i = 0; i < SYNC_STOPS; i++) {
        CHECK_MEM(&on.regs[i], &off.regs[i], sizeof(on.regs[i]));
        CHECK_MEM(&on.sregs[i], &off.sregs[i], sizeof(on.sregs[i]));
    }
    CHECK_MEM(&on.raw, &off.raw, sizeof(on.raw));
    /* What the code computed from the registers written between runs. */
    CHECK_EQ(on.regs[0].rax, 12);       /* 5 + 7 */
    CHECK_EQ(on.regs[2].rcx, 101);      /* the write before the first run */
    CHECK_EQ(on.regs[3].rbx, 10);       /* 7 + one per step */
    CHECK_EQ(on.regs[3].rip, 0x100009); /* past the HLT */
    CHECK_EQ(on.raw.rbx, 10);
    CHECK_EQ(on.stored, 12);
    CHECK_EQ(off.stored, 12);
    CHECK_EQ(off.sync_cap, 0);
    CHECK_EQ(off.stats.synced, 0);
    CHECK_EQ(off.stats.flushes, 0);
    if (!(on.sync_cap & KVM_SYNC_X86_REGS)) {
        printf("# KVM_CAP_SYNC_REGS missing: only the ioctl path ran\n");
        return;
    }
    /*
     * Reads after every run but the first came free, and so did the
     * writes after the first two steps (the one before the first run and
     * the one after the third step each went ahead of a
     * KVM_SET_GUEST_DEBUG, which takes them first with KVM_SET_REGS).
     */
    CHECK(on.stats.synced >= 2 * (SYNC_STOPS - 1));
    CHECK_EQ(on.stats.flushes, 2);
    CHECK(on.stats.ioctls < off.stats.ioctls);
    CHECK_EQ(on.stats.runs, off.stats.runs);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_cpuid_per_vcpu),
        TEST(test_flat32),
        TEST(test_sync_coherent),
    };

    if (!kvm_usable()) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (size_t i = 0; i < TEST_COUNT(tests); i++)
            printf("skip %s: /dev/kvm not usable\n", tests[i].name);
        printf("0 passed, 0 failed, %zu skipped\n", TEST_COUNT(tests));
        return 0;
    }
    return test_main(tests, TEST_COUNT(tests));
}
