#include "debugexit.h"

#include <string.h>

#include "power.h"

void debugexit_init(struct debugexit *d, struct power *power)
{
    *d = (struct debugexit){.power = power};
}

int debugexit_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                 uint32_t count, uint8_t *data)
{
    struct debugexit *d = ctx;
    uint32_t v = 0;

    (void)port;
    if (!is_write) {
        memset(data, 0xff, (size_t)size * count);
        return 0;
    }
    if (count == 0 || size == 0 || size > 4)
        return 0;
    /* The first item of a string OUT is the one that ends the machine. */
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)data[i] << (8 * i);
    power_request(d->power, POWER_EXIT, (int)(((v << 1) | 1) & 0xff));
    return 0;
}
