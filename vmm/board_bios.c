/* The built-in BIOS on the pc board. */
#include "board.h"

#include "hw/bios.h"
#include "pio.h"

int board_wire_bios(struct board *b, struct mem *mem, const struct memmap *map,
                    struct pio_bus *bus, struct pio_console *con,
                    struct power *power, struct disk *floppy, struct disk *hd)
{
    int e;

    bios_init(&b->bios, mem, map, con, power);
    bios_set_disks(&b->bios, floppy, hd);
    if ((e = bios_install(mem)) < 0 ||
        (e = pio_register(bus, BIOS_PORT, BIOS_PORT_LEN, bios_io, &b->bios)) <
            0)
        return e;
    b->has_bios = true;
    return 0;
}
