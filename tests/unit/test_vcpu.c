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

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_cpuid_per_vcpu),
        TEST(test_flat32),
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
