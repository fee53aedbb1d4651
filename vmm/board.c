#include "board.h"

#include <errno.h>
#include <unistd.h>

#include "pio.h"
#include "vm.h"

void board_init(struct board *b)
{
    *b = (struct board){0};
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

int board_wire_pc(struct board *b, struct vm *vm, struct mem *mem,
                  const struct memmap *map, struct pio_bus *bus,
                  struct pio_console *con, struct power *power)
{
    int e;

    (void)mem;
    (void)map;
    b->vm = vm;
    b->irq = (struct irq_line){.set = kvm_irq_set, .ctx = vm};
    if ((e = wire_common(b, bus, con, power)) < 0)
        return e;
    debugcon_init(&b->debugcon, con);
    return pio_register(bus, DEBUGCON_PORT, 1, debugcon_io, &b->debugcon);
}

int board_poll(void *ctx)
{
    (void)ctx;
    return 0;
}

void board_destroy(struct board *b)
{
    (void)b;
}
