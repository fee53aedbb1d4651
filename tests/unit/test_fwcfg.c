/* fw_cfg driven through its ports as kvm-unit-tests and Linux do. */
#include "tests/test.h"

#include <errno.h>

#include "vmm/hw/fwcfg.h"

/* out %ax, $0x510 */
static void select_key(struct fwcfg *f, uint16_t key)
{
    uint8_t b[2] = {(uint8_t)key, (uint8_t)(key >> 8)};

    CHECK_OK(fwcfg_io(f, 0x510, true, 2, 1, b));
}

/* in $0x511, %al */
static uint8_t inb_data(struct fwcfg *f)
{
    uint8_t b = 0x5a;

    CHECK_OK(fwcfg_io(f, 0x511, false, 1, 1, &b));
    return b;
}

/* kvm-unit-tests' fwcfg_get_u: select, then n byte reads, little-endian */
static uint64_t get_u(struct fwcfg *f, uint16_t key, int n)
{
    uint64_t r = 0;

    select_key(f, key);
    for (int i = 0; i < n; i++)
        r |= (uint64_t)inb_data(f) << (8 * i);
    return r;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void test_pc_keys(void)
{
    struct fwcfg f;

    fwcfg_init(&f);
    CHECK_OK(fwcfg_add_pc_keys(&f, 2, 128ull << 20, 0));
    CHECK_EQ(get_u(&f, FWCFG_SIGNATURE, 4), 0x554d4551); /* "QEMU" */
    CHECK_EQ(get_u(&f, FWCFG_ID, 4), 1);                 /* no DMA */
    CHECK_EQ(get_u(&f, FWCFG_RAM_SIZE, 8), 128ull << 20);
    CHECK_EQ(get_u(&f, FWCFG_NB_CPUS, 2), 2);
    CHECK_EQ(get_u(&f, FWCFG_MAX_CPUS, 2), 2);
    CHECK_EQ(get_u(&f, FWCFG_MAX_RAM, 8), 0); /* no limit */
    fwcfg_destroy(&f);

    fwcfg_init(&f);
    CHECK_OK(fwcfg_add_pc_keys(&f, 4, 5ull << 30, 6ull << 30));
    CHECK_EQ(get_u(&f, FWCFG_RAM_SIZE, 8), 5ull << 30);
    CHECK_EQ(get_u(&f, FWCFG_NB_CPUS, 2), 4);
    CHECK_EQ(get_u(&f, FWCFG_MAX_RAM, 8), 6ull << 30);
    CHECK_EQ(fwcfg_add_pc_keys(&f, 0, 1 << 20, 0), -EINVAL);
    fwcfg_destroy(&f);
}

static void test_byte_by_byte(void)
{
    static const uint8_t blob[5] = {1, 2, 3, 4, 5};
    struct fwcfg f;

    fwcfg_init(&f);
    CHECK_OK(fwcfg_add(&f, 0x0a, blob, sizeof(blob)));
    select_key(&f, 0x0a);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(inb_data(&f), blob[i]);
    /* past the end: 0, and it stays there */
    CHECK_EQ(inb_data(&f), 0);
    CHECK_EQ(inb_data(&f), 0);
    /* selecting again rewinds */
    select_key(&f, 0x0a);
    CHECK_EQ(inb_data(&f), 1);
    /* the write-channel bit does not change which item */
    select_key(&f, 0x0a | FWCFG_WRITE_CHANNEL);
    CHECK_EQ(inb_data(&f), 1);
    /* a missing item reads 0 */
    select_key(&f, 0x0b);
    CHECK_EQ(inb_data(&f), 0);
    fwcfg_destroy(&f);
}

static void test_string_read(void)
{
    static const uint8_t blob[6] = "abcde";
    uint8_t buf[8];
    struct fwcfg f;

    fwcfg_init(&f);
    CHECK_OK(fwcfg_add(&f, 0x0a, blob, 5));
    select_key(&f, 0x0a);
    /* rep insb of 8 from 0x511, as Linux's ioread8_rep */
    memset(buf, 0x77, sizeof(buf));
    CHECK_OK(fwcfg_io(&f, 0x511, false, 1, 8, buf));
    CHECK_MEM(buf, "abcde\0\0\0", 8);
    fwcfg_destroy(&f);
}

static void test_other_accesses(void)
{
    static const uint8_t blob[2] = {0x11, 0x22};
    uint8_t b[4];
    struct fwcfg f;

    fwcfg_init(&f);
    CHECK_OK(fwcfg_add(&f, 0x0a, blob, 2));
    select_key(&f, 0x0a);
    /* a byte OUT to the selector is not a select */
    b[0] = 0x00;
    CHECK_OK(fwcfg_io(&f, 0x510, true, 1, 1, b));
    CHECK_EQ(inb_data(&f), 0x11);
    /* OUTs to data are ignored (no write interface) and do not advance */
    b[0] = 0x99;
    CHECK_OK(fwcfg_io(&f, 0x511, true, 1, 1, b));
    CHECK_EQ(inb_data(&f), 0x22);
    /* reads of the selector, and wide data reads: unclaimed, all-ones */
    select_key(&f, 0x0a);
    CHECK_OK(fwcfg_io(&f, 0x510, false, 2, 1, b));
    CHECK_EQ(b[0], 0xff);
    CHECK_EQ(b[1], 0xff);
    CHECK_OK(fwcfg_io(&f, 0x511, false, 2, 1, b));
    CHECK_EQ(b[0], 0xff);
    CHECK_EQ(inb_data(&f), 0x11); /* and they did not move the offset */
    fwcfg_destroy(&f);
}

static void test_replace_and_limits(void)
{
    static const uint8_t a = 1, b = 2;
    struct fwcfg f;

    fwcfg_init(&f);
    CHECK_OK(fwcfg_add(&f, 0x0a, &a, 1));
    CHECK_OK(fwcfg_add(&f, 0x0a, &b, 1));
    CHECK_EQ(get_u(&f, 0x0a, 1), 2);
    /* an empty item exists and reads 0 */
    CHECK_OK(fwcfg_add(&f, 0x0c, NULL, 0));
    CHECK_EQ(get_u(&f, 0x0c, 1), 0);
    /* the directory and file keys are not fwcfg_add's */
    CHECK_EQ(fwcfg_add(&f, FWCFG_FILE_DIR, &a, 1), -EINVAL);
    CHECK_EQ(fwcfg_add(&f, FWCFG_FILE_FIRST, &a, 1), -EINVAL);
    CHECK_EQ(fwcfg_add(&f, 0x3fff, &a, 1), -EINVAL);
    /* arch-local keys are separate items */
    CHECK_OK(fwcfg_add_u16(&f, 0x8002, 0xbeef));
    CHECK_EQ(get_u(&f, 0x8002, 2), 0xbeef);
    CHECK_EQ(get_u(&f, 0x0002, 2), 0);
    /* fill the table */
    int added = 0, e = 0;
    for (uint16_t k = 0x8100; k < 0x8200; k++) {
        e = fwcfg_add(&f, k, &a, 1);
        if (e < 0)
            break;
        added++;
    }
    CHECK_EQ(e, -ENOSPC);
    CHECK_EQ(added, FWCFG_MAX_ITEMS - 3);
    /* replacing still works when full */
    CHECK_OK(fwcfg_add(&f, 0x0a, &a, 1));
    CHECK_EQ(fwcfg_add_file(&f, "x", &a, 1), -ENOSPC);
    fwcfg_destroy(&f);
    fwcfg_destroy(&f); /* idempotent */
    CHECK_EQ(get_u(&f, 0x0a, 1), 0);
}

static void test_files(void)
{
    static const uint8_t one[3] = {0xa1, 0xa2, 0xa3};
    static const uint8_t two[1] = {0xb1};
    char name[64];
    uint8_t dir[4 + 2 * 64];
    struct fwcfg f;

    fwcfg_init(&f);
    CHECK_EQ(fwcfg_add_file(&f, "etc/one", one, sizeof(one)), 0x20);
    CHECK_EQ(fwcfg_add_file(&f, "opt/two", two, sizeof(two)), 0x21);
    CHECK_EQ(fwcfg_add_file(&f, "etc/one", two, 1), -EEXIST);
    CHECK_EQ(fwcfg_add_file(&f, "", two, 1), -ENAMETOOLONG);
    memset(name, 'n', 55);
    name[55] = '\0';
    CHECK_EQ(fwcfg_add_file(&f, name, two, 1), 0x22); /* 55: fits */
    name[55] = 'n';
    name[56] = '\0';
    CHECK_EQ(fwcfg_add_file(&f, name, two, 1), -ENAMETOOLONG);

    /* the directory, read like a guest: count, then 64-byte entries */
    select_key(&f, FWCFG_FILE_DIR);
    for (size_t i = 0; i < sizeof(dir); i++)
        dir[i] = inb_data(&f);
    CHECK_EQ(be32(dir), 3);
    CHECK_EQ(be32(dir + 4), 3);           /* size */
    CHECK_EQ(dir[8] << 8 | dir[9], 0x20); /* select */
    CHECK_EQ(dir[10] | dir[11], 0);       /* reserved */
    CHECK_STR((const char *)dir + 12, "etc/one");
    CHECK_EQ(be32(dir + 68), 1);
    CHECK_EQ(dir[72] << 8 | dir[73], 0x21);
    CHECK_STR((const char *)dir + 76, "opt/two");
    for (int i = 76 + 7; i < 76 + 56; i++)
        CHECK_EQ(dir[i], 0); /* NUL padding */

    /* and the files' contents by the keys the directory gave */
    CHECK_EQ(get_u(&f, 0x20, 3), 0xa3a2a1);
    CHECK_EQ(get_u(&f, 0x21, 2), 0xb1); /* then 0 past the end */
    fwcfg_destroy(&f);
}

static void test_file_table_full(void)
{
    static const uint8_t a = 7;
    char name[16];
    struct fwcfg f;
    int e = 0, n = 0;

    fwcfg_init(&f);
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        e = fwcfg_add_file(&f, name, &a, 1);
        if (e < 0)
            break;
        CHECK_EQ(e, FWCFG_FILE_FIRST + i);
        n++;
    }
    CHECK_EQ(e, -ENOSPC);
    CHECK_EQ(n, FWCFG_MAX_FILES);
    CHECK_EQ(get_u(&f, FWCFG_FILE_DIR, 4), 0x20000000); /* BE 32 */
    fwcfg_destroy(&f);
}

static void test_reset_save_load(void)
{
    static const uint8_t blob[4] = {10, 11, 12, 13};
    struct fwcfg f;
    struct fwcfg_state st, bad;

    fwcfg_init(&f);
    CHECK_OK(fwcfg_add_pc_keys(&f, 1, 2 << 20, 0));
    CHECK_OK(fwcfg_add(&f, 0x0a, blob, sizeof(blob)));
    select_key(&f, 0x0a);
    CHECK_EQ(inb_data(&f), 10);
    fwcfg_save(&f, &st);
    CHECK_EQ(inb_data(&f), 11);
    CHECK_EQ(inb_data(&f), 12);
    /* back to where the snapshot was taken */
    CHECK_OK(fwcfg_load(&f, &st));
    CHECK_EQ(inb_data(&f), 11);
    /* a selector value the device never holds: refused, unchanged */
    bad = st;
    bad.sel |= FWCFG_WRITE_CHANNEL;
    CHECK_EQ(fwcfg_load(&f, &bad), -EINVAL);
    CHECK_EQ(inb_data(&f), 12);
    /* reset: the signature, from its start */
    fwcfg_reset(&f);
    CHECK_EQ(inb_data(&f), 'Q');
    CHECK_EQ(inb_data(&f), 'E');
    fwcfg_destroy(&f);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_pc_keys),
        TEST(test_byte_by_byte),
        TEST(test_string_read),
        TEST(test_other_accesses),
        TEST(test_replace_and_limits),
        TEST(test_files),
        TEST(test_file_table_full),
        TEST(test_reset_save_load),
    };
    return test_main(tests, TEST_COUNT(tests));
}
