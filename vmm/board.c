#include "board.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot/memmap.h"
#include "hw/mptable.h"
#include "mem.h"
#include "pio.h"
#include "vm.h"

void board_init(struct board *b)
{
    *b = (struct board){.in_fd = -1, .ncpus = 1};
    fwcfg_init(&b->fwcfg);
}

static int kvm_irq_set(void *ctx, uint32_t gsi, int level)
{
    return vm_irq_line(ctx, gsi, level);
}

/* The devices both machines have. */
static int wire_common(struct board *b, struct pio_bus *bus,
                       struct pio_console *con, struct power *power)
{
    int e;

    if ((e = pio_register(bus, PIO_PORT_CONSOLE, 1, pio_console_handler, con)) <
            0 ||
        (e = pio_set_flush(bus, PIO_PORT_CONSOLE, pio_console_flush)) < 0)
        return e;
    debugexit_init(&b->debugexit, power);
    return pio_register(bus, DEBUGEXIT_PORT, DEBUGEXIT_LEN, debugexit_io,
                        &b->debugexit);
}

int board_wire_bare(struct board *b, struct pio_bus *bus,
                    struct pio_console *con, struct power *power)
{
    return wire_common(b, bus, con, power);
}

/*
 * The UART's handler, noting that the guest may have made room in the
 * receive FIFO (so board_poll reads stdin again).
 */
static int uart_port(void *ctx, uint16_t port, bool is_write, uint8_t size,
                     uint32_t count, uint8_t *data)
{
    struct board *b = ctx;

    if (!is_write && port == UART_COM1_BASE)
        b->in_ready = true;
    return uart_io(&b->uart, port, is_write, size, count, data);
}

static int uart_flush_port(void *ctx)
{
    struct board *b = ctx;

    return uart_flush(&b->uart);
}

static int rtc_port(void *ctx, uint16_t port, bool is_write, uint8_t size,
                    uint32_t count, uint8_t *data)
{
    struct board *b = ctx;

    b->rtc_dirty = true;
    return rtc_io(&b->rtc, port, is_write, size, count, data);
}

/* Record mode's clocks: virtual time, as the recorder set it. */
static uint64_t vtime_clock(void *ctx)
{
    const struct board *b = ctx;

    return b->vtime_ns;
}

static int64_t vtime_utc(void *ctx)
{
    const struct board *b = ctx;

    return b->vtime_epoch + (int64_t)b->vtime_ns;
}

/*
 * Record mode: the PIT is ours, and every clock a guest can read is
 * virtual time. The RTC starts at the host's UTC time.
 */
static int wire_virtual_time(struct board *b, struct pio_bus *bus)
{
    struct timespec ts;
    int e;

    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return -errno;
    b->vtime_ns = 0;
    b->vtime_epoch = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    rtc_set_clock(&b->rtc, vtime_utc, b);
    b->acpi.clock_ns = vtime_clock;
    b->acpi.clock_ctx = b;
    b->acpi.epoch_ns = 0;
    if ((e = pit_init(&b->pit, &b->irq, vtime_clock, b)) < 0 ||
        (e = pio_register(bus, PIT_PORT_BASE, PIT_NR_PORTS, pit_io, &b->pit)) <
            0 ||
        (e = pio_register(bus, PIT_PORT_61, 1, pit_io, &b->pit)) < 0)
        return e;
    return 0;
}

int board_advance(struct board *b, uint64_t vtime_ns)
{
    int e;

    if (!b->virtual_time)
        return 0;
    b->vtime_ns = vtime_ns;
    if ((e = pit_advance(&b->pit)) < 0)
        return e;
    return rtc_tick(&b->rtc);
}

int board_next_event_ns(const struct board *b, uint64_t *ns)
{
    uint64_t p = 0;
    int64_t r = 0;
    int has_p, has_r;

    if (!b->virtual_time)
        return 0;
    has_p = pit_next_event_ns(&b->pit, &p) == 1;
    has_r = rtc_next_event_ns(&b->rtc, &r) == 1 && r >= 0;
    if (!has_p && !has_r)
        return 0;
    *ns = has_p && (!has_r || p <= (uint64_t)r) ? p : (uint64_t)r;
    return 1;
}

/* Firmware tables: ACPI in the reserved area below 1 MiB, fw_cfg keys. */
static int write_tables(struct board *b, struct mem *mem,
                        const struct memmap *map)
{
    uint8_t *area = mem_gpa_to_hva(mem, BOARD_ACPI_GPA, BOARD_ACPI_LEN);
    struct acpi_config ac = {.ncpus = b->ncpus,
                             .pm_base = ACPI_PM_BASE_DEFAULT,
                             .sci_irq = ACPI_SCI_IRQ_DEFAULT};
    uint64_t rsdp;
    int e;

    if (!area)
        return -EFAULT;
    /* The MP configuration table takes the last BOARD_MP_LEN bytes. */
    if ((e = acpi_build(area, BOARD_ACPI_GPA, BOARD_ACPI_LEN - BOARD_MP_LEN,
                        &ac, &rsdp)) < 0)
        return e;
    uint8_t *fp = mem_gpa_to_hva(mem, MPTABLE_FLOAT_GPA, MPTABLE_FLOAT_LEN);
    if (!fp)
        return -EFAULT;
    if ((e = mptable_build(fp, area + BOARD_ACPI_LEN - BOARD_MP_LEN,
                           BOARD_ACPI_GPA + BOARD_ACPI_LEN - BOARD_MP_LEN,
                           BOARD_MP_LEN, b->ncpus)) < 0)
        return e;
    uint64_t ram = memmap_ram_between(map, 0, UINT64_MAX);
    return fwcfg_add_pc_keys(&b->fwcfg, b->ncpus, ram, 0);
}

int board_wire_pc(struct board *b, struct vm *vm, struct mem *mem,
                  const struct memmap *map, struct pio_bus *bus,
                  struct pio_console *con, struct power *power)
{
    int e;

    b->pc = true;
    b->vm = vm;
    b->mem = mem;
    b->irq = (struct irq_line){.set = kvm_irq_set, .ctx = vm};
    if ((e = wire_common(b, bus, con, power)) < 0)
        return e;
    debugcon_init(&b->debugcon, con);
    if ((e = uart_init(&b->uart, b->uart_con ? b->uart_con : con, &b->irq,
                       UART_COM1_GSI)) < 0 ||
        (e = rtc_init(&b->rtc, map, &b->irq, RTC_GSI)) < 0 ||
        (e = reset_init(&b->reset, power)) < 0 ||
        (e = pci_init(&b->pci, power)) < 0 ||
        (e = acpi_pm_init(&b->acpi, ACPI_PM_BASE_DEFAULT, power, &b->irq,
                          ACPI_SCI_IRQ_DEFAULT)) < 0 ||
        (e = testdev_init(&b->testdev, &b->irq)) < 0 ||
        (e = write_tables(b, mem, map)) < 0 ||
        (b->virtual_time && (e = wire_virtual_time(b, bus)) < 0))
        return e;
    /* QEMU's isa-debugcon and pc-testdev both claim 0xe9; the console
     * wins here, and the testdev's byte window keeps 0xe8, 0xea-0xeb. */
    static const uint16_t td_low = DEBUGCON_PORT - TESTDEV_PORT_BASE;
    static const uint16_t td_high =
        TESTDEV_PORT_BASE + TESTDEV_PORT_LEN - DEBUGCON_PORT - 1;
    if ((e = pio_register(bus, DEBUGCON_PORT, 1, debugcon_io, &b->debugcon)) <
            0 ||
        (!b->no_uart && (e = pio_register(bus, UART_COM1_BASE, UART_NR_PORTS,
                                          uart_port, b)) < 0) ||
        (!b->no_uart &&
         (e = pio_set_flush(bus, UART_COM1_BASE, uart_flush_port)) < 0) ||
        (e = pio_register(bus, RESET_PORT_92, 1, reset_port92_io, &b->reset)) <
            0 ||
        (e = pio_register(bus, RESET_KBC_DATA, 1, reset_kbc_io, &b->reset)) <
            0 ||
        (e = pio_register(bus, RESET_KBC_CMD, 1, reset_kbc_io, &b->reset)) <
            0 ||
        (e = pio_register(bus, RTC_PORT_BASE, RTC_NR_PORTS, rtc_port, b)) < 0 ||
        (e = pio_register(bus, FWCFG_PORT_BASE, FWCFG_PORT_LEN, fwcfg_io,
                          &b->fwcfg)) < 0 ||
        (e = pio_register(bus, PCI_PORT_BASE, PCI_PORT_LEN, pci_io, &b->pci)) <
            0 ||
        (e = pio_register(bus, ACPI_PM_BASE_DEFAULT, ACPI_PM_PORTS, acpi_pm_io,
                          &b->acpi)) < 0 ||
        (e = pio_register(bus, TESTDEV_PORT_BASE, td_low, testdev_io,
                          &b->testdev)) < 0 ||
        (e = pio_register(bus, DEBUGCON_PORT + 1, td_high, testdev_io,
                          &b->testdev)) < 0 ||
        (e = pio_register(bus, TESTDEV_IRQ_BASE, TESTDEV_IRQ_LEN, testdev_io,
                          &b->testdev)) < 0)
        return e;
    return 0;
}

/* Make fd raise signo at this thread when it becomes readable. */
static int watch_fd(int fd, int signo)
{
    struct f_owner_ex owner = {.type = F_OWNER_TID, .pid = gettid()};
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETOWN_EX, &owner) < 0 ||
        fcntl(fd, F_SETSIG, signo) < 0 || fcntl(fd, F_SETFL, fl | O_ASYNC) < 0)
        return -errno;
    return 0;
}

/* Whether a read of fd would not block (data, end of file or an error). */
static bool is_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;

    do {
        n = poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    return n > 0;
}

int board_attach_stdin(struct board *b, int signo)
{
    struct stat st;
    int fd, e;

    if (!b->pc || b->in_fd >= 0 || (b->no_uart && !b->has_bios))
        return 0; /* nothing reads stdin */
    if (fstat(STDIN_FILENO, &st) < 0)
        return -errno;
    if (S_ISSOCK(st.st_mode)) {
        /* A socket cannot be reopened: share the description, blocking
         * as it is (board_poll reads only what poll says is there). */
        fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    } else {
        fd = open("/proc/self/fd/0",
                  O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    }
    if (fd < 0)
        return -errno;
    /* A regular file never signals, and never needs to: it is always
     * readable. */
    if (!S_ISREG(st.st_mode) && (e = watch_fd(fd, signo)) < 0) {
        close(fd);
        return e;
    }
    b->in_fd = fd;
    b->in_ready = true;
    if (b->has_bios)
        bios_set_input(&b->bios, fd);
    else if (!b->virtual_time) /* record mode feeds COM1 itself */
        uart_set_input(&b->uart, fd);
    return 0;
}

int board_take_input(struct board *b, uint8_t *buf, size_t cap)
{
    size_t room = uart_rx_room(&b->uart);
    ssize_t n;

    if (!b->virtual_time || b->in_fd < 0 || !b->in_ready || !room)
        return 0;
    if (cap > room)
        cap = room;
    if (!is_readable(b->in_fd)) {
        b->in_ready = false; /* the event signal says when there is more */
        return 0;
    }
    do {
        n = read(b->in_fd, buf, cap);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        /* Nothing after all, end of file, or a stdin that fails (as
         * board_poll: the guest just gets no more). */
        b->in_ready = false;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            close(b->in_fd);
            b->in_fd = -1;
        }
        return 0;
    }
    return (int)n;
}

int board_feed_input(struct board *b, const uint8_t *buf, size_t n)
{
    return uart_receive(&b->uart, buf, n);
}

int board_start_timer(struct board *b, int signo)
{
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID,
                          .sigev_signo = signo};

    if (!b->pc || b->has_timer)
        return 0;
    ev._sigev_un._tid = gettid();
    if (timer_create(CLOCK_MONOTONIC, &ev, &b->timer) < 0)
        return -errno;
    b->has_timer = true;
    b->rtc_dirty = true;
    return 0;
}

/* Tick the RTC if it is due and arm the timer for its next interrupt. */
static int service_rtc(struct board *b)
{
    struct itimerspec its = {0};
    int64_t ns = 0;
    int e;

    for (int i = 0; i < 4; i++) {
        if (rtc_next_event_ns(&b->rtc, &ns) != 1)
            ns = -1;
        if (ns != 0)
            break;
        if ((e = rtc_tick(&b->rtc)) < 0)
            return e;
    }
    if (ns == 0)
        ns = 1; /* still due after ticks: try again very soon */
    if (ns > 0) {
        its.it_value.tv_sec = ns / 1000000000;
        its.it_value.tv_nsec = ns % 1000000000;
    }
    if (timer_settime(b->timer, 0, &its, NULL) < 0)
        return -errno;
    return 0;
}

int board_poll(void *ctx, bool signalled)
{
    struct board *b = ctx;
    int e;

    if (!b->pc)
        return 0;
    if (signalled) {
        b->in_ready = true;
        if ((e = rtc_tick(&b->rtc)) < 0)
            return e;
        b->rtc_dirty = true;
    }
    if (b->has_timer && b->rtc_dirty) {
        b->rtc_dirty = false;
        if ((e = service_rtc(b)) < 0)
            return e;
    }
    while (b->in_ready && uart_wants_input(&b->uart)) {
        if (!is_readable(b->in_fd)) {
            b->in_ready = false;
            break;
        }
        int n = uart_poll_input(&b->uart);
        if (n < 0) {
            /* A stdin that fails (EIO: a background job's terminal) is
             * as good as ended: the guest must not die of it. */
            uart_set_input(&b->uart, -1);
            b->in_ready = false;
            break;
        }
        if (n == 0)
            b->in_ready = false; /* nothing waiting (or end of file) */
    }
    return 0;
}

int board_mmio(void *ctx, uint64_t gpa, bool is_write, uint32_t len,
               uint8_t *data)
{
    struct board *b = ctx;

    if (b->pc && gpa >= TESTDEV_IOMEM_BASE &&
        gpa - TESTDEV_IOMEM_BASE < TESTDEV_IOMEM_LEN)
        return testdev_mmio(&b->testdev, gpa, is_write, len, data) == 0;
    return 0;
}

int board_sleep_enter(void *ctx, int64_t *wake_ns)
{
    struct board *b = ctx;
    int e;

    if ((e = rtc_tick(&b->rtc)) < 0)
        return e;
    return rtc_next_event_ns(&b->rtc, wake_ns) == 1;
}

int board_sleep_wake(void *ctx, uint16_t *cs, uint16_t *ip)
{
    struct board *b = ctx;
    const uint8_t *area =
        mem_gpa_to_hva(b->mem, BOARD_ACPI_GPA, BOARD_ACPI_LEN);
    uint32_t vec;
    int e;

    if ((e = rtc_tick(&b->rtc)) < 0 ||
        (e = acpi_pm_wake(&b->acpi, ACPI_PM1_RTC)) < 0)
        return e;
    if (!area || acpi_waking_vector(area, BOARD_ACPI_LEN, &vec) < 0 ||
        vec > 0xfffff)
        return 0;
    /* ACPI 6.4, 5.2.10: in real mode at CS = vector >> 4, IP = & 0xf. */
    *cs = (uint16_t)(vec >> 4);
    *ip = (uint16_t)(vec & 0xf);
    return 1;
}

void board_destroy(struct board *b)
{
    if (b->has_timer)
        timer_delete(b->timer);
    b->has_timer = false;
    if (b->in_fd >= 0)
        close(b->in_fd);
    b->in_fd = -1;
    fwcfg_destroy(&b->fwcfg);
}
