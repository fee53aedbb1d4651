#include "acpi.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/*
 * Table layouts are from the ACPI 6.4 specification, chapter 5 ("ACPI
 * Software Programming Model"); offsets below are byte offsets in each
 * table as the spec's tables give them. Integers are little-endian.
 */

#define OEM_ID       "KVMSTB"   /* 6 bytes */
#define OEM_TABLE_ID "KVMSTUB " /* 8 bytes */
#define CREATOR_ID   "KVMS"
#define OEM_REVISION 1

#define HDR_LEN   36  /* 5.2.6, System Description Table Header */
#define RSDP_LEN  36  /* 5.2.5.3, revision 2 */
#define FACS_LEN  64  /* 5.2.10 */
#define FADT_LEN  276 /* 5.2.9, revision 6 */
#define MADT_BASE 44  /* 5.2.12: header, local APIC address, flags */

#define FADT_REVISION 6
#define MADT_REVISION 5

/* 5.2.9 Table 5.10, FADT fixed feature flags. */
#define FADT_WBINVD             (1u << 0)
#define FADT_PROC_C1            (1u << 2)
#define FADT_PWR_BUTTON         (1u << 4) /* no fixed power button */
#define FADT_SLP_BUTTON         (1u << 5) /* no fixed sleep button */
#define FADT_TMR_VAL_EXT        (1u << 8) /* 32-bit PM timer */
#define FADT_RESET_REG_SUP      (1u << 10)
#define FADT_USE_PLATFORM_CLOCK (1u << 15)

#define IAPC_LEGACY_DEVICES 0x0001 /* 5.2.9.3: ISA devices (UART, RTC) */

/* 5.2.3.2, Generic Address Structure. */
#define GAS_SYSTEM_IO 1
#define GAS_BYTE      1
#define GAS_WORD      2
#define GAS_DWORD     3

/* 5.2.12 Table 5.21, MADT structure types. */
#define MADT_LAPIC       0
#define MADT_IOAPIC      1
#define MADT_ISO         2
#define MADT_LAPIC_NMI   4
#define MADT_PCAT_COMPAT 1   /* dual 8259s present */
#define MPS_ACTIVE_HIGH  0x1 /* 5.2.12.5 Table 5.26, MPS INTI flags */
#define MPS_LEVEL        0xc

/* The MC146818's CMOS byte holding the century (the RTC keeps it there,
 * as QEMU's does); there are no day or month alarms. */
#define CMOS_CENTURY 0x32

/* The reset register: the RCR byte at 0xcf9 (pci.c), hard reset. */
#define RESET_PORT  0xcf9
#define RESET_VALUE 0x06

/* Where things go inside the FADT. */
#define FADT_FIRMWARE_CTRL 36
#define FADT_DSDT          40
#define FADT_SCI_INT       46
#define FADT_PM1A_EVT      56
#define FADT_PM1A_CNT      64
#define FADT_PM_TMR        76
#define FADT_PM1_EVT_LEN   88
#define FADT_PM1_CNT_LEN   89
#define FADT_PM_TMR_LEN    91
#define FADT_P_LVL2_LAT    96
#define FADT_P_LVL3_LAT    98
#define FADT_CENTURY       108
#define FADT_IAPC_BOOT     109
#define FADT_FLAGS         112
#define FADT_RESET_REG     116
#define FADT_RESET_VALUE   128
#define FADT_X_FACS        132
#define FADT_X_DSDT        140
#define FADT_X_PM1A_EVT    148
#define FADT_X_PM1A_CNT    172
#define FADT_X_PM_TMR      208

/* FACS (5.2.10 Table 5.14). */
#define FACS_WAKING_VECTOR 12
#define FACS_VERSION       32

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;

    while (len--)
        sum = (uint8_t)(sum + *p++);
    return (uint8_t)-sum; /* the byte that makes the sum 0 */
}

/* 5.2.6: the common header; the checksum is set by finish(). */
static void header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    put32(t + 24, OEM_REVISION);
    memcpy(t + 28, CREATOR_ID, 4);
    put32(t + 32, 1);
}

static void finish(uint8_t *t, uint32_t len)
{
    t[9] = 0;
    t[9] = checksum(t, len);
}

/* 5.2.3.2: a System I/O register block. */
static void gas_io(uint8_t *g, uint8_t bits, uint8_t access, uint16_t port)
{
    g[0] = GAS_SYSTEM_IO;
    g[1] = bits;
    g[2] = 0;
    g[3] = access;
    put64(g + 4, port);
}

/*
 * The DSDT's AML (ACPI 6.4, 20.2): two named sleep packages, each
 * Package(4) { SLP_TYPa, SLP_TYPb, reserved, reserved }, which tell the
 * OS the SLP_TYP values acpi_pm_io acts on (the values QEMU's DSDT uses).
 */
/* NameOp "_S3_" PackageOp PkgLength NumElements One One Zero Zero */
#define AML_S3 "\x08_S3_\x12\x06\x04\x01\x01\x00\x00"
/* NameOp "_S5_" PackageOp PkgLength NumElements Zero Zero Zero Zero */
#define AML_S5 "\x08_S5_\x12\x06\x04\x00\x00\x00\x00"
static const uint8_t dsdt_aml[] = AML_S3 AML_S5;
#define DSDT_AML_LEN (sizeof(dsdt_aml) - 1) /* the literal's NUL is not AML */
_Static_assert(ACPI_SLP_TYP_S3 == 1 && ACPI_SLP_TYP_S5 == 0,
               "the packages say One for S3 and Zero for S5");

static size_t align16(size_t v)
{
    return (v + 15) & ~(size_t)15;
}

int acpi_build(uint8_t *area, uint64_t area_gpa, size_t area_len,
               const struct acpi_config *cfg, uint64_t *rsdp_gpa)
{
    size_t rsdt, xsdt, fadt, dsdt, madt, end;
    uint32_t dsdt_len = HDR_LEN + DSDT_AML_LEN;
    uint32_t madt_len;
    uint64_t top;
    uint8_t *t;

    if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS)
        return -EINVAL;
    if (area_gpa % 64 || __builtin_add_overflow(area_gpa, area_len, &top) ||
        top > 0x100000000ull)
        return -EINVAL;
    madt_len =
        MADT_BASE + 8 * cfg->ncpus + 12 + 10 + 6 + (cfg->sci_irq ? 10 : 0);

    rsdt = align16(ACPI_FACS_OFFSET + FACS_LEN);
    xsdt = align16(rsdt + HDR_LEN + 2 * 4);
    fadt = align16(xsdt + HDR_LEN + 2 * 8);
    dsdt = align16(fadt + FADT_LEN);
    madt = align16(dsdt + dsdt_len);
    end = madt + madt_len;
    if (area_len < end)
        return -ENOSPC;
    memset(area, 0, area_len);

    /* FACS (5.2.10): no checksum; version 2; the guest owns the vector. */
    t = area + ACPI_FACS_OFFSET;
    memcpy(t, "FACS", 4);
    put32(t + 4, FACS_LEN);
    t[FACS_VERSION] = 2;

    /* RSDT (5.2.7) and XSDT (5.2.8): FADT, MADT. */
    t = area + rsdt;
    header(t, "RSDT", HDR_LEN + 8, 1);
    put32(t + HDR_LEN, (uint32_t)(area_gpa + fadt));
    put32(t + HDR_LEN + 4, (uint32_t)(area_gpa + madt));
    finish(t, HDR_LEN + 8);
    t = area + xsdt;
    header(t, "XSDT", HDR_LEN + 16, 1);
    put64(t + HDR_LEN, area_gpa + fadt);
    put64(t + HDR_LEN + 8, area_gpa + madt);
    finish(t, HDR_LEN + 16);

    /* FADT (5.2.9). */
    t = area + fadt;
    header(t, "FACP", FADT_LEN, FADT_REVISION);
    put32(t + FADT_FIRMWARE_CTRL, (uint32_t)(area_gpa + ACPI_FACS_OFFSET));
    put32(t + FADT_DSDT, (uint32_t)(area_gpa + dsdt));
    put16(t + FADT_SCI_INT, cfg->sci_irq);
    /* SMI_CMD, ACPI_ENABLE, ACPI_DISABLE 0: always in ACPI mode. */
    put32(t + FADT_PM1A_EVT, cfg->pm_base + ACPI_PM1_STS);
    put32(t + FADT_PM1A_CNT, cfg->pm_base + ACPI_PM1_CNT);
    put32(t + FADT_PM_TMR, cfg->pm_base + ACPI_PM_TMR);
    t[FADT_PM1_EVT_LEN] = 4;
    t[FADT_PM1_CNT_LEN] = 2;
    t[FADT_PM_TMR_LEN] = 4;
    put16(t + FADT_P_LVL2_LAT, 0x0fff); /* > 100: no C2 */
    put16(t + FADT_P_LVL3_LAT, 0x0fff); /* > 1000: no C3 */
    t[FADT_CENTURY] = CMOS_CENTURY;
    put16(t + FADT_IAPC_BOOT, IAPC_LEGACY_DEVICES);
    put32(t + FADT_FLAGS, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON |
                              FADT_SLP_BUTTON | FADT_TMR_VAL_EXT |
                              FADT_RESET_REG_SUP | FADT_USE_PLATFORM_CLOCK);
    gas_io(t + FADT_RESET_REG, 8, GAS_BYTE, RESET_PORT);
    t[FADT_RESET_VALUE] = RESET_VALUE;
    /* The 64-bit twins hold the same values, as OSes check. */
    put64(t + FADT_X_FACS, area_gpa + ACPI_FACS_OFFSET);
    put64(t + FADT_X_DSDT, area_gpa + dsdt);
    gas_io(t + FADT_X_PM1A_EVT, 32, GAS_WORD, cfg->pm_base + ACPI_PM1_STS);
    gas_io(t + FADT_X_PM1A_CNT, 16, GAS_WORD, cfg->pm_base + ACPI_PM1_CNT);
    gas_io(t + FADT_X_PM_TMR, 32, GAS_DWORD, cfg->pm_base + ACPI_PM_TMR);
    finish(t, FADT_LEN);

    /* DSDT (5.2.11.1): revision 2, 64-bit AML integers. */
    t = area + dsdt;
    header(t, "DSDT", dsdt_len, 2);
    memcpy(t + HDR_LEN, dsdt_aml, DSDT_AML_LEN);
    finish(t, dsdt_len);

    /* MADT (5.2.12). */
    t = area + madt;
    header(t, "APIC", madt_len, MADT_REVISION);
    put32(t + 36, ACPI_LAPIC_ADDR);
    put32(t + 40, MADT_PCAT_COMPAT);
    uint8_t *e = t + MADT_BASE;
    for (unsigned i = 0; i < cfg->ncpus; i++, e += 8) {
        /* 5.2.12.2: processor UID, APIC ID, flags (enabled) */
        e[0] = MADT_LAPIC;
        e[1] = 8;
        e[2] = (uint8_t)i;
        e[3] = (uint8_t)i;
        put32(e + 4, 1);
    }
    /* 5.2.12.3: I/O APIC id, address, GSI base */
    e[0] = MADT_IOAPIC;
    e[1] = 12;
    e[2] = (uint8_t)cfg->ncpus;
    put32(e + 4, ACPI_IOAPIC_ADDR);
    put32(e + 8, 0);
    e += 12;
    /* 5.2.12.5: the PIT's IRQ0 is wired to IOAPIC input 2 */
    e[0] = MADT_ISO;
    e[1] = 10;
    e[2] = 0; /* ISA */
    e[3] = 0;
    put32(e + 4, 2);
    put16(e + 8, 0); /* conforms to the bus */
    e += 10;
    if (cfg->sci_irq) {
        /* the SCI: level-triggered, active high, identity-mapped */
        e[0] = MADT_ISO;
        e[1] = 10;
        e[2] = 0;
        e[3] = cfg->sci_irq;
        put32(e + 4, cfg->sci_irq);
        put16(e + 8, MPS_ACTIVE_HIGH | MPS_LEVEL);
        e += 10;
    }
    /* 5.2.12.7: LINT1 of every processor (UID 0xff) is the NMI */
    e[0] = MADT_LAPIC_NMI;
    e[1] = 6;
    e[2] = 0xff;
    put16(e + 3, 0);
    e[5] = 1;
    finish(t, madt_len);

    /* RSDP (5.2.5.3), last: it points at everything. */
    t = area + ACPI_RSDP_OFFSET;
    memcpy(t, "RSD PTR ", 8);
    memcpy(t + 9, OEM_ID, 6);
    t[15] = 2;
    put32(t + 16, (uint32_t)(area_gpa + rsdt));
    put32(t + 20, RSDP_LEN);
    put64(t + 24, area_gpa + xsdt);
    t[8] = checksum(t, 20);
    t[32] = checksum(t, RSDP_LEN);

    *rsdp_gpa = area_gpa + ACPI_RSDP_OFFSET;
    return (int)end;
}

int acpi_waking_vector(const uint8_t *area, size_t area_len, uint32_t *vec)
{
    const uint8_t *f = area + ACPI_FACS_OFFSET;

    if (area_len < ACPI_FACS_OFFSET + FACS_LEN || memcmp(f, "FACS", 4) != 0)
        return -EINVAL;
    *vec = f[FACS_WAKING_VECTOR] | f[FACS_WAKING_VECTOR + 1] << 8 |
           f[FACS_WAKING_VECTOR + 2] << 16 |
           (uint32_t)f[FACS_WAKING_VECTOR + 3] << 24;
    return *vec ? 0 : -ENOENT;
}

/* The PM block. */

#define STS_W1C                                                                \
    (ACPI_PM1_TMR | 0x0010 | ACPI_PM1_GBL | ACPI_PM1_PWRBTN |                  \
     ACPI_PM1_SLPBTN | ACPI_PM1_RTC | 0x4000 | ACPI_PM1_STS_WAK)
#define EN_RW                                                                  \
    (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN |         \
     ACPI_PM1_RTC)
#define CNT_BM_RLD 0x0002
/* SCI_EN reads 1 always: with no SMI_CMD there is no legacy mode. */
#define CNT_RW (CNT_BM_RLD | ACPI_SLP_TYP_MASK)

static uint64_t monotonic_ns(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    /* CLOCK_MONOTONIC cannot fail with a valid pointer (clock_gettime(2)). */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Ticks of the 3.579545 MHz clock since acpi_pm_init, 64 bits. */
static uint64_t ticks(const struct acpi_pm *pm)
{
    uint64_t ns = pm->clock_ns(pm->clock_ctx) - pm->epoch_ns;

    /* Split so ns * HZ cannot overflow: both parts fit in 64 bits. */
    return ns / 1000000000u * ACPI_PM_TIMER_HZ +
           ns % 1000000000u * ACPI_PM_TIMER_HZ / 1000000000u;
}

uint32_t acpi_pm_timer(const struct acpi_pm *pm)
{
    return (uint32_t)ticks(pm);
}

int acpi_pm_init(struct acpi_pm *pm, uint16_t base, struct power *pw,
                 const struct irq_line *irq, uint32_t sci_gsi)
{
    memset(pm, 0, sizeof(*pm));
    if ((uint32_t)base + ACPI_PM_PORTS > 0x10000)
        return -EINVAL;
    pm->base = base;
    pm->pw = pw;
    if (irq)
        pm->irq = *irq;
    pm->sci_gsi = sci_gsi;
    pm->cnt = ACPI_PM1_CNT_SCI_EN;
    pm->clock_ns = monotonic_ns;
    pm->epoch_ns = monotonic_ns(NULL); /* the counter starts at 0 */
    pm->tmr_ref = 0;
    return 0;
}

/* PM1 status with TMR_STS as of tick count now (4.8.3.3: the carry). */
static uint16_t status(const struct acpi_pm *pm, uint64_t now)
{
    uint16_t s = pm->sts;

    if (now >> 31 != pm->tmr_ref >> 31)
        s |= ACPI_PM1_TMR;
    return s;
}

static int update_sci(struct acpi_pm *pm, uint64_t now)
{
    bool level =
        (pm->cnt & ACPI_PM1_CNT_SCI_EN) && (status(pm, now) & pm->en & EN_RW);

    if (level == pm->sci_level)
        return 0;
    pm->sci_level = level;
    return irq_set(&pm->irq, pm->sci_gsi, level);
}

static uint8_t reg_read(const struct acpi_pm *pm, unsigned o, uint64_t now)
{
    unsigned sh = 8 * (o & 1);

    switch (o & ~1u) {
    case ACPI_PM1_STS:
        return (uint8_t)(status(pm, now) >> sh);
    case ACPI_PM1_EN:
        return (uint8_t)(pm->en >> sh);
    case ACPI_PM1_CNT:
        return (uint8_t)(pm->cnt >> sh); /* SLP_EN is never stored */
    case ACPI_PM_TMR:
    case ACPI_PM_TMR + 2:
        return (uint8_t)(now >> (8 * (o - ACPI_PM_TMR)));
    default:
        return 0;
    }
}

/* SLP_EN with SLP_TYP (4.8.3.2.1; the types are the DSDT's). */
static void enter_sleep(struct acpi_pm *pm, uint16_t cnt)
{
    unsigned typ = (cnt & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT;

    if (typ == ACPI_SLP_TYP_S3)
        power_request(pm->pw, POWER_SLEEP, 0);
    else if (typ == ACPI_SLP_TYP_S5)
        power_request(pm->pw, POWER_SHUTDOWN, 0);
}

static void reg_write(struct acpi_pm *pm, unsigned o, uint8_t v, uint64_t now)
{
    unsigned sh = 8 * (o & 1);
    uint16_t bits = (uint16_t)(v << sh);
    uint16_t lane = (uint16_t)(0xffu << sh);

    switch (o & ~1u) {
    case ACPI_PM1_STS:
        /* write 1 to clear */
        if (bits & ACPI_PM1_TMR)
            pm->tmr_ref = now;
        pm->sts &= (uint16_t) ~(bits & STS_W1C);
        break;
    case ACPI_PM1_EN:
        pm->en = (uint16_t)((pm->en & ~lane) | (bits & EN_RW));
        break;
    case ACPI_PM1_CNT:
        pm->cnt = (uint16_t)((pm->cnt & ~(lane & CNT_RW)) | (bits & CNT_RW));
        if (bits & ACPI_PM1_CNT_SLP_EN)
            enter_sleep(pm, pm->cnt);
        break;
    default:
        break; /* the timer is read-only; the rest is unassigned */
    }
}

int acpi_pm_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
               uint32_t count, uint8_t *data)
{
    struct acpi_pm *pm = ctx;
    unsigned off = (unsigned)(port - pm->base);

    for (uint32_t n = 0; n < count; n++, data += size) {
        uint64_t now = ticks(pm); /* one counter value per access */
        for (unsigned i = 0; i < size; i++) {
            if (is_write)
                reg_write(pm, off + i, data[i], now);
            else
                data[i] = reg_read(pm, off + i, now);
        }
        int e = update_sci(pm, now);
        if (e < 0)
            return e;
    }
    return 0;
}

int acpi_pm_reset(struct acpi_pm *pm)
{
    pm->sts = 0;
    pm->en = 0;
    pm->cnt = ACPI_PM1_CNT_SCI_EN;
    pm->epoch_ns = pm->clock_ns(pm->clock_ctx);
    pm->tmr_ref = 0;
    return update_sci(pm, 0);
}

void acpi_pm_save(const struct acpi_pm *pm, struct acpi_pm_state *st)
{
    st->sts = pm->sts;
    st->en = pm->en;
    st->cnt = pm->cnt;
    st->elapsed_ns = pm->clock_ns(pm->clock_ctx) - pm->epoch_ns;
    st->tmr_ref = pm->tmr_ref;
}

int acpi_pm_load(struct acpi_pm *pm, const struct acpi_pm_state *st)
{
    if ((st->sts & ~STS_W1C) || (st->en & ~EN_RW) ||
        st->cnt != ((st->cnt & CNT_RW) | ACPI_PM1_CNT_SCI_EN))
        return -EINVAL;
    pm->sts = st->sts;
    pm->en = st->en;
    pm->cnt = st->cnt;
    pm->epoch_ns = pm->clock_ns(pm->clock_ctx) - st->elapsed_ns;
    pm->tmr_ref = st->tmr_ref;
    return update_sci(pm, ticks(pm));
}

int acpi_pm_wake(struct acpi_pm *pm, uint16_t sts_bits)
{
    pm->sts |= (uint16_t)((sts_bits & STS_W1C) | ACPI_PM1_STS_WAK);
    return update_sci(pm, ticks(pm));
}
