#ifndef VMM_HW_PIT_H
#define VMM_HW_PIT_H

/*
 * An 8254 programmable interval timer in user space (Intel 8254 data
 * sheet, order 231164), for record mode on the pc machine: its time is a
 * clock the caller gives (record mode's virtual time, derived from the
 * instruction count), so the guest sees the same counts and the same
 * interrupts at the same instructions every time it is re-executed. The
 * machine without --record uses KVM's in-kernel PIT instead.
 *
 * Ports 0x40-0x42 (counters 0-2), 0x43 (control word, write-only: reads
 * give 0xff) and 0x61 (bit 0 gate of counter 2, bit 1
 * speaker data and bits 2-3 stored as written, bit 4 the refresh toggle
 * every 15.085 us, bit 5 OUT of counter 2). Counter 0's OUT drives
 * IRQ 0: each rising edge is raised and lowered on the line
 * (KVM_IRQ_LINE 1 then 0: the 8259 latches the edge) when pit_advance is
 * called at or after it; edges that fall between two calls are one
 * interrupt, as a PIC that has not been acknowledged keeps one request.
 *
 * Modelled: modes 0 (interrupt on terminal count), 1 (gate-triggered
 * one-shot), 2 (rate generator), 3 (square wave), 4 and 5 (software and
 * gate strobes); 6 and 7 are 2 and 3. Read/write of the low byte, the
 * high byte or both (low first), the counter latch command, the
 * read-back command (count and status latches of several counters), the
 * status byte (OUT, null count, access mode, mode, BCD), BCD counting. A
 * new count takes effect at once (the data sheet's modes 2 and 3 would
 * finish the period first); in modes 0 and 4 a low gate does not pause
 * the count (only counter 2 has a gate a guest can drive); in modes 2 and
 * 3 a low gate holds OUT high and its rising edge restarts the count.
 * Not thread-safe: one thread calls all functions.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vmm/hw/irq.h"

#define PIT_PORT_BASE 0x40
#define PIT_NR_PORTS  4
#define PIT_PORT_61   0x61
#define PIT_HZ        1193182u /* the input clock: 14.31818 MHz / 12 */
#define PIT_GSI       0

/* One counter; fields private. */
struct pit_counter {
    uint64_t start_ns; /* clock when the count was loaded or triggered */
    uint16_t reload;   /* count register as written */
    uint16_t latch;    /* latched count */
    uint8_t mode;      /* 0-5 */
    uint8_t rw;        /* 1 low byte, 2 high byte, 3 low then high */
    uint8_t bcd;
    uint8_t gate;
    uint8_t counting; /* a count is loaded (and triggered, modes 1, 5) */
    uint8_t armed;    /* a count is loaded: a gate edge can trigger it */
    uint8_t null_count;
    uint8_t write_hi; /* rw 3: the next write is the high byte */
    uint8_t read_hi;  /* rw 3: the next read is the high byte */
    uint8_t latched;  /* count bytes latched and not yet read: 0, 1, 2 */
    uint8_t latch_hi; /* the latched byte to read next is the high one */
    uint8_t status_latched;
    uint8_t status;
    uint8_t low; /* rw 3: the low byte written */
};

/* A snapshot's worth: plain values, no pointers. Fields are private. */
struct pit_state {
    uint32_t present; /* 1: this machine uses this PIT (record mode) */
    struct pit_counter c[3];
    uint8_t port61;  /* bits 0-3 as written */
    uint64_t irq_ns; /* counter 0's edges up to here are delivered */
};

/* The clock, in nanoseconds; never goes back but through pit_load. */
typedef uint64_t (*pit_clock_fn)(void *ctx);

/* Fields private. */
struct pit {
    struct pit_state s;
    struct irq_line irq; /* copied at init */
    pit_clock_fn clock;
    void *clock_ctx;
};

/*
 * Power-on state: every counter in mode 0 with no count (no interrupts),
 * counter 2's gate low. irq is copied (NULL: no line). Returns 0, or
 * -EINVAL if p or clock is NULL.
 */
int pit_init(struct pit *p, const struct irq_line *irq, pit_clock_fn clock,
             void *ctx);

/*
 * The pio_handler for ports 0x40-0x43 and 0x61 (register it for both);
 * ctx is a struct pit *. A byte each: the bytes of a wider access go to
 * consecutive ports, and those that are neither are dropped and read as
 * 0xff. Returns 0 (it never fails).
 */
int pit_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
           uint32_t count, uint8_t *data);

/*
 * Deliver counter 0's rising edges up to the clock's now: if one (or
 * more) came since the last call, raise and lower IRQ 0 once. Returns 1
 * if it did, 0 if not, or irq_set's -errno.
 */
int pit_advance(struct pit *p);

/*
 * When counter 0's next rising edge is due: returns 1 with *ns the delay
 * from now in clock nanoseconds (0: pit_advance delivers it now), or 0
 * if none will come without the guest programming it again.
 */
int pit_next_event_ns(const struct pit *p, uint64_t *ns);

/* Copy the state out for a snapshot. */
void pit_save(const struct pit *p, struct pit_state *st);

/*
 * Replace the state with a saved one (wiring and clock kept; the clock
 * must read what it read when st was saved for the counts to go on where
 * they were). Returns 0, or -EINVAL if st is inconsistent (nothing
 * changed then).
 */
int pit_load(struct pit *p, const struct pit_state *st);

#endif
