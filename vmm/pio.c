#include "pio.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
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
    bus->dev[bus->nr].ctx = ctx;
    bus->nr++;
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

int pio_console_handler(void *ctx, uint16_t port, bool is_write, uint8_t size,
                        uint32_t count, uint8_t *data)
{
    struct pio_console *con = ctx;
    size_t len = (size_t)size * count, done = 0;

    (void)port;
    if (!is_write) {
        memset(data, 0xff, len);
        return 0;
    }
    if (con->closed)
        return -EPIPE;
    while (done < len) {
        ssize_t n = write(con->fd, data + done, len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                /* Full pipe: wait for room, or for a reason to quit. */
                struct pollfd pfd[2] = {
                    {.fd = con->fd, .events = POLLOUT},
                    {.fd = con->wake_fd, .events = POLLIN},
                };
                if (poll(pfd, 2, -1) < 0 && errno != EINTR)
                    return -errno;
                if (pfd[1].revents)
                    return -EINTR;
                continue;
            }
            if (errno == EPIPE)
                con->closed = true;
            return -errno;
        }
        done += (size_t)n;
    }
    return 0;
}
