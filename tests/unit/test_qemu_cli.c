/* QEMU's spelling: which argv is QEMU's, and what each option becomes. */
#include "tests/test.h"

#include <linux/kvm.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/qemu_cli.h"
#include "vmm/qemu_cpu.h"

/* argv from the NULL-terminated list; argv[0] is "kvmstub". */
static int make_argv(char **argv, va_list ap)
{
    static char name[] = "kvmstub";
    int argc = 1;

    argv[0] = name;
    for (char *a; argc < 31 && (a = va_arg(ap, char *)); argc++)
        argv[argc] = a;
    argv[argc] = NULL;
    return argc;
}

static bool is_qemu(const char *first, ...)
{
    char *argv[32];
    va_list ap;

    va_start(ap, first);
    argv[1] = (char *)first;
    int argc = 2;
    for (char *a; argc < 31 && (a = va_arg(ap, char *)); argc++)
        argv[argc] = a;
    va_end(ap);
    argv[0] = (char *)"kvmstub";
    return qemu_cli_is_qemu(argc, argv);
}

static struct cli_opts opts; /* large: not on the stack */
static char err[256];

static enum cli_action parse(int dummy, ...)
{
    char *argv[32];
    va_list ap;

    va_start(ap, dummy);
    int argc = make_argv(argv, ap);
    va_end(ap);
    return cli_parse(argc, argv, &opts, err, sizeof(err));
}

static void test_detect(void)
{
    /* Native: single letters and clusters of -m -g -v -h. */
    CHECK(!is_qemu("img", NULL));
    CHECK(!is_qemu("-v", "-m", "2M", "img", NULL));
    CHECK(!is_qemu("-vh", NULL));
    CHECK(!is_qemu("-m64M", "-g1234", "img", NULL));
    CHECK(!is_qemu("-vm1M", "img", NULL));
    CHECK(!is_qemu("-g", "unix:/tmp/x", "img", NULL));
    CHECK(!is_qemu("--kernel", "k", "--machine", "pc", NULL));
    CHECK(!is_qemu("--mem", "-1", "img", NULL));
    CHECK(!is_qemu("--append", "-nographic", "--kernel", "k", NULL));
    CHECK(!is_qemu("-1", NULL));
    CHECK(is_qemu("--mem=1M", "-nographic", NULL));
    /* The value of -m or -g is not an option (as getopt reads it). */
    CHECK(!is_qemu("-g", "-kernel", "img", NULL));
    /* QEMU's. */
    CHECK(is_qemu("-kernel", "k", NULL));
    CHECK(is_qemu("img", "-nographic", NULL));
    CHECK(is_qemu("-s", NULL));
    CHECK(is_qemu("-S", NULL));
    CHECK(is_qemu("-M", "pc", NULL));
    CHECK(is_qemu("-machine", "accel=kvm", NULL));
    CHECK(is_qemu("-mem-path", "/x", NULL));
    CHECK(is_qemu("-gdb", "tcp::1", NULL));
    CHECK(is_qemu("-hda", "d", NULL));
    CHECK(is_qemu("-netdev", "user", NULL));
    CHECK(is_qemu("-L", ".", NULL));
}

static void test_translate(void)
{
    CHECK_EQ(parse(0, "-kernel", "k.elf", "-append", "a b", "-initrd", "m x",
                   "-m", "300", NULL),
             CLI_RUN);
    CHECK(opts.qemu_spelling);
    CHECK_EQ(opts.machine, CLI_MACHINE_PC);
    CHECK(!strcmp(opts.kernel, "k.elf"));
    CHECK(!strcmp(opts.append, "a b"));
    CHECK(!strcmp(opts.initrd, "m x"));
    CHECK_EQ(opts.mem_size, 300ull << 20);
    CHECK(opts.gdb == NULL);

    CHECK_EQ(parse(0, "-kernel", "k", "-m", "size=2G", NULL), CLI_RUN);
    CHECK_EQ(opts.mem_size, 2ull << 30);
    CHECK_EQ(parse(0, "-kernel", "k", "-m", "64M", NULL), CLI_RUN);
    CHECK_EQ(opts.mem_size, 64ull << 20);

    /* -s: tcp::1234 on loopback, running at once; -S: stopped. */
    CHECK_EQ(parse(0, "-kernel", "k", "-s", NULL), CLI_RUN);
    CHECK(opts.gdb && !strcmp(opts.gdb, "127.0.0.1:1234"));
    CHECK(opts.gdb_nowait);
    CHECK_EQ(parse(0, "-S", "-kernel", "k", "-gdb", "tcp::4321", NULL),
             CLI_RUN);
    CHECK(opts.gdb && !strcmp(opts.gdb, "127.0.0.1:4321"));
    CHECK(!opts.gdb_nowait);
    CHECK_EQ(parse(0, "-kernel", "k", "-gdb", "tcp:10.0.0.1:99", NULL),
             CLI_RUN);
    CHECK(opts.gdb && !strcmp(opts.gdb, "10.0.0.1:99"));
    CHECK_EQ(
        parse(0, "-kernel", "k", "-gdb", "unix:/tmp/g,server,nowait", NULL),
        CLI_RUN);
    CHECK(opts.gdb && !strcmp(opts.gdb, "unix:/tmp/g"));
    CHECK_EQ(
        parse(0, "-kernel", "k", "-gdb", "tcp::77,server=on,wait=off", NULL),
        CLI_RUN);
    CHECK(opts.gdb && !strcmp(opts.gdb, "127.0.0.1:77"));
    CHECK_EQ(parse(0, "-kernel", "k", "-gdb", "tcp::77,ipv4", NULL),
             CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-gdb", "tcp:[::1]:77", NULL), CLI_RUN);
    CHECK(opts.gdb && !strcmp(opts.gdb, "[::1]:77"));

    /* Disks; ",," in a QEMU value is a comma. */
    CHECK_EQ(parse(0, "-drive", "file=a,,b.img,format=raw,readonly=on", NULL),
             CLI_RUN);
    CHECK(opts.drive && !strcmp(opts.drive, "a,b.img"));
    CHECK(opts.drive_ro);
    CHECK_EQ(parse(0, "-fda", "f.img", NULL), CLI_RUN);
    CHECK(opts.floppy && !strcmp(opts.floppy, "f.img"));
    CHECK(!opts.floppy_ro && !opts.drive);
    CHECK_EQ(parse(0, "-nographic", "disk.img", NULL), CLI_RUN);
    CHECK(opts.drive && !strcmp(opts.drive, "disk.img"));

    /* Console and PIT. */
    CHECK_EQ(parse(0, "-kernel", "k", "-nodefaults", NULL), CLI_RUN);
    CHECK(opts.serial_none);
    CHECK_EQ(parse(0, "-kernel", "k", "-nodefaults", "-serial", "stdio", NULL),
             CLI_RUN);
    CHECK(!opts.serial_none && !opts.serial_file);
    CHECK_EQ(parse(0, "-kernel", "k", "-serial", "file:/tmp/s", NULL), CLI_RUN);
    CHECK(opts.serial_file && !strcmp(opts.serial_file, "/tmp/s"));
    CHECK_EQ(parse(0, "-kernel", "k", "-global",
                   "kvm-pit.lost_tick_policy=discard", NULL),
             CLI_RUN);
    CHECK(opts.pit_discard);

    /* Queries. */
    CHECK_EQ(parse(0, "-device", "?", NULL), CLI_QEMU_DEVICES);
    CHECK_EQ(parse(0, "-device", "help", NULL), CLI_QEMU_DEVICES);
    CHECK_EQ(parse(0, "-machine", "help", NULL), CLI_QEMU_MACHINES);
    CHECK_EQ(parse(0, "-nographic", "-h", NULL), CLI_HELP);
    CHECK(strstr(qemu_cli_devices(), "name \"pc-testdev\"") != NULL);
    CHECK(strstr(qemu_cli_devices(), "pci-testdev") == NULL);
}

static void test_refused(void)
{
    CHECK_EQ(parse(0, "-kernel", "k", "-netdev", "user", NULL),
             CLI_USAGE_ERROR);
    CHECK(!strcmp(err, "kvmstub does not implement -netdev"));
    CHECK_EQ(parse(0, "-kernel", "k", "-smp", "12345", NULL), CLI_USAGE_ERROR);
    CHECK(strstr(err, "-smp 12345") && strstr(err, "SMP CPUs is 254"));
    CHECK_EQ(parse(0, "-kernel", "k", "-smp", "cpus=1,books=2", NULL),
             CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-smp", "0", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-smp", "1", NULL), CLI_RUN);
    CHECK_EQ(opts.smp, 1);
    CHECK_EQ(parse(0, "-kernel", "k", "-smp", "4", NULL), CLI_RUN);
    CHECK_EQ(opts.smp, 4);
    CHECK_EQ(parse(0, "-kernel", "k", "-smp", "sockets=2,cores=3", NULL),
             CLI_RUN);
    CHECK_EQ(opts.smp, 6);
    CHECK_EQ(parse(0, "-kernel", "k", "-smp", "cpus=1,sockets=1", NULL),
             CLI_RUN);
    CHECK_EQ(parse(0, "-kernel", "k", "-cpu", "max,+avx9000", NULL),
             CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-cpu", "qemu64", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-cpu", "max,vendor=NotAVendor!", NULL),
             CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-M", "q35", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-machine", "accel=tcg", NULL),
             CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-machine", "accel=kvm:tcg", NULL),
             CLI_RUN);
    CHECK_EQ(parse(0, "-kernel", "k", "-device", "isa-debug-exit", NULL),
             CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-device",
                   "isa-debug-exit,iobase=0x501,iosize=2", NULL),
             CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-device",
                   "isa-debug-exit,iobase=244,iosize=4", NULL),
             CLI_RUN);
    CHECK_EQ(parse(0, "-kernel", "k", "-S", NULL), CLI_USAGE_ERROR);
    CHECK(strstr(err, "no monitor") != NULL);
    CHECK_EQ(parse(0, "-kernel", "k", "-m", "1.5G", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-m", "1", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "-m", NULL), CLI_USAGE_ERROR);
    CHECK(strstr(err, "needs a value") != NULL);
    CHECK_EQ(parse(0, "-fda", "a", "-hda", "b", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-fda", "a", "-hda", "b", "-boot", "ac", NULL), CLI_RUN);
    CHECK_EQ(parse(0, "-hda", "a", "-hda", "b", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-kernel", "k", "--", NULL), CLI_USAGE_ERROR);
    /* Native rules still apply to what a QEMU option became. */
    CHECK_EQ(parse(0, "-kernel", "k", "-hda", "d", NULL), CLI_USAGE_ERROR);
    CHECK_EQ(parse(0, "-nographic", NULL), CLI_USAGE_ERROR);
}

/* +F/-F are checked against the host's table: a fake one here. */
static void test_cpu_flags(void)
{
    struct kvm_cpuid2 *t = calloc(1, sizeof(*t) + 3 * sizeof(t->entries[0]));

    if (!t) {
        CHECK(t != NULL);
        return;
    }
    t->nent = 3;
    t->entries[0] =
        (struct kvm_cpuid_entry2){.function = 1, .ecx = 1u << 21}; /* x2apic */
    t->entries[1] = (struct kvm_cpuid_entry2){
        .function = 7,
        .index = 1,
        .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
        .ecx = 1u << 3}; /* pku, but in subleaf 1: not leaf 7.0's */
    t->entries[2] = (struct kvm_cpuid_entry2){
        .function = 7, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX};
    CHECK_EQ(parse(0, "-kernel", "k", "-cpu", "max,+x2apic,-pku,vmx=off", NULL),
             CLI_RUN);
    CHECK_EQ(opts.ncpu_feat, 3u);
    CHECK_EQ(qemu_cpu_check(&opts, t, err, sizeof(err)), 0);
    CHECK_EQ(parse(0, "-kernel", "k", "-cpu", "host,-x2apic", NULL), CLI_RUN);
    CHECK_EQ(qemu_cpu_check(&opts, t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "offers x2apic") != NULL);
    CHECK_EQ(parse(0, "-kernel", "k", "-cpu", "max,+svm", NULL), CLI_RUN);
    CHECK_EQ(qemu_cpu_check(&opts, t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "lacks svm") != NULL);
    CHECK_EQ(parse(0, "-kernel", "k", "-cpu", "max,+vmx-mbec", NULL),
             CLI_USAGE_ERROR);
    free(t);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_detect),
        TEST(test_translate),
        TEST(test_refused),
        TEST(test_cpu_flags),
    };
    return test_main(tests, TEST_COUNT(tests));
}
