/*
 * The page-table walker over crafted tables in a buffer: 4-level long
 * mode (4 KiB, 2 MiB, 1 GiB pages, the canonical upper half), PAE,
 * 32-bit paging (4 KiB and 4 MiB PSE pages, which this host's KVM cannot
 * run), effective rights across levels, bounded output and tables that
 * point back at themselves.
 */
#include "vmm/pagetable.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tests/test.h"

#define PHYS (1u << 20) /* 1 MiB of "guest physical memory" */

static uint8_t phys[PHYS];

static int rd(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    if (gpa > PHYS || len > PHYS - gpa)
        return -EFAULT;
    memcpy(buf, phys + gpa, len);
    return 0;
}

static void set64(uint64_t gpa, uint64_t v)
{
    memcpy(phys + gpa, &v, 8);
}

static void set32(uint64_t gpa, uint32_t v)
{
    memcpy(phys + gpa, &v, 4);
}

struct seen {
    unsigned n;
    struct pt_map m[16];
};

static int collect(void *arg, const struct pt_map *m)
{
    struct seen *s = arg;

    if (s->n < 16)
        s->m[s->n] = *m;
    s->n++;
    return 0;
}

static void test_mode_of(void)
{
    CHECK_EQ(pt_mode_of(0x11, 0, 0), PT_OFF);
    CHECK_EQ(pt_mode_of(0x80000011, 0, 0), PT_32);
    CHECK_EQ(pt_mode_of(0x80000011, 0x20, 0), PT_PAE);
    CHECK_EQ(pt_mode_of(0x80000011, 0x20, 0x500), PT_LONG);
    CHECK_EQ(pt_mode_of(0x80000011, 0x1020, 0x500), PT_LA57);
    CHECK_STR(pt_mode_name(PT_LONG), "4-level paging");
}

/*
 * Long mode: PML4 at 0x1000. PML4[0] -> PDPT 0x2000: PD 0x3000 with a
 * 2 MiB page at 0 (RW) and a PT 0x4000 with 4 KiB pages at 2 MiB -> 0x5000
 * (read-only) and 2 MiB + 4 KiB -> 0x6000 (user, RW, NX, dirty); PDPT[1]
 * a 1 GiB page at 1 GiB -> 0 (RW, global). PML4[511] -> PDPT 0x7000 with
 * PDPT[510] a 1 GiB page: linear 0xffffffff80000000 -> 0x40000000.
 */
static void build_long(void)
{
    memset(phys, 0, sizeof(phys));
    set64(0x1000, 0x2000 | 0x7); /* user, RW at the top */
    set64(0x2000, 0x3000 | 0x7); /* PDPT[0] */
    set64(0x2008, 0x0 | 0x183);  /* PDPT[1]: 1 GiB, G */
    set64(0x3000, 0x0 | 0x83);   /* PD[0]: 2 MiB, RW, supervisor */
    set64(0x3008, 0x4000 | 0x7); /* PD[1] -> PT */
    set64(0x4000, 0x5000 | 0x1); /* read-only, supervisor */
    set64(0x4008, 0x6000 | 0x67 | (1ull << 63)); /* U, RW, A, D, XD */
    set64(0x1000 + 511 * 8, 0x7000 | 0x3);
    set64(0x7000 + 510 * 8, 0x40000000 | 0x83);
}

static void test_long_walk(void)
{
    struct pt_cfg c = {.mode = PT_LONG, .cr3 = 0x1000, .nxe = true, .read = rd};
    struct seen s = {0};

    build_long();
    CHECK_EQ(pt_walk(&c, collect, &s), 0);
    CHECK_EQ(s.n, 5);
    CHECK_EQ(s.m[0].linear, 0);
    CHECK_EQ(s.m[0].size, 2u << 20);
    CHECK_EQ(s.m[0].flags & (PT_W | PT_U | PT_NX), PT_W);
    CHECK_EQ(s.m[1].linear, 0x200000);
    CHECK_EQ(s.m[1].phys, 0x5000);
    CHECK_EQ(s.m[1].flags & (PT_W | PT_U), 0);
    CHECK_EQ(s.m[2].linear, 0x201000);
    CHECK_EQ(s.m[2].phys, 0x6000);
    CHECK_EQ(s.m[2].flags, PT_W | PT_U | PT_NX | PT_A | PT_D);
    CHECK_EQ(s.m[3].linear, 0x40000000);
    CHECK_EQ(s.m[3].size, 1u << 30);
    CHECK_EQ(s.m[3].flags & PT_G, PT_G);
    CHECK_EQ(s.m[4].linear, (long long)0xffffffff80000000ull);
    CHECK_EQ(s.m[4].phys, 0x40000000);
    /* Without EFER.NXE bit 63 is reserved: that page faults, unmapped. */
    c.nxe = false;
    s.n = 0;
    CHECK_EQ(pt_walk(&c, collect, &s), 0);
    CHECK_EQ(s.n, 4);
    CHECK_EQ(s.m[2].linear, 0x40000000);
}

static void test_long_text(void)
{
    struct pt_cfg c = {.mode = PT_LONG, .cr3 = 0x1000, .nxe = true, .read = rd};
    char out[4096];
    int n;

    build_long();
    n = pt_info_mem(&c, out, sizeof(out));
    CHECK(n > 0);
    CHECK_EQ((size_t)n, strlen(out));
    CHECK(strstr(out, "4-level paging, CR3 0x1000") != NULL);
    CHECK(strstr(out, "0000000000000000-0000000000200000 0000000000200000 "
                      "-rwx\n") != NULL);
    CHECK(strstr(out, "0000000000200000-0000000000201000 0000000000001000 "
                      "-r-x\n") != NULL);
    CHECK(strstr(out, "0000000000201000-0000000000202000 0000000000001000 "
                      "urw-\n") != NULL);
    CHECK(strstr(out, "ffffffff80000000-ffffffffc0000000") != NULL);
    n = pt_info_tlb(&c, out, sizeof(out));
    CHECK(n > 0);
    CHECK(strstr(out, "0000000000201000: 0000000006000 4K X-DA--UW\n") != NULL);
    CHECK(strstr(out, "0000000040000000: 0000000000000 1G -G----UW\n") ==
          NULL); /* supervisor: no U */
    CHECK(strstr(out, "0000000040000000: 0000000000000 1G -G-----W\n") != NULL);
    CHECK(strstr(out, "ffffffff80000000: 0000040000000 1G") != NULL);
}

/* Contiguous pages with the same rights make one run. */
static void test_merge(void)
{
    struct pt_cfg c = {.mode = PT_LONG, .cr3 = 0x1000, .read = rd};
    char out[1024];

    memset(phys, 0, sizeof(phys));
    set64(0x1000, 0x2000 | 0x3);
    set64(0x2000, 0x3000 | 0x3);
    set64(0x3000, 0x4000 | 0x3);
    for (int i = 0; i < 16; i++)
        set64(0x4000 + 8 * (uint64_t)i, (0x10000 + 0x1000 * (uint64_t)i) | 3);
    set64(0x3008, 0x0 | 0x83); /* 2 MiB at 2 MiB: not contiguous */
    CHECK(pt_info_mem(&c, out, sizeof(out)) > 0);
    CHECK(strstr(out, "0000000000000000-0000000000010000 0000000000010000 "
                      "-rwx\n0000000000200000-0000000000400000") != NULL);
}

/* 32-bit paging: 4 KiB pages and a PSE-36 4 MiB page. */
static void test_32bit(void)
{
    struct pt_cfg c = {.mode = PT_32, .cr3 = 0x1000, .pse = true, .read = rd};
    struct seen s = {0};
    char out[1024];

    memset(phys, 0, sizeof(phys));
    set32(0x1000, 0x2000 | 0x7);         /* PDE 0 -> PT */
    set32(0x2000 + 4 * 1, 0x8000 | 0x3); /* linear 0x1000 */
    set32(0x1000 + 4 * 0x300, 0x400000u | 0x83 | (1u << 13)); /* 4 MiB */
    CHECK_EQ(pt_walk(&c, collect, &s), 0);
    CHECK_EQ(s.n, 2);
    CHECK_EQ(s.m[0].linear, 0x1000);
    CHECK_EQ(s.m[0].phys, 0x8000);
    CHECK_EQ(s.m[0].flags & (PT_W | PT_U), PT_W);
    CHECK_EQ(s.m[1].linear, 0xc0000000u);
    CHECK_EQ(s.m[1].size, 4u << 20);
    CHECK_EQ(s.m[1].phys, 0x100400000ull); /* PSE-36 bit 32 */
    CHECK(pt_info_tlb(&c, out, sizeof(out)) > 0);
    CHECK(strstr(out, "c0000000: 0000100400000 4M") != NULL);
    /* Without CR4.PSE, PS is ignored: the entry points at a table. */
    c.pse = false;
    s.n = 0;
    CHECK_EQ(pt_walk(&c, collect, &s), 0);
    CHECK_EQ(s.m[0].linear, 0x1000);
}

/* PAE: 4 PDPTEs (no rights of their own), 2 MiB and 4 KiB pages. */
static void test_pae(void)
{
    struct pt_cfg c = {.mode = PT_PAE, .cr3 = 0x1020, .nxe = true, .read = rd};
    struct seen s = {0};

    memset(phys, 0, sizeof(phys));
    set64(0x1020 + 8 * 3, 0x2000 | 0x1); /* PDPTE 3: 0xc0000000 */
    set64(0x2000, 0x200000 | 0x87);      /* 2 MiB, user, RW */
    set64(0x2008, 0x3000 | 0x7);
    set64(0x3000 + 8 * 2, 0x9000 | 0x5 | (1ull << 63)); /* user, RO, XD */
    CHECK_EQ(pt_walk(&c, collect, &s), 0);
    CHECK_EQ(s.n, 2);
    CHECK_EQ(s.m[0].linear, 0xc0000000u);
    CHECK_EQ(s.m[0].phys, 0x200000);
    CHECK_EQ(s.m[0].flags & (PT_W | PT_U | PT_NX), PT_W | PT_U);
    CHECK_EQ(s.m[1].linear, 0xc0202000u);
    CHECK_EQ(s.m[1].flags & (PT_W | PT_U | PT_NX), PT_U | PT_NX);
}

/* Output is capped with "...", and a table loop cannot run away. */
static void test_bounds(void)
{
    struct pt_cfg c = {.mode = PT_LONG, .cr3 = 0x1000, .read = rd};
    char out[200];
    int n;

    /* Every entry of every level points at the same table. */
    memset(phys, 0, sizeof(phys));
    for (int i = 0; i < 512; i++)
        set64(0x1000 + 8 * (uint64_t)i, 0x1000 | 0x3);
    n = pt_info_tlb(&c, out, sizeof(out));
    CHECK(n > 0 && (size_t)n < sizeof(out));
    CHECK_EQ((size_t)n, strlen(out));
    CHECK(n >= 4 && strcmp(out + n - 4, "...\n") == 0);
    /* info mem merges them all: the leaf limit ends the walk. */
    char big[4096];
    n = pt_info_mem(&c, big, sizeof(big));
    CHECK(n > 0);
    CHECK(strstr(big, "(stopped after") != NULL || strstr(big, "...") != NULL);
    /* Tables outside memory map nothing. */
    c.cr3 = 0x7ffff000;
    CHECK(pt_info_mem(&c, big, sizeof(big)) > 0);
    CHECK(strchr(strchr(big, '\n') + 1, '-') == NULL);
    c.mode = PT_OFF;
    CHECK(pt_info_tlb(&c, big, sizeof(big)) > 0);
    CHECK(strstr(big, "paging disabled") != NULL);
    CHECK_EQ(pt_walk(&c, collect, NULL), -EINVAL);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_mode_of), TEST(test_long_walk), TEST(test_long_text),
        TEST(test_merge),   TEST(test_32bit),     TEST(test_pae),
        TEST(test_bounds),
    };
    return test_main(tests, TEST_COUNT(tests));
}
