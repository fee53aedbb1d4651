#include "pio.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void pio_init(struct pio_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

int pio_register(struct pio_bus *bus, uint16_t base, uint16_t len,
                 pio_handler fn, void *ctx)
{
    if (len == 0 || (uint32_t)base + len > 0x10000)
        return -EINVAL;
    if (bus->nr == PIO_MAX_DEVICES)
        return -ENOSPC;
    for (size_t i = 0; i < bus->nr; i++) {
        uint32_t b = bus->dev[i].base, e = b + bus->dev[i].len;
        if (base < e && (uint32_t)base + len > b)
            return -EBUSY;
    }
    bus->dev[bus->nr].base = base;
    bus->dev[bus->nr].len = len;
    bus->dev[bus->nr].fn = fn;
    bus->dev[bus->nr].flush = NULL;
    bus->dev[bus->nr].ctx = ctx;
    bus->nr++;
    return 0;
}

int pio_set_flush(struct pio_bus *bus, uint16_t port, pio_flush_fn flush)
{
    for (size_t i = 0; i < bus->nr; i++) {
        if (port >= bus->dev[i].base &&
            port - bus->dev[i].base < bus->dev[i].len) {
            bus->dev[i].flush = flush;
            return 0;
        }
    }
    return -ENOENT;
}

int pio_flush(const struct pio_bus *bus)
{
    for (size_t i = 0; i < bus->nr; i++) {
        if (bus->dev[i].flush) {
            int e = bus->dev[i].flush(bus->dev[i].ctx);
            if (e < 0)
                return e;
        }
    }
    return 0;
}

int pio_dispatch(const struct pio_bus *bus, uint16_t port, bool is_write,
                 uint8_t size, uint32_t count, uint8_t *data)
{
    for (size_t i = 0; i < bus->nr; i++) {
        if (port >= bus->dev[i].base &&
            port - bus->dev[i].base < bus->dev[i].len)
            return bus->dev[i].fn(bus->dev[i].ctx, port, is_write, size, count,
                                  data);
    }
    /* Nobody home: reads float high (all-ones), writes vanish. */
    if (!is_write)
        memset(data, 0xff, (size_t)size * count);
    return 0;
}

/*
 * Write len bytes at buf. On a wait cut short by a wake fd, keep what is
 * left in con->pend (buf may point into it) and return -EINTR.
 */
static int console_write(struct pio_console *con, const uint8_t *buf,
                         size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n;
        if (con->is_socket)
            n = send(con->fd, buf + done, len - done,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
        else
            n = write(con->fd, buf + done, len - done);
        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        /* A stream socket whose reader left with bytes unread is reset. */
        if (con->is_socket && errno == ECONNRESET)
            errno = EPIPE;
        if (errno == EPIPE)
            con->closed = true;
        if (errno != EAGAIN)
            return -errno;
        /* Full pipe or socket: wait for room, or a reason to stop. */
        struct pollfd pfd[3] = {
            {.fd = con->fd, .events = POLLOUT},
            {.fd = con->wake_fd[0], .events = POLLIN},
            {.fd = con->wake_fd[1], .events = POLLIN},
        };
        if (poll(pfd, 3, -1) < 0 && errno != EINTR)
            return -errno;
        if (pfd[1].revents || pfd[2].revents) {
            size_t rest = len - done;
            if (rest > sizeof(con->pend))
                rest = sizeof(con->pend); /* cannot happen: see header */
            memmove(con->pend, buf + done, rest);
            con->pend_len = rest;
            return -EINTR;
        }
    }
    return 0;
}

int pio_console_flush(void *ctx)
{
    struct pio_console *con = ctx;
    size_t len = con->pend_len;

    if (!len)
        return 0;
    if (con->closed)
        return -EPIPE;
    con->pend_len = 0;
    return console_write(con, con->pend, len);
}

int pio_console_handler(void *ctx, uint16_t port, bool is_write, uint8_t size,
                        uint32_t count, uint8_t *data)
{
    struct pio_console *con = ctx;
    size_t len = (size_t)size * count;

    (void)port;
    if (!is_write) {
        memset(data, 0xff, len);
        return 0;
    }
    return pio_console_write(con, data, len);
}

int pio_console_write(struct pio_console *con, const uint8_t *buf, size_t len)
{
    int e;

    if (con->closed)
        return -EPIPE;
    if (con->mute)
        return 0;
    if (con->tap) {
        size_t took = con->tap(con->tap_ctx, buf, len);
        if (con->tap_only) {
            buf += took;
            len -= took;
            if (!len)
                return 0;
        }
    }
    /* Kept bytes go first: run_vcpu flushes them before the guest runs,
     * so none can be waiting when the guest writes more. */
    if ((e = pio_console_flush(con)) < 0)
        return e;
    return console_write(con, buf, len);
}
