/* QEMU's pc-testdev as kvm-unit-tests drives it. */
#include "tests/test.h"

#include <errno.h>

#include "vmm/hw/testdev.h"

struct rec {
    int calls;
    uint32_t gsi;
    int level;
    int fail; /* -errno to return */
};

static int rec_set(void *ctx, uint32_t gsi, int level)
{
    struct rec *r = ctx;

    r->calls++;
    r->gsi = gsi;
    r->level = level;
    return r->fail;
}

static void out(struct testdev *t, uint16_t port, uint8_t size, uint32_t v)
{
    uint8_t b[4];

    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    CHECK_OK(testdev_io(t, port, true, size, 1, b));
}

static uint32_t in(struct testdev *t, uint16_t port, uint8_t size)
{
    uint8_t b[4] = {0x5a, 0x5a, 0x5a, 0x5a};
    uint32_t v = 0;

    CHECK_OK(testdev_io(t, port, false, size, 1, b));
    for (int i = 0; i < size; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

static void test_scratch(void)
{
    struct testdev t;

    CHECK_OK(testdev_init(&t, NULL));
    CHECK_EQ(in(&t, 0xe0, 4), 0);
    out(&t, 0xe0, 4, 0x11223344);
    CHECK_EQ(in(&t, 0xe0, 4), 0x11223344);
    CHECK_EQ(in(&t, 0xe0, 2), 0x3344);
    CHECK_EQ(in(&t, 0xe2, 2), 0x1122);
    CHECK_EQ(in(&t, 0xe1, 1), 0x33);
    CHECK_EQ(in(&t, 0xe3, 1), 0x11);
    /* a byte write changes that byte only */
    out(&t, 0xe2, 1, 0xaa);
    CHECK_EQ(in(&t, 0xe0, 4), 0x11aa3344);
    /* the word at 0xe0 (amd_sev, emulator's outw 0x9999) */
    out(&t, 0xe0, 2, 0x9999);
    CHECK_EQ(in(&t, 0xe0, 4), 0x11aa9999);
    /* past 0xe3: dropped on write, 0 on read */
    out(&t, 0xe2, 4, 0xffffffff);
    CHECK_EQ(in(&t, 0xe0, 4), 0xffff9999);
    CHECK_EQ(in(&t, 0xe3, 4), 0x000000ff);
    /* the byte window at 0xe8 is the same register */
    CHECK_EQ(in(&t, 0xe8, 4), 0xffff9999);
    out(&t, 0xe9, 1, 0x00);
    CHECK_EQ(in(&t, 0xe0, 4), 0xffff0099);
}

static void test_string_io(void)
{
    static const char st1[] = "abcdefghijklmnop";
    uint8_t buf[1024];
    struct testdev t;

    CHECK_OK(testdev_init(&t, NULL));
    /* emulator.c test_stringio: rep outsb then inb gives the last byte */
    CHECK_OK(testdev_io(&t, 0xe0, true, 1, sizeof(st1) - 1,
                        (uint8_t *)(uintptr_t)st1));
    CHECK_EQ(in(&t, 0xe0, 1), 'p');
    /* test_string_io_mmio: outw 0x9999, then rep insb of 1024 */
    out(&t, 0xe0, 2, 0x9999);
    memset(buf, 0, sizeof(buf));
    CHECK_OK(testdev_io(&t, 0xe0, false, 1, sizeof(buf), buf));
    CHECK_EQ(buf[0], 0x99);
    CHECK_EQ(buf[1023], 0x99);
}

static void test_flush_page(void)
{
    struct testdev t;

    CHECK_OK(testdev_init(&t, NULL));
    out(&t, 0xe4, 4, 0x12345678);
    CHECK_EQ(t.s.flush_count, 1);
    CHECK_EQ(t.s.flush_gpa, 0x12345678);
    /* not a dword: QEMU ignores it */
    out(&t, 0xe4, 2, 0x1000);
    CHECK_EQ(t.s.flush_count, 1);
    CHECK_EQ(in(&t, 0xe4, 4), 0);
    /* and the scratch register is untouched */
    CHECK_EQ(in(&t, 0xe0, 4), 0);
}

static void test_irq_lines(void)
{
    struct rec r = {0};
    struct irq_line line = {rec_set, &r};
    struct testdev t;
    uint8_t b[2] = {1, 0};

    CHECK_OK(testdev_init(&t, &line));
    /* kvm-unit-tests set_irq_line(0x0e, 1): outb 1, 0x200e */
    out(&t, 0x200e, 1, 1);
    CHECK_EQ(r.calls, 1);
    CHECK_EQ(r.gsi, 14);
    CHECK_EQ(r.level, 1);
    out(&t, 0x200e, 1, 0);
    CHECK_EQ(r.level, 0);
    /* any nonzero value raises */
    out(&t, 0x2017, 1, 0x80);
    CHECK_EQ(r.gsi, 23);
    CHECK_EQ(r.level, 1);
    /* wider writes are not valid there: ignored */
    out(&t, 0x2001, 2, 0x0101);
    CHECK_EQ(r.calls, 3);
    /* reads are 0 and change nothing */
    CHECK_EQ(in(&t, 0x2005, 1), 0);
    CHECK_EQ(r.calls, 3);
    /* a string OUT sets the line once per byte */
    CHECK_OK(testdev_io(&t, 0x2003, true, 1, 2, b));
    CHECK_EQ(r.calls, 5);
    CHECK_EQ(r.gsi, 3);
    CHECK_EQ(r.level, 0);
    /* the line's error comes back */
    r.fail = -EIO;
    b[0] = 1;
    CHECK_EQ(testdev_io(&t, 0x2004, true, 1, 1, b), -EIO);
    /* no line: fine */
    CHECK_OK(testdev_init(&t, NULL));
    out(&t, 0x2004, 1, 1);
}

static void test_iomem(void)
{
    static struct testdev t; /* 64 KiB: not on the stack */
    uint8_t v[8] = {1, 2, 3, 4, 5, 6, 7, 8}, r[8];

    CHECK_OK(testdev_init(&t, NULL));
    CHECK_OK(testdev_mmio(&t, TESTDEV_IOMEM_BASE + 4095, true, 2, v));
    CHECK_OK(testdev_mmio(&t, TESTDEV_IOMEM_BASE + 4094, false, 4, r));
    CHECK_MEM(r, "\0\x01\x02\0", 4);
    CHECK_OK(testdev_mmio(&t, TESTDEV_IOMEM_BASE + 0xfff8, true, 8, v));
    CHECK_OK(testdev_mmio(&t, TESTDEV_IOMEM_BASE + 0xfff8, false, 8, r));
    CHECK_MEM(r, v, 8);
    /* outside the 64 KiB, or wrapping: refused, nothing touched */
    CHECK_EQ(testdev_mmio(&t, TESTDEV_IOMEM_BASE + 0xfffc, true, 8, v),
             -EINVAL);
    CHECK_EQ(testdev_mmio(&t, TESTDEV_IOMEM_BASE - 1, false, 2, r), -EINVAL);
    CHECK_EQ(testdev_mmio(&t, UINT64_MAX, false, 2, r), -EINVAL);
    CHECK_OK(testdev_mmio(&t, TESTDEV_IOMEM_BASE + 0xfffc, false, 4, r));
    CHECK_MEM(r, "\x05\x06\x07\x08", 4);
}

static void test_save_load(void)
{
    static struct testdev t, u;
    static struct testdev_state st;
    uint8_t v[2] = {0xde, 0xad}, r[2];

    CHECK_OK(testdev_init(&t, NULL));
    out(&t, 0xe0, 4, 0xcafef00d);
    out(&t, 0xe4, 4, 0x5000);
    CHECK_OK(testdev_mmio(&t, TESTDEV_IOMEM_BASE + 100, true, 2, v));
    testdev_save(&t, &st);
    CHECK_OK(testdev_init(&u, NULL));
    CHECK_OK(testdev_load(&u, &st));
    CHECK_EQ(in(&u, 0xe0, 4), 0xcafef00d);
    CHECK_EQ(u.s.flush_count, 1);
    CHECK_EQ(u.s.flush_gpa, 0x5000);
    CHECK_OK(testdev_mmio(&u, TESTDEV_IOMEM_BASE + 100, false, 2, r));
    CHECK_MEM(r, v, 2);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_scratch),   TEST(test_string_io), TEST(test_flush_page),
        TEST(test_irq_lines), TEST(test_iomem),     TEST(test_save_load),
    };
    return test_main(tests, TEST_COUNT(tests));
}
