#include "debugcon.h"

#include <stddef.h>
#include <string.h>

#include "vmm/pio.h"

void debugcon_init(struct debugcon *d, struct pio_console *console)
{
    *d = (struct debugcon){.console = console};
}

int debugcon_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                uint32_t count, uint8_t *data)
{
    struct debugcon *d = ctx;
    size_t len = (size_t)size * count;

    (void)port;
    if (!is_write) {
        /* Each byte of a wider or string read is 0xe9 as well. */
        memset(data, DEBUGCON_PORT, len);
        return 0;
    }
    return pio_console_write(d->console, data, len);
}
