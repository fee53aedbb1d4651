/*
 * The MP spec 1.4 tables as an OS finds them: the floating pointer by its
 * signature and checksum, the configuration table it points to, one
 * processor entry per CPU with CPU 0 the bootstrap one, the ISA bus, the
 * IOAPIC and the interrupt entries; bad counts and short areas refused.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tests/test.h"
#include "vmm/hw/mptable.h"

#define CFG_GPA 0xee000u

static uint8_t fp[MPTABLE_FLOAT_LEN];
static uint8_t cfg[0x2000];

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void check_tables(unsigned ncpus)
{
    memset(cfg, 0xcc, sizeof(cfg));
    int len = mptable_build(fp, cfg, CFG_GPA, sizeof(cfg), ncpus);
    CHECK(len > 0);
    if (len <= 0)
        return;
    CHECK_MEM(fp, "_MP_", 4);
    CHECK_EQ(sum(fp, 16), 0);
    CHECK_EQ(fp[8], 1);
    CHECK_EQ(fp[9], 4);
    CHECK_EQ(fp[11], 0); /* a configuration table, not a default one */
    CHECK_EQ(get32(fp + 4), CFG_GPA);
    CHECK_MEM(cfg, "PCMP", 4);
    CHECK_EQ(get16(cfg + 4), len);
    CHECK_EQ(sum(cfg, (size_t)len), 0);
    CHECK_EQ(get32(cfg + 36), MPTABLE_LAPIC);
    unsigned cpus = 0, bps = 0, buses = 0, ioapics = 0, ioints = 0, lints = 0;
    unsigned n = get16(cfg + 34);
    const uint8_t *e = cfg + 44;
    for (unsigned i = 0; i < n && e < cfg + len; i++) {
        switch (e[0]) {
        case 0:
            CHECK_EQ(e[1], cpus); /* APIC ids 0..ncpus-1 in order */
            CHECK(e[3] & 1);
            if (e[3] & 2) {
                bps++;
                CHECK_EQ(e[1], 0);
            }
            cpus++;
            e += 20;
            break;
        case 1:
            CHECK_MEM(e + 2, "ISA   ", 6);
            buses++;
            e += 8;
            break;
        case 2:
            CHECK_EQ(e[1], ncpus);
            CHECK_EQ(get32(e + 4), MPTABLE_IOAPIC);
            ioapics++;
            e += 8;
            break;
        case 3:
            CHECK_EQ(e[6], ncpus);
            if (e[1] == 0 && e[5] == 0)
                CHECK_EQ(e[7], 2); /* IRQ 0 -> pin 2, as the MADT */
            ioints++;
            e += 8;
            break;
        case 4:
            lints++;
            e += 8;
            break;
        default:
            CHECK(!"unknown entry type");
            return;
        }
    }
    CHECK_EQ(e - cfg, len);
    CHECK_EQ(cpus, ncpus);
    CHECK_EQ(bps, 1);
    CHECK_EQ(buses, 1);
    CHECK_EQ(ioapics, 1);
    CHECK_EQ(ioints, 16); /* ExtINT + IRQ 0, 1, 3-15 */
    CHECK_EQ(lints, 2);
    CHECK_EQ(cfg[len], 0xcc); /* nothing past the table */
}

static void test_counts(void)
{
    check_tables(1);
    check_tables(4);
    check_tables(MPTABLE_MAX_CPUS);
}

static void test_bad(void)
{
    CHECK_EQ(mptable_build(fp, cfg, CFG_GPA, sizeof(cfg), 0), -EINVAL);
    CHECK_EQ(mptable_build(fp, cfg, CFG_GPA, sizeof(cfg), 255), -EINVAL);
    CHECK_EQ(mptable_build(fp, cfg, CFG_GPA, 100, 4), -ENOSPC);
    CHECK_EQ(mptable_build(fp, cfg, 0xffffff80u, sizeof(cfg), 4), -EINVAL);
    CHECK(MPTABLE_CONFIG_LEN(MPTABLE_MAX_CPUS) <= sizeof(cfg));
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_counts),
        TEST(test_bad),
    };
    return test_main(tests, TEST_COUNT(tests));
}
