#ifndef VMM_BOARD_H
#define VMM_BOARD_H

/*
 * Which device sits where: the machine assembly for the bare and the pc
 * machines. The board owns every device's state and registers each on the
 * port bus; the run loop only sees the bus, the power requests and the
 * board's event and MMIO hooks (board_poll, board_mmio).
 *
 * bare: 0xf1 console, 0xf4-0xf7 isa-debug-exit.
 * pc:   the same, plus
 *   0x20-0x21, 0xa0-0xa1  8259 PICs       (in the kernel)
 *   0x40-0x43             8254 PIT        (in the kernel), IRQ 0; with
 *                         virtual_time ours (pit.h), 0x61 too
 *   0x60, 0x64            8042 keyboard controller (minimum: reset)
 *   0x70-0x71             MC146818 RTC and CMOS, IRQ 8
 *   0x92                  port 92 fast reset
 *   0x3f8-0x3ff           16550A COM1, IRQ 4, stdin -> receive
 *   0x510-0x511           fw_cfg
 *   0xcf8-0xcff           PCI config mechanism #1, 0xcf9 reset
 *   0xb000-0xb00b         ACPI PM block (SCI IRQ 9); tables at 0xe0000
 *                         (MP spec tables at 0xee000, pointer 0x9fc00)
 *   0xe0-0xe8, 0xea-0xeb  pc-testdev; 0x2000-0x2017 its IRQ lines;
 *                         MMIO 0xff000000-0xff00ffff its iomem
 *   0xe9                  debug console
 *   IOAPIC 0xfec00000, local APIC 0xfee00000 (in the kernel)
 * Devices raise their interrupts through KVM_IRQ_LINE.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hw/acpi.h"
#include "hw/bios.h"
#include "hw/debugcon.h"
#include "hw/debugexit.h"
#include "hw/fwcfg.h"
#include "hw/irq.h"
#include "hw/pci.h"
#include "hw/pit.h"
#include "hw/reset.h"
#include "hw/rtc.h"
#include "hw/testdev.h"
#include "hw/uart.h"

#define BOARD_ACPI_GPA 0xe0000u /* the tables' 64 KiB (reserved in E820) */
#define BOARD_ACPI_LEN 0x10000u
/* Its last 8 KiB: the MP configuration table (floating pointer 0x9fc00). */
#define BOARD_MP_LEN 0x2000u

struct vm;
struct mem;
struct memmap;
struct pio_bus;
struct pio_console;
struct power;

/* Fields private; the caller owns the struct. One thread uses it. */
struct board {
    bool pc;
    unsigned ncpus; /* set before board_wire_pc: CPUs the tables list */
    struct vm *vm;
    struct mem *mem;
    struct irq_line irq; /* KVM_IRQ_LINE on the pc */
    struct debugexit debugexit;
    struct debugcon debugcon;
    struct uart uart;
    struct rtc rtc;
    struct reset reset;
    struct fwcfg fwcfg;
    struct pci_host pci;
    struct acpi_pm acpi;
    struct testdev testdev;
    int in_fd;     /* our own non-blocking description of stdin, or -1 */
    bool in_ready; /* stdin may have bytes the UART has not taken */
    bool has_timer;
    timer_t timer;  /* the RTC's next interrupt: sends the event signal */
    bool rtc_dirty; /* the guest touched the RTC: re-arm the timer */
    bool has_bios;  /* the built-in BIOS: stdin feeds int 16h, not COM1 */
    /* Set by the caller before board_wire_pc (--serial): */
    struct pio_console *uart_con; /* COM1's output, NULL: the console */
    bool no_uart;                 /* no COM1 at all (reads all-ones) */
    struct bios bios;
    /*
     * Record mode (set virtual_time before board_wire_pc): the PIT is
     * ours (pit, ports 0x40-0x43 and 0x61; the VM has no in-kernel PIT),
     * and the PIT, the RTC and the ACPI PM timer run on vtime_ns, which
     * the recorder moves (board_advance) instead of the host's clocks.
     */
    bool virtual_time;
    uint64_t vtime_ns;   /* virtual nanoseconds since the machine began */
    int64_t vtime_epoch; /* UTC nanoseconds at vtime 0 (the RTC's base) */
    struct pit pit;
};

/* Set the board up empty (no fds), so board_destroy is safe. */
void board_init(struct board *b);

/*
 * Register the bare machine's devices. con is the console (fd set up by
 * the caller), power where device requests go. Returns 0 or -errno
 * (a port clash or a full bus: a bug).
 */
int board_wire_bare(struct board *b, struct pio_bus *bus,
                    struct pio_console *con, struct power *power);

/*
 * Register the pc machine's devices and write its firmware tables (ACPI
 * at BOARD_ACPI_GPA, fw_cfg items) into RAM. The VM must have the
 * in-kernel chips already (vm_create_pc_chips). map is the machine's
 * memory map, mem its RAM. Returns 0 or -errno.
 */
int board_wire_pc(struct board *b, struct vm *vm, struct mem *mem,
                  const struct memmap *map, struct pio_bus *bus,
                  struct pio_console *con, struct power *power);

/*
 * Create the timer that delivers the RTC's interrupts on time (pc only):
 * it sends signo to the calling thread. Returns 0 or -errno.
 */
int board_start_timer(struct board *b, int signo);

struct disk;

/*
 * Add the built-in BIOS to a wired pc board (board_bios.c): copy its image
 * to 0xF0000, claim its port (BIOS_PORT) and give int 13h the drives
 * (NULL: none; not owned). Call before board_attach_stdin: stdin then
 * feeds the BIOS keyboard instead of COM1. Returns 0 or -errno.
 */
int board_wire_bios(struct board *b, struct mem *mem, const struct memmap *map,
                    struct pio_bus *bus, struct pio_console *con,
                    struct power *power, struct disk *floppy, struct disk *hd);

/*
 * The built-in BIOS in front of a --kernel: POST runs from the reset
 * vector and its int 19h asks for POWER_BOOT instead of reading a disk,
 * so the kernel starts on a machine a PC BIOS has set up. stdin stays
 * with COM1. Returns 0 or -errno.
 */
int board_wire_bios_kernel(struct board *b, struct mem *mem,
                           const struct memmap *map, struct pio_bus *bus,
                           struct pio_console *con, struct power *power);

/*
 * Feed stdin to COM1's receiver (pc only): reads go through a private
 * non-blocking open file description of fd 0 (the shell's own flags and
 * the terminal's modes stay as they are), and the kernel sends signo to
 * the calling thread when input arrives (O_ASYNC, F_SETSIG). Stdin that
 * cannot be reopened (a socket) shares fd 0's description and stays
 * blocking (bytes are read only when poll(2) says they are there; it gets
 * O_ASYNC and this thread as owner). At end of file, or when a read
 * fails, the guest just sees no more bytes. Returns 0 or -errno.
 */
int board_attach_stdin(struct board *b, int signo);

/*
 * run_events poll hook (ctx: the board): brings the RTC's interrupt
 * flags up to date and re-arms its timer, and takes waiting stdin bytes
 * into the UART while it has room. signalled: the event signal came (new
 * input, or the timer). Returns 0 or -errno. Never blocks.
 */
int board_poll(void *ctx, bool signalled);

/*
 * run MMIO hook (ctx: the board): an access outside RAM. Returns 1 if a
 * device took it (data filled for a read), 0 if nothing is there.
 */
int board_mmio(void *ctx, uint64_t gpa, bool is_write, uint32_t len,
               uint8_t *data);

/*
 * run_sleep hooks (ctx: the board), ACPI S3 as firmware does it: enter
 * gives the delay until the RTC's next interrupt (the alarm a guest arms
 * to be woken; 0 returned: none); wake sets PM1 WAK_STS and RTC_STS and
 * gives the real-mode form of the FACS waking vector (0 returned: the
 * guest left none). Return -errno on failure.
 */
int board_sleep_enter(void *ctx, int64_t *wake_ns);
int board_sleep_wake(void *ctx, uint16_t *cs, uint16_t *ip);

/*
 * Record mode (virtual_time): make vtime_ns the time, deliver the PIT's
 * IRQ 0 edges and the RTC's interrupts due by then. Between two
 * instructions only. Returns 0 or -errno (from KVM_IRQ_LINE).
 */
int board_advance(struct board *b, uint64_t vtime_ns);

/*
 * Record mode: the delay in virtual nanoseconds until the next timer
 * interrupt (PIT counter 0 or the RTC), for a HLT to wait for. Returns 1
 * with *ns (0: due now), or 0 if no timer will interrupt.
 */
int board_next_event_ns(const struct board *b, uint64_t *ns);

/*
 * Record mode's keystrokes: board_take_input reads what stdin has
 * (without blocking), at most cap bytes and what COM1's receive FIFO has
 * room for, for the recorder to log and then pass to board_feed_input,
 * which puts them into COM1 as received (again when re-executing).
 * board_take_input returns the byte count (0: none now, or stdin ended:
 * then never again); board_feed_input 0 or -errno (the UART's line).
 */
int board_take_input(struct board *b, uint8_t *buf, size_t cap);
int board_feed_input(struct board *b, const uint8_t *buf, size_t n);

/* Close what the board opened and free device memory. Safe on a
 * half-built board. */
void board_destroy(struct board *b);

#endif
