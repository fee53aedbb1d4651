/*
 * The BIOS's VMM side without KVM: int 13h on a temporary image, int 10h
 * on a fake guest RAM, the BIOS port's frame handling, key codes. Every
 * guest-given count, buffer and LBA at its edge.
 */
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/boot/disk.h"
#include "vmm/boot/memmap.h"
#include "vmm/hw/bios.h"
#include "vmm/hw/vga.h"
#include "vmm/mem.h"

#define RAM (1u << 20) /* just the first MiB: 0x100000 and up is not RAM */

static struct mem fake_mem(void)
{
    struct mem m = {.host = calloc(1, RAM), .size = RAM};
    return m;
}

/* A 1 MiB hard disk image: 55 AA, LBA n starts with n as a byte. */
static char img[64];
static void make_image(uint64_t size)
{
    strcpy(img, "/tmp/kvmstub-test-bios.XXXXXX");
    int fd = mkstemp(img);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, (off_t)size), 0);
    for (uint64_t s = 0; s < size / 512; s++) {
        uint8_t b = (uint8_t)s;
        CHECK_EQ(pwrite(fd, &b, 1, (off_t)(s * 512)), 1);
    }
    uint8_t sig[2] = {0x55, 0xaa};
    CHECK_EQ(pwrite(fd, sig, 2, 510), 2);
    close(fd);
}

static struct bios_regs regs(uint16_t ax, uint16_t bx, uint16_t cx, uint16_t dx,
                             uint16_t es)
{
    return (struct bios_regs){
        .eax = ax, .ebx = bx, .ecx = cx, .edx = dx, .es = es, .flags = 0x202};
}

static void test_disk_open(void)
{
    struct disk d;

    make_image(1 << 20);
    CHECK_OK(disk_open(&d, img, false, false));
    CHECK_EQ(d.sectors, 2048);
    CHECK_EQ(d.heads, 16);
    CHECK_EQ(d.spt, 63);
    CHECK_EQ(d.cyls, 2);
    disk_close(&d);
    CHECK_EQ(disk_open(&d, img, true, false), 0); /* 1M floppy: 1.44M CHS */
    CHECK_EQ(d.sectors, 2880);
    CHECK_EQ(d.spt, 18);
    disk_close(&d);
    CHECK_EQ(truncate(img, 3 << 20), 0);
    CHECK_EQ(disk_open(&d, img, true, false), -EINVAL);
    CHECK(d.err != NULL);
    disk_close(&d);
    CHECK_EQ(truncate(img, 100), 0);
    CHECK_EQ(disk_open(&d, img, false, false), -EINVAL);
    disk_close(&d);
    CHECK_EQ(disk_open(&d, "/nonexistent/x", false, false), -ENOENT);
    disk_close(&d);
    unlink(img);
}

static void test_int13_edges(void)
{
    struct mem m = fake_mem();
    struct disk d;
    uint8_t last = 0;
    struct bios_regs r;

    make_image(1 << 20);
    CHECK_OK(disk_open(&d, img, false, true));
    struct disk *disks[2] = {NULL, &d};

    /* CHS 0/1/38 = LBA 100 into 1000:0000 */
    r = regs(0x0201, 0, 0x0026, 0x0180, 0x1000);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.flags & 1, 0);
    CHECK_EQ(r.eax & 0xffff, 0x0001);
    CHECK_EQ(m.host[0x10000], 100);
    /* count 0, 129; sector 0, 64; head 16; cylinder 2 */
    static const uint16_t bad[][3] = {
        {0x0200, 0x0001, 0x0080}, {0x0281, 0x0001, 0x0080},
        {0x0201, 0x0000, 0x0080}, {0x0201, 0x0040, 0x0080},
        {0x0201, 0x0001, 0x1080}, {0x0201, 0x0201, 0x0080},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = regs(bad[i][0], 0, bad[i][1], bad[i][2], 0x1000);
        disk_int13(disks, 2, &m, &r, &last);
        CHECK_EQ(r.flags & 1, 1);
        CHECK_EQ(r.eax & 0xffff, 0x0100);
    }
    /* the buffer wraps its segment: 09h, nothing written */
    memset(m.host + 0x10000, 0xee, 16);
    r = regs(0x0202, 0xff00, 0x0001, 0x0080, 0x1000);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.eax & 0xffff, 0x0900);
    CHECK_EQ(m.host[0x10000], 0xee);
    /* the buffer is past the end of RAM: FFFF:0010 */
    r = regs(0x0201, 0x0010, 0x0001, 0x0080, 0xffff);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.flags & 1, 1);
    CHECK_EQ(r.eax & 0xff00, 0x0100);
    /* readonly: 03h and 43h are write-protected */
    r = regs(0x0301, 0, 0x0002, 0x0080, 0x1000);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.eax & 0xffff, 0x0300);
    CHECK_EQ(last, 0x03);
    r = regs(0x0100, 0, 0, 0x0080, 0);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ((r.eax >> 8) & 0xff, 0x03);

    /* EDD: packets at 0000:0600 */
    uint8_t *dap = m.host + 0x600;
    static const struct {
        uint16_t count;
        uint64_t lba;
        uint8_t want;
    } ext[] = {
        {1, 2047, 0x00},   {1, 2048, 0x04},
        {2, 2047, 0x04},   {1, UINT64_MAX, 0x04},
        {0, 1, 0x01},      {128, 1, 0x01},
        {0xffff, 1, 0x01}, {1, UINT64_MAX - 1, 0x04},
    };
    for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
        memset(dap, 0, 24);
        dap[0] = 0x10;
        memcpy(dap + 2, &ext[i].count, 2);
        uint16_t seg = 0x2000;
        memcpy(dap + 6, &seg, 2);
        memcpy(dap + 8, &ext[i].lba, 8);
        r = regs(0x4200, 0, 0, 0x0080, 0);
        r.ds = 0;
        r.esi = 0x600;
        disk_int13(disks, 2, &m, &r, &last);
        CHECK_EQ((r.eax >> 8) & 0xff, ext[i].want);
        CHECK_EQ(r.flags & 1, ext[i].want != 0);
        uint16_t done;
        memcpy(&done, dap + 2, 2);
        CHECK_EQ(done, ext[i].want ? 0 : ext[i].count);
    }
    CHECK_EQ(m.host[0x20000], 2047 & 0xff);
    /* a flat 64-bit buffer at the top of the address space */
    memset(dap, 0, 24);
    dap[0] = 0x18;
    dap[2] = 1;
    memset(dap + 4, 0xff, 4);
    uint64_t flat = UINT64_MAX - 100;
    memcpy(dap + 16, &flat, 8);
    r = regs(0x4200, 0, 0, 0x0080, 0);
    r.esi = 0x600;
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ((r.eax >> 8) & 0xff, 0x01);
    /* the packet itself past the end of RAM */
    r = regs(0x4200, 0, 0, 0x0080, 0);
    r.ds = 0xffff;
    r.esi = 0xfff8;
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.flags & 1, 1);
    /* absent drives */
    r = regs(0x0201, 0, 0x0001, 0x0000, 0x1000);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.eax & 0xff00, 0x0100);
    r = regs(0x1500, 0, 0, 0x0081, 0);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.eax & 0xff00, 0);
    CHECK_EQ(r.flags & 1, 0);
    disk_close(&d);
    unlink(img);
    free(m.host);
}

static void test_write_back(void)
{
    struct mem m = fake_mem();
    struct disk d;
    uint8_t last = 0, b = 0;

    make_image(1 << 20);
    CHECK_OK(disk_open(&d, img, false, false));
    struct disk *disks[2] = {NULL, &d};
    memset(m.host + 0x10000, 0xab, 1024);
    struct bios_regs r = regs(0x0302, 0, 0x0003, 0x0080, 0x1000);
    disk_int13(disks, 2, &m, &r, &last);
    CHECK_EQ(r.eax & 0xffff, 0x0002);
    int fd = open(img, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(pread(fd, &b, 1, 2 * 512), 1);
    CHECK_EQ(b, 0xab);
    CHECK_EQ(pread(fd, &b, 1, 4 * 512), 1);
    CHECK_EQ(b, 4);
    close(fd);
    disk_close(&d);
    unlink(img);
    free(m.host);
}

static void test_vga(void)
{
    struct mem m = fake_mem();
    char out[(VGA_COLS + 1) * VGA_ROWS + 1];
    struct bios_regs r;

    vga_post(&m);
    /* 26 lines scroll the first one away */
    for (int i = 0; i < 26; i++) {
        const char *s = i == 0 ? "first\r\n" : i == 25 ? "last" : "x\r\n";
        for (; *s; s++) {
            r = regs((uint16_t)(0x0e00 | (uint8_t)*s), 0, 0, 0, 0);
            CHECK_OK(vga_int10(&m, NULL, &r));
        }
    }
    CHECK(vga_dump(&m, out, sizeof(out)) > 0);
    CHECK(strncmp(out, "x\n", 2) == 0);
    CHECK(strstr(out, "last\n") != NULL);
    CHECK(strstr(out, "first") == NULL);
    r = regs(0x0300, 0, 0, 0, 0);
    CHECK_OK(vga_int10(&m, NULL, &r));
    CHECK_EQ(r.edx & 0xffff, 0x1804);
    /* a string past the end of RAM is ignored; a huge count is clipped */
    r = regs(0x1301, 0x0007, 0xffff, 0, 0xffff);
    r.ebp = 0xffff;
    CHECK_OK(vga_int10(&m, NULL, &r));
    r = regs(0x0941, 0x0007, 0xffff, 0, 0);
    CHECK_OK(vga_int10(&m, NULL, &r));
    CHECK_EQ(m.host[VGA_TEXT_BASE + VGA_COLS * VGA_ROWS * 2 - 2], 'A');
    CHECK_EQ(m.host[VGA_TEXT_BASE + VGA_COLS * VGA_ROWS * 2], ' ');
    /* the cursor position in the BDA out of range is clamped */
    m.host[0x450] = 200;
    m.host[0x451] = 200;
    r = regs(0x0e41, 0, 0, 0, 0);
    CHECK_OK(vga_int10(&m, NULL, &r));
    CHECK_EQ(vga_dump(&m, out, 1), 0);
    free(m.host);
}

static void test_port(void)
{
    struct mem m = fake_mem();
    struct memmap map;
    struct bios b;
    uint8_t data[4];
    uint32_t v;

    memmap_pc(&map, 128 << 20);
    bios_init(&b, &m, &map, NULL, NULL);
    CHECK_OK(bios_io(&b, BIOS_PORT, false, 4, 1, data));
    memcpy(&v, data, 4);
    CHECK_EQ(v, BIOS_SIGNATURE);
    CHECK_OK(bios_io(&b, BIOS_PORT, false, 1, 1, data));
    CHECK_EQ(data[0], 0xff);
    /* frames that reach past RAM, or at 4 GiB - 1: ignored */
    static const uint32_t bad[] = {RAM - 43, RAM, 0xffffffffu};
    for (size_t i = 0; i < 3; i++) {
        memcpy(data, &bad[i], 4);
        CHECK_OK(bios_io(&b, BIOS_PORT, true, 4, 1, data));
    }
    CHECK_EQ(b.calls, 0);
    /* an E820 call frame at 0x7000: index 0, buffer 0000:0800 */
    uint8_t *f = m.host + 0x7000;
    memset(f, 0, 44);
    f[0] = 0x15;
    uint32_t eax = 0xe820, edx = 0x534d4150, ecx = 20, edi = 0x800;
    memcpy(f + 30, &eax, 4);
    memcpy(f + 22, &edx, 4);
    memcpy(f + 26, &ecx, 4);
    memcpy(f + 2, &edi, 4);
    v = 0x7000;
    memcpy(data, &v, 4);
    CHECK_OK(bios_io(&b, BIOS_PORT, true, 4, 1, data));
    CHECK_EQ(b.calls, 1);
    CHECK_EQ(f[0], 0);
    uint32_t ebx;
    memcpy(&ebx, f + 18, 4);
    CHECK_EQ(ebx, 1);
    uint64_t len;
    memcpy(&len, m.host + 0x808, 8);
    CHECK_EQ(len, 0x9fc00);
    /* the last index, then one past it: CF */
    f[0] = 0x15;
    ebx = (uint32_t)map.n;
    memcpy(f + 18, &ebx, 4);
    memcpy(f + 30, &eax, 4);
    CHECK_OK(bios_io(&b, BIOS_PORT, true, 4, 1, data));
    CHECK_EQ(f[42] & 1, 1);
    /* int 16h 00h with no keys: the service word stays (wait) */
    f[0] = 0x16;
    memset(f + 30, 0, 4);
    m.host[0x41a] = m.host[0x41c] = 0x1e;
    CHECK_OK(bios_io(&b, BIOS_PORT, true, 4, 1, data));
    CHECK_EQ(f[0], 0x16);
    free(m.host);
}

static void test_keys(void)
{
    CHECK_EQ(bios_key_code('a'), 0x1e61);
    CHECK_EQ(bios_key_code('A'), 0x1e41);
    CHECK_EQ(bios_key_code('\n'), 0x1c0d);
    CHECK_EQ(bios_key_code(0x7f), 0x0e08);
    CHECK_EQ(bios_key_code(0x1b), 0x011b);
    CHECK_EQ(bios_key_code('1'), 0x0231);
    CHECK_EQ(bios_key_code('!'), 0x0221);
    CHECK_EQ(bios_key_code(' '), 0x3920);
    CHECK_EQ(bios_key_code(3), 0x2e03); /* Ctrl+C */
    CHECK_EQ(bios_key_code('/'), 0x352f);
    CHECK_EQ(bios_key_code(0), 0);
    CHECK_EQ(bios_key_code(0xe9), 0);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_disk_open), TEST(test_int13_edges), TEST(test_write_back),
        TEST(test_vga),       TEST(test_port),        TEST(test_keys),
    };
    return test_main(tests, TEST_COUNT(tests));
}
