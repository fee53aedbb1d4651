#ifndef VMM_HW_ACPI_H
#define VMM_HW_ACPI_H

/*
 * ACPI for the pc machine (ACPI 6.4 specification, sections cited in
 * acpi.c): the static tables, and the fixed-hardware PM register block
 * they describe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/hw/irq.h"
#include "vmm/hw/power.h"

/*
 * PIIX4's PM I/O base as SeaBIOS programs it on QEMU's pc (440FX)
 * machine, the chipset this machine's PCI host bridge claims to be; so
 * a test that prints the PM timer port (vmexit's inl_pmtimer) prints the
 * same under kvmstub and QEMU -machine pc. (q35/ICH9 uses 0x600.)
 */
#define ACPI_PM_BASE_DEFAULT 0xb000
#define ACPI_SCI_IRQ_DEFAULT 9

/* The PM block, as offsets from its base (PIIX4 layout). */
#define ACPI_PM1_STS  0x00 /* PM1a_EVT_BLK: status, 16 bits, W1C */
#define ACPI_PM1_EN   0x02 /*               enable, 16 bits */
#define ACPI_PM1_CNT  0x04 /* PM1a_CNT_BLK: control, 16 bits */
#define ACPI_PM_TMR   0x08 /* PM_TMR_BLK: 32-bit counter, read-only */
#define ACPI_PM_PORTS 12   /* ports from base the handler claims */

/* PM1 status/enable bits (ACPI 6.4, 4.8.3.1). */
#define ACPI_PM1_TMR     0x0001
#define ACPI_PM1_GBL     0x0020
#define ACPI_PM1_PWRBTN  0x0100
#define ACPI_PM1_SLPBTN  0x0200
#define ACPI_PM1_RTC     0x0400
#define ACPI_PM1_STS_WAK 0x8000 /* status only */

/* PM1 control bits (ACPI 6.4, 4.8.3.2.1). */
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_SLP_EN 0x2000 /* write-only, reads 0 */
#define ACPI_SLP_TYP_SHIFT  10
#define ACPI_SLP_TYP_MASK   (7u << ACPI_SLP_TYP_SHIFT)
#define ACPI_SLP_TYP_S5     0 /* the DSDT's \_S5 package */
#define ACPI_SLP_TYP_S3                                                        \
    1 /* the DSDT's \_S3: kvm-unit-tests s3 writes                             \
         0x2400, SLP_EN with SLP_TYP 1 */

#define ACPI_PM_TIMER_HZ 3579545 /* ACPI 6.4, 4.8.3.3 */

/* Where the tables live, given the area (offsets from area_gpa). */
#define ACPI_RSDP_OFFSET 0x00
#define ACPI_FACS_OFFSET 0x40 /* 64-byte aligned, as FACS must be */
#define ACPI_MAX_CPUS    254  /* xAPIC ids; 0xff is the broadcast id */

#define ACPI_IOAPIC_ADDR 0xfec00000u
#define ACPI_LAPIC_ADDR  0xfee00000u

struct acpi_config {
    unsigned ncpus;   /* 1..ACPI_MAX_CPUS: local APIC ids 0..ncpus-1 */
    uint16_t pm_base; /* where acpi_pm_io is registered */
    uint8_t sci_irq;  /* ISA IRQ of the SCI (level, active high) */
};

/*
 * Write the tables into area, the host memory that backs guest physical
 * [area_gpa, area_gpa + area_len): RSDP (revision 2, at ACPI_RSDP_OFFSET,
 * a 16-byte boundary, so a scan of 0xe0000-0xfffff finds it when the area
 * is there), FACS (at ACPI_FACS_OFFSET), RSDT and XSDT (each listing FADT
 * and MADT), FADT (revision 6, pointing at FACS, DSDT and the PM block at
 * cfg->pm_base; 32-bit PM timer), DSDT (\_S3 and \_S5 sleep packages
 * only), MADT (a local APIC per CPU, the IOAPIC with id ncpus at
 * ACPI_IOAPIC_ADDR and GSI base 0, overrides IRQ0 -> GSI 2 and for the SCI,
 * LINT1 as NMI). Every checksum is filled in; the rest of the area is
 * zeroed. *rsdp_gpa gets the RSDP's guest address.
 *
 * Returns the number of bytes used, -EINVAL (area_gpa not 64-byte
 * aligned, the area not below 4 GiB as the 32-bit pointers need, ncpus
 * out of range) or -ENOSPC (area too small: about 700 bytes plus 8 per
 * CPU). A pure function: touches nothing but area and *rsdp_gpa.
 */
int acpi_build(uint8_t *area, uint64_t area_gpa, size_t area_len,
               const struct acpi_config *cfg, uint64_t *rsdp_gpa);

/*
 * The FACS firmware waking vector the guest stored (s3 writes it before
 * suspending) in an area acpi_build filled: the real-mode address the
 * resume path jumps to (CS = vector >> 4, IP = vector & 0xf). Returns 0,
 * -EINVAL if the area is too short or holds no FACS, -ENOENT if the guest
 * left the vector 0.
 */
int acpi_waking_vector(const uint8_t *area, size_t area_len, uint32_t *vec);

/*
 * The PM register block (fixed ACPI hardware, PIIX4 layout):
 *   +0 PM1 status   W1C; TMR_STS is computed when read (bit 31 of the
 *                   counter changed since it was last cleared)
 *   +2 PM1 enable   TMR, GBL, PWRBTN, SLPBTN, RTC
 *   +4 PM1 control  SCI_EN reads 1 whatever is written (there is no
 *                   SMI_CMD port: the machine is always in ACPI mode, also
 *                   after a resume), BM_RLD, SLP_TYP, SLP_EN: a write with
 *                   SLP_EN requests POWER_SLEEP for S3 and POWER_SHUTDOWN
 *                   for S5; other types are ignored
 *   +8 PM timer     32 bits at 3.579545 MHz from CLOCK_MONOTONIC at read
 *                   time (FADT TMR_VAL_EXT), 0 at acpi_pm_init
 * Any access width and string I/O work byte by byte as on the chipset;
 * unassigned offsets read 0. The SCI (irq, gsi sci_gsi) is a level: high
 * while (status & enable) has a bit set. No timer thread: the
 * counter's carry sets TMR_STS when status is read, and does not raise
 * the SCI by itself.
 * Not thread-safe: the machine serializes I/O to it. Fields private,
 * but a test may set clock_ns, clock_ctx and epoch_ns.
 */
struct acpi_pm {
    uint16_t base;
    uint16_t sts, en, cnt; /* PM1a registers (TMR_STS aside) */
    uint64_t tmr_ref;      /* ticks (64-bit) when TMR_STS was cleared */
    bool sci_level;        /* what the line was last set to */
    uint32_t sci_gsi;
    struct irq_line irq;
    struct power *pw;
    /* The clock, in ns; CLOCK_MONOTONIC unless a test sets it. The
     * counter is (clock - epoch_ns) in ticks: 0 at acpi_pm_init. */
    uint64_t (*clock_ns)(void *ctx);
    void *clock_ctx;
    uint64_t epoch_ns;
};

/*
 * Power-on state at base (pw: where sleep and power-off requests go; irq
 * copied, NULL: no SCI). Returns 0, or -EINVAL if the block would pass
 * port 0xffff.
 */
int acpi_pm_init(struct acpi_pm *pm, uint16_t base, struct power *pw,
                 const struct irq_line *irq, uint32_t sci_gsi);

/* pio_handler for [base, base + ACPI_PM_PORTS). Returns 0 or -errno
 * from the SCI line. */
int acpi_pm_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
               uint32_t count, uint8_t *data);

/*
 * The machine woke from S3 (or a wake event arrived): set WAK_STS and the
 * given status bits (e.g. ACPI_PM1_RTC for the RTC alarm s3 arms), as
 * the chipset does, and update the SCI. Returns 0 or -errno from the line.
 */
int acpi_pm_wake(struct acpi_pm *pm, uint16_t sts_bits);

/* The counter now (what a read of the PM timer returns). */
uint32_t acpi_pm_timer(const struct acpi_pm *pm);

/*
 * After a machine reset (not an S3 resume, whose registers survive: use
 * acpi_pm_wake): the power-on state, the counter back at 0, the SCI
 * lowered. Returns 0 or -errno from the line.
 */
int acpi_pm_reset(struct acpi_pm *pm);

/* The guest-visible state, for snapshots. */
struct acpi_pm_state {
    uint16_t sts, en, cnt; /* PM1a registers as stored */
    uint64_t elapsed_ns;   /* counter position: time since power-on */
    uint64_t tmr_ref;      /* ticks when TMR_STS was last cleared */
};

void acpi_pm_save(const struct acpi_pm *pm, struct acpi_pm_state *st);

/*
 * Replace the state; the counter goes on from the saved position. Returns
 * 0, -EINVAL if st holds bits no register has (nothing changed then), or
 * -errno from the SCI line, which is set to match the loaded state.
 */
int acpi_pm_load(struct acpi_pm *pm, const struct acpi_pm_state *st);

#endif
