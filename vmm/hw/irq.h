#ifndef VMM_HW_IRQ_H
#define VMM_HW_IRQ_H

/*
 * An interrupt line as a device sees it: set(ctx, gsi, level) raises
 * (level 1) or lowers (0) global system interrupt gsi. On the pc machine
 * it is KVM_IRQ_LINE on the in-kernel PIC and IOAPIC (GSIs 0-15 reach
 * both, 16-23 the IOAPIC only); a unit test passes a recorder. A device
 * with no line (set NULL) just does not interrupt.
 */

#include <stdint.h>

struct irq_line {
    int (*set)(void *ctx, uint32_t gsi, int level); /* 0 or -errno */
    void *ctx;
};

static inline int irq_set(const struct irq_line *l, uint32_t gsi, int level)
{
    return l && l->set ? l->set(l->ctx, gsi, level) : 0;
}

#endif
