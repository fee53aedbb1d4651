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
#define PIO_MAX_DEVICES  32

/*
 * A device handler. For an OUT, data holds count items of size bytes (a
 * string instruction gives count > 1); for an IN the handler fills them.
 * Returns 0 or -errno (the run ends with that error).
 */
typedef int (*pio_handler)(void *ctx, uint16_t port, bool is_write,
                           uint8_t size, uint32_t count, uint8_t *data);

/* Finish output a device could not complete. Returns 0 or -errno. */
typedef int (*pio_flush_fn)(void *ctx);

struct pio_bus {
    size_t nr;
    struct {
        uint16_t base, len;
        pio_handler fn;
        pio_flush_fn flush; /* optional */
        void *ctx;
    } dev[PIO_MAX_DEVICES];
};

void pio_init(struct pio_bus *bus);

/* Claim [base, base + len). Returns 0, -EBUSY on overlap, -ENOSPC if full,
 * -EINVAL on an empty or wrapping range. */
int pio_register(struct pio_bus *bus, uint16_t base, uint16_t len,
                 pio_handler fn, void *ctx);

/* Give the device at port a flush function (see pio_flush). -ENOENT if
 * no device claims port. */
int pio_set_flush(struct pio_bus *bus, uint16_t port, pio_flush_fn flush);

/*
 * Call every device's flush function, e.g. before the guest runs again
 * after a handler was cut short. Returns 0 or the first error.
 */
int pio_flush(const struct pio_bus *bus);

/* Dispatch one KVM_EXIT_IO. Returns the handler's result (0 if unclaimed). */
int pio_dispatch(const struct pio_bus *bus, uint16_t port, bool is_write,
                 uint8_t size, uint32_t count, uint8_t *data);

#define PIO_CONSOLE_PEND 65536 /* more than one exit's data (kvm_run) */

/*
 * The console device: fd is where guest bytes go (normally 1). If fd is
 * non-blocking, or is_socket is set, a full pipe or socket is waited for
 * with poll(2), and any wake_fd (signalfds for the quit signals and for
 * SIGIO from a debugger's socket; -1 if unused) becoming readable cuts the
 * wait short: the bytes not yet written are kept and written first by
 * pio_console_flush, so a debugger can stop a guest whose reader stalls
 * without losing output. is_socket: fd is a socket (e.g. what systemd
 * gives a service): bytes go out with send(2) and MSG_DONTWAIT, which
 * never blocks although the open file description, shared with whoever
 * gave us the socket, stays blocking. Fields other than fd, wake_fd and
 * is_socket are private.
 */
struct pio_console {
    int fd;
    int wake_fd[2];
    bool is_socket;
    bool closed; /* the reader went away (EPIPE): the VMM ends quietly */
    /*
     * Drop guest bytes: record mode re-executing instructions whose
     * output was written already.
     */
    bool mute;
    size_t pend_len;
    uint8_t pend[PIO_CONSOLE_PEND];
    /*
     * A debugger's share of the output (optional, e.g. `monitor console
     * gdb`): tap takes up to len bytes and returns how many it took; with
     * tap_only those are not written to fd (the rest are, so none is
     * lost). Changed only while the guest is stopped.
     */
    size_t (*tap)(void *ctx, const uint8_t *buf, size_t len);
    void *tap_ctx;
    bool tap_only;
};

/*
 * pio_handler for the console: writes all size*count bytes with as few
 * write(2) calls as the kernel allows (one for a pipe or file), retrying
 * short writes and EINTR. EPIPE (or ECONNRESET from a socket) sets closed
 * and returns -EPIPE; a wake_fd
 * while waiting for room returns -EINTR with the rest kept for a flush.
 */
int pio_console_handler(void *ctx, uint16_t port, bool is_write, uint8_t size,
                        uint32_t count, uint8_t *data);

/*
 * Write len guest bytes to the console, kept bytes first, with the
 * handler's semantics and returns (for devices such as a UART that send
 * their output here).
 */
int pio_console_write(struct pio_console *con, const uint8_t *buf, size_t len);

/* pio_flush_fn for the console: write kept bytes, as the handler does. */
int pio_console_flush(void *ctx);

#endif
