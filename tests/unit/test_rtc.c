/* The MC146818 RTC/CMOS driven through ports 0x70/0x71 on a fake clock. */
#include "tests/test.h"

#include <errno.h>

#include "vmm/boot/memmap.h"
#include "vmm/hw/rtc.h"

#define SEC 1000000000ll
/* 2026-12-02 16:17:34 UTC, a Wednesday */
#define T0 (1796228254ll * SEC)

struct irq_rec {
    int level;
    int calls;
    uint32_t gsi;
};

static int rec_set(void *ctx, uint32_t gsi, int level)
{
    struct irq_rec *r = ctx;

    r->level = level;
    r->gsi = gsi;
    r->calls++;
    return 0;
}

static int64_t fake_ns;
static struct irq_rec rec;
static struct irq_line line = {.set = rec_set, .ctx = &rec};

static int64_t fake_clock(void *ctx)
{
    return *(int64_t *)ctx;
}

static void setup(struct rtc *r, int64_t t)
{
    fake_ns = t;
    rec = (struct irq_rec){0};
    CHECK_OK(rtc_init(r, NULL, &line, RTC_GSI));
    rtc_set_clock(r, fake_clock, &fake_ns);
}

static uint8_t cmos_read(struct rtc *r, uint8_t idx)
{
    uint8_t v = 0x5a;

    CHECK_OK(rtc_io(r, 0x70, true, 1, 1, &idx));
    CHECK_OK(rtc_io(r, 0x71, false, 1, 1, &v));
    return v;
}

static void cmos_write(struct rtc *r, uint8_t idx, uint8_t v)
{
    CHECK_OK(rtc_io(r, 0x70, true, 1, 1, &idx));
    CHECK_OK(rtc_io(r, 0x71, true, 1, 1, &v));
}

/* From the host's clock at start (no fake): some sane BCD date. */
static void test_host_clock(void)
{
    struct rtc r;
    uint8_t y, c;

    CHECK_OK(rtc_init(&r, NULL, NULL, RTC_GSI));
    y = cmos_read(&r, 0x09);
    c = cmos_read(&r, 0x32);
    CHECK(c == 0x20 || c == 0x21);
    CHECK((y & 0x0f) <= 9 && (y >> 4) <= 9);
    CHECK(cmos_read(&r, 0x08) >= 0x01 && cmos_read(&r, 0x08) <= 0x12);
    CHECK_EQ(rtc_init(NULL, NULL, NULL, 8), -EINVAL);
}

static void test_time_bcd_binary_12h(void)
{
    struct rtc r;

    setup(&r, T0 + SEC / 2);
    CHECK_EQ(cmos_read(&r, 0x0a), 0x26);
    CHECK_EQ(cmos_read(&r, 0x0b), 0x02);
    CHECK_EQ(cmos_read(&r, 0x0d), 0x80);
    CHECK_EQ(cmos_read(&r, 0x00), 0x34);
    CHECK_EQ(cmos_read(&r, 0x02), 0x17);
    CHECK_EQ(cmos_read(&r, 0x04), 0x16);
    CHECK_EQ(cmos_read(&r, 0x06), 4); /* Wednesday, Sunday = 1 */
    CHECK_EQ(cmos_read(&r, 0x07), 0x02);
    CHECK_EQ(cmos_read(&r, 0x08), 0x12);
    CHECK_EQ(cmos_read(&r, 0x09), 0x26);
    CHECK_EQ(cmos_read(&r, 0x32), 0x20);
    fake_ns += 26 * SEC; /* 16:18:00.5 */
    CHECK_EQ(cmos_read(&r, 0x00), 0x00);
    CHECK_EQ(cmos_read(&r, 0x02), 0x18);
    /* binary */
    cmos_write(&r, 0x0b, 0x06);
    CHECK_EQ(cmos_read(&r, 0x02), 18);
    CHECK_EQ(cmos_read(&r, 0x04), 16);
    CHECK_EQ(cmos_read(&r, 0x08), 12);
    CHECK_EQ(cmos_read(&r, 0x09), 26);
    CHECK_EQ(cmos_read(&r, 0x32), 20);
    /* 12-hour BCD: 4 PM */
    cmos_write(&r, 0x0b, 0x00);
    CHECK_EQ(cmos_read(&r, 0x04), 0x84);
    /* 12-hour binary: noon is 12 PM, midnight 12 AM */
    cmos_write(&r, 0x0b, 0x04);
    fake_ns = T0 - (16 * 3600 + 17 * 60 + 34) * SEC + 12 * 3600 * SEC;
    CHECK_EQ(cmos_read(&r, 0x04), 0x80 | 12);
    fake_ns -= 12 * 3600 * SEC;
    CHECK_EQ(cmos_read(&r, 0x04), 12);
    fake_ns += 3600 * SEC;
    CHECK_EQ(cmos_read(&r, 0x04), 1);
}

static void test_uip(void)
{
    struct rtc r;

    setup(&r, T0 + SEC - 244000);
    CHECK_EQ(cmos_read(&r, 0x0a), 0xa6); /* last 244 us of the second */
    fake_ns = T0 + SEC - 245000;
    CHECK_EQ(cmos_read(&r, 0x0a), 0x26);
    fake_ns = T0;
    CHECK_EQ(cmos_read(&r, 0x0a), 0x26);
    cmos_write(&r, 0x0a, 0xaf); /* UIP is read-only */
    CHECK_EQ(cmos_read(&r, 0x0a), 0x2f);
    fake_ns = T0 + SEC - 1000;
    CHECK_EQ(cmos_read(&r, 0x0a), 0xaf);
    cmos_write(&r, 0x0b, 0x82); /* SET: no updates, no UIP */
    CHECK_EQ(cmos_read(&r, 0x0a), 0x2f);
}

/* Setting the clock the way a guest (or hwclock) does, under SET. */
static void test_set_time(void)
{
    struct rtc r;
    static const uint8_t regs[] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32};
    static const uint8_t vals[] = {0x58, 0x59, 0x23, 0x31, 0x12, 0x99, 0x19};

    setup(&r, T0);
    cmos_write(&r, 0x0b, 0x92); /* SET, with UIE: SET clears UIE */
    CHECK_EQ(cmos_read(&r, 0x0b), 0x82);
    for (size_t i = 0; i < sizeof(regs); i++)
        cmos_write(&r, regs[i], vals[i]);
    fake_ns += 10 * SEC; /* frozen while SET */
    for (size_t i = 0; i < sizeof(regs); i++)
        CHECK_EQ(cmos_read(&r, regs[i]), vals[i]);
    cmos_write(&r, 0x0b, 0x02); /* runs from 1999-12-31 23:58:59 */
    CHECK_EQ(cmos_read(&r, 0x00), 0x58);
    fake_ns += 2 * SEC;
    CHECK_EQ(cmos_read(&r, 0x00), 0x00);
    CHECK_EQ(cmos_read(&r, 0x02), 0x00);
    CHECK_EQ(cmos_read(&r, 0x04), 0x00);
    CHECK_EQ(cmos_read(&r, 0x07), 0x01);
    CHECK_EQ(cmos_read(&r, 0x08), 0x01);
    CHECK_EQ(cmos_read(&r, 0x09), 0x00);
    CHECK_EQ(cmos_read(&r, 0x32), 0x20);
    CHECK_EQ(cmos_read(&r, 0x06), 7); /* 2000-01-01 was a Saturday */
    /* one byte written while running moves the time from now on */
    cmos_write(&r, 0x09, 0x42);
    CHECK_EQ(cmos_read(&r, 0x09), 0x42);
    CHECK_EQ(cmos_read(&r, 0x07), 0x01);
    CHECK_EQ(cmos_read(&r, 0x00), 0x00);
    fake_ns += 5 * SEC;
    CHECK_EQ(cmos_read(&r, 0x00), 0x05);
    CHECK_EQ(cmos_read(&r, 0x09), 0x42);
    /* a second RTC on the same clock is not affected (no globals) */
    struct rtc other;
    CHECK_OK(rtc_init(&other, NULL, NULL, RTC_GSI));
    rtc_set_clock(&other, fake_clock, &fake_ns);
    CHECK_EQ(cmos_read(&other, 0x09), 0x26);
}

static void test_divider_reset(void)
{
    struct rtc r;

    setup(&r, T0 + SEC / 4);
    cmos_write(&r, 0x0a, 0x66); /* divider chain in reset */
    fake_ns += 3 * SEC;
    CHECK_EQ(cmos_read(&r, 0x00), 0x34); /* stopped */
    CHECK_EQ(cmos_read(&r, 0x0a) & 0x80, 0);
    cmos_write(&r, 0x0a, 0x26); /* first update half a second later */
    fake_ns += SEC / 2 - 1;
    CHECK_EQ(cmos_read(&r, 0x00), 0x34);
    fake_ns += 1;
    CHECK_EQ(cmos_read(&r, 0x00), 0x35);
}

static void test_update_interrupt(void)
{
    struct rtc r;
    int64_t ns = -1;

    setup(&r, T0 + SEC / 2);
    cmos_write(&r, 0x0a, 0x20);              /* no periodic rate */
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 0); /* nothing enabled */
    CHECK_EQ(cmos_read(&r, 0x0c), 0x00);
    cmos_write(&r, 0x0b, 0x12); /* UIE */
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, SEC / 2);
    fake_ns += SEC / 4;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.calls, 0);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, SEC / 4);
    fake_ns += SEC / 4;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(rec.gsi, 8);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 0); /* line up until C is read */
    CHECK_EQ(cmos_read(&r, 0x0c), 0x90);     /* IRQF | UF */
    CHECK_EQ(rec.level, 0);
    CHECK_EQ(cmos_read(&r, 0x0c), 0x00);
    /* a late timer: the event is due at once */
    fake_ns += 3 * SEC;
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, 0);
    /* polling without interrupts still sees UF; no line then */
    cmos_write(&r, 0x0b, 0x02);
    fake_ns += SEC;
    CHECK_EQ(cmos_read(&r, 0x0c), 0x10);
    CHECK_EQ(rec.level, 0);
    /* enabling with the flag already set interrupts at once */
    fake_ns += SEC;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 0);
    cmos_write(&r, 0x0b, 0x12);
    CHECK_EQ(rec.level, 1);
    /* disabling drops IRQF and the line */
    cmos_write(&r, 0x0b, 0x02);
    CHECK_EQ(rec.level, 0);
    CHECK_EQ(cmos_read(&r, 0x0c), 0x10);
}

static void test_periodic_interrupt(void)
{
    struct rtc r;
    int64_t ns = -1;

    setup(&r, T0 + SEC / 10);
    cmos_write(&r, 0x0a, 0x2f); /* 2 Hz */
    cmos_write(&r, 0x0b, 0x42); /* PIE */
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, 4 * SEC / 10);
    fake_ns += 4 * SEC / 10 - 1;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 0);
    fake_ns += 1;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(cmos_read(&r, 0x0c), 0xc0);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, SEC / 2);
    /* 1024 Hz (rate 6): 32 ticks, a boundary at most ~977 us away */
    cmos_write(&r, 0x0a, 0x26);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK(ns > 0 && ns <= 976563);
    fake_ns += ns;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(cmos_read(&r, 0x0c), 0xc0);
    /* 8192 Hz (rate 3): boundaries every 122070.3125 ns */
    cmos_write(&r, 0x0a, 0x23);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK(ns > 0 && ns <= 122071);
    fake_ns += ns;
    CHECK_EQ(cmos_read(&r, 0x0c), 0xc0);
    /* from a second boundary each rate's period (datasheet Table 5) */
    static const struct {
        uint8_t rate;
        int64_t ns;
    } per[] = {{1, 3906250}, {2, 7812500},    {3, 122071},
               {6, 976563},  {13, 125000000}, {15, 500000000}};
    for (size_t i = 0; i < sizeof(per) / sizeof(per[0]); i++) {
        fake_ns = T0 + 7 * SEC;
        (void)cmos_read(&r, 0x0c);
        cmos_write(&r, 0x0a, (uint8_t)(0x20 | per[i].rate));
        CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
        CHECK_EQ(ns, per[i].ns);
    }
    /* rate 0: no periodic interrupts */
    cmos_write(&r, 0x0a, 0x20);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 0);
    fake_ns += SEC / 3;
    CHECK_EQ(cmos_read(&r, 0x0c), 0x00);
}

static void test_alarm_interrupt(void)
{
    struct rtc r;
    int64_t ns = -1;

    setup(&r, T0 + SEC / 2); /* 16:17:34.5 */
    cmos_write(&r, 0x0a, 0x20);
    cmos_write(&r, 0x01, 0x00);
    cmos_write(&r, 0x03, 0x18);
    cmos_write(&r, 0x05, 0x16); /* 16:18:00 */
    cmos_write(&r, 0x0b, 0x22); /* AIE */
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, 25 * SEC + SEC / 2);
    fake_ns += 25 * SEC;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 0);
    CHECK_EQ(cmos_read(&r, 0x0c), 0x10); /* updates, not yet the alarm */
    fake_ns += SEC / 2;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(cmos_read(&r, 0x0c), 0xb0); /* IRQF | AF | UF */
    /* now 16:18:00.0; next: tomorrow, same time */
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, 86400 * SEC);
    /* every minute at :30 in 12-hour binary mode, hours don't care */
    cmos_write(&r, 0x0b, 0x24);
    cmos_write(&r, 0x01, 30);
    cmos_write(&r, 0x03, 0xff);
    cmos_write(&r, 0x05, 0xc0);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, 30 * SEC);
    /* a PM hour in 12-hour form: 4 PM is 0x84 (BCD) */
    cmos_write(&r, 0x0b, 0x20);
    cmos_write(&r, 0x01, 0x00);
    cmos_write(&r, 0x03, 0x00);
    cmos_write(&r, 0x05, 0x85); /* 17:00:00 */
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
    CHECK_EQ(ns, 42 * 60 * SEC);
    /* an impossible alarm never fires */
    cmos_write(&r, 0x01, 0x61);
    CHECK_EQ(rtc_next_event_ns(&r, &ns), 0);
}

/* Our alarm search against the slow way, one second at a time. */
static void test_alarm_search(void)
{
    struct rtc r;
    uint32_t seed = 12345;
    int64_t ns;

    setup(&r, T0);
    cmos_write(&r, 0x0a, 0x20);
    cmos_write(&r, 0x0b, 0x26); /* AIE, binary, 24-hour */
    for (int n = 0; n < 300; n++) {
        int f[3], lim[3] = {24, 60, 60}, want = -1;
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            f[k] = (seed >> 16) % 4 == 0 ? -1 : (int)((seed >> 8) % lim[k]);
        }
        seed = seed * 1103515245u + 12345u;
        fake_ns = T0 + (int64_t)(seed % 86400) * SEC;
        CHECK_OK(rtc_tick(&r));
        cmos_write(&r, 0x05, f[0] < 0 ? 0xff : (uint8_t)f[0]);
        cmos_write(&r, 0x03, f[1] < 0 ? 0xc0 : (uint8_t)f[1]);
        cmos_write(&r, 0x01, f[2] < 0 ? 0xd5 : (uint8_t)f[2]);
        (void)cmos_read(&r, 0x0c);
        int64_t now = fake_ns / SEC;
        for (int64_t t = now + 1; t <= now + 86400; t++) {
            int64_t sod = t % 86400;
            if ((f[0] < 0 || sod / 3600 == f[0]) &&
                (f[1] < 0 || sod / 60 % 60 == f[1]) &&
                (f[2] < 0 || sod % 60 == f[2])) {
                want = (int)(t - now);
                break;
            }
        }
        CHECK_EQ(rtc_next_event_ns(&r, &ns), 1);
        if (ns != want * SEC)
            printf("alarm %d:%d:%d at %lld\n", f[0], f[1], f[2],
                   (long long)(fake_ns / SEC % 86400));
        CHECK_EQ(ns, want * SEC);
    }
}

static void test_nvram_and_ports(void)
{
    struct rtc r;
    uint8_t w[2], v;

    setup(&r, T0);
    cmos_write(&r, 0x40, 0xab);
    CHECK_EQ(cmos_read(&r, 0x40), 0xab);
    cmos_write(&r, 0x7f, 0xcd);
    CHECK_EQ(cmos_read(&r, 0x7f), 0xcd);
    /* index bit 7 masks NMI: the index is the low 7 bits */
    CHECK_EQ(cmos_read(&r, 0xc0), 0xab);
    /* the index port is write-only */
    CHECK_OK(rtc_io(&r, 0x70, false, 1, 1, &v));
    CHECK_EQ(v, 0xff);
    /* outw 0x70: index in the low byte, data to 0x71 in the high byte */
    w[0] = 0x41;
    w[1] = 0x99;
    CHECK_OK(rtc_io(&r, 0x70, true, 2, 1, w));
    CHECK_EQ(cmos_read(&r, 0x41), 0x99);
    w[0] = 0x41;
    CHECK_OK(rtc_io(&r, 0x70, true, 1, 1, w));
    CHECK_OK(rtc_io(&r, 0x71, false, 2, 1, w));
    CHECK_EQ(w[0], 0x99);
    CHECK_EQ(w[1], 0xff); /* port 0x72 is not ours */
    /* C and D are read-only */
    cmos_write(&r, 0x0c, 0xff);
    cmos_write(&r, 0x0d, 0x00);
    CHECK_EQ(cmos_read(&r, 0x0d), 0x80);
    CHECK_EQ(cmos_read(&r, 0x0c) & 0x80, 0);
    /* rep insb from 0x71 reads the same byte each time */
    uint8_t buf[3];
    cmos_write(&r, 0x40, 0x11);
    CHECK_OK(rtc_io(&r, 0x71, false, 1, 3, buf));
    CHECK_EQ(buf[0], 0x11);
    CHECK_EQ(buf[2], 0x11);
}

static unsigned rd16(struct rtc *r, uint8_t lo)
{
    return cmos_read(r, lo) | (unsigned)cmos_read(r, lo + 1) << 8;
}

static void test_memory_bytes(void)
{
    struct rtc r;
    struct memmap mm;
    unsigned sum = 0;

    memmap_pc(&mm, 6ull << 30);
    CHECK_OK(rtc_init(&r, &mm, NULL, RTC_GSI));
    CHECK_EQ(rd16(&r, 0x15), 640);
    CHECK_EQ(rd16(&r, 0x17), 0xffff);
    CHECK_EQ(rd16(&r, 0x30), 0xffff);
    CHECK_EQ(rd16(&r, 0x34), (3072 - 16) * 16);
    CHECK_EQ(rd16(&r, 0x5b) | (unsigned)cmos_read(&r, 0x5d) << 16,
             3 * 1024 * 16);
    CHECK_EQ(cmos_read(&r, 0x10), 0x00);
    CHECK_EQ(cmos_read(&r, 0x14), 0x02);
    for (uint8_t i = 0x10; i <= 0x2d; i++)
        sum += cmos_read(&r, i);
    CHECK_EQ(cmos_read(&r, 0x2e), (sum >> 8) & 0xff);
    CHECK_EQ(cmos_read(&r, 0x2f), sum & 0xff);
    CHECK(sum != 0);

    memmap_pc(&mm, 32ull << 20);
    CHECK_OK(rtc_init(&r, &mm, NULL, RTC_GSI));
    CHECK_EQ(rd16(&r, 0x17), 31 * 1024);
    CHECK_EQ(rd16(&r, 0x30), 31 * 1024);
    CHECK_EQ(rd16(&r, 0x34), 16 * 16);
    CHECK_EQ(rd16(&r, 0x5b), 0);

    memmap_pc(&mm, 8ull << 20);
    CHECK_OK(rtc_init(&r, &mm, NULL, RTC_GSI));
    CHECK_EQ(rd16(&r, 0x17), 7 * 1024);
    CHECK_EQ(rd16(&r, 0x34), 0);

    CHECK_OK(rtc_init(&r, NULL, NULL, RTC_GSI));
    CHECK_EQ(rd16(&r, 0x17), 0);
    CHECK_EQ(rd16(&r, 0x15), 640);
}

static void test_reset_and_snapshot(void)
{
    struct rtc r, v;
    struct rtc_state st, bad;

    setup(&r, T0);
    cmos_write(&r, 0x0a, 0x20);
    cmos_write(&r, 0x09, 0x31); /* guest's year 2031 */
    cmos_write(&r, 0x50, 0x77);
    cmos_write(&r, 0x0b, 0x7a); /* PIE AIE UIE SQWE */
    fake_ns += SEC;
    CHECK_OK(rtc_tick(&r));
    CHECK_EQ(rec.level, 1);
    rtc_save(&r, &st);
    CHECK_OK(rtc_init(&v, NULL, &line, RTC_GSI));
    rtc_set_clock(&v, fake_clock, &fake_ns);
    rec.level = 0;
    CHECK_OK(rtc_load(&v, &st));
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(cmos_read(&v, 0x09), 0x31);
    CHECK_EQ(cmos_read(&v, 0x50), 0x77);
    CHECK_EQ(cmos_read(&v, 0x0c), 0x90);
    bad = st;
    bad.off_nsec = -1;
    CHECK_EQ(rtc_load(&v, &bad), -EINVAL);
    bad = st;
    bad.index = 128;
    CHECK_EQ(rtc_load(&v, &bad), -EINVAL);
    /* RESET pin: interrupt enables and flags go, time and NVRAM stay */
    rec.level = 1;
    CHECK_OK(rtc_reset(&r));
    CHECK_EQ(rec.level, 0);
    CHECK_EQ(cmos_read(&r, 0x0b), 0x02);
    CHECK_EQ(cmos_read(&r, 0x0c), 0x00);
    CHECK_EQ(cmos_read(&r, 0x09), 0x31);
    CHECK_EQ(cmos_read(&r, 0x50), 0x77);
}

/*
 * Random register traffic on a random clock: the state always loads, the
 * line is IRQF, and rtc_next_event_ns is exact: one nanosecond early the
 * line is still down, on time it is up.
 */
static void test_random_next_event(void)
{
    static const uint8_t idx[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                  0x07, 0x0a, 0x0b, 0x0c, 0x09, 0x40};
    struct rtc r, v;
    struct rtc_state st;
    uint32_t seed = 7;
    int64_t ns;
    int fired = 0;

    setup(&r, T0);
    CHECK_OK(rtc_init(&v, NULL, NULL, RTC_GSI));
    for (int n = 0; n < 4000; n++) {
        seed = seed * 1103515245u + 12345u;
        uint8_t i = idx[(seed >> 8) % sizeof(idx)];
        uint8_t val = (uint8_t)(seed >> 16);
        if (i == 0x0a && (seed & 3))
            val = (uint8_t)(0x20 | (val & 0x0f)); /* mostly running */
        if (i == 0x0b)
            val &= (seed & 4) ? 0x7f : 0xff; /* SET now and then */
        if ((seed >> 24) & 1)
            (void)cmos_read(&r, i);
        else
            cmos_write(&r, i, val);
        fake_ns += (int64_t)((seed >> 4) % 5000) * 1000;
        rtc_save(&r, &st);
        CHECK_OK(rtc_load(&v, &st));
        CHECK_EQ(rec.level, (st.cmos[0x0c] & st.cmos[0x0b] & 0x70) != 0);
        if (rtc_next_event_ns(&r, &ns) != 1 || ns > 3 * 86400 * SEC)
            continue;
        CHECK_EQ(rec.level, 0);
        if (ns > 0) {
            fake_ns += ns - 1;
            CHECK_OK(rtc_tick(&r));
            CHECK_EQ(rec.level, 0);
            fake_ns += 1;
        }
        CHECK_OK(rtc_tick(&r));
        CHECK_EQ(rec.level, 1);
        fired++;
        if (seed & 8)
            (void)cmos_read(&r, 0x0c);
    }
    CHECK(fired > 100);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_host_clock),
        TEST(test_time_bcd_binary_12h),
        TEST(test_uip),
        TEST(test_set_time),
        TEST(test_divider_reset),
        TEST(test_update_interrupt),
        TEST(test_periodic_interrupt),
        TEST(test_alarm_interrupt),
        TEST(test_alarm_search),
        TEST(test_nvram_and_ports),
        TEST(test_memory_bytes),
        TEST(test_reset_and_snapshot),
        TEST(test_random_next_event),
    };
    return test_main(tests, TEST_COUNT(tests));
}
