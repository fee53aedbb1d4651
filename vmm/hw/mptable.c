#include "mptable.h"

#include <errno.h>
#include <string.h>

/* Entry types and fields: MP spec 1.4, tables 4-1 to 4-12. */
enum {
    MP_PROCESSOR = 0,
    MP_BUS = 1,
    MP_IOAPIC = 2,
    MP_IOINT = 3,
    MP_LINT = 4,
};
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

#define CPU_EN 0x01
#define CPU_BP 0x02
/* Family 6 and CPUID.1 EDX FPU | APIC: what the entry describes. */
#define CPU_SIGNATURE 0x600u
#define CPU_FEATURES  0x201u

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return (uint8_t)-s;
}

/* An 8-byte I/O or local interrupt assignment entry. */
static uint8_t *intr(uint8_t *e, uint8_t type, uint8_t kind, uint8_t src_irq,
                     uint8_t dst_id, uint8_t dst_pin)
{
    e[0] = type;
    e[1] = kind;
    put16(e + 2, 0); /* polarity and trigger: as the bus says */
    e[4] = 0;        /* source bus: ISA */
    e[5] = src_irq;
    e[6] = dst_id;
    e[7] = dst_pin;
    return e + 8;
}

int mptable_build(uint8_t *fp, uint8_t *cfg, uint64_t cfg_gpa, size_t cfg_len,
                  unsigned ncpus)
{
    size_t len = MPTABLE_CONFIG_LEN(ncpus);
    uint8_t ioapic_id = (uint8_t)ncpus;
    uint16_t entries = 0;

    if (ncpus == 0 || ncpus > MPTABLE_MAX_CPUS || cfg_gpa > UINT32_MAX - len)
        return -EINVAL;
    if (cfg_len < len)
        return -ENOSPC;
    memset(cfg, 0, len);
    memcpy(cfg, "PCMP", 4);
    cfg[6] = 4; /* spec revision 1.4 */
    memcpy(cfg + 8, "KVMSTUB ", 8);
    memcpy(cfg + 16, "PC          ", 12);
    put32(cfg + 36, MPTABLE_LAPIC);
    uint8_t *e = cfg + 44;
    for (unsigned i = 0; i < ncpus; i++, entries++) {
        e[0] = MP_PROCESSOR;
        e[1] = (uint8_t)i; /* local APIC id = vCPU index */
        e[2] = 0x14;       /* local APIC version: integrated */
        e[3] = (uint8_t)(CPU_EN | (i == 0 ? CPU_BP : 0));
        put32(e + 4, CPU_SIGNATURE);
        put32(e + 8, CPU_FEATURES);
        e += 20;
    }
    e[0] = MP_BUS;
    memcpy(e + 2, "ISA   ", 6);
    e += 8;
    entries++;
    e[0] = MP_IOAPIC;
    e[1] = ioapic_id;
    e[2] = 0x11; /* IOAPIC version */
    e[3] = 0x01; /* enabled */
    put32(e + 4, MPTABLE_IOAPIC);
    e += 8;
    entries++;
    /* ISA IRQs as the MADT has them: the PIC's ExtINT on pin 0, IRQ 0 on
     * pin 2 (the override), the others on their own pins; 2 is the
     * cascade and has none. */
    e = intr(e, MP_IOINT, MP_EXTINT, 0, ioapic_id, 0);
    e = intr(e, MP_IOINT, MP_INT, 0, ioapic_id, 2);
    entries += 2;
    for (uint8_t irq = 1; irq < 16; irq++) {
        if (irq == 2)
            continue;
        e = intr(e, MP_IOINT, MP_INT, irq, ioapic_id, irq);
        entries++;
    }
    /* Every local APIC (id 0xff): LINT0 ExtINT, LINT1 NMI. */
    e = intr(e, MP_LINT, MP_EXTINT, 0, 0xff, 0);
    e = intr(e, MP_LINT, MP_NMI, 0, 0xff, 1);
    entries += 2;
    len = (size_t)(e - cfg);
    put16(cfg + 4, (uint16_t)len);
    put16(cfg + 34, entries);
    cfg[7] = checksum(cfg, len);

    memset(fp, 0, MPTABLE_FLOAT_LEN);
    memcpy(fp, "_MP_", 4);
    put32(fp + 4, (uint32_t)cfg_gpa);
    fp[8] = 1; /* length in 16-byte units */
    fp[9] = 4; /* spec revision 1.4 */
    fp[10] = checksum(fp, MPTABLE_FLOAT_LEN);
    return (int)len;
}
