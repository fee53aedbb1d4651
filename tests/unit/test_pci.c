/* PCI configuration mechanism #1 and the reset control register. */
#include "tests/test.h"

#include <errno.h>

#include "vmm/hw/pci.h"

static void out(struct pci_host *p, uint16_t port, uint8_t size, uint32_t v)
{
    uint8_t b[4];

    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    CHECK_OK(pci_io(p, port, true, size, 1, b));
}

static uint32_t in(struct pci_host *p, uint16_t port, uint8_t size)
{
    uint8_t b[4] = {0x5a, 0x5a, 0x5a, 0x5a};
    uint32_t v = 0;

    CHECK_OK(pci_io(p, port, false, size, 1, b));
    for (int i = 0; i < size; i++)
        v |= (uint32_t)b[i] << (8 * i);
    return v;
}

#define CONF1(bdf, reg) (0x80000000u | (uint32_t)(bdf) << 8 | (reg))

/* kvm-unit-tests' pci_config_read*: the reg in the address, data at 0xcfc */
static uint32_t kut_read(struct pci_host *p, unsigned bdf, unsigned reg,
                         uint8_t size)
{
    out(p, 0xcf8, 4, CONF1(bdf, reg));
    return in(p, 0xcfc, size);
}

/* Linux's pci_conf1_read: the dword in the address, the byte in the port */
static uint32_t linux_read(struct pci_host *p, unsigned bdf, unsigned reg,
                           uint8_t size)
{
    out(p, 0xcf8, 4, CONF1(bdf, reg & 0xfc));
    return in(p, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void test_host_bridge_id(void)
{
    struct pci_host p;

    CHECK_OK(pci_init(&p, NULL));
    CHECK_EQ(kut_read(&p, 0, 0x00, 4), 0x12378086);
    CHECK_EQ(kut_read(&p, 0, 0x00, 2), 0x8086);
    CHECK_EQ(kut_read(&p, 0, 0x02, 2), 0x1237);
    CHECK_EQ(kut_read(&p, 0, 0x0e, 1), 0x00); /* header type 0 */
    CHECK_EQ(kut_read(&p, 0, 0x0b, 1), 0x06); /* bridge */
    CHECK_EQ(kut_read(&p, 0, 0x0a, 1), 0x00); /* host */
    CHECK_EQ(kut_read(&p, 0, 0x08, 4), 0x06000002);
    CHECK_EQ(linux_read(&p, 0, 0x02, 2), 0x1237);
    CHECK_EQ(linux_read(&p, 0, 0x0b, 1), 0x06);
    CHECK_EQ(linux_read(&p, 0, 0x06, 2), 0x0280); /* status */
    CHECK_EQ(linux_read(&p, 0, 0x04, 2), 0x0006); /* command */
    CHECK_EQ(linux_read(&p, 0, 0x10, 4), 0);      /* no BARs */
    /* the address register reads back (reserved bits 30:24 as 0) */
    out(&p, 0xcf8, 4, 0xff00010c);
    CHECK_EQ(in(&p, 0xcf8, 4), 0x8000010c);
}

static void test_absent_functions(void)
{
    struct pci_host p;
    int present = 0;

    CHECK_OK(pci_init(&p, NULL));
    /* kvm-unit-tests' pci scan: every devfn on bus 0 */
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        if (kut_read(&p, devfn, 0x00, 2) != 0xffff)
            present++;
    }
    CHECK_EQ(present, 1);
    CHECK_EQ(kut_read(&p, 0x08, 0x00, 4), 0xffffffff);  /* 00:01.0 */
    CHECK_EQ(kut_read(&p, 0x01, 0x00, 4), 0xffffffff);  /* 00:00.1 */
    CHECK_EQ(kut_read(&p, 0x100, 0x00, 4), 0xffffffff); /* bus 1 */
    /* writes to an absent function go nowhere */
    out(&p, 0xcf8, 4, CONF1(0x08, 0x40));
    out(&p, 0xcfc, 4, 0x12345678);
    CHECK_EQ(in(&p, 0xcfc, 4), 0xffffffff);
    CHECK_EQ(kut_read(&p, 0, 0x40, 4), 0);
    /* configuration disabled (bit 31 clear): data ports float */
    out(&p, 0xcf8, 4, 0x00000000);
    CHECK_EQ(in(&p, 0xcfc, 4), 0xffffffff);
    out(&p, 0xcfc, 4, 0);
    CHECK_EQ(kut_read(&p, 0, 0x00, 2), 0x8086);
}

static void test_writes(void)
{
    struct pci_host p;

    CHECK_OK(pci_init(&p, NULL));
    /* read-only: IDs, class, header */
    out(&p, 0xcf8, 4, CONF1(0, 0x00));
    out(&p, 0xcfc, 4, 0);
    CHECK_EQ(kut_read(&p, 0, 0x00, 4), 0x12378086);
    out(&p, 0xcf8, 4, CONF1(0, 0x0e));
    out(&p, 0xcfc, 1, 0x80);
    CHECK_EQ(kut_read(&p, 0, 0x0e, 1), 0x00);
    /* command: only parity and SERR# are writable */
    out(&p, 0xcf8, 4, CONF1(0, 0x04));
    out(&p, 0xcfc, 2, 0xffff);
    CHECK_EQ(kut_read(&p, 0, 0x04, 2), 0x0146);
    out(&p, 0xcfc, 2, 0x0000);
    CHECK_EQ(kut_read(&p, 0, 0x04, 2), 0x0006);
    /* latency timer and device-specific registers keep values */
    out(&p, 0xcf8, 4, CONF1(0, 0x0d));
    out(&p, 0xcfc, 1, 0x40);
    CHECK_EQ(linux_read(&p, 0, 0x0d, 1), 0x40);
    out(&p, 0xcf8, 4, CONF1(0, 0x58));
    out(&p, 0xcfd, 1, 0x33); /* PAM0 at 0x59, Linux-style */
    CHECK_EQ(kut_read(&p, 0, 0x58, 4), 0x3300);
    out(&p, 0xcf8, 4, CONF1(0, 0x5c));
    out(&p, 0xcfe, 2, 0xaabb);
    CHECK_EQ(kut_read(&p, 0, 0x5c, 4), 0xaabb0000);
    /* a dword at 0xff: one byte in the space, the rest beyond */
    out(&p, 0xcf8, 4, CONF1(0, 0xfc));
    out(&p, 0xcff, 1, 0x12);
    CHECK_EQ(kut_read(&p, 0, 0xff, 4), 0xffffff12);
}

static void test_string_io(void)
{
    uint8_t b[8] = {0x04, 0x00, 0x00, 0x80, 0x08, 0x00, 0x00, 0x80};
    struct pci_host p;

    CHECK_OK(pci_init(&p, NULL));
    /* rep outsl of two addresses: the last one wins */
    CHECK_OK(pci_io(&p, 0xcf8, true, 4, 2, b));
    CHECK_EQ(in(&p, 0xcf8, 4), 0x80000008);
    /* rep insw at 0xcfc: the same word twice */
    memset(b, 0, sizeof(b));
    out(&p, 0xcf8, 4, CONF1(0, 0));
    CHECK_OK(pci_io(&p, 0xcfc, false, 2, 2, b));
    CHECK_MEM(b, "\x86\x80\x86\x80", 4);
    CHECK_EQ(pci_io(&p, 0xcfc, false, 3, 1, b), -EINVAL);
}

static void test_narrow_address_port(void)
{
    struct pci_host p;
    struct power pw = {0};

    CHECK_OK(pci_init(&p, &pw));
    out(&p, 0xcf8, 4, CONF1(0, 0x00));
    /* byte and word accesses to 0xcf8-0xcfb are ISA: they do not touch
     * CONFIG_ADDRESS and read as nobody home */
    out(&p, 0xcf8, 1, 0x55);
    out(&p, 0xcfa, 2, 0x1234);
    out(&p, 0xcfb, 1, 0x00);
    CHECK_EQ(in(&p, 0xcf8, 4), 0x80000000);
    CHECK_EQ(in(&p, 0xcf8, 1), 0xff);
    CHECK_EQ(in(&p, 0xcfa, 2), 0xffff);
    CHECK_EQ(in(&p, 0xcf8, 2), 0xffff);
    CHECK_EQ(pw.req, POWER_NONE);
    /* a word at 0xcf8 spans 0xcf9 but is not an RCR access */
    out(&p, 0xcf8, 2, 0x0600);
    CHECK_EQ(pw.req, POWER_NONE);
}

static void test_reset_control(void)
{
    struct pci_host p;
    struct power pw = {0};

    CHECK_OK(pci_init(&p, &pw));
    CHECK_EQ(in(&p, 0xcf9, 1), 0x00);
    /* Linux reboot=pci: 0x02 (hard reset selected), then 0x06 */
    out(&p, 0xcf9, 1, 0x02);
    CHECK_EQ(pw.req, POWER_NONE);
    CHECK_EQ(in(&p, 0xcf9, 1), 0x02);
    out(&p, 0xcf9, 1, 0x06);
    CHECK_EQ(pw.req, POWER_RESET);
    CHECK_EQ(pw.status, PCI_RESET_HARD);
    CHECK_EQ(in(&p, 0xcf9, 1), 0x02); /* RST_CPU reads back 0 */
    /* init.c: outb(0, 0xcf9); outb(4, 0xcf9): a soft reset (INIT) */
    pw.req = POWER_NONE;
    out(&p, 0xcf9, 1, 0x00);
    CHECK_EQ(pw.req, POWER_NONE);
    out(&p, 0xcf9, 1, 0x04);
    CHECK_EQ(pw.req, POWER_RESET);
    CHECK_EQ(pw.status, PCI_RESET_SOFT);
    /* the address register is untouched by RCR traffic */
    out(&p, 0xcf8, 4, CONF1(0, 0x08));
    out(&p, 0xcf9, 1, 0x00);
    CHECK_EQ(in(&p, 0xcf8, 4), CONF1(0, 0x08));
    /* no power object: no crash, nothing recorded */
    CHECK_OK(pci_init(&p, NULL));
    out(&p, 0xcf9, 1, 0x06);
}

static void test_reset_save_load(void)
{
    struct pci_host p, q;
    struct pci_state st, bad;

    CHECK_OK(pci_init(&p, NULL));
    out(&p, 0xcf8, 4, CONF1(0, 0x58));
    out(&p, 0xcfd, 1, 0x33);
    out(&p, 0xcf8, 4, CONF1(0, 0x04));
    out(&p, 0xcfc, 2, 0x0100);
    out(&p, 0xcf9, 1, 0x02);
    pci_save(&p, &st);
    /* a fresh device takes the snapshot: same answers */
    CHECK_OK(pci_init(&q, NULL));
    CHECK_OK(pci_load(&q, &st));
    CHECK_EQ(in(&q, 0xcf8, 4), CONF1(0, 0x04));
    CHECK_EQ(in(&q, 0xcfc, 2), 0x0106);
    CHECK_EQ(in(&q, 0xcf9, 1), 0x02);
    CHECK_EQ(kut_read(&q, 0, 0x58, 4), 0x3300);
    /* states the device cannot be in are refused, nothing changed */
    bad = st;
    bad.addr |= 1u << 24;
    CHECK_EQ(pci_load(&q, &bad), -EINVAL);
    bad = st;
    bad.rcr = PCI_RCR_RST_CPU;
    CHECK_EQ(pci_load(&q, &bad), -EINVAL);
    bad = st;
    bad.cfg[0] = 0x87; /* vendor is read-only */
    CHECK_EQ(pci_load(&q, &bad), -EINVAL);
    bad = st;
    bad.cfg[4] |= 0x01; /* I/O space enable is not writable */
    CHECK_EQ(pci_load(&q, &bad), -EINVAL);
    CHECK_EQ(kut_read(&q, 0, 0x58, 4), 0x3300);
    /* reset: power-on values */
    pci_reset(&q);
    CHECK_EQ(in(&q, 0xcf8, 4), 0);
    CHECK_EQ(in(&q, 0xcf9, 1), 0);
    CHECK_EQ(kut_read(&q, 0, 0x58, 4), 0);
    CHECK_EQ(kut_read(&q, 0, 0x04, 2), 0x0006);
    CHECK_EQ(kut_read(&q, 0, 0x00, 4), 0x12378086);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_host_bridge_id),
        TEST(test_absent_functions),
        TEST(test_writes),
        TEST(test_string_io),
        TEST(test_narrow_address_port),
        TEST(test_reset_control),
        TEST(test_reset_save_load),
    };
    return test_main(tests, TEST_COUNT(tests));
}
