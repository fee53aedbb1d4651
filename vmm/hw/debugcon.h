#ifndef VMM_HW_DEBUGCON_H
#define VMM_HW_DEBUGCON_H

/*
 * The Bochs/QEMU debug console on port 0xe9: bytes written go to the
 * VMM's console (stdout, with its nothing-lost semantics); a read returns
 * 0xe9, which is how guests detect that the port is there (Bochs "port
 * e9 hack", QEMU isa-debugcon's readback).
 */

#include <stdbool.h>
#include <stdint.h>

#define DEBUGCON_PORT 0xe9

struct pio_console;

struct debugcon {
    struct pio_console *console; /* not owned */
};

void debugcon_init(struct debugcon *d, struct pio_console *console);

/* pio_handler; ctx is a struct debugcon *. Returns the console's result:
 * 0, -EPIPE, -EINTR or -errno (see pio_console_write). */
int debugcon_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                uint32_t count, uint8_t *data);

#endif
