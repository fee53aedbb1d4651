#ifndef KLIB_PIC_H
#define KLIB_PIC_H

/*
 * The legacy interrupt hardware every PC has: the two 8259A PICs (Intel
 * 8259A data sheet, ICW1-ICW4) and channel 0 of the 8254 PIT (1.193182
 * MHz input clock).
 */

#include "io.h"

#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xa0
#define PIC2_DATA 0xa1
#define PIT_CH0   0x40
#define PIT_MODE  0x43
#define PIT_HZ    1193182u

/* Cascade the two PICs, IRQ 0-7 at vector base1, 8-15 at base2, all masked. */
static inline void pic_init(uint8_t base1, uint8_t base2)
{
    outb(PIC1_CMD, 0x11); /* ICW1: edge, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, base1); /* ICW2: vector base */
    outb(PIC2_DATA, base2);
    outb(PIC1_DATA, 0x04); /* ICW3: slave on IRQ2 */
    outb(PIC2_DATA, 0x02);
    outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode */
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

/* PIT channel 0 as a rate generator (mode 2) at hz interrupts a second. */
static inline void pit_periodic(unsigned hz)
{
    unsigned div = PIT_HZ / hz;

    outb(PIT_MODE, 0x34); /* channel 0, lobyte/hibyte, mode 2 */
    outb(PIT_CH0, (uint8_t)div);
    outb(PIT_CH0, (uint8_t)(div >> 8));
}

#endif
