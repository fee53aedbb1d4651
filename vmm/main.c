/*
 * kvmstub: run a flat real-mode guest under KVM, optionally under gdb.
 * The only file that prints fatal errors and picks the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board.h"
#include "boot/disk.h"
#include "boot/firmware.h"
#include "boot/memmap.h"
#include "hw/vga.h"
#include "boot/multiboot.h"
#include "cli.h"
#include "dbg.h"
#include "dbg_views.h"
#include "dump.h"
#include "gdbstub/cmd.h"
#include "gdbstub/server.h"
#include "loader.h"
#include "mem.h"
#include "pio.h"
#include "pagewatch.h"
#include "probe.h"
#include "qemu_cli.h"
#include "qemu_cpu.h"
#include "record.h"
#include "snapfile.h"
#include "snapmon.h"
#include "snapshot.h"
#include "run.h"
#include "smp.h"
#include "term.h"
#include "vcpu.h"
#include "vm.h"

#define VMM_VERSION "0.1"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Every machine --smp allows can be snapshotted. */
_Static_assert(CLI_MAX_SMP <= SNAP_MAX_VCPUS, "snapshots hold every vCPU");

struct machine {
    int quit_fd;   /* signalfd: SIGINT, SIGTERM */
    int out_fd;    /* our own non-blocking description of stdout, or -1 */
    int io_fd;     /* signalfd: SIGIO from the debugger's socket, or -1 */
    int event_sig; /* stdin input for the guest's UART (pc machine) */
    int serial_fd; /* --serial file:PATH, or -1 */
    struct pio_console serial_con; /* COM1's output to serial_fd */
    struct vm vm;
    struct mem mem;
    unsigned ncpus;
    struct vcpu *vcpus;     /* ncpus of them; vcpus[0] boots */
    struct runner *runners; /* one per vCPU */
    bool threaded;          /* ncpus > 1: vCPU threads (smp) */
    struct smp smp;
    struct pio_bus bus;
    struct pio_console console;
    struct power power;
    struct board board;
    struct memmap map;
    struct disk floppy, hd; /* --floppy, --drive */
    struct firmware fw;     /* --bios */
    /* --kernel: where the BIOS's int 19h hands over (boot_kernel). */
    bool kernel_pending;
    struct mb_entry kernel_entry;
    struct term term;       /* stdin in raw mode for the BIOS keyboard */
    struct snap_machine sm; /* what snapshots are taken from */
    struct snap *restore;   /* --restore: the snapshot to start from */
};

static int fail_errno(const char *what, int neg_errno)
{
    fprintf(stderr, "vmm: %s: %s\n", what, strerror(-neg_errno));
    return EXIT_RUNTIME;
}

static int fail_vm(const struct vm *vm, int neg_errno)
{
    if (vm->missing_cap)
        fprintf(stderr, "vmm: KVM lacks required capability %s\n",
                vm->missing_cap);
    else
        fprintf(stderr, "vmm: %s: %s\n", vm->err_op ? vm->err_op : "KVM",
                strerror(-neg_errno));
    return EXIT_RUNTIME;
}

static void report_crash(struct machine *m, unsigned cpu)
{
    const struct run_crash *c = &m->runners[cpu].crash;
    char buf[2048];

    if (m->ncpus > 1)
        fprintf(stderr, "vmm: guest crashed: %s on vCPU %u\n", c->what,
                c->vcpu);
    else
        fprintf(stderr, "vmm: guest crashed: %s\n", c->what);
    fprintf(stderr, "vmm: exit reason %u (%s)", c->exit_reason,
            run_exit_name(c->exit_reason));
    if (c->suberror)
        fprintf(stderr, ", suberror %u", c->suberror);
    if (c->hw_reason)
        fprintf(stderr, ", hardware reason 0x%llx",
                (unsigned long long)c->hw_reason);
    fprintf(stderr, "\n");
    if (dump_regs(&m->vcpus[cpu], &m->mem, buf, sizeof(buf)) >= 0)
        fputs(buf, stderr);
}

static int host_info(void)
{
    struct vm vm;
    struct probe_result p;
    int e = vm_open(&vm);

    if (e < 0) {
        int ret = fail_vm(&vm, e);
        vm_close(&vm);
        return ret;
    }
    printf("KVM API version: %d\n", vm.api_version);
    static const struct {
        long cap;
        const char *name;
    } caps[] = {
        {KVM_CAP_SET_GUEST_DEBUG, "KVM_CAP_SET_GUEST_DEBUG"},
        {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
        {KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
        {KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM"},
        {KVM_CAP_DEBUGREGS, "KVM_CAP_DEBUGREGS"},
        {KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS"},
        {KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS"},
        {KVM_CAP_GUEST_DEBUG_HW_BPS, "KVM_CAP_GUEST_DEBUG_HW_BPS"},
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        printf("%-28s %d\n", caps[i].name, vm_check_cap(&vm, caps[i].cap));
    vm_close(&vm);
    e = probe_host(&p);
    if (e < 0)
        return fail_errno(p.err_op ? p.err_op : "probe", e);
    printf("single-step (KVM_GUESTDBG_SINGLESTEP): %s\n",
           p.singlestep ? "yes" : "no");
    printf("int3 intercepted (KVM_GUESTDBG_USE_SW_BP): %s\n",
           p.sw_bp ? "yes" : "no");
    printf("debug-register execution breakpoints: %s\n",
           p.hw_bp ? "yes" : "no");
    printf("debug-register data watchpoints: %s\n", p.hw_watch ? "yes" : "no");
    printf("interrupts held off while stepping (KVM_GUESTDBG_BLOCKIRQ): %s\n",
           p.blockirq ? "yes" : "no");
    printf("breakpoint mechanism (auto): %s\n", p.sw_bp   ? "int3"
                                                : p.hw_bp ? "dr"
                                                          : "step");
    printf("read-only memslot writes exit: %s\n",
           p.ro_write_exits ? "yes" : "no");
    printf("memory-hole reads exit: %s\n", p.hole_read_exits ? "yes" : "no");
    printf("watchpoint mechanism (auto): %s\n",
           p.hw_watch ? "dr"
           : p.ro_write_exits && p.hole_read_exits && p.singlestep
               ? "page protection (one vCPU, not --record), else step"
               : "step (write watchpoints only)");
    printf("probe time: %.0f us\n", p.usec);
    return EXIT_OK;
}

/* Map RAM as the machine lays it out; build its memory map. */
static int map_ram(struct machine *m, const struct cli_opts *o)
{
    if (o->machine == CLI_MACHINE_PC) {
        memmap_pc(&m->map, o->mem_size);
        return mem_map_split(&m->mem, &m->vm, o->mem_size, MEMMAP_PCI_HOLE,
                             MEMMAP_HIGH_BASE);
    }
    memmap_flat(&m->map, o->mem_size);
    return mem_map(&m->mem, &m->vm, o->mem_size);
}

static int wire_machine(struct machine *m, const struct cli_opts *o,
                        bool stdout_closed);
static int build_boot(struct machine *m, const struct cli_opts *o,
                      bool stdout_closed);

/*
 * Create every vCPU: vCPU 0 is the bootstrap processor; the others wait
 * for INIT and STARTUP IPIs (wait-for-SIPI), as a PC's application
 * processors do after reset (Intel SDM vol. 3, "MP Initialization"),
 * and the in-kernel local APIC starts them. Returns 0, -E2BIG (more
 * vCPUs than this KVM allows: printed here) or -errno (vm->err_op).
 */
static int create_vcpus(struct machine *m)
{
    int max = vm_check_cap(&m->vm, KVM_CAP_MAX_VCPUS);
    int e;

    if (max <= 0)
        max = vm_check_cap(&m->vm, KVM_CAP_NR_VCPUS);
    if (max <= 0)
        max = 4; /* KVM API doc, KVM_CAP_NR_VCPUS: "assume 4" */
    if (m->ncpus > (unsigned)max) {
        fprintf(stderr,
                "vmm: --smp %u: this host's KVM allows at most %d "
                "vCPUs\n",
                m->ncpus, max);
        return -E2BIG;
    }
    /* A test and bench knob: registers through the ioctls only. */
    const char *no_sync = getenv("KVMSTUB_NO_SYNC_REGS");
    m->vm.no_sync_regs = no_sync && !strcmp(no_sync, "1");
    for (unsigned i = 0; i < m->ncpus; i++) {
        if ((e = vcpu_create(&m->vcpus[i], &m->vm, i)) < 0)
            return e;
        if (i > 0 && (e = vcpu_set_mp_state(&m->vcpus[i],
                                            KVM_MP_STATE_INIT_RECEIVED)) < 0)
            return e;
    }
    return 0;
}

/* --kernel: a Multiboot kernel on the pc machine, entered in 32-bit
 * protected mode as the spec says. */
static int build_kernel(struct machine *m, const struct cli_opts *o,
                        bool stdout_closed)
{
    struct mb_config cfg = {
        .kernel_path = o->kernel, .cmdline = o->append, .initrd = o->initrd};
    struct mb_entry entry;
    char err[256] = "";
    int e;

    if ((e = vm_open(&m->vm)) < 0 || (e = vm_create_pc_chips(&m->vm)) < 0 ||
        (e = map_ram(m, o)) < 0)
        return fail_vm(&m->vm, e);
    e = multiboot_load(&m->mem, &m->map, &cfg, &entry, err, sizeof(err));
    if (e < 0) {
        fprintf(stderr, "vmm: --kernel %s: could not load kernel: %s\n",
                o->kernel, err[0] ? err : strerror(-e));
        return EXIT_USAGE;
    }
    /*
     * The built-in BIOS runs first, from its reset vector, as SeaBIOS
     * does under QEMU: a kernel finds the IVT, the BIOS data area, the
     * PICs and the PIT as PC firmware leaves them (kvm-unit-tests'
     * realmode sleeps in hlt until the BIOS's timer tick). Its int 19h
     * ends the firmware phase (boot_kernel).
     */
    m->kernel_entry = entry;
    m->kernel_pending = true;
    if ((e = create_vcpus(m)) == -E2BIG)
        return EXIT_USAGE;
    if (e < 0 ||
        (e = firmware_start(&m->vcpus[0], 0xf000, BIOS_GPA, BIOS_RESET_IP)) < 0)
        return fail_vm(&m->vm, e);
    return wire_machine(m, o, stdout_closed);
}

static int build_machine(struct machine *m, const struct cli_opts *o,
                         bool stdout_closed)
{
    bool pc = o->machine == CLI_MACHINE_PC;
    uint64_t ram = (o->mem_size + 4095) & ~4095ull;
    int e;
    long n;

    if (o->kernel)
        return build_kernel(m, o, stdout_closed);
    if (o->drive || o->floppy || o->bios)
        return build_boot(m, o, stdout_closed);
    if (m->restore) {
        /* The machine as the snapshot has it; RAM holds the image. */
        if ((e = vm_open(&m->vm)) < 0 ||
            (pc && (e = vm_create_pc_chips(&m->vm)) < 0) ||
            (e = map_ram(m, o)) < 0)
            return fail_vm(&m->vm, e);
        if ((e = create_vcpus(m)) == -E2BIG)
            return EXIT_USAGE;
        if (e < 0 || (e = vcpu_reset_real_mode(&m->vcpus[0])) < 0)
            return fail_vm(&m->vm, e);
        return wire_machine(m, o, stdout_closed);
    }
    /* Image errors are the user's: report them even without KVM. */
    n = loader_check_file(o->image);
    if (pc && ram > MEMMAP_PCI_HOLE)
        ram = MEMMAP_PCI_HOLE; /* the image goes to the RAM below 3 GiB */
    if (n >= 0 && (o->load_addr >= ram || (uint64_t)n > ram - o->load_addr))
        n = -EFBIG;
    if (n >= 0) {
        if ((e = vm_open(&m->vm)) < 0)
            return fail_vm(&m->vm, e);
        /* Record mode models the PIT itself, on virtual time. */
        if (pc && (e = o->record ? vm_create_irqchip(&m->vm)
                                 : vm_create_pc_chips(&m->vm)) < 0)
            return fail_vm(&m->vm, e);
        if ((e = map_ram(m, o)) < 0)
            return fail_vm(&m->vm, e);
        n = loader_load_file(&m->mem, o->image, o->load_addr);
    }
    if (n < 0) {
        const char *why = n == -ENODATA  ? "image is empty"
                          : n == -EFBIG  ? "image is larger than guest RAM "
                                           "(see --mem)"
                          : n == -EINVAL ? "not a regular file"
                                         : strerror((int)-n);
        fprintf(stderr, "vmm: %s: %s\n", o->image, why);
        return EXIT_USAGE;
    }
    if ((e = create_vcpus(m)) == -E2BIG)
        return EXIT_USAGE;
    if (e < 0 || (e = vcpu_reset_real_mode(&m->vcpus[0])) < 0)
        return fail_vm(&m->vm, e);
    if (o->entry_set || o->load_set) {
        uint16_t cs =
            o->entry_set ? o->entry_cs : (uint16_t)(o->load_addr >> 4);
        uint16_t ip =
            o->entry_set ? o->entry_ip : (uint16_t)(o->load_addr & 15);
        if ((e = firmware_start(&m->vcpus[0], cs, (uint32_t)cs << 4, ip)) < 0)
            return fail_vm(&m->vm, e);
    }
    return wire_machine(m, o, stdout_closed);
}

/* A boot disk; its errors are the user's (exit status 2). */
static int open_disk(struct disk *d, const char *path, bool floppy, bool ro)
{
    int e = disk_open(d, path, floppy, ro);

    if (e == 0)
        return EXIT_OK;
    fprintf(stderr, "vmm: %s %s: %s\n", floppy ? "--floppy" : "--drive", path,
            d->err ? d->err : strerror(-e));
    return EXIT_USAGE;
}

/*
 * --drive/--floppy: the built-in BIOS from its reset vector F000:FFF0
 * (CS base F0000, where its image is); --bios FILE: that firmware from
 * the architectural reset state, CS base FFFF0000.
 */
static int build_boot(struct machine *m, const struct cli_opts *o,
                      bool stdout_closed)
{
    int e;

    if ((o->floppy &&
         (e = open_disk(&m->floppy, o->floppy, true, o->floppy_ro))) ||
        (o->drive && (e = open_disk(&m->hd, o->drive, false, o->drive_ro))))
        return e;
    if ((e = vm_open(&m->vm)) < 0 || (e = vm_create_pc_chips(&m->vm)) < 0 ||
        (e = map_ram(m, o)) < 0)
        return fail_vm(&m->vm, e);
    if (o->bios && (e = firmware_load(&m->fw, &m->vm, &m->mem, o->bios)) < 0) {
        if (m->vm.err_op && e != -EINVAL)
            return fail_vm(&m->vm, e);
        fprintf(stderr, "vmm: --bios %s: %s\n", o->bios,
                m->fw.err ? m->fw.err : strerror(-e));
        return EXIT_USAGE;
    }
    if ((e = create_vcpus(m)) == -E2BIG)
        return EXIT_USAGE;
    if (e < 0 || (e = firmware_start(&m->vcpus[0], 0xf000,
                                     o->bios ? 0xffff0000u : BIOS_GPA,
                                     BIOS_RESET_IP)) < 0)
        return fail_vm(&m->vm, e);
    e = wire_machine(m, o, stdout_closed);
    /* The firmware's window below 1 MiB is its own, not the board's
     * ACPI tables (it brings its own). */
    if (e == EXIT_OK && o->bios && firmware_copy_low(&m->fw, &m->mem) < 0)
        return fail_errno("--bios", -EFAULT);
    return e;
}

/* The console, the devices and the run loop, once RAM and vCPU are set. */
static int wire_machine(struct machine *m, const struct cli_opts *o,
                        bool stdout_closed)
{
    bool pc = o->machine == CLI_MACHINE_PC;
    int e;

    pio_init(&m->bus);
    m->console.fd = stdout_closed ? -1 : STDOUT_FILENO;
    m->console.wake_fd[0] = m->quit_fd;
    m->console.wake_fd[1] = m->io_fd;
    if (m->threaded) {
        /*
         * The vCPU threads do the device I/O; the coordinator takes the
         * machine's signals, and ends a console wait with a stop-all.
         */
        e = smp_init(&m->smp, m->ncpus, o->gdb != NULL, pc ? m->event_sig : 0,
                     board_poll, &m->board);
        if (e < 0)
            return fail_errno(m->smp.err_op, e);
        m->console.wake_fd[1] = m->smp.stop_fd;
    }
    /*
     * A pipe, terminal or socket can fill up; SIGTERM and a debugger's
     * Ctrl-C must still be heard while the reader stalls. A pipe or
     * terminal is written through a private non-blocking open file
     * description of it (the shell's own stays blocking). A socket cannot
     * be reopened (open(2) on it fails with ENXIO): it gets send(2) with
     * MSG_DONTWAIT instead, leaving the shared description's flags alone.
     */
    struct stat st;
    if (!stdout_closed && fstat(STDOUT_FILENO, &st) == 0) {
        if (S_ISSOCK(st.st_mode)) {
            m->console.is_socket = true;
        } else if (!S_ISREG(st.st_mode)) {
            int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                m->out_fd = fd;
                m->console.fd = fd;
            }
        }
    }
    m->board.ncpus = m->ncpus;
    if (pc && o->pit_discard && (e = vm_set_pit_reinject(&m->vm, false)) < 0)
        return fail_vm(&m->vm, e);
    if (pc && o->serial_file) {
        m->serial_fd = open(o->serial_file,
                            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (m->serial_fd < 0) {
            fprintf(stderr, "vmm: --serial file:%s: %s\n", o->serial_file,
                    strerror(errno));
            return EXIT_USAGE;
        }
        m->serial_con = (struct pio_console){.fd = m->serial_fd,
                                             .wake_fd = {m->quit_fd, m->io_fd}};
        m->serial_con.wake_fd[1] = m->console.wake_fd[1]; /* see above */
        m->board.uart_con = &m->serial_con;
    }
    m->board.no_uart = o->serial_none;
    m->board.virtual_time = pc && o->record;
    e = pc ? board_wire_pc(&m->board, &m->vm, &m->mem, &m->map, &m->bus,
                           &m->console, &m->power)
           : board_wire_bare(&m->board, &m->bus, &m->console, &m->power);
    if (e == 0 && o->kernel)
        e = board_wire_bios_kernel(&m->board, &m->mem, &m->map, &m->bus,
                                   &m->console, &m->power);
    if (e == 0 && pc && (o->drive || o->floppy))
        e = board_wire_bios(&m->board, &m->mem, &m->map, &m->bus, &m->console,
                            &m->power, o->floppy ? &m->floppy : NULL,
                            o->drive ? &m->hd : NULL);
    if (e < 0)
        return fail_errno("wiring the devices", e);
    /*
     * Record mode: the timers run on virtual time (board_advance), and
     * the recorder takes stdin's bytes into COM1 itself (logged).
     */
    bool host_inputs = pc && !o->record;
    if (host_inputs && (e = board_start_timer(&m->board, m->event_sig)) < 0)
        return fail_errno("timer_create", e);
    if (pc && (e = board_attach_stdin(&m->board, m->event_sig)) < 0)
        fprintf(stderr,
                "vmm: warning: stdin: %s: the guest's serial port "
                "gets no input\n",
                strerror(-e));
    struct run_config rc = {.hlt_sleep_ms = o->hlt_sleep_ms,
                            .max_halts = o->max_halts,
                            .verbose = o->verbose,
                            .kernel_hlt = host_inputs,
                            .power = &m->power};
    if (pc && o->record) {
        /* A HLT is stepped over by the VMM (record.h), never paused. */
        rc.hlt_sleep_ms = 0;
        rc.max_halts = 0;
    }
    if (pc) {
        rc.events = (struct run_events){
            .signo = m->event_sig, .poll = board_poll, .ctx = &m->board};
        rc.mmio = (struct run_mmio){.fn = board_mmio, .ctx = &m->board};
        rc.sleep = (struct run_sleep){.enter = board_sleep_enter,
                                      .wake = board_sleep_wake,
                                      .ctx = &m->board};
    }
    if (m->threaded) {
        rc.kick_signo = SMP_SIG_KICK;
        rc.dev_lock = &m->smp.dev_lock;
        rc.events.signo = 0; /* the coordinator takes it */
        /*
         * S3 resumes one vCPU at the waking vector; with several, the
         * others' state would need saving too (not modelled): a sleep
         * request ends the machine, as it did before S3 was.
         */
        rc.sleep = (struct run_sleep){0};
    }
    for (unsigned i = 0; i < m->ncpus; i++)
        if ((e = run_init(&m->runners[i], &m->vcpus[i], &m->mem, &m->bus,
                          &rc)) < 0)
            return fail_vm(&m->vm, e);
    if (m->threaded && (e = smp_start(&m->smp, m->runners)) < 0)
        return fail_errno(m->smp.err_op, e);
    m->sm = (struct snap_machine){.vm = &m->vm,
                                  .mem = &m->mem,
                                  .vcpu = m->vcpus,
                                  .nr_vcpus = m->ncpus,
                                  .board = &m->board,
                                  .runner = &m->runners[0],
                                  .smp = m->threaded ? &m->smp : NULL,
                                  .pc = pc};
    /* Snapshots record the boot disks' identity (snapdisk.h). */
    if (o->floppy)
        m->sm.disk_path[m->sm.nr_disks++] = o->floppy;
    if (o->drive)
        m->sm.disk_path[m->sm.nr_disks++] = o->drive;
    if (m->restore && (e = snap_restore(&m->sm, m->restore)) < 0) {
        if (m->sm.why[0])
            fprintf(stderr, "vmm: --restore %s: %s\n", o->restore, m->sm.why);
        else
            fprintf(stderr, "vmm: --restore %s: %s: %s\n", o->restore,
                    m->sm.err_op ? m->sm.err_op : "KVM", strerror(-e));
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static void destroy_machine(struct machine *m)
{
    if (m->out_fd >= 0)
        close(m->out_fd);
    m->out_fd = -1;
    if (m->threaded)
        smp_destroy(&m->smp);
    if (m->serial_fd >= 0)
        close(m->serial_fd);
    m->serial_fd = -1;
    board_destroy(&m->board);
    for (unsigned i = 0; m->vcpus && i < m->ncpus; i++)
        vcpu_destroy(&m->vcpus[i]);
    free(m->vcpus);
    free(m->runners);
    m->vcpus = NULL;
    m->runners = NULL;
    mem_unmap(&m->mem);
    vm_close(&m->vm);
    firmware_unmap(&m->fw);
    disk_close(&m->floppy);
    disk_close(&m->hd);
}

/*
 * A boot disk reads keys from stdin: a terminal goes raw (every key to the
 * guest) with the escape Ctrl-A x to quit.
 */
static void raw_keys(struct machine *m)
{
    int e;

    if (!m->board.has_bios || m->board.bios.kbd_fd < 0)
        return;
    e = term_raw(&m->term, STDIN_FILENO);
    if (e < 0)
        fprintf(stderr, "vmm: warning: stdin: raw mode: %s\n", strerror(-e));
    if (e > 0) {
        bios_set_escape(&m->board.bios, true);
        fprintf(stderr, "vmm: keys go to the guest; Ctrl-A x quits\r\n");
    }
}

/* After the run: int 18h's verdict, the text screen (--screen). */
static void report_boot(struct machine *m, const struct cli_opts *o)
{
    static char screen[(VGA_COLS + 1) * VGA_ROWS + 1];

    if (m->board.has_bios && m->board.bios.no_boot)
        fprintf(stderr, "vmm: no bootable device (int 18h)\n");
    if (o->screen && m->mem.host != MAP_FAILED &&
        vga_dump(&m->mem, screen, sizeof(screen)) >= 0)
        fprintf(stderr, "vmm: screen:\n%s", screen);
}

/*
 * The exit status a device asked for: isa-debug-exit's own, 0 for a reset
 * (there is no reboot: QEMU -no-reboot), a power-off, or an S3 sleep the
 * guest cannot be woken from (no waking vector: said on stderr).
 */
static int power_status(const struct power *p)
{
    if (p->req == POWER_SLEEP)
        fprintf(stderr, "vmm: the guest went to ACPI S3 sleep without a "
                        "waking vector: ending\n");
    return p->req == POWER_EXIT ? p->status : EXIT_OK;
}

/*
 * One run of the boot vCPU alone (the APs wait for their SIPI): in its
 * thread when the machine is threaded. Returns 0 with *res, or -errno.
 */
static int boot_run(struct machine *m, struct run_result *res)
{
    if (!m->threaded)
        return run_vcpu(&m->runners[0], RUN_CONT, res);
    enum smp_mode *modes = calloc(m->ncpus, sizeof(*modes));
    struct smp_result sr;
    int e;

    if (!modes)
        return -ENOMEM;
    modes[0] = SMP_CONT; /* the others SMP_STAY (0) */
    for (;;) {
        if ((e = smp_run(&m->smp, modes, &sr)) < 0)
            break;
        if (sr.first == 0) {
            e = m->smp.cpu[0].err;
            *res = m->smp.cpu[0].res;
            break;
        }
        if (sr.quit) {
            *res = (struct run_result){.stop = RUN_STOP_SIGNAL, .quit = true};
            break;
        }
    }
    free(modes);
    return e;
}

/*
 * --kernel: run the BIOS's POST until its int 19h asks for the kernel,
 * then enter it in the Multiboot state. Before any debugger is served,
 * so gdb still stops on the kernel's first instruction. Returns EXIT_OK
 * to go on, or the VMM's exit status.
 */
static int boot_kernel(struct machine *m)
{
    struct run_result res;
    const struct mb_entry *k = &m->kernel_entry;
    int e;

    if (!m->kernel_pending)
        return EXIT_OK;
    while (m->kernel_pending) {
        if ((e = boot_run(m, &res)) < 0)
            return fail_vm(&m->vm, e);
        switch (res.stop) {
        case RUN_STOP_POWER:
            if (res.power != POWER_BOOT)
                return power_status(&m->runners[0].taken);
            m->kernel_pending = false;
            break;
        case RUN_STOP_SIGNAL:
            if (res.quit)
                return EXIT_OK;
            break;
        case RUN_STOP_CRASH:
            fprintf(stderr, "vmm: the BIOS crashed before the kernel\n");
            report_crash(m, 0);
            return EXIT_RUNTIME;
        case RUN_STOP_OUTPUT_CLOSED:
            return EXIT_OK;
        case RUN_STOP_HALTED:
        case RUN_STOP_DEBUG:
            break;
        }
    }
    if ((e = vcpu_reset_flat32(&m->vcpus[0], k->eip, k->eax, k->ebx)) < 0)
        return fail_vm(&m->vm, e);
    return EXIT_OK;
}

/* One vCPU's stop as run_plain acts on it: 1 go on, else the status. */
static int plain_stop(struct machine *m, unsigned cpu,
                      const struct run_result *res, int *status)
{
    switch (res->stop) {
    case RUN_STOP_HALTED:
    case RUN_STOP_OUTPUT_CLOSED:
        *status = EXIT_OK;
        return 0;
    case RUN_STOP_SIGNAL:
        if (res->quit) {
            *status = EXIT_OK;
            return 0;
        }
        return 1;
    case RUN_STOP_CRASH:
        report_crash(m, cpu);
        *status = EXIT_RUNTIME;
        return 0;
    case RUN_STOP_POWER:
        *status = power_status(&m->runners[cpu].taken);
        return 0;
    case RUN_STOP_DEBUG:
        break; /* no debugger: nothing asked for this; go on */
    }
    return 1;
}

/* Every vCPU in its thread until one ends the machine or a signal. */
static int run_plain_smp(struct machine *m)
{
    enum smp_mode *modes = calloc(m->ncpus, sizeof(*modes));
    struct smp_result sr;
    int status = EXIT_OK;

    if (!modes)
        return fail_errno("allocate", -ENOMEM);
    for (unsigned i = 0; i < m->ncpus; i++)
        modes[i] = SMP_CONT;
    for (;;) {
        int e = smp_run(&m->smp, modes, &sr);
        if (e < 0) {
            status = fail_errno(m->smp.err_op, e);
            break;
        }
        if (sr.first >= 0) {
            const struct smp_cpu *c = &m->smp.cpu[sr.first];
            if (c->err < 0) {
                status = fail_vm(&m->vm, c->err);
                break;
            }
            if (plain_stop(m, (unsigned)sr.first, &c->res, &status) == 0)
                break;
        }
        if (sr.quit) {
            status = EXIT_OK;
            break;
        }
    }
    free(modes);
    return status;
}

static int run_plain(struct machine *m)
{
    struct run_result res;

    if (m->threaded)
        return run_plain_smp(m);
    for (;;) {
        int e = run_vcpu(&m->runners[0], RUN_CONT, &res);
        if (e < 0)
            return fail_vm(&m->vm, e);
        switch (res.stop) {
        case RUN_STOP_HALTED:
        case RUN_STOP_OUTPUT_CLOSED:
            return EXIT_OK;
        case RUN_STOP_SIGNAL:
            if (res.quit)
                return EXIT_OK;
            break;
        case RUN_STOP_CRASH:
            report_crash(m, 0);
            return EXIT_RUNTIME;
        case RUN_STOP_POWER:
            return power_status(&m->runners[0].taken);
        case RUN_STOP_DEBUG:
            break; /* no debugger: nothing asked for this; go on */
        }
    }
}

static int run_gdb(struct machine *m, const struct cli_opts *o)
{
    static const enum gdb_bp_mechanism mech[] = {
        [CLI_MECH_AUTO] = GDB_BP_AUTO,
        [CLI_MECH_INT3] = GDB_BP_INT3,
        [CLI_MECH_DR] = GDB_BP_DR,
        [CLI_MECH_STEP] = GDB_BP_STEP,
    };
    struct probe_result caps;
    struct dbg dbg;
    struct gdb_srv srv;
    struct snapmon snaps;
    struct rec rec = {0};
    char err[256];
    int ret = EXIT_RUNTIME, e;

    gdb_srv_init(&srv);
    e = probe_host(&caps);
    if (e < 0)
        return fail_errno(caps.err_op ? caps.err_op : "probe", e);
    if ((e = dbg_init(&dbg, m->runners, m->ncpus, m->threaded ? &m->smp : NULL,
                      &caps)) < 0)
        return fail_errno("gdb session", e);
    dbg.map = &m->map;
    dbg.fw = &m->fw;
    dbg.console = &m->console;
    /*
     * Watchpoints by page protection where this host's KVM makes writes to
     * read-only slots and reads of holes exit (and can step code out of a
     * hole): one vCPU (the layout is the VM's), not in record mode (which
     * steps everything and keeps the slots for dirty logging).
     */
    struct pagewatch pw;
    struct run_mmio plain_mmio = m->runners[0].cfg.mmio;
    if (m->ncpus == 1 && !o->record && caps.ro_write_exits &&
        caps.hole_read_exits && caps.singlestep) {
        pagewatch_init(&pw, &m->vm, &m->mem, plain_mmio);
        m->runners[0].cfg.mmio =
            (struct run_mmio){.fn = pagewatch_mmio, .ctx = &pw};
        dbg.pw = &pw;
    }
    snapmon_init(&snaps, &m->sm);
    dbg.snaps = &snaps;
    if (o->record) {
        e = rec_init(&rec, &m->sm, &m->runners[0], &m->console, o->record);
        if (e < 0) {
            rec_destroy(&rec);
            snapmon_destroy(&snaps);
            return fail_errno(rec.err_op ? rec.err_op : "record mode", e);
        }
        dbg.rec = &rec;
        snaps.rec = &rec;
    }
    /* Record mode steps everything: breakpoints are checked per step. */
    struct gdb_cmd_config cfg = {.mechanism = o->record ? GDB_BP_STEP
                                                        : mech[o->mechanism]};
    struct gdb_cmd *cmd = gdb_cmd_new(&dbg_target_ops, &dbg, &cfg);
    if (!cmd) {
        rec_destroy(&rec);
        snapmon_destroy(&snaps);
        if (errno == EINVAL) {
            static const char *const names[] = {"auto", "int3", "dr", "step"};
            fprintf(stderr,
                    "vmm: --debug-mechanism %s: this host's KVM cannot do "
                    "it (int3 intercepted: %s, debug-register breakpoints: "
                    "%s, single-step: %s); use auto, or see vmm "
                    "--host-info\n",
                    names[o->mechanism], caps.sw_bp ? "yes" : "no",
                    caps.hw_bp ? "yes" : "no", caps.singlestep ? "yes" : "no");
            ret = EXIT_USAGE;
        } else {
            ret = fail_errno("gdb session", -errno);
        }
        dbg_destroy(&dbg);
        m->runners[0].cfg.mmio = plain_mmio;
        return ret;
    }
    if (o->gdb_nowait)
        gdb_cmd_detach(cmd); /* no breakpoints yet: the guest runs freely */
    e = gdb_srv_listen(&srv, o->gdb, err, sizeof(err));
    if (e < 0) {
        fprintf(stderr, "vmm: --gdb %s: %s\n", o->gdb, err);
        ret = EXIT_USAGE;
        goto out;
    }
    if (!gdb_srv_is_loopback(&srv))
        fprintf(stderr,
                "vmm: warning: the GDB stub listens on %s, not loopback: "
                "anyone who can reach it controls the guest\n",
                gdb_srv_address(&srv));
    /* gdb takes a Unix socket by its bare path. */
    const char *addr = gdb_srv_address(&srv);
    fprintf(stderr, "vmm: %s on %s (gdb -ex 'target remote %s')\n",
            o->gdb_nowait ? "the guest runs; gdb may attach"
                          : "waiting for gdb",
            addr, strncmp(addr, "unix:", 5) ? addr : addr + 5);
    e = gdb_srv_serve(&srv, cmd, m->quit_fd);
    if (e < 0) {
        /* The server names its own failures; the rest are KVM's. */
        ret = srv.err_op ? fail_errno(srv.err_op, e) : fail_vm(&m->vm, e);
        goto out;
    }
    switch (e) {
    case GDB_SRV_CRASHED:
        report_crash(m, dbg.crash_cpu);
        ret = EXIT_RUNTIME;
        break;
    case GDB_SRV_EXITED:
        /* gdb was told W with the same status. */
        ret = power_status(&m->runners[dbg.power_cpu].taken);
        break;
    default:
        ret = EXIT_OK;
        break;
    }
out:
    /* The console must not write to a server that is gone. */
    dbg_set_console_sink(&dbg, NULL);
    gdb_srv_close(&srv);
    gdb_cmd_free(cmd);
    rec_destroy(&rec);
    snapmon_destroy(&snaps);
    dbg_destroy(&dbg);
    m->runners[0].cfg.mmio = plain_mmio; /* pw goes with this frame */
    return ret;
}

/*
 * QEMU's -cpu max,+FEAT,-FEAT: each flag must already be as the host's
 * KVM offers it (kvmstub does not edit CPUID). Without /dev/kvm the
 * machine's own start reports that.
 */
static int check_cpu(const struct cli_opts *o)
{
    struct vm v = {.fd = -1, .kvm_fd = -1};
    struct kvm_cpuid2 *t;
    char err[256];
    int e, ret = EXIT_OK;

    if (!o->ncpu_feat)
        return EXIT_OK;
    v.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (v.kvm_fd < 0)
        return EXIT_OK;
    e = vcpu_supported_cpuid(&v, &t);
    close(v.kvm_fd);
    if (e < 0)
        return fail_vm(&v, e);
    if (qemu_cpu_check(o, t, err, sizeof(err)) < 0) {
        fprintf(stderr, "vmm: %s\n", err);
        ret = EXIT_USAGE;
    }
    free(t);
    return ret;
}

int main(int argc, char **argv)
{
    struct cli_opts o;
    struct machine m = {
        .quit_fd = -1,
        .out_fd = -1,
        .io_fd = -1,
        .serial_fd = -1,
        .vm = {.fd = -1, .kvm_fd = -1},
        .mem = {.host = MAP_FAILED},
        .smp = {.stop_fd = -1},
    };
    char err[256];
    int ret;

    board_init(&m.board);
    disk_init(&m.floppy);
    disk_init(&m.hd);
    firmware_init(&m.fw);
    term_init(&m.term);
    switch (cli_parse(argc, argv, &o, err, sizeof(err))) {
    case CLI_HELP:
        fputs(cli_usage(), stdout);
        return EXIT_OK;
    case CLI_VERSION: {
        /* Named as invoked: kvmstub installed, vmm in the build tree. */
        const char *slash = argv[0] ? strrchr(argv[0], '/') : NULL;
        const char *name = slash ? slash + 1 : argv[0] ? argv[0] : "kvmstub";
        if (strcmp(name, "kvmstub"))
            printf("%s (kvmstub) %s\n", name, VMM_VERSION);
        else
            printf("kvmstub %s\n", VMM_VERSION);
        return EXIT_OK;
    }
    case CLI_QEMU_DEVICES:
        fputs(qemu_cli_devices(), stdout);
        return EXIT_OK;
    case CLI_QEMU_MACHINES:
        fputs(qemu_cli_machines(), stdout);
        return EXIT_OK;
    case CLI_USAGE_ERROR:
        /* One line in QEMU's spelling, as QEMU says it: kvm-unit-tests
         * shows a refused test's last stderr line as its reason. */
        fprintf(stderr, "vmm: %s\n", err);
        if (!o.qemu_spelling)
            fputs("Try 'vmm --help' for more information.\n", stderr);
        return EXIT_USAGE;
    case CLI_HOST_INFO:
        return host_info();
    case CLI_RUN:
        break;
    }

    /*
     * Keep fds 0-2 taken so that /dev/kvm or a socket never lands on them:
     * guest bytes written to "stdout" must not go into another file. A
     * stdout closed at start stays unusable (writes fail with EBADF).
     */
    bool stdout_closed = false;
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        if (fd == STDOUT_FILENO)
            stdout_closed = true;
        if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
            return fail_errno("open /dev/null", -errno);
    }
    /* A closed stdout must be an EPIPE we can act on, not a kill. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return fail_errno("signal", -errno);
    /*
     * SIGINT and SIGTERM stay blocked: they are read through a signalfd
     * wherever the VMM waits on fds, and with sigtimedwait after KVM_RUN
     * and in HLT pauses (run.c).
     */
    sigset_t quit;
    sigemptyset(&quit);
    sigaddset(&quit, SIGINT);
    sigaddset(&quit, SIGTERM);
    /* The event signal is taken in the run loop only (sigtimedwait). */
    m.event_sig = SIGRTMIN + 1;
    sigset_t block = quit;
    sigaddset(&block, m.event_sig);
    if (sigprocmask(SIG_BLOCK, &block, NULL) < 0)
        return fail_errno("sigprocmask", -errno);
    m.quit_fd = signalfd(-1, &quit, SFD_CLOEXEC | SFD_NONBLOCK);
    if (m.quit_fd < 0)
        return fail_errno("signalfd", -errno);
    if (o.gdb) {
        /* So that a debugger's Ctrl-C ends a wait on a full stdout. */
        sigset_t io;
        sigemptyset(&io);
        sigaddset(&io, SIGIO);
        if (sigprocmask(SIG_BLOCK, &io, NULL) < 0)
            return fail_errno("sigprocmask", -errno);
        m.io_fd = signalfd(-1, &io, SFD_CLOEXEC | SFD_NONBLOCK);
        if (m.io_fd < 0)
            return fail_errno("signalfd", -errno);
    }
    ret = check_cpu(&o);
    struct snap restore;
    if (ret == EXIT_OK && o.restore) {
        char why[256];
        if (snap_file_read(o.restore, &restore, why, sizeof(why)) < 0) {
            fprintf(stderr, "vmm: --restore %s: %s\n", o.restore, why);
            ret = EXIT_USAGE;
            goto out;
        }
        m.restore = &restore;
        o.machine =
            restore.machine == SNAP_PC ? CLI_MACHINE_PC : CLI_MACHINE_BARE;
        o.mem_size = restore.mem_size;
        const char *bad = NULL;
        if (o.machine == CLI_MACHINE_PC &&
            (o.max_halts || o.hlt_sleep_ms != CLI_DEFAULT_HLT_SLEEP))
            bad = "--hlt-sleep and --max-halts are for the bare machine; "
                  "the snapshot is of a pc";
        if (o.machine == CLI_MACHINE_PC && o.mem_size < MEMMAP_PC_MIN_RAM)
            bad = "the snapshot is of a pc with less than 2M of RAM";
        if (o.machine == CLI_MACHINE_PC && o.record)
            bad = "--record on the pc machine starts from an image (its "
                  "PIT is not KVM's then); the snapshot is of a pc";
        /* The vCPU count comes from the file; --smp, if given, agrees. */
        char smp_why[128];
        if (o.smp_set && o.smp != restore.nr_vcpus) {
            snprintf(smp_why, sizeof(smp_why),
                     "the snapshot has %u vCPU(s), --smp says %u",
                     restore.nr_vcpus, o.smp);
            bad = smp_why;
        }
        if (o.record && restore.nr_vcpus > 1)
            bad = "--record knows one vCPU; the snapshot has several";
        o.smp = restore.nr_vcpus;
        if (bad) {
            fprintf(stderr, "vmm: --restore %s: %s\n", o.restore, bad);
            snap_free(&restore);
            ret = EXIT_USAGE;
            goto out;
        }
    }
    m.ncpus = o.smp;
    m.threaded = o.smp > 1;
    m.vcpus = calloc(m.ncpus, sizeof(*m.vcpus));
    m.runners = calloc(m.ncpus, sizeof(*m.runners));
    if (!m.vcpus || !m.runners) {
        free(m.vcpus);
        free(m.runners);
        ret = fail_errno("allocate the vCPUs", -ENOMEM);
        m.vcpus = NULL;
        m.runners = NULL;
        if (m.restore)
            snap_free(m.restore);
        goto out;
    }
    for (unsigned i = 0; i < m.ncpus; i++)
        m.vcpus[i] = (struct vcpu){.fd = -1, .run = MAP_FAILED};
    if (ret == EXIT_OK)
        ret = build_machine(&m, &o, stdout_closed);
    if (m.restore)
        snap_free(m.restore);
    if (ret == EXIT_OK)
        raw_keys(&m);
    if (ret == EXIT_OK)
        ret = boot_kernel(&m);
    if (ret == EXIT_OK)
        ret = o.gdb ? run_gdb(&m, &o) : run_plain(&m);
    term_restore(&m.term);
    report_boot(&m, &o);
out:
    destroy_machine(&m);
    close(m.quit_fd);
    if (m.io_fd >= 0)
        close(m.io_fd);
    return ret;
}
