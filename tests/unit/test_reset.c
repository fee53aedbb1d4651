/* Port 0x92 and the 8042's reset/A20 minimum, byte by byte. */
#include "tests/test.h"

#include <errno.h>

#include "vmm/hw/power.h"
#include "vmm/hw/reset.h"

static uint8_t in8(struct reset *r, uint16_t port)
{
    uint8_t v = 0x5a;

    if (port == 0x92)
        CHECK_OK(reset_port92_io(r, port, false, 1, 1, &v));
    else
        CHECK_OK(reset_kbc_io(r, port, false, 1, 1, &v));
    return v;
}

static void out8(struct reset *r, uint16_t port, uint8_t v)
{
    if (port == 0x92)
        CHECK_OK(reset_port92_io(r, port, true, 1, 1, &v));
    else
        CHECK_OK(reset_kbc_io(r, port, true, 1, 1, &v));
}

static void test_port92(void)
{
    struct power p = {0};
    struct reset r;

    CHECK_OK(reset_init(&r, &p));
    CHECK_EQ(in8(&r, 0x92), 0x02); /* A20 on: it is, under KVM */
    out8(&r, 0x92, 0x00);          /* A20 off: stored, read back */
    CHECK_EQ(in8(&r, 0x92), 0x00);
    CHECK(!power_pending(&p));
    out8(&r, 0x92, 0x02);
    CHECK_EQ(in8(&r, 0x92), 0x02);
    CHECK(!power_pending(&p));
    out8(&r, 0x92, 0x03); /* fast reset: the bit's rising edge */
    CHECK_EQ(p.req, POWER_RESET);
    CHECK_EQ(in8(&r, 0x92), 0x03);
    p.req = POWER_NONE;   /* the run loop took it */
    out8(&r, 0x92, 0x03); /* still 1: no edge, no request */
    CHECK(!power_pending(&p));
    reset_reset(&r);
    CHECK_EQ(in8(&r, 0x92), 0x02);
    out8(&r, 0x92, 0x01);
    CHECK_EQ(p.req, POWER_RESET);
    /* a word read: 0x93 is not ours */
    uint8_t w[2];
    CHECK_OK(reset_port92_io(&r, 0x92, false, 2, 1, w));
    CHECK_EQ(w[0], 0x01);
    CHECK_EQ(w[1], 0xff);
    /* no power object: the request is dropped, no crash */
    CHECK_OK(reset_init(&r, NULL));
    out8(&r, 0x92, 0x01);
    CHECK_EQ(reset_init(NULL, NULL), -EINVAL);
}

static void test_kbc_status_and_self_test(void)
{
    struct power p = {0};
    struct reset r;

    CHECK_OK(reset_init(&r, &p));
    /* output and input buffers empty, system flag, not inhibited */
    CHECK_EQ(in8(&r, 0x64), 0x14);
    CHECK_EQ(in8(&r, 0x60), 0x00);
    out8(&r, 0x64, 0xaa);
    CHECK_EQ(in8(&r, 0x64), 0x1d); /* a reply waiting; last was a command */
    CHECK_EQ(in8(&r, 0x60), 0x55);
    CHECK_EQ(in8(&r, 0x64) & 0x01, 0);
    CHECK_EQ(in8(&r, 0x60), 0x55); /* the last byte again */
    CHECK(!power_pending(&p));
}

static void test_kbc_command_byte(void)
{
    struct reset r;

    CHECK_OK(reset_init(&r, NULL));
    out8(&r, 0x64, 0x20);
    CHECK_EQ(in8(&r, 0x60), 0x45);
    out8(&r, 0x64, 0x60);
    out8(&r, 0x60, 0x61);                 /* no system flag */
    CHECK_EQ(in8(&r, 0x64) & 0x0c, 0x00); /* last write was data */
    out8(&r, 0x64, 0x20);
    CHECK_EQ(in8(&r, 0x60), 0x61);
    out8(&r, 0x64, 0xad);
    out8(&r, 0x64, 0xa7);
    out8(&r, 0x64, 0x20);
    CHECK_EQ(in8(&r, 0x60), 0x71);
    out8(&r, 0x64, 0xae);
    out8(&r, 0x64, 0xa8);
    out8(&r, 0x64, 0x20);
    CHECK_EQ(in8(&r, 0x60), 0x41);
    out8(&r, 0x64, 0xaa); /* self test sets the system flag */
    CHECK_EQ(in8(&r, 0x60), 0x55);
    CHECK_EQ(in8(&r, 0x64) & 0x04, 0x04);
    /* a data byte with no command waiting goes to the (absent) keyboard */
    out8(&r, 0x60, 0xf4);
    out8(&r, 0x64, 0x20);
    CHECK_EQ(in8(&r, 0x60), 0x45);
    /* a new command replaces one waiting for its data */
    out8(&r, 0x64, 0x60);
    out8(&r, 0x64, 0x20);
    CHECK_EQ(in8(&r, 0x60), 0x45);
    out8(&r, 0x60, 0x00); /* keyboard byte, not a command byte */
    out8(&r, 0x64, 0x20);
    CHECK_EQ(in8(&r, 0x60), 0x45);
}

static void test_kbc_reset_and_output_port(void)
{
    struct power p = {0};
    struct reset r;

    CHECK_OK(reset_init(&r, &p));
    out8(&r, 0x64, 0xd0);
    CHECK_EQ(in8(&r, 0x60), 0x03);
    out8(&r, 0x64, 0xd1);
    out8(&r, 0x60, 0x01); /* A20 off, reset line high: no reset */
    CHECK(!power_pending(&p));
    out8(&r, 0x64, 0xd0);
    CHECK_EQ(in8(&r, 0x60), 0x01);
    out8(&r, 0x64, 0xd1);
    out8(&r, 0x60, 0xdf); /* the classic A20 enable */
    out8(&r, 0x64, 0xd0);
    CHECK_EQ(in8(&r, 0x60), 0xdf);
    CHECK(!power_pending(&p));
    out8(&r, 0x64, 0xd1);
    out8(&r, 0x60, 0xfe); /* bit 0 clear: reset */
    CHECK_EQ(p.req, POWER_RESET);
    p.req = POWER_NONE;
    reset_reset(&r);
    out8(&r, 0x64, 0xd0);
    CHECK_EQ(in8(&r, 0x60) & 0x01, 0x01); /* the pulse is over */
    /* pulse commands: 0xfe resets, an odd one (0xff) does not */
    out8(&r, 0x64, 0xff);
    CHECK(!power_pending(&p));
    out8(&r, 0x64, 0xfe);
    CHECK_EQ(p.req, POWER_RESET);
    p.req = POWER_NONE;
    out8(&r, 0x64, 0xf0);
    CHECK_EQ(p.req, POWER_RESET);
    p.req = POWER_NONE;
    /* unknown commands are ignored */
    out8(&r, 0x64, 0xc0);
    out8(&r, 0x64, 0x12);
    CHECK(!power_pending(&p));
    CHECK_EQ(in8(&r, 0x64) & 0x01, 0);
}

static void test_kbc_wide_and_string(void)
{
    struct power p = {0};
    struct reset r;
    uint8_t w[2] = {0xfe, 0x00}, s[3] = {0x20, 0xaa, 0x20};

    CHECK_OK(reset_init(&r, &p));
    /* outw 0x64: the command is the low byte; 0x65 is not ours */
    CHECK_OK(reset_kbc_io(&r, 0x64, true, 2, 1, w));
    CHECK_EQ(p.req, POWER_RESET);
    CHECK_OK(reset_kbc_io(&r, 0x64, false, 2, 1, w));
    CHECK_EQ(w[0], 0x1c);
    CHECK_EQ(w[1], 0xff);
    /* rep outsb to 0x64: three commands, the last reply wins */
    CHECK_OK(reset_kbc_io(&r, 0x64, true, 1, 3, s));
    CHECK_EQ(in8(&r, 0x60), 0x45);
    /* a port the handler was not registered for reads open bus */
    CHECK_OK(reset_kbc_io(&r, 0x61, false, 1, 1, w));
    CHECK_EQ(w[0], 0xff);
}

static void test_snapshot(void)
{
    struct reset r, v;
    struct reset_state st, bad;

    CHECK_OK(reset_init(&r, NULL));
    out8(&r, 0x92, 0x00);
    out8(&r, 0x64, 0x60);
    reset_save(&r, &st);
    CHECK_OK(reset_init(&v, NULL));
    CHECK_OK(reset_load(&v, &st));
    out8(&v, 0x60, 0x07); /* the pending command carried over */
    out8(&v, 0x64, 0x20);
    CHECK_EQ(in8(&v, 0x60), 0x07);
    CHECK_EQ(in8(&v, 0x92), 0x00);
    bad = st;
    bad.pending = 0xd4;
    CHECK_EQ(reset_load(&v, &bad), -EINVAL);
    bad = st;
    bad.obf = 2;
    CHECK_EQ(reset_load(&v, &bad), -EINVAL);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_port92),
        TEST(test_kbc_status_and_self_test),
        TEST(test_kbc_command_byte),
        TEST(test_kbc_reset_and_output_port),
        TEST(test_kbc_wide_and_string),
        TEST(test_snapshot),
    };
    return test_main(tests, TEST_COUNT(tests));
}
