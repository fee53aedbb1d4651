/* The user-space 8254 PIT driven through its ports on a fake clock. */
#include "tests/test.h"

#include <errno.h>

#include "vmm/hw/pit.h"

struct irq_rec {
    int level;
    int raises;
    int calls;
};

static uint64_t fake_ns;
static struct irq_rec rec;

static int rec_set(void *ctx, uint32_t gsi, int level)
{
    struct irq_rec *r = ctx;

    CHECK_EQ(gsi, PIT_GSI);
    if (level && !r->level)
        r->raises++;
    r->level = level;
    r->calls++;
    return 0;
}

static const struct irq_line line = {.set = rec_set, .ctx = &rec};

static uint64_t fake_clock(void *ctx)
{
    return *(uint64_t *)ctx;
}

static void setup(struct pit *p)
{
    fake_ns = 1000; /* not 0: a start time is not special */
    rec = (struct irq_rec){0};
    CHECK_OK(pit_init(p, &line, fake_clock, &fake_ns));
}

static void outb(struct pit *p, uint16_t port, uint8_t v)
{
    CHECK_OK(pit_io(p, port, true, 1, 1, &v));
}

static uint8_t inb(struct pit *p, uint16_t port)
{
    uint8_t v = 0x5a;

    CHECK_OK(pit_io(p, port, false, 1, 1, &v));
    return v;
}

/* Program counter ch: mode, low/high access, count n (binary). */
static void program(struct pit *p, int ch, int mode, uint16_t n)
{
    outb(p, 0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
    outb(p, (uint16_t)(0x40 + ch), (uint8_t)n);
    outb(p, (uint16_t)(0x40 + ch), (uint8_t)(n >> 8));
}

/* Nanoseconds of t input clock ticks, rounded up. */
static uint64_t tick_ns(uint64_t t)
{
    return (t * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

static uint16_t latched_count(struct pit *p, int ch)
{
    outb(p, 0x43, (uint8_t)(ch << 6)); /* counter latch */
    uint8_t lo = inb(p, (uint16_t)(0x40 + ch));
    uint8_t hi = inb(p, (uint16_t)(0x40 + ch));
    return (uint16_t)(lo | hi << 8);
}

static void test_power_on_quiet(void)
{
    struct pit p;
    uint64_t ns;

    setup(&p);
    fake_ns += 1000000000ull;
    CHECK_EQ(pit_advance(&p), 0);
    CHECK_EQ(pit_next_event_ns(&p, &ns), 0);
    CHECK_EQ(rec.calls, 0);
    CHECK_EQ(inb(&p, 0x43), 0xff);
    CHECK_EQ(pit_init(NULL, &line, fake_clock, NULL), -EINVAL);
    CHECK_EQ(pit_init(&p, &line, NULL, NULL), -EINVAL);
}

static void test_rate_generator_irq(void)
{
    struct pit p;
    uint64_t ns, t0;

    setup(&p);
    program(&p, 0, 2, 100);
    t0 = fake_ns;
    CHECK_EQ(pit_advance(&p), 0);
    CHECK_EQ(pit_next_event_ns(&p, &ns), 1);
    CHECK_EQ(ns, tick_ns(100));
    fake_ns = t0 + tick_ns(100) - 1;
    CHECK_EQ(pit_advance(&p), 0);
    CHECK_EQ(rec.raises, 0);
    fake_ns = t0 + tick_ns(100);
    CHECK_EQ(pit_next_event_ns(&p, &ns), 1);
    CHECK_EQ(ns, 0);
    CHECK_EQ(pit_advance(&p), 1);
    CHECK_EQ(rec.raises, 1);
    CHECK_EQ(rec.level, 0); /* an edge: raised and lowered */
    CHECK_EQ(pit_advance(&p), 0);
    /* Three periods pass between calls: one request, as a PIC keeps. */
    fake_ns = t0 + tick_ns(400) + 5;
    CHECK_EQ(pit_advance(&p), 1);
    CHECK_EQ(rec.raises, 2);
    CHECK_EQ(pit_next_event_ns(&p, &ns), 1);
    CHECK_EQ(ns, t0 + tick_ns(500) - fake_ns);
    /* The count: N - (ticks mod N), never 0. */
    fake_ns = t0 + tick_ns(437);
    CHECK_EQ(latched_count(&p, 0), 100 - 37);
    fake_ns = t0 + tick_ns(499);
    CHECK_EQ(latched_count(&p, 0), 1);
}

static void test_one_shot_mode0(void)
{
    struct pit p;
    uint64_t ns, t0;

    setup(&p);
    program(&p, 0, 0, 1000);
    t0 = fake_ns;
    outb(&p, 0x43, 0xe2);          /* read-back status of counter 0 */
    CHECK_EQ(inb(&p, 0x40), 0x30); /* OUT low, loaded, lo/hi, mode 0 */
    fake_ns = t0 + tick_ns(999);
    CHECK_EQ(latched_count(&p, 0), 1);
    CHECK_EQ(pit_advance(&p), 0);
    fake_ns = t0 + tick_ns(1000);
    CHECK_EQ(pit_advance(&p), 1);
    outb(&p, 0x43, 0xe2);
    CHECK_EQ(inb(&p, 0x40), 0xb0);           /* OUT high now */
    CHECK_EQ(pit_next_event_ns(&p, &ns), 0); /* once only */
    fake_ns = t0 + tick_ns(1001);
    CHECK_EQ(latched_count(&p, 0), 0xffff); /* wrapped, counting on */
    fake_ns += 1000000000ull;
    CHECK_EQ(pit_advance(&p), 0);
    CHECK_EQ(rec.raises, 1);
    /* The control word stops it; a new count starts again. */
    outb(&p, 0x43, 0x30);
    outb(&p, 0x43, 0xe2);
    CHECK_EQ(inb(&p, 0x40), 0x70); /* OUT low, null count */
    outb(&p, 0x40, 10);
    outb(&p, 0x40, 0);
    fake_ns += tick_ns(10);
    CHECK_EQ(pit_advance(&p), 1);
}

static void test_access_modes_and_latch(void)
{
    struct pit p;
    uint64_t t0;

    setup(&p);
    /* Counter 1, low byte only, mode 2, count 200. */
    outb(&p, 0x43, 0x54);
    outb(&p, 0x41, 200);
    t0 = fake_ns;
    fake_ns = t0 + tick_ns(50);
    CHECK_EQ(inb(&p, 0x41), 150);
    CHECK_EQ(inb(&p, 0x41), 150); /* no flip-flop with one byte */
    /* High byte only: the count is 0x0300. */
    outb(&p, 0x43, 0x64);
    outb(&p, 0x41, 0x03);
    t0 = fake_ns;
    fake_ns = t0 + tick_ns(0x100);
    CHECK_EQ(inb(&p, 0x41), 0x02);
    /* Low then high, live: the flip-flop alternates. */
    program(&p, 1, 2, 0x1234);
    t0 = fake_ns;
    fake_ns = t0 + tick_ns(0x34);
    CHECK_EQ(inb(&p, 0x41), 0x00);
    CHECK_EQ(inb(&p, 0x41), 0x12);
    /* A latch holds its value while time goes on; a second latch
     * before reading is ignored. */
    fake_ns = t0 + tick_ns(0x200);
    outb(&p, 0x43, 0x40);
    fake_ns = t0 + tick_ns(0x300);
    outb(&p, 0x43, 0x40);
    CHECK_EQ(inb(&p, 0x41), 0x34);
    CHECK_EQ(inb(&p, 0x41), 0x10);
    /* Read-back of count and status: status comes first. */
    outb(&p, 0x43, 0xc4);          /* count and status of counter 1 */
    CHECK_EQ(inb(&p, 0x41), 0xb4); /* OUT high, lo/hi, mode 2 */
    CHECK_EQ(inb(&p, 0x41), 0x34);
    CHECK_EQ(inb(&p, 0x41), 0x0f);
    /* A 16-bit access reaches 0x40 and 0x41 (one byte each). */
    uint8_t two[2] = {0x5a, 0x5a};
    program(&p, 0, 2, 0x4000);
    program(&p, 1, 2, 0x4000);
    outb(&p, 0x43, 0x00);
    outb(&p, 0x43, 0x40);
    CHECK_OK(pit_io(&p, 0x40, false, 2, 1, two));
    CHECK_EQ(two[0], 0x00);
    CHECK_EQ(two[1], 0x00);
    /* Bytes past 0x43 read all-ones. */
    uint8_t four[4];
    CHECK_OK(pit_io(&p, 0x42, false, 4, 1, four));
    CHECK_EQ(four[1], 0xff);
    CHECK_EQ(four[2], 0xff);
    CHECK_EQ(four[3], 0xff);
}

static void test_square_wave(void)
{
    struct pit p;
    uint64_t t0;

    setup(&p);
    program(&p, 0, 3, 10);
    t0 = fake_ns;
    fake_ns = t0 + tick_ns(2);
    CHECK_EQ(latched_count(&p, 0), 6); /* down by two */
    outb(&p, 0x43, 0xe2);
    CHECK_EQ(inb(&p, 0x40) >> 7, 1); /* first half high */
    fake_ns = t0 + tick_ns(7);
    outb(&p, 0x43, 0xe2);
    CHECK_EQ(inb(&p, 0x40) >> 7, 0); /* second half low */
    CHECK_EQ(pit_advance(&p), 0);
    fake_ns = t0 + tick_ns(10);
    CHECK_EQ(pit_advance(&p), 1); /* rising at the period's end */
    /* Mode 7 is mode 3. */
    outb(&p, 0x43, 0x3e);
    outb(&p, 0x43, 0xe2);
    CHECK_EQ((inb(&p, 0x40) >> 1) & 7, 3);
}

static void test_bcd(void)
{
    struct pit p;
    uint64_t t0;

    setup(&p);
    outb(&p, 0x43, 0x35); /* counter 0, lo/hi, mode 2, BCD */
    outb(&p, 0x40, 0x00);
    outb(&p, 0x40, 0x10); /* 1000 decimal */
    t0 = fake_ns;
    fake_ns = t0 + tick_ns(1);
    CHECK_EQ(latched_count(&p, 0), 0x0999);
    fake_ns = t0 + tick_ns(1000);
    CHECK_EQ(pit_advance(&p), 1);
}

static void test_port61_gate_and_out2(void)
{
    struct pit p;
    uint64_t t0;

    setup(&p);
    CHECK_EQ(inb(&p, PIT_PORT_61) & 0x0f, 0); /* gate low */
    /* Mode 0 on counter 2 (the way Linux calibrates): OUT2 low, then
     * high after the count. */
    program(&p, 2, 0, 500);
    t0 = fake_ns;
    outb(&p, PIT_PORT_61, 0x01);
    CHECK_EQ(inb(&p, PIT_PORT_61) & 0x2f, 0x01);
    fake_ns = t0 + tick_ns(500);
    CHECK_EQ(inb(&p, PIT_PORT_61) & 0x20, 0x20);
    /* Mode 2 waits for the gate: held, then counting from its edge. */
    outb(&p, PIT_PORT_61, 0x00);
    program(&p, 2, 2, 100);
    fake_ns += tick_ns(1000);
    CHECK_EQ(latched_count(&p, 2), 100);
    outb(&p, PIT_PORT_61, 0x03);
    t0 = fake_ns;
    fake_ns = t0 + tick_ns(30);
    CHECK_EQ(latched_count(&p, 2), 70);
    /* Bit 4 toggles with refresh; bits 2-3 are stored. */
    outb(&p, PIT_PORT_61, 0x0d);
    uint8_t a = inb(&p, PIT_PORT_61);
    fake_ns += 15085;
    uint8_t b = inb(&p, PIT_PORT_61);
    CHECK_EQ(a & 0x0f, 0x0d);
    CHECK_EQ((a ^ b) & 0x10, 0x10);
    /* Counter 2 never interrupts. */
    CHECK_EQ(rec.calls, 0);
}

static void test_save_load(void)
{
    struct pit p, q;
    struct pit_state st, bad;
    uint64_t t0, ns1, ns2;

    setup(&p);
    program(&p, 0, 2, 300);
    t0 = fake_ns;
    fake_ns = t0 + tick_ns(120);
    pit_save(&p, &st);
    CHECK_EQ(pit_next_event_ns(&p, &ns1), 1);
    fake_ns = t0 + tick_ns(900);
    CHECK_EQ(pit_advance(&p), 1);
    /* Back to the saved moment: the same count and the same next edge. */
    fake_ns = t0 + tick_ns(120);
    CHECK_OK(pit_load(&p, &st));
    CHECK_EQ(pit_next_event_ns(&p, &ns2), 1);
    CHECK_EQ(ns1, ns2);
    CHECK_EQ(latched_count(&p, 0), 180);
    CHECK_OK(pit_init(&q, &line, fake_clock, &fake_ns));
    bad = st;
    bad.c[1].mode = 6;
    CHECK_EQ(pit_load(&q, &bad), -EINVAL);
    bad = st;
    bad.c[0].rw = 0;
    CHECK_EQ(pit_load(&q, &bad), -EINVAL);
    bad = st;
    bad.port61 = 0x10;
    CHECK_EQ(pit_load(&q, &bad), -EINVAL);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_power_on_quiet),       TEST(test_rate_generator_irq),
        TEST(test_one_shot_mode0),       TEST(test_access_modes_and_latch),
        TEST(test_square_wave),          TEST(test_bcd),
        TEST(test_port61_gate_and_out2), TEST(test_save_load),
    };
    return test_main(tests, TEST_COUNT(tests));
}
