#ifndef VMM_BOARD_H
#define VMM_BOARD_H

/*
 * Which device sits where: the machine assembly for the bare and the pc
 * machines. The board owns every device's state and registers each on the
 * port bus; the run loop only sees the bus, the power requests and the
 * board's event hook (board_poll).
 *
 * bare: 0xf1 console, 0xf4 isa-debug-exit.
 * pc:   the same plus 0xe9 debug console, and the in-kernel PIC, IOAPIC,
 *       local APIC and PIT (vm_create_pc_chips), with devices raising
 *       their interrupts through KVM_IRQ_LINE.
 */

#include <stdbool.h>
#include <stdint.h>

#include "hw/debugcon.h"
#include "hw/debugexit.h"
#include "hw/irq.h"

struct vm;
struct mem;
struct memmap;
struct pio_bus;
struct pio_console;
struct power;

/* Fields private; the caller owns the struct (it may sit on the stack). */
struct board {
    struct vm *vm;
    struct irq_line irq; /* KVM_IRQ_LINE on the pc, none on bare */
    struct debugexit debugexit;
    struct debugcon debugcon;
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
 * Register the pc machine's devices. The VM must have the in-kernel
 * chips already (vm_create_pc_chips). map is the machine's memory map,
 * mem its RAM. Returns 0 or -errno.
 */
int board_wire_pc(struct board *b, struct vm *vm, struct mem *mem,
                  const struct memmap *map, struct pio_bus *bus,
                  struct pio_console *con, struct power *power);

/*
 * run_events poll hook (ctx: the board): services device events.
 * Returns 0 or -errno. Never blocks.
 */
int board_poll(void *ctx);

/* Close what the board opened. Safe on a half-built board. */
void board_destroy(struct board *b);

#endif
