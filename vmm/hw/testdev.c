#include "testdev.h"

#include <errno.h>
#include <string.h>

int testdev_init(struct testdev *t, const struct irq_line *irq)
{
    memset(t, 0, sizeof(*t));
    if (irq)
        t->irq = *irq;
    return 0;
}

void testdev_save(const struct testdev *t, struct testdev_state *st)
{
    *st = t->s;
}

int testdev_load(struct testdev *t, const struct testdev_state *st)
{
    t->s = *st;
    return 0;
}

/* size bytes at byte k of the scratch register. */
static void scratch(struct testdev *t, unsigned k, bool is_write, uint8_t size,
                    uint8_t *data)
{
    for (unsigned i = 0; i < size; i++, k++) {
        unsigned shift = 8 * k;
        if (is_write) {
            if (k < 4)
                t->s.reg = (t->s.reg & ~(0xffu << shift)) | (uint32_t)data[i]
                                                                << shift;
        } else {
            data[i] = k < 4 ? (uint8_t)(t->s.reg >> shift) : 0;
        }
    }
}

static void flush_page(struct testdev *t, uint8_t size, const uint8_t *data)
{
    if (size != 4)
        return; /* QEMU accepts dwords only */
    t->s.flush_gpa =
        data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
    t->s.flush_count++;
}

int testdev_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
               uint32_t count, uint8_t *data)
{
    struct testdev *t = ctx;

    for (uint32_t n = 0; n < count; n++, data += size) {
        if (port >= TESTDEV_IRQ_BASE &&
            port - TESTDEV_IRQ_BASE < TESTDEV_IRQ_LEN) {
            /* outb %al, $0x2000+n: line n = al != 0 */
            if (!is_write) {
                memset(data, 0, size);
            } else if (size == 1) {
                int e = irq_set(&t->irq, port - TESTDEV_IRQ_BASE, !!data[0]);
                if (e < 0)
                    return e;
            }
        } else if (port >= TESTDEV_PORT_FLUSH && port < TESTDEV_PORT_BYTE) {
            /* outl %eax, $0xe4: flush the page at eax */
            if (is_write)
                flush_page(t, size, data);
            else
                memset(data, 0, size);
        } else if (port >= TESTDEV_PORT_BASE &&
                   port < TESTDEV_PORT_BASE + TESTDEV_PORT_LEN) {
            /* the scratch register, at 0xe0 or through 0xe8 */
            scratch(t, (unsigned)(port & 3), is_write, size, data);
        } else if (!is_write) {
            memset(data, 0xff, size);
        }
    }
    return 0;
}

int testdev_mmio(void *ctx, uint64_t gpa, bool is_write, uint32_t len,
                 uint8_t *data)
{
    struct testdev *t = ctx;
    uint64_t off, end;

    if (gpa < TESTDEV_IOMEM_BASE)
        return -EINVAL;
    off = gpa - TESTDEV_IOMEM_BASE;
    if (__builtin_add_overflow(off, len, &end) || end > TESTDEV_IOMEM_LEN)
        return -EINVAL;
    if (is_write)
        memcpy(t->s.iomem + off, data, len);
    else
        memcpy(data, t->s.iomem + off, len);
    return 0;
}
