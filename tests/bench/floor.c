/*
 * floor: the smallest raw-KVM program that does the work a benchmark row
 * asks of the VMM, so the bench can show how far kvmstub is from the cost
 * of KVM itself. No gdb, no bus, no options beyond the mode.
 *
 *   floor first-byte IMAGE  run IMAGE until its first OUT to port 0xf1,
 *                           write that byte to stdout and exit
 *   floor exits IMAGE N     run IMAGE, one write(2) to stdout per port-0xf1
 *                           OUT exit, until the N-th HLT
 *   floor steps N           single-step HELLO N times (KVM_GUESTDBG_
 *                           SINGLESTEP), KVM_GET_REGS after each step
 *   floor bp N [IMAGE ADDR] hit a debug-register breakpoint at 0x4 in HELLO
 *                           (or at ADDR in IMAGE) N times, stepping over it
 *                           with the breakpoint disabled after each hit
 *   floor idle IMAGE MIB    run IMAGE with MIB MiB of RAM to its first HLT,
 *                           then wait for a signal (resident-memory floor)
 *
 * Guest: 1 MiB of RAM at 0 (MIB MiB for idle), image loaded at 0, real
 * mode, CS base 0, IP 0, as the VMM does. Guest bytes go to stdout in every
 * mode; HLT resumes at once. Exit status 0 on success, 1 with a message on
 * stderr on any failure, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define DEFAULT_RAM  (1ul << 20)
#define CONSOLE_PORT 0xf1
#define HELLO_BP     0x4
#define HLT_OPCODE   0xf4
#define DR7_L0       0x1u   /* local enable, breakpoint 0 */
#define DR7_GE       0x200u /* exact breakpoint match (SDM vol. 3, 17.2.4) */

/*
 * HELLO, byte for byte as the project's default guest: six "mov $c,%al;
 * outb %al,$0xf1" pairs, hlt at 0x18, jmp 0 at 0x19. Built in so that the
 * stepping modes need no image.
 */
static const uint8_t hello[] = {
    0xb0, 'H',  0xe6, 0xf1, 0xb0, 'e',  0xe6, 0xf1, 0xb0,
    'l',  0xe6, 0xf1, 0xb0, 'l',  0xe6, 0xf1, 0xb0, 'o',
    0xe6, 0xf1, 0xb0, '\n', 0xe6, 0xf1, 0xf4, 0xeb, 0xe5,
};

struct vm {
    int kvm, fd, vcpu;
    uint8_t *ram;
    size_t ram_size;
    struct kvm_run *run;
};

static void die(const char *what)
{
    fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void load_image(struct vm *v, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t off = 0;

    if (fd < 0)
        die(path);
    while (off < v->ram_size) {
        ssize_t n = read(fd, v->ram + off, v->ram_size - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die(path);
        if (n == 0)
            break;
        off += (size_t)n;
    }
    close(fd);
}

/* Open KVM, map RAM, load IMAGE (HELLO when NULL), one real-mode vCPU. */
static void vm_setup(struct vm *v, const char *image, size_t ram_size)
{
    v->ram_size = ram_size;
    v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (v->kvm < 0)
        die("/dev/kvm");
    v->fd = ioctl(v->kvm, KVM_CREATE_VM, 0);
    if (v->fd < 0)
        die("KVM_CREATE_VM");
    v->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v->ram == MAP_FAILED)
        die("mmap RAM");
    if (image)
        load_image(v, image);
    else
        memcpy(v->ram, hello, sizeof(hello));
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = ram_size,
        .userspace_addr = (uintptr_t)v->ram,
    };
    if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        die("KVM_SET_USER_MEMORY_REGION");
    v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0);
    if (v->vcpu < 0)
        die("KVM_CREATE_VCPU");
    int size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < 0)
        die("KVM_GET_VCPU_MMAP_SIZE");
    v->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  v->vcpu, 0);
    if (v->run == MAP_FAILED)
        die("mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) < 0)
        die("KVM_GET_SREGS");
    sregs.cs.selector = 0;
    sregs.cs.base = 0;
    if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) < 0)
        die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = 0, .rflags = 0x2};
    if (ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
        die("KVM_SET_REGS");
}

static void put_bytes(const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            die("write");
        p += w;
        n -= (size_t)w;
    }
}

/* The bytes of an OUT exit to the console port, or 0 for any other exit. */
static size_t console_bytes(const struct vm *v, const uint8_t **p)
{
    const struct kvm_run *r = v->run;

    if (r->exit_reason != KVM_EXIT_IO || r->io.direction != KVM_EXIT_IO_OUT ||
        r->io.port != CONSOLE_PORT)
        return 0;
    *p = (const uint8_t *)r + r->io.data_offset;
    return (size_t)r->io.size * r->io.count;
}

/*
 * One KVM_RUN. Console output goes to stdout; HLT and other port I/O just
 * resume on the next call. Returns the exit reason; anything but IO, HLT
 * and DEBUG is fatal.
 */
static uint32_t run_once(struct vm *v)
{
    const uint8_t *p;
    size_t n;

    while (ioctl(v->vcpu, KVM_RUN, 0) < 0)
        if (errno != EINTR)
            die("KVM_RUN");
    switch (v->run->exit_reason) {
    case KVM_EXIT_IO:
        n = console_bytes(v, &p);
        if (n)
            put_bytes(p, n);
        /* fallthrough */
    case KVM_EXIT_HLT:
    case KVM_EXIT_DEBUG:
        return v->run->exit_reason;
    default:
        fprintf(stderr, "floor: unexpected exit reason %u\n",
                v->run->exit_reason);
        exit(1);
    }
}

/* KVM_RUN until a debug exit. */
static void run_to_debug(struct vm *v)
{
    while (run_once(v) != KVM_EXIT_DEBUG)
        ;
}

static void set_debug(struct vm *v, const struct kvm_guest_debug *dbg)
{
    if (ioctl(v->vcpu, KVM_SET_GUEST_DEBUG, dbg) < 0)
        die("KVM_SET_GUEST_DEBUG");
}

static int mode_first_byte(const char *image)
{
    struct vm v;
    const uint8_t *p;

    vm_setup(&v, image, DEFAULT_RAM);
    for (;;) {
        run_once(&v);
        if (console_bytes(&v, &p))
            return 0; /* run_once wrote it */
    }
}

static int mode_exits(const char *image, unsigned long halts)
{
    struct vm v;
    unsigned long seen = 0;

    vm_setup(&v, image, DEFAULT_RAM);
    while (seen < halts)
        if (run_once(&v) == KVM_EXIT_HLT)
            seen++;
    return 0;
}

/*
 * One instruction-exact step, done the way any VMM on this KVM must: some
 * KVM backends lose the single-step trap of an instruction that exits to
 * userspace (OUT, HLT), so an OUT step ends when KVM_RUN with
 * immediate_exit has completed the I/O, and a HLT is stepped by moving IP
 * past it (no interrupt sources: that is its architectural effect).
 */
static void step_one(struct vm *v, struct kvm_regs *regs)
{
    if (v->ram[regs->rip & 0xffff] == HLT_OPCODE) {
        regs->rip++;
        if (ioctl(v->vcpu, KVM_SET_REGS, regs) < 0)
            die("KVM_SET_REGS");
        return;
    }
    if (run_once(v) == KVM_EXIT_IO) {
        v->run->immediate_exit = 1;
        if (ioctl(v->vcpu, KVM_RUN, 0) < 0 && errno != EINTR)
            die("KVM_RUN (complete I/O)");
        v->run->immediate_exit = 0;
    }
    if (ioctl(v->vcpu, KVM_GET_REGS, regs) < 0)
        die("KVM_GET_REGS");
}

static int mode_steps(unsigned long n)
{
    struct vm v;
    struct kvm_guest_debug dbg = {
        .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
    };
    struct kvm_regs regs = {.rip = 0};

    vm_setup(&v, NULL, DEFAULT_RAM);
    set_debug(&v, &dbg);
    for (unsigned long i = 0; i < n; i++)
        step_one(&v, &regs);
    return 0;
}

static int mode_bp(unsigned long n, const char *image, uint64_t addr)
{
    struct vm v;
    struct kvm_guest_debug bp = {
        .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP,
        .arch.debugreg = {[0] = addr, [7] = DR7_L0 | DR7_GE},
    };
    struct kvm_guest_debug step = {
        .control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
    };

    vm_setup(&v, image, DEFAULT_RAM);
    for (unsigned long i = 0; i < n; i++) {
        set_debug(&v, &bp);
        run_to_debug(&v);
        if (v.run->debug.arch.pc != addr) {
            fprintf(stderr, "floor: breakpoint hit at 0x%llx, not 0x%llx\n",
                    (unsigned long long)v.run->debug.arch.pc,
                    (unsigned long long)addr);
            return 1;
        }
        set_debug(&v, &step);
        run_to_debug(&v);
    }
    return 0;
}

static int mode_idle(const char *image, unsigned long mib)
{
    struct vm v;

    vm_setup(&v, image, (size_t)mib << 20);
    while (run_once(&v) != KVM_EXIT_HLT)
        ;
    pause(); /* returns only after a caught signal: the bench kills us */
    return 0;
}

static unsigned long count_arg(const char *s)
{
    char *end;
    unsigned long n;

    errno = 0;
    n = strtoul(s, &end, 0);
    if (errno || end == s || *end || n == 0 || n > (1ul << 30)) {
        fprintf(stderr, "floor: bad number '%s'\n", s);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "first-byte") == 0)
        return mode_first_byte(argv[2]);
    if (argc == 4 && strcmp(argv[1], "exits") == 0)
        return mode_exits(argv[2], count_arg(argv[3]));
    if (argc == 3 && strcmp(argv[1], "steps") == 0)
        return mode_steps(count_arg(argv[2]));
    if (argc == 3 && strcmp(argv[1], "bp") == 0)
        return mode_bp(count_arg(argv[2]), NULL, HELLO_BP);
    if (argc == 5 && strcmp(argv[1], "bp") == 0)
        return mode_bp(count_arg(argv[2]), argv[3], count_arg(argv[4]));
    if (argc == 4 && strcmp(argv[1], "idle") == 0)
        return mode_idle(argv[2], count_arg(argv[3]));
    fprintf(stderr, "usage: floor first-byte IMAGE | exits IMAGE HALTS | "
                    "steps N | bp N [IMAGE ADDR] | idle IMAGE MIB\n");
    return 2;
}
