#ifndef VMM_PIO_H
#define VMM_PIO_H

/*
 * Port-I/O bus: devices claim port ranges; accesses to unclaimed ports are
 * ignored on write and read as all-ones, like an empty ISA bus.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIO_PORT_CONSOLE 0xf1 /* guest bytes written here go to stdout */
#define PIO_MAX_DEVICES  8

/*
 * A device handler. For an OUT, data holds count items of size bytes (a
 * string instruction gives count > 1); for an IN the handler fills them.
 * Returns 0 or -errno (the run ends with that error).
 */
typedef int (*pio_handler)(void *ctx, uint16_t port, bool is_write,
                           uint8_t size, uint32_t count, uint8_t *data);

struct pio_bus {
    size_t nr;
    struct {
        uint16_t base, len;
        pio_handler fn;
        void *ctx;
    } dev[PIO_MAX_DEVICES];
};

void pio_init(struct pio_bus *bus);

/* Claim [base, base + len). Returns 0, -EBUSY on overlap, -ENOSPC if full,
 * -EINVAL on an empty or wrapping range. */
int pio_register(struct pio_bus *bus, uint16_t base, uint16_t len,
                 pio_handler fn, void *ctx);

/* Dispatch one KVM_EXIT_IO. Returns the handler's result (0 if unclaimed). */
int pio_dispatch(const struct pio_bus *bus, uint16_t port, bool is_write,
                 uint8_t size, uint32_t count, uint8_t *data);

/*
 * The console device: fd is where guest bytes go (normally 1). If fd is
 * non-blocking, a full pipe is waited for with poll(2), and wake_fd (a
 * signalfd for the quit signals, or -1) becoming readable ends the wait.
 */
struct pio_console {
    int fd;
    int wake_fd;
    bool closed; /* the reader went away (EPIPE): the VMM ends quietly */
};

/*
 * pio_handler for the console: writes all size*count bytes with as few
 * write(2) calls as the kernel allows (one for a pipe or file), retrying
 * short writes and EINTR. EPIPE sets closed and returns -EPIPE; a quit
 * signal while waiting for room returns -EINTR (the rest is dropped).
 */
int pio_console_handler(void *ctx, uint16_t port, bool is_write, uint8_t size,
                        uint32_t count, uint8_t *data);

#endif
