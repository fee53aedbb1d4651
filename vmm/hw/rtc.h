#ifndef VMM_HW_RTC_H
#define VMM_HW_RTC_H

/*
 * The MC146818 real-time clock and CMOS RAM of the PC (Motorola MC146818A
 * datasheet), at ports 0x70 (index, write-only: reads give 0xff; bit 7
 * is the NMI mask, kept but without effect) and 0x71 (data), IRQ 8.
 *
 * Time: the host's UTC clock plus an offset (QEMU's default
 * `-rtc base=utc`). Seconds, minutes, hours, day of week (1 = Sunday,
 * derived from the date as QEMU does), day, month, year and the century
 * byte 0x32 read in BCD or binary as register B bit 2 says, hours in 12-
 * (bit 7 = PM) or 24-hour form as bit 1 says; the century follows the
 * data mode too (BCD by default), as Linux reads it. Writing a time byte
 * stores an offset from the host clock (the sub-second phase is kept);
 * register B's SET bit freezes the time registers for the guest to load
 * (and clears UIE, per datasheet), and clearing it starts the clock from
 * what was written. Register A: UIP (bit 7) reads 1 during the last 244
 * us of each second while the clock runs, computed from the host clock;
 * divider bits 6-4 = 11x hold the clock in reset (time stops; the first
 * update comes half a second after release); rate bits 3-0 set the
 * periodic interrupt (0 = off, 3..15 = 8192 Hz..2 Hz, 1 and 2 = 256 and
 * 128 Hz). Register C: IRQF, PF, AF, UF, cleared by reading. Register D:
 * VRT = 1 (battery good). Alarm bytes 1, 3, 5 with "don't care" values
 * 0xc0-0xff.
 *
 * Interrupt flags are computed lazily from the host clock, never by a
 * thread: reading register C brings them up to date. IRQF = PF & PIE |
 * AF & AIE | UF & UIE drives the line on gsi (level 1 while set, i.e.
 * until the guest reads C; the chip's IRQ pin is level, the PC's 8259
 * sees the edge). To deliver interrupts on time, the run loop arms a
 * timer for rtc_next_event_ns() and calls rtc_tick() when it fires, and
 * asks rtc_next_event_ns() again after every rtc_io and rtc_tick.
 *
 * CMOS bytes set at init for PC firmware (what QEMU's pc machine writes
 * and SeaBIOS reads): 0x10 floppy types (none), 0x12 hard disk types
 * (none), 0x14 equipment (FPU present, no floppy, EGA/VGA), 0x15/0x16
 * base memory 640 KiB, 0x17/0x18 and 0x30/0x31 memory from 1 MiB in KiB
 * (at most 0xffff), 0x34/0x35 memory from 16 MiB to 4 GiB in 64 KiB
 * units (at most 0xffff), 0x5b-0x5d memory above 4 GiB in 64 KiB units,
 * 0x2e/0x2f the checksum (big-endian sum of 0x10-0x2d). Register B
 * starts as 0x02 (24-hour, BCD) and A as 0x26 (32.768 kHz, 1024 Hz), as
 * in QEMU. The guest can rewrite every NVRAM byte; the checksum is its
 * business then.
 *
 * Not modelled: daylight-saving (B bit 0) and square wave output (B bit 3)
 * are stored only; no interrupt coalescing or catch-up of lost periodic
 * ticks; bytes written to the time registers are normalized as a date
 * (out-of-range months are clamped to 1-12, days to 1-31) rather than
 * kept verbatim; the 0x37 PS/2 century alias is plain NVRAM.
 * Not thread-safe: one thread calls all functions.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vmm/hw/irq.h"

#define RTC_PORT_BASE 0x70
#define RTC_NR_PORTS  2
#define RTC_GSI       8
#define RTC_CMOS_SIZE 128

struct memmap;

/* A snapshot's worth: plain values, no pointers. Fields are private. */
struct rtc_state {
    uint8_t cmos[RTC_CMOS_SIZE]; /* time bytes: the frozen copy under SET */
    uint8_t index;               /* selected byte, 0-127 */
    uint8_t nmi_mask;            /* bit 7 of the last index write */
    uint8_t irq_level;           /* level last driven on the line */
    int32_t off_nsec;            /* 0 <= off_nsec < 1e9 */
    int64_t off_sec; /* guest time = host clock + off_sec s + off_nsec ns */
    int64_t last_ns; /* host clock up to which register C is computed */
};

/* Nanoseconds since 1970-01-01 00:00 UTC. */
typedef int64_t (*rtc_clock_fn)(void *ctx);

/* Fields private. */
struct rtc {
    struct rtc_state s;
    struct irq_line irq; /* copied at init */
    uint32_t gsi;
    rtc_clock_fn clock; /* CLOCK_REALTIME unless rtc_set_clock */
    void *clock_ctx;
};

/*
 * Power-on state with the time at the host's UTC clock and the CMOS
 * memory bytes taken from mm (NULL: no memory reported). irq is copied
 * (NULL or a NULL set: no interrupts). Returns 0, or -EINVAL if r is NULL.
 */
int rtc_init(struct rtc *r, const struct memmap *mm, const struct irq_line *irq,
             uint32_t gsi);

/*
 * Use clock (ctx passed back) instead of the host's CLOCK_REALTIME, e.g.
 * a fake clock in tests. Call it right after rtc_init; the guest time
 * moves by the difference between the two clocks.
 */
void rtc_set_clock(struct rtc *r, rtc_clock_fn clock, void *ctx);

/*
 * The chip's RESET pin, as on a machine reset: PIE, AIE, UIE and SQWE in
 * register B and all of register C are cleared and the line goes down;
 * time and NVRAM are kept (they are battery-backed). Returns 0 or
 * irq_set's -errno.
 */
int rtc_reset(struct rtc *r);

/*
 * pio_handler for ports 0x70-0x71; ctx is a struct rtc *. A wider access
 * at 0x70 is index then data (an `outw` of 0xAABB writes index 0xBB and
 * data 0xAA); bytes past 0x71 are ignored (reads give 0xff). Returns 0
 * or irq_set's -errno.
 */
int rtc_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
           uint32_t count, uint8_t *data);

/*
 * When the next interrupt is due: returns 1 with *ns the delay in
 * nanoseconds of the host clock (>= 0; 0: call rtc_tick now), or 0 if no
 * interrupt can come before the guest touches the RTC again (no source
 * enabled, the line already up, or the clock held in reset). Does not
 * block or change state.
 */
int rtc_next_event_ns(const struct rtc *r, int64_t *ns);

/*
 * Bring the interrupt flags up to the host clock and drive the line.
 * Returns 0 or irq_set's -errno.
 */
int rtc_tick(struct rtc *r);

/* Copy the device state out for a snapshot. */
void rtc_save(const struct rtc *r, struct rtc_state *st);

/*
 * Replace the device state with a saved one (wiring and clock are kept):
 * the guest time keeps its offset from UTC, and periodic, alarm and
 * update events between the save and now are not flagged. Drives the line
 * to the state's level. Returns 0, -EINVAL if st is inconsistent (nothing
 * changed then), or irq_set's -errno.
 */
int rtc_load(struct rtc *r, const struct rtc_state *st);

#endif
