/*
 * ACPI: the tables parsed the way a guest does (kvm-unit-tests lib/acpi.c,
 * Linux), and the PM block driven through its ports.
 */
#include "tests/test.h"

#include <errno.h>

#include "vmm/hw/acpi.h"

/* Guest physical 0xe0000-0xfffff; acpi_build gets the first 64 KiB. */
#define LOW_BASE 0xe0000u
#define LOW_LEN  0x20000u
static uint8_t low[LOW_LEN];

static const uint8_t *gpa(uint64_t a, size_t len)
{
    if (a < LOW_BASE || a - LOW_BASE > LOW_LEN || len > LOW_LEN ||
        a - LOW_BASE + len > LOW_LEN)
        return NULL;
    return low + (a - LOW_BASE);
}

static uint32_t get16(const uint8_t *p)
{
    return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static const struct acpi_config pc_cfg = {
    .ncpus = 2,
    .pm_base = ACPI_PM_BASE_DEFAULT,
    .sci_irq = ACPI_SCI_IRQ_DEFAULT,
};

static int build(const struct acpi_config *cfg, uint64_t *rsdp)
{
    memset(low, 0xcc, sizeof(low)); /* stale bytes must not survive */
    return acpi_build(low, LOW_BASE, 0x10000, cfg, rsdp);
}

/* A table at a, checked: signature, length in range, checksum 0. */
static const uint8_t *table(uint64_t a, const char *sig)
{
    const uint8_t *t = gpa(a, 36);

    CHECK(t != NULL);
    if (!t)
        return NULL;
    CHECK_MEM(t, sig, 4);
    t = gpa(a, get32(t + 4));
    CHECK(t != NULL);
    if (!t)
        return NULL;
    CHECK_EQ(sum(t, get32(t + 4)), 0);
    CHECK_MEM(t + 10, "KVMSTB", 6);
    return t;
}

/* kvm-unit-tests get_rsdp: 16-byte steps through 0xe0000-0xfffff */
static uint64_t scan_rsdp(void)
{
    for (uint64_t a = LOW_BASE; a < LOW_BASE + LOW_LEN; a += 16) {
        if (memcmp(gpa(a, 8), "RSD PTR ", 8) == 0)
            return a;
    }
    return 0;
}

/* find_acpi_table_addr through the XSDT (or the RSDT if xsdt is false) */
static const uint8_t *find(const char *sig, bool xsdt)
{
    const uint8_t *rsdp = gpa(scan_rsdp(), 36);
    const uint8_t *t;
    unsigned esz = xsdt ? 8 : 4;

    if (!rsdp)
        return NULL;
    t = xsdt ? table(get64(rsdp + 24), "XSDT")
             : table(get32(rsdp + 16), "RSDT");
    if (!t)
        return NULL;
    for (uint32_t off = 36; off + esz <= get32(t + 4); off += esz) {
        uint64_t a = xsdt ? get64(t + off) : get32(t + off);
        const uint8_t *e = gpa(a, 36);
        if (e && memcmp(e, sig, 4) == 0)
            return table(a, sig);
    }
    return NULL;
}

static void test_rsdp(void)
{
    uint64_t rsdp = 0;
    const uint8_t *r;
    int n = build(&pc_cfg, &rsdp);

    CHECK(n > 0 && n <= 0x10000);
    CHECK_EQ(rsdp, LOW_BASE);
    CHECK_EQ(scan_rsdp(), rsdp);
    r = gpa(rsdp, 36);
    CHECK_EQ(sum(r, 20), 0); /* ACPI 1.0 checksum */
    CHECK_EQ(sum(r, 36), 0); /* extended checksum */
    CHECK_EQ(r[15], 2);      /* revision: ACPI 2.0+ */
    CHECK_EQ(get32(r + 20), 36);
    CHECK_EQ(r[33] | r[34] | r[35], 0);
    /* the unused rest of the area is zeroed */
    for (int i = n; i < 0x10000; i++) {
        if (low[i] != 0) {
            CHECK_EQ(low[i], 0);
            break;
        }
    }
    /* and nothing past it was touched */
    CHECK_EQ(low[0x10000], 0xcc);
}

static void test_rsdt_xsdt_agree(void)
{
    uint64_t rsdp;

    CHECK_OK(build(&pc_cfg, &rsdp));
    const uint8_t *r = gpa(rsdp, 36);
    const uint8_t *rsdt = table(get32(r + 16), "RSDT");
    const uint8_t *xsdt = table(get64(r + 24), "XSDT");
    CHECK(rsdt && xsdt);
    if (!rsdt || !xsdt)
        return;
    CHECK_EQ(get32(rsdt + 4), 36 + 2 * 4);
    CHECK_EQ(get32(xsdt + 4), 36 + 2 * 8);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(get32(rsdt + 36 + 4 * i), get64(xsdt + 36 + 8 * i));
    CHECK(find("FACP", true) == find("FACP", false));
    CHECK(find("APIC", true) == find("APIC", false));
    CHECK(find("FACP", true) != NULL);
    CHECK(find("APIC", true) != NULL);
}

static void test_fadt(void)
{
    uint64_t rsdp;

    CHECK_OK(build(&pc_cfg, &rsdp));
    const uint8_t *f = find("FACP", true);
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_EQ(get32(f + 4), 276);
    CHECK_EQ(f[8], 6);
    /* what s3.c and vmexit.c read */
    CHECK_EQ(get32(f + 56), 0xb000);    /* pm1a_evt_blk */
    CHECK_EQ(get32(f + 64), 0xb004);    /* pm1a_cnt_blk */
    CHECK_EQ(get32(f + 76), 0xb008);    /* pm_tmr_blk */
    CHECK_EQ(f[88], 4);                 /* pm1_evt_len */
    CHECK_EQ(f[89], 2);                 /* pm1_cnt_len */
    CHECK_EQ(f[91], 4);                 /* pm_tmr_len */
    CHECK_EQ(get16(f + 46), 9);         /* sci_int */
    CHECK_EQ(get32(f + 48), 0);         /* smi_cmd: always ACPI mode */
    CHECK(get32(f + 112) & (1u << 8));  /* TMR_VAL_EXT: 32-bit timer */
    CHECK(get32(f + 112) & (1u << 10)); /* RESET_REG_SUP */
    /* reset register: System I/O byte at 0xcf9, value 6 */
    CHECK_EQ(f[116], 1);
    CHECK_EQ(f[117], 8);
    CHECK_EQ(get64(f + 120), 0xcf9);
    CHECK_EQ(f[128], 6);
    /* 64-bit twins agree with the 32-bit fields */
    CHECK_EQ(get64(f + 132), get32(f + 36));
    CHECK_EQ(get64(f + 140), get32(f + 40));
    CHECK_EQ(f[148], 1);
    CHECK_EQ(f[149], 32);
    CHECK_EQ(get64(f + 152), 0xb000);
    CHECK_EQ(f[172 + 1], 16);
    CHECK_EQ(get64(f + 176), 0xb004);
    CHECK_EQ(f[208 + 1], 32);
    CHECK_EQ(get64(f + 212), 0xb008);
}

static void test_facs_and_dsdt(void)
{
    static const uint8_t s3[] = {0x08, '_',  'S', '3', '_', 0x12,
                                 0x06, 0x04, 1,   1,   0,   0};
    static const uint8_t s5[] = {0x08, '_',  'S', '5', '_', 0x12,
                                 0x06, 0x04, 0,   0,   0,   0};
    uint64_t rsdp;
    uint32_t vec = 0;

    CHECK_OK(build(&pc_cfg, &rsdp));
    const uint8_t *f = find("FACP", true);
    if (!f)
        return;
    /* FACS, reached as kvm-unit-tests does: fadt->firmware_ctrl */
    uint32_t facs_gpa = get32(f + 36);
    CHECK_EQ(facs_gpa % 64, 0);
    const uint8_t *facs = gpa(facs_gpa, 64);
    CHECK(facs != NULL);
    if (!facs)
        return;
    CHECK_MEM(facs, "FACS", 4);
    CHECK_EQ(get32(facs + 4), 64);
    CHECK_EQ(facs[32], 2);
    CHECK_EQ(get32(facs + 12), 0);
    CHECK_EQ(acpi_waking_vector(low, 0x10000, &vec), -ENOENT);
    /* s3.c: facs->firmware_waking_vector = 0x1000 */
    low[facs_gpa - LOW_BASE + 12] = 0x00;
    low[facs_gpa - LOW_BASE + 13] = 0x10;
    CHECK_OK(acpi_waking_vector(low, 0x10000, &vec));
    CHECK_EQ(vec, 0x1000);
    CHECK_EQ(acpi_waking_vector(low, 100, &vec), -EINVAL);

    /* DSDT: header + the two sleep packages */
    const uint8_t *d = table(get32(f + 40), "DSDT");
    if (!d)
        return;
    CHECK_EQ(get32(d + 4), 36 + sizeof(s3) + sizeof(s5));
    CHECK_EQ(d[8], 2);
    CHECK_MEM(d + 36, s3, sizeof(s3));
    CHECK_MEM(d + 36 + sizeof(s3), s5, sizeof(s5));
    /* the types the PM block acts on are the ones the DSDT names */
    CHECK_EQ(d[36 + 8], ACPI_SLP_TYP_S3);
    CHECK_EQ(d[36 + 12 + 8], ACPI_SLP_TYP_S5);
}

/* Walk the MADT as Linux and acpi_table_parse_madt do. */
static void check_madt(unsigned ncpus)
{
    const struct acpi_config cfg = {ncpus, 0x600, 9};
    unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;
    uint64_t rsdp;

    CHECK_OK(build(&cfg, &rsdp));
    const uint8_t *m = find("APIC", true);
    CHECK(m != NULL);
    if (!m)
        return;
    CHECK_EQ(get32(m + 36), 0xfee00000);
    CHECK_EQ(get32(m + 40), 1); /* PCAT_COMPAT */
    uint32_t len = get32(m + 4), off = 44;
    while (off + 2 <= len) {
        const uint8_t *e = m + off;
        CHECK(e[1] >= 2 && off + e[1] <= len);
        if (e[1] < 2)
            return;
        switch (e[0]) {
        case 0:
            CHECK_EQ(e[1], 8);
            CHECK_EQ(e[2], lapics); /* UID */
            CHECK_EQ(e[3], lapics); /* APIC id */
            CHECK_EQ(get32(e + 4), 1);
            lapics++;
            break;
        case 1:
            CHECK_EQ(e[1], 12);
            CHECK_EQ(e[2], ncpus);
            CHECK_EQ(get32(e + 4), 0xfec00000);
            CHECK_EQ(get32(e + 8), 0);
            ioapics++;
            break;
        case 2:
            CHECK_EQ(e[1], 10);
            CHECK_EQ(e[2], 0);
            if (e[3] == 0) {
                CHECK_EQ(get32(e + 4), 2);
                CHECK_EQ(get16(e + 8), 0);
            } else {
                CHECK_EQ(e[3], 9);
                CHECK_EQ(get32(e + 4), 9);
                CHECK_EQ(get16(e + 8), 0x000d); /* level, active high */
            }
            isos++;
            break;
        case 4:
            CHECK_EQ(e[1], 6);
            CHECK_EQ(e[2], 0xff);
            CHECK_EQ(e[5], 1);
            nmis++;
            break;
        default:
            CHECK(!"unexpected MADT entry");
        }
        off += e[1];
    }
    CHECK_EQ(off, len);
    CHECK_EQ(lapics, ncpus);
    CHECK_EQ(ioapics, 1);
    CHECK_EQ(isos, 2);
    CHECK_EQ(nmis, 1);
    /* and the FADT follows the configured PM base */
    const uint8_t *f = find("FACP", false);
    if (f)
        CHECK_EQ(get32(f + 76), 0x608);
}

static void test_madt(void)
{
    check_madt(1);
    check_madt(2);
    check_madt(ACPI_MAX_CPUS);
}

static void test_build_errors(void)
{
    static uint8_t small[512];
    struct acpi_config cfg = pc_cfg;
    uint64_t rsdp = 77;

    memset(small, 0xcc, sizeof(small));
    CHECK_EQ(acpi_build(small, LOW_BASE, sizeof(small), &cfg, &rsdp), -ENOSPC);
    CHECK_EQ(small[0], 0xcc); /* untouched */
    CHECK_EQ(rsdp, 77);
    CHECK_EQ(acpi_build(low, LOW_BASE + 16, 0x10000, &cfg, &rsdp), -EINVAL);
    CHECK_EQ(acpi_build(low, 0xfffff000, 0x10000, &cfg, &rsdp), -EINVAL);
    CHECK_EQ(acpi_build(low, UINT64_MAX - 63, 0x10000, &cfg, &rsdp), -EINVAL);
    cfg.ncpus = 0;
    CHECK_EQ(acpi_build(low, LOW_BASE, 0x10000, &cfg, &rsdp), -EINVAL);
    cfg.ncpus = ACPI_MAX_CPUS + 1;
    CHECK_EQ(acpi_build(low, LOW_BASE, 0x10000, &cfg, &rsdp), -EINVAL);
    /* no SCI: no override for it */
    cfg.ncpus = 1;
    cfg.sci_irq = 0;
    int n = acpi_build(low, LOW_BASE, 0x10000, &cfg, &rsdp);
    CHECK(n > 0);
    const uint8_t *m = find("APIC", true);
    if (m)
        CHECK_EQ(get32(m + 4), 44 + 8 + 12 + 10 + 6);
}

/* The PM block with a clock the test sets. */

struct fake {
    uint64_t ns;
    struct rec {
        int calls;
        uint32_t gsi;
        int level;
    } line;
};

static uint64_t fake_ns(void *ctx)
{
    return ((struct fake *)ctx)->ns;
}

static int rec_set(void *ctx, uint32_t gsi, int level)
{
    struct rec *r = ctx;

    r->calls++;
    r->gsi = gsi;
    r->level = level;
    return 0;
}

static void pm_setup(struct acpi_pm *pm, struct fake *fk, struct power *pw)
{
    struct irq_line line = {rec_set, &fk->line};

    memset(fk, 0, sizeof(*fk));
    memset(pw, 0, sizeof(*pw));
    CHECK_OK(acpi_pm_init(pm, 0xb000, pw, &line, 9));
    pm->clock_ns = fake_ns;
    pm->clock_ctx = fk;
    pm->epoch_ns = 0;
}

static void out(struct acpi_pm *pm, uint16_t port, uint8_t size, uint32_t v)
{
    uint8_t b[4];

    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    CHECK_OK(acpi_pm_io(pm, port, true, size, 1, b));
}

static uint32_t in(struct acpi_pm *pm, uint16_t port, uint8_t size)
{
    uint8_t b[4] = {0x5a, 0x5a, 0x5a, 0x5a};
    uint32_t v = 0;

    CHECK_OK(acpi_pm_io(pm, port, false, size, 1, b));
    for (int i = 0; i < size; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

static void test_pm_timer(void)
{
    struct acpi_pm pm;
    struct fake fk;
    struct power pw;
    uint8_t b[8];

    pm_setup(&pm, &fk, &pw);
    CHECK_EQ(in(&pm, 0xb008, 4), 0);
    fk.ns = 1000000000; /* one second: 3579545 ticks */
    CHECK_EQ(in(&pm, 0xb008, 4), 3579545);
    fk.ns = 1500000000;
    CHECK_EQ(in(&pm, 0xb008, 4), 3579545 + 3579545 / 2);
    CHECK_EQ(acpi_pm_timer(&pm), 3579545 + 3579545 / 2);
    /* the fraction of a second, against exact 128-bit arithmetic */
    fk.ns = 7123456789ull;
    CHECK_EQ(in(&pm, 0xb008, 4),
             (uint32_t)((unsigned __int128)fk.ns * 3579545 / 1000000000u));
    /* byte and word reads are the dword's bytes */
    uint32_t v = in(&pm, 0xb008, 4);
    CHECK_EQ(in(&pm, 0xb008, 1), v & 0xff);
    CHECK_EQ(in(&pm, 0xb009, 1), (v >> 8) & 0xff);
    CHECK_EQ(in(&pm, 0xb00a, 2), v >> 16);
    /* 32 bits wrap: 2^32 ticks is 1199.9 s; pick a time just past it */
    fk.ns = 1200000000000ull; /* 1200 s = 4295454000 ticks */
    CHECK_EQ(in(&pm, 0xb008, 4), (uint32_t)(1200ull * 3579545));
    /* rep insl: a value per item */
    CHECK_OK(acpi_pm_io(&pm, 0xb008, false, 4, 2, b));
    CHECK_EQ(get32(b), get32(b + 4));
    /* writes do nothing */
    out(&pm, 0xb008, 4, 0);
    CHECK_EQ(in(&pm, 0xb008, 4), (uint32_t)(1200ull * 3579545));
    /* a large time does not overflow the conversion */
    fk.ns = UINT64_MAX;
    CHECK_EQ(acpi_pm_timer(&pm),
             (uint32_t)(UINT64_MAX / 1000000000u * 3579545 +
                        UINT64_MAX % 1000000000u * 3579545 / 1000000000u));
}

static void test_pm_timer_real_clock(void)
{
    struct acpi_pm pm;
    struct power pw = {0};

    CHECK_OK(acpi_pm_init(&pm, 0xb000, &pw, NULL, 9));
    uint32_t a = in(&pm, 0xb008, 4), b = in(&pm, 0xb008, 4);
    /* counting from 0 at init (no wrap for 20 minutes), never backwards */
    CHECK(a <= b);
    CHECK(b < 0x80000000u);
    CHECK_EQ(in(&pm, 0xb000, 2) & ACPI_PM1_TMR, 0);
}

static void test_pm_tmr_sts(void)
{
    struct acpi_pm pm;
    struct fake fk;
    struct power pw;

    pm_setup(&pm, &fk, &pw);
    CHECK_EQ(in(&pm, 0xb000, 2) & ACPI_PM1_TMR, 0);
    /* bit 31 of the counter flips at 2^31 ticks (about 600 s) */
    fk.ns = 600000000000ull; /* 2147727000 ticks > 2^31 */
    CHECK_EQ(in(&pm, 0xb000, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
    CHECK_EQ(fk.line.calls, 0); /* TMR_EN clear: no SCI */
    /* with TMR_EN, the next access raises the SCI */
    out(&pm, 0xb002, 2, ACPI_PM1_TMR);
    CHECK_EQ(fk.line.calls, 1);
    CHECK_EQ(fk.line.gsi, 9);
    CHECK_EQ(fk.line.level, 1);
    /* write 1 to clear: gone, SCI lowered */
    out(&pm, 0xb000, 2, ACPI_PM1_TMR);
    CHECK_EQ(in(&pm, 0xb000, 2) & ACPI_PM1_TMR, 0);
    CHECK_EQ(fk.line.level, 0);
    fk.ns += 1000000000; /* same half of the counter: still clear */
    CHECK_EQ(in(&pm, 0xb000, 2) & ACPI_PM1_TMR, 0);
}

static void test_pm_s3_sequence(void)
{
    struct acpi_pm pm;
    struct fake fk;
    struct power pw;

    pm_setup(&pm, &fk, &pw);
    CHECK_EQ(in(&pm, 0xb004, 2), ACPI_PM1_CNT_SCI_EN);
    /* s3.c: outw(0x400, pm1a_evt_blk + 2): RTC_EN */
    out(&pm, 0xb002, 2, 0x400);
    CHECK_EQ(in(&pm, 0xb002, 2), ACPI_PM1_RTC);
    CHECK_EQ(pw.req, POWER_NONE);
    /* outw(0x2400, pm1a_cnt_blk): SLP_EN | SLP_TYP 1 */
    out(&pm, 0xb004, 2, 0x2400);
    CHECK_EQ(pw.req, POWER_SLEEP);
    /* SLP_EN reads 0; SLP_TYP stays; SCI_EN stays 1 though written 0 */
    CHECK_EQ(in(&pm, 0xb004, 2), 0x0401);
    /* resume by the RTC alarm: WAK_STS and RTC_STS; RTC_EN: the SCI */
    CHECK_EQ(fk.line.calls, 0);
    CHECK_OK(acpi_pm_wake(&pm, ACPI_PM1_RTC));
    CHECK_EQ(in(&pm, 0xb000, 2), ACPI_PM1_STS_WAK | ACPI_PM1_RTC);
    CHECK_EQ(fk.line.calls, 1);
    CHECK_EQ(fk.line.level, 1);
    /* clear WAK only: RTC still pending and enabled */
    out(&pm, 0xb001, 1, 0x80);
    CHECK_EQ(in(&pm, 0xb000, 2), ACPI_PM1_RTC);
    CHECK_EQ(fk.line.level, 1);
    out(&pm, 0xb000, 2, 0xffff);
    CHECK_EQ(in(&pm, 0xb000, 2), 0);
    CHECK_EQ(fk.line.level, 0);
    CHECK_EQ(fk.line.calls, 2);
    /* with the enable bit clear, a wake event is status only */
    out(&pm, 0xb002, 2, 0);
    CHECK_OK(acpi_pm_wake(&pm, ACPI_PM1_RTC));
    CHECK_EQ(in(&pm, 0xb000, 2), ACPI_PM1_STS_WAK | ACPI_PM1_RTC);
    CHECK_EQ(fk.line.calls, 2);
}

static void test_pm_sleep_types(void)
{
    struct acpi_pm pm;
    struct fake fk;
    struct power pw;

    /* S5 (SLP_TYP 0) with SLP_EN: power off */
    pm_setup(&pm, &fk, &pw);
    out(&pm, 0xb004, 2, 0x2001);
    CHECK_EQ(pw.req, POWER_SHUTDOWN);
    /* a byte write of the high half is enough (SLP_TYP and SLP_EN are
     * both in it) */
    pm_setup(&pm, &fk, &pw);
    out(&pm, 0xb005, 1, 0x24);
    CHECK_EQ(pw.req, POWER_SLEEP);
    CHECK_EQ(in(&pm, 0xb004, 2), 0x0401);
    /* SLP_TYP without SLP_EN: nothing yet */
    pm_setup(&pm, &fk, &pw);
    out(&pm, 0xb004, 2, 0x0401);
    CHECK_EQ(pw.req, POWER_NONE);
    /* a type the DSDT does not name: ignored */
    out(&pm, 0xb004, 2, 0x2000 | 5 << 10 | 1);
    CHECK_EQ(pw.req, POWER_NONE);
    /* no power object: no crash */
    CHECK_OK(acpi_pm_init(&pm, 0xb000, NULL, NULL, 9));
    out(&pm, 0xb004, 2, 0x2400);
}

static void test_pm_registers(void)
{
    struct acpi_pm pm;
    struct fake fk;
    struct power pw;
    uint8_t b[4] = {0, 0x04, 0, 0};

    pm_setup(&pm, &fk, &pw);
    /* enable keeps only defined bits */
    out(&pm, 0xb002, 2, 0xffff);
    CHECK_EQ(in(&pm, 0xb002, 2), 0x0721);
    out(&pm, 0xb003, 1, 0x00);
    CHECK_EQ(in(&pm, 0xb002, 2), 0x0021);
    /* a dword at the event block: status and enable together */
    out(&pm, 0xb000, 4, 0x04000000);
    CHECK_EQ(in(&pm, 0xb000, 4), 0x04000000);
    /* status bits are not set by writing */
    CHECK_EQ(in(&pm, 0xb000, 2), 0);
    /* unassigned offsets read 0 */
    CHECK_EQ(in(&pm, 0xb006, 2), 0);
    /* rep outsw at the enable register: the last item wins */
    CHECK_OK(acpi_pm_io(&pm, 0xb002, true, 2, 2, b));
    CHECK_EQ(in(&pm, 0xb002, 2), 0);
    /* the block must fit the port space */
    CHECK_EQ(acpi_pm_init(&pm, 0xfff8, NULL, NULL, 9), -EINVAL);
    CHECK_OK(acpi_pm_init(&pm, 0x10000 - ACPI_PM_PORTS, NULL, NULL, 9));
}

static void test_pm_reset_save_load(void)
{
    struct acpi_pm pm, pm2;
    struct fake fk, fk2;
    struct power pw, pw2;
    struct acpi_pm_state st, bad;

    pm_setup(&pm, &fk, &pw);
    fk.ns = 2000000000; /* 2 s */
    out(&pm, 0xb002, 2, ACPI_PM1_RTC);
    out(&pm, 0xb004, 2, 0x0401); /* SLP_TYP 1, no SLP_EN */
    CHECK_OK(acpi_pm_wake(&pm, ACPI_PM1_RTC));
    CHECK_EQ(fk.line.level, 1);
    acpi_pm_save(&pm, &st);
    CHECK_EQ(st.elapsed_ns, 2000000000);

    /* another block, whose clock reads 50 s: it goes on from 2 s, and
     * its SCI follows the loaded status */
    pm_setup(&pm2, &fk2, &pw2);
    fk2.ns = 50000000000ull;
    CHECK_OK(acpi_pm_load(&pm2, &st));
    CHECK_EQ(in(&pm2, 0xb008, 4), 2 * 3579545);
    fk2.ns += 1000000000;
    CHECK_EQ(in(&pm2, 0xb008, 4), 3 * 3579545);
    CHECK_EQ(in(&pm2, 0xb000, 2), ACPI_PM1_STS_WAK | ACPI_PM1_RTC);
    CHECK_EQ(in(&pm2, 0xb002, 2), ACPI_PM1_RTC);
    CHECK_EQ(in(&pm2, 0xb004, 2), 0x0401);
    CHECK_EQ(fk2.line.level, 1);
    CHECK_EQ(fk2.line.gsi, 9);

    /* bits no register has: refused, nothing changed */
    bad = st;
    bad.sts |= 0x0002;
    CHECK_EQ(acpi_pm_load(&pm2, &bad), -EINVAL);
    bad = st;
    bad.en |= 0x8000;
    CHECK_EQ(acpi_pm_load(&pm2, &bad), -EINVAL);
    bad = st;
    bad.cnt &= (uint16_t)~ACPI_PM1_CNT_SCI_EN;
    CHECK_EQ(acpi_pm_load(&pm2, &bad), -EINVAL);
    bad = st;
    bad.cnt |= ACPI_PM1_CNT_SLP_EN;
    CHECK_EQ(acpi_pm_load(&pm2, &bad), -EINVAL);
    CHECK_EQ(in(&pm2, 0xb002, 2), ACPI_PM1_RTC);

    /* reset: registers cleared, SCI lowered, the counter from 0 */
    CHECK_OK(acpi_pm_reset(&pm2));
    CHECK_EQ(fk2.line.level, 0);
    CHECK_EQ(in(&pm2, 0xb000, 2), 0);
    CHECK_EQ(in(&pm2, 0xb002, 2), 0);
    CHECK_EQ(in(&pm2, 0xb004, 2), ACPI_PM1_CNT_SCI_EN);
    CHECK_EQ(in(&pm2, 0xb008, 4), 0);
    fk2.ns += 1000000000;
    CHECK_EQ(in(&pm2, 0xb008, 4), 3579545);
    CHECK_EQ(pw2.req, POWER_NONE);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_rsdp),
        TEST(test_rsdt_xsdt_agree),
        TEST(test_fadt),
        TEST(test_facs_and_dsdt),
        TEST(test_madt),
        TEST(test_build_errors),
        TEST(test_pm_timer),
        TEST(test_pm_timer_real_clock),
        TEST(test_pm_tmr_sts),
        TEST(test_pm_s3_sequence),
        TEST(test_pm_sleep_types),
        TEST(test_pm_registers),
        TEST(test_pm_reset_save_load),
    };
    return test_main(tests, TEST_COUNT(tests));
}
