/*
 * The Multiboot loader against synthetic images built in memory: header
 * search, a.out kludge, ELF32 program headers, every rejection with its
 * message, and whole loads into a fake guest RAM (an anonymous mapping)
 * with modules from temporary files, the boot information read back.
 */
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/memmap.h"
#include "vmm/boot/multiboot.h"
#include "vmm/mem.h"

#define IMG_MAX 0x4000

static uint8_t img[IMG_MAX];
static char err[256];

static void w16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void w32(uint8_t *p, uint32_t v)
{
    w16(p, (uint16_t)v);
    w16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t r32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* A Multiboot header at off; a.out fields header..entry when aout. */
static void put_header(size_t off, uint32_t flags, const uint32_t *aout)
{
    w32(img + off, MB_HEADER_MAGIC);
    w32(img + off + 4, flags);
    w32(img + off + 8, (uint32_t) - (MB_HEADER_MAGIC + flags));
    for (int i = 0; aout && i < 5; i++)
        w32(img + off + 12 + 4 * i, aout[i]);
}

struct ph {
    uint32_t type, off, vaddr, paddr, filesz, memsz;
};

/* An ELF32 i386 executable: program headers at 52, Multiboot header at
 * 0x80 (flags 0), the file len bytes long. */
static void put_elf(const struct ph *ph, unsigned n, uint32_t entry)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF\1\1\1", 7);
    w16(img + 16, 2); /* ET_EXEC */
    w16(img + 18, 3); /* EM_386 */
    w32(img + 20, 1); /* EV_CURRENT */
    w32(img + 24, entry);
    w32(img + 28, 52); /* e_phoff */
    w16(img + 40, 52);
    w16(img + 42, 32);
    w16(img + 44, (uint16_t)n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = img + 52 + 32 * i;
        w32(p, ph[i].type);
        w32(p + 4, ph[i].off);
        w32(p + 8, ph[i].vaddr);
        w32(p + 12, ph[i].paddr);
        w32(p + 16, ph[i].filesz);
        w32(p + 20, ph[i].memsz);
    }
    put_header(0x400, 0, NULL);
}

static bool has(const char *needle)
{
    if (strstr(err, needle))
        return true;
    printf("  message was: %s\n", err);
    return false;
}

static void test_header_search(void)
{
    struct mb_image im;

    memset(img, 0, sizeof(img));
    CHECK_EQ(multiboot_parse(img, sizeof(img), &im, err, sizeof(err)), -EINVAL);
    CHECK(has("no Multiboot header in the first 8192 bytes"));
    CHECK_EQ(multiboot_parse(img, 0, &im, err, sizeof(err)), -EINVAL);
    CHECK_EQ(multiboot_parse(img, 11, &im, err, sizeof(err)), -EINVAL);

    put_header(8192, 0, NULL); /* just past the window */
    CHECK_EQ(multiboot_parse(img, sizeof(img), &im, err, sizeof(err)), -EINVAL);
    CHECK(has("no Multiboot header"));
    memset(img, 0, sizeof(img));
    put_header(0x102, 0, NULL); /* not 4-byte aligned */
    CHECK_EQ(multiboot_parse(img, sizeof(img), &im, err, sizeof(err)), -EINVAL);
    CHECK(has("no Multiboot header"));

    memset(img, 0, sizeof(img));
    put_header(0x100, 0, NULL);
    w32(img + 0x108, r32(img + 0x108) + 1);
    CHECK_EQ(multiboot_parse(img, sizeof(img), &im, err, sizeof(err)), -EINVAL);
    CHECK(has("Multiboot header checksum is wrong"));
    CHECK(has("0x100"));

    /* A bad one first, a good one later: the good one wins. */
    uint32_t aout[5] = {0x100200, 0x100000, 0, 0, 0x100200};
    put_header(0x200, MB_HF_AOUT, aout);
    CHECK_OK(multiboot_parse(img, 0x400, &im, err, sizeof(err)));
    CHECK_EQ(im.header_offset, 0x200);

    /* Requirement bits: 0-2 known (video ignored), 3-15 refused. */
    put_header(0x200, MB_HF_AOUT | MB_HF_VIDEO | 3, aout);
    CHECK_OK(multiboot_parse(img, 0x400, &im, err, sizeof(err)));
    put_header(0x200, MB_HF_AOUT | 0x8, aout);
    CHECK_EQ(multiboot_parse(img, 0x400, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("unknown requirement bits 0x8"));
    put_header(0x200, MB_HF_AOUT | 0x80000000u, aout); /* optional bit */
    CHECK_OK(multiboot_parse(img, 0x400, &im, err, sizeof(err)));
}

static void test_aout(void)
{
    struct mb_image im;

    /* Header at file offset 0x40 = 0x200040 in memory: load from 0. */
    memset(img, 0xcc, 0x1000);
    uint32_t a[5] = {0x200040, 0x200000, 0x200800, 0x203000, 0x200100};
    put_header(0x40, MB_HF_AOUT, a);
    CHECK_OK(multiboot_parse(img, 0x1000, &im, err, sizeof(err)));
    CHECK(im.aout);
    CHECK_EQ(im.nseg, 1);
    CHECK_EQ(im.seg[0].offset, 0);
    CHECK_EQ(im.seg[0].gpa, 0x200000);
    CHECK_EQ(im.seg[0].filesz, 0x800);
    CHECK_EQ(im.seg[0].memsz, 0x3000);
    CHECK_EQ(im.entry, 0x200100);
    CHECK_EQ(im.lo, 0x200000);
    CHECK_EQ(im.hi, 0x203000);

    /* The image starts 0x20 before the header: file offset 0x20. */
    a[1] = 0x200020;
    put_header(0x40, MB_HF_AOUT, a);
    CHECK_OK(multiboot_parse(img, 0x1000, &im, err, sizeof(err)));
    CHECK_EQ(im.seg[0].offset, 0x20);
    CHECK_EQ(im.seg[0].filesz, 0x800 - 0x20);

    /* load_end_addr 0: to the end of the file; bss_end 0: no bss. */
    uint32_t b[5] = {0x200040, 0x200000, 0, 0, 0x200040};
    put_header(0x40, MB_HF_AOUT, b);
    CHECK_OK(multiboot_parse(img, 0x1000, &im, err, sizeof(err)));
    CHECK_EQ(im.seg[0].filesz, 0x1000);
    CHECK_EQ(im.seg[0].memsz, 0x1000);

    static const struct {
        uint32_t a[5];
        size_t len;
        const char *msg;
    } bad[] = {
        {{0x200040, 0x200041, 0, 0, 0x200041}, 0x1000, "is above header_addr"},
        {{0x200040, 0x100000, 0, 0, 0x100000}, 0x1000, "before the file"},
        {{0x200040, 0x200000, 0x1fffff, 0, 0x200040},
         0x1000,
         "load_end_addr 0x1fffff is below"},
        {{0x200040, 0x200000, 0x202000, 0, 0x200040},
         0x1000,
         "runs past the end of the file (0x1000 bytes; truncated?)"},
        {{0x200040, 0x200000, 0x200800, 0x200400, 0x200040},
         0x1000,
         "bss_end_addr 0x200400 is below"},
        {{0x200040, 0x200000, 0x200800, 0, 0x200800},
         0x1000,
         "entry_addr 0x200800 is outside"},
        {{0xfffff040, 0xfffff000, 0, 0, 0xfffff040},
         0x1040,
         "0x1040 bytes at 0xfffff000 run past 4 GiB"},
        {{0xfffff040, 0xfffff000, 0xfffff800, 0xffffffff, 0xfffff040},
         0x1000,
         ""},
        {{0x40, 0, 0, 0, 0x40}, 0x50, "lie past the end of the file"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        put_header(0x40, MB_HF_AOUT, bad[i].a);
        int r = multiboot_parse(img, bad[i].len, &im, err, sizeof(err));
        if (bad[i].msg[0] == '\0') { /* ends at 0xffffffff: accepted */
            CHECK_OK(r);
            CHECK_EQ(im.hi, 0xffffffffull);
            continue;
        }
        if (r != -EINVAL)
            printf("  case %zu accepted\n", i);
        CHECK_EQ(r, -EINVAL);
        CHECK(has(bad[i].msg));
    }
}

static void test_elf(void)
{
    struct mb_image im;
    /* text at 1 MiB from file 0 (covers the headers and the Multiboot
     * header), data+bss at 1 MiB + 64 KiB; a note segment ignored. */
    struct ph ph[3] = {
        {1, 0, 0x100000, 0x100000, 0x800, 0x800},
        {4, 0x100, 0, 0, 0x10, 0x10},
        {1, 0x800, 0x110000, 0x110000, 0x100, 0x2000},
    };

    put_elf(ph, 3, 0x100010);
    CHECK_OK(multiboot_parse(img, 0x1000, &im, err, sizeof(err)));
    CHECK(!im.aout);
    CHECK_EQ(im.nseg, 2);
    CHECK_EQ(im.seg[1].offset, 0x800);
    CHECK_EQ(im.seg[1].gpa, 0x110000);
    CHECK_EQ(im.seg[1].filesz, 0x100);
    CHECK_EQ(im.seg[1].memsz, 0x2000);
    CHECK_EQ(im.entry, 0x100010);
    CHECK_EQ(im.lo, 0x100000);
    CHECK_EQ(im.hi, 0x112000);
    CHECK_EQ(im.header_offset, 0x400);

    /* Loaded at p_paddr; a virtual entry translated through its segment. */
    ph[0].vaddr = 0xc0100000;
    put_elf(ph, 3, 0xc0100020);
    CHECK_OK(multiboot_parse(img, 0x1000, &im, err, sizeof(err)));
    CHECK_EQ(im.seg[0].gpa, 0x100000);
    CHECK_EQ(im.entry, 0x100020);
    ph[0].vaddr = 0x100000;

    /* The kvm-unit-tests form: ELF64 converted to elf32-i386 is ELF32. */
    put_elf(ph, 3, 0x100010);
    img[4] = 2; /* ELFCLASS64, not converted */
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("objcopy -O elf32-i386"));

    static const struct {
        int field; /* which ph field of segment 2 to change */
        uint32_t value;
        const char *msg;
    } bad[] = {
        {1, 0xf80,
         "segment 2 at 0x110000 (file offset 0xf80, 0x100 bytes) "
         "runs past the end of the file (0x1000 bytes; truncated?)"},
        {1, 0xffffff80, "runs past the end of the file"},
        {4, 0x3000, "file size 0x3000 is larger than its memory size"},
        {3, 0x100400, "overlap"},
        {3, 0xfffff000, "runs past 4 GiB"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ph q[3] = {ph[0], ph[1], ph[2]};
        uint32_t *f = &q[2].type;
        f[bad[i].field] = bad[i].value;
        put_elf(q, 3, 0x100010);
        int r = multiboot_parse(img, 0x1000, &im, err, sizeof(err));
        if (r != -EINVAL)
            printf("  case %zu accepted\n", i);
        CHECK_EQ(r, -EINVAL);
        CHECK(has(bad[i].msg));
    }

    put_elf(ph, 3, 0x200000);
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("entry point 0x200000 is outside"));
    put_elf(ph, 1, 0x100010);
    w16(img + 18, 62); /* EM_X86_64 in an ELF32 header */
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("not for i386"));
    put_elf(ph, 1, 0x100010);
    w16(img + 44, 200); /* program headers past the end */
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("program headers"));
    put_elf(ph + 1, 1, 0x100010); /* only the note */
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("no loadable segment"));
    put_elf(ph, 1, 0x100010);
    w16(img + 42, 16);
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("too small"));

    struct ph many[MB_MAX_SEGMENTS + 1];
    for (unsigned i = 0; i < MB_MAX_SEGMENTS + 1; i++)
        many[i] = (struct ph){
            1, 0, 0x100000 + i * 0x1000, 0x100000 + i * 0x1000, 0x10, 0x10};
    put_elf(many, MB_MAX_SEGMENTS, 0x100000);
    CHECK_OK(multiboot_parse(img, 0x1000, &im, err, sizeof(err)));
    put_elf(many, MB_MAX_SEGMENTS + 1, 0x100000);
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("more than 16 loadable segments"));

    memset(img, 0, sizeof(img));
    put_header(0x40, 0, NULL);
    CHECK_EQ(multiboot_parse(img, 0x1000, &im, err, sizeof(err)), -EINVAL);
    CHECK(has("not ELF and no a.out-kludge addresses"));
}

static void test_check_plan(void)
{
    struct memmap mm;
    struct mb_image im;
    struct ph ph[1] = {{1, 0, 0x100000, 0x100000, 0x800, 0x800}};

    memmap_pc(&mm, 4 << 20);
    put_elf(ph, 1, 0x100000);
    CHECK_OK(multiboot_parse(img, 0x1000, &im, err, sizeof(err)));
    CHECK_OK(multiboot_check_plan(&im, &mm, err, sizeof(err)));
    im.seg[0].gpa = 0x9f800; /* runs into the EBDA */
    CHECK_EQ(multiboot_check_plan(&im, &mm, err, sizeof(err)), -EINVAL);
    CHECK(has("0x9f800-0xa0000 is not all guest RAM"));
    im.seg[0].gpa = 0x3ff900; /* runs past the end of RAM */
    CHECK_EQ(multiboot_check_plan(&im, &mm, err, sizeof(err)), -EINVAL);
    CHECK(has("RAM ends at 0x400000"));
}

/* ---- whole loads -------------------------------------------------------- */

#define RAM (8u << 20)

static struct mem ram_map(void)
{
    struct mem m = {.host = mmap(NULL, RAM, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                    .size = RAM};
    CHECK(m.host != MAP_FAILED);
    return m;
}

static char tmpdir[] = "/tmp/kvmstub-mb.XXXXXX";

static const char *tmp_file(const char *name, const void *data, size_t len)
{
    static char path[8][128];
    static int next;
    char *p = path[next++ % 8];

    snprintf(p, 128, "%s/%s", tmpdir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, data, len), (long)len);
    close(fd);
    return p;
}

static const char *gstr(const struct mem *m, uint32_t gpa)
{
    CHECK(gpa < m->size);
    return (const char *)m->host + gpa;
}

/* A kernel ELF: 0x1000 bytes of 0x5a at 1 MiB, 0x3000 of bss after. */
static void kernel_elf(void)
{
    struct ph ph[1] = {{1, 0, 0x100000, 0x100000, 0x1000, 0x4000}};
    put_elf(ph, 1, 0x100000);
    memset(img + 0x800, 0x5a, 0x800);
}

static void test_load_pc(void)
{
    struct mem m = ram_map();
    struct memmap mm;
    struct mb_entry e;
    static uint8_t mod_b[5000];

    memmap_pc(&mm, RAM);
    kernel_elf();
    memset(m.host + 0x102000, 0xee, 16); /* the bss must be zeroed */
    memset(mod_b, 0x42, sizeof(mod_b));
    tmp_file("a,b", "first", 5);
    const char *b = tmp_file("b.bin", mod_b, sizeof(mod_b));
    char initrd[256];
    snprintf(initrd, sizeof(initrd), "%s/a,,b x=1 y,%s", tmpdir, b);
    struct mb_config cfg = {.kernel_path = "/k/mb.elf",
                            .cmdline = "-v foo=bar",
                            .initrd = initrd,
                            .loader_name = "test loader"};

    CHECK_OK(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)));
    CHECK_EQ(e.eip, 0x100000);
    CHECK_EQ(e.eax, 0x2BADB002);
    CHECK_EQ(e.ebx, MB_INFO_GPA);
    CHECK_MEM(m.host + 0x100000, img, 0x1000);
    CHECK_EQ(m.host[0x102000], 0);

    const uint8_t *mbi = m.host + e.ebx;
    CHECK_EQ(r32(mbi), MB_IF_MEMORY | MB_IF_CMDLINE | MB_IF_MODS | MB_IF_MMAP |
                           MB_IF_LOADER);
    CHECK_EQ(r32(mbi + 4), 639);
    CHECK_EQ(r32(mbi + 8), (RAM - 0x100000) / 1024);
    CHECK_STR(gstr(&m, r32(mbi + 16)), "/k/mb.elf -v foo=bar");
    CHECK_STR(gstr(&m, r32(mbi + 64)), "test loader");
    CHECK_EQ(r32(mbi + 20), 2);
    uint32_t mods = r32(mbi + 24);
    CHECK_EQ(mods, 0x104000); /* the page after the kernel's bss */
    const uint8_t *mod = m.host + mods;
    char want[256];
    snprintf(want, sizeof(want), "%s/a,b x=1 y", tmpdir);
    CHECK_STR(gstr(&m, r32(mod + 8)), want);
    CHECK_STR(gstr(&m, r32(mod + 16 + 8)), b);
    CHECK_EQ(r32(mod) & 0xfff, 0);
    CHECK(r32(mod) > mods);
    CHECK_EQ(r32(mod + 4) - r32(mod), 5);
    CHECK_MEM(m.host + r32(mod), "first", 5);
    CHECK_EQ(r32(mod + 16), r32(mod) + 0x1000); /* page aligned after */
    CHECK_EQ(r32(mod + 20) - r32(mod + 16), sizeof(mod_b));
    CHECK_MEM(m.host + r32(mod + 16), mod_b, sizeof(mod_b));

    /* The memory map is mm, entry by entry (size, base, length, type). */
    CHECK_EQ(r32(mbi + 44), mm.n * 24);
    const uint8_t *mp = m.host + r32(mbi + 48);
    for (size_t i = 0; i < mm.n; i++, mp += 24) {
        CHECK_EQ(r32(mp), 20);
        CHECK_EQ(r32(mp + 4) | (uint64_t)r32(mp + 8) << 32, mm.e[i].base);
        CHECK_EQ(r32(mp + 12) | (uint64_t)r32(mp + 16) << 32, mm.e[i].len);
        CHECK_EQ(r32(mp + 20), mm.e[i].type);
    }
    munmap(m.host, RAM);
}

static void test_load_defaults_and_fallback(void)
{
    struct mem m = ram_map();
    struct memmap mm;
    struct mb_entry e;
    struct mb_config cfg = {.kernel_path = "k"};

    /* A kernel over QEMU's info page: the info goes to free RAM. */
    memmap_flat(&mm, RAM);
    memset(img, 0, sizeof(img));
    uint32_t a[5] = {0x8040, 0x8000, 0, 0xa000, 0x8040};
    put_header(0x40, MB_HF_AOUT, a);
    CHECK_OK(
        multiboot_load_image(&m, &mm, img, 0x100, &cfg, &e, err, sizeof(err)));
    CHECK_EQ(e.eip, 0x8040);
    CHECK_STR(gstr(&m, r32(m.host + e.ebx + 16)), "k "); /* QEMU's "%s %s" */
    CHECK_STR(gstr(&m, r32(m.host + e.ebx + 64)), MB_DEFAULT_NAME);
    CHECK_EQ(r32(m.host + e.ebx + 20), 0);
    CHECK_EQ(r32(m.host + e.ebx + 4), 640); /* flat: 640 KiB from 0 */
    uint32_t mmap = r32(m.host + e.ebx + 48);
    CHECK(mmap >= 0x1000);                           /* never page 0 */
    CHECK(mmap >= 0xa000 || mmap + 0x600 <= 0x8000); /* not the kernel */
    CHECK(mmap >= 0xb000 || mmap + 0x600 <= 0xa000); /* nor the list */
    CHECK_EQ(mmap, 0x1000);                          /* the lowest free page */

    /* A kernel over page 1..0xffff: the info goes after the list. */
    uint32_t c[5] = {0x1040, 0x1000, 0, 0x10000, 0x1040};
    put_header(0x40, MB_HF_AOUT, c);
    CHECK_OK(
        multiboot_load_image(&m, &mm, img, 0x100, &cfg, &e, err, sizeof(err)));
    CHECK_EQ(r32(m.host + e.ebx + 48), 0x11000);
    munmap(m.host, RAM);
}

static void test_load_errors(void)
{
    struct mem m = ram_map();
    struct memmap mm;
    struct mb_entry e;
    char initrd[256];

    memmap_pc(&mm, RAM);
    kernel_elf();
    snprintf(initrd, sizeof(initrd), "%s/missing arg", tmpdir);
    struct mb_config cfg = {.kernel_path = "k", .initrd = initrd};
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -ENOENT);
    CHECK(has("module '"));
    CHECK(has("/missing' (--initrd): No such file or directory"));
    CHECK_EQ(m.host[0x100800], 0); /* nothing written */

    snprintf(initrd, sizeof(initrd), "%s", tmpdir);
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -EISDIR);
    cfg.initrd = "/dev/null";
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -EINVAL);
    CHECK(has("not a regular file"));
    cfg.initrd = "";
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -EINVAL);
    CHECK(has("module 1 has no file name"));
    const char *small = tmp_file("small", "x", 1);
    snprintf(initrd, sizeof(initrd), "%s,", small);
    cfg.initrd = initrd;
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -EINVAL);
    CHECK(has("module 2 has no file name"));

    /* A module larger than the RAM left. */
    static uint8_t big[RAM - 0x100000];
    const char *bigp = tmp_file("big", big, sizeof(big));
    cfg.initrd = bigp;
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -EINVAL);
    CHECK(has("does not fit in RAM"));
    unlink(bigp);
    CHECK_EQ(m.host[0x100800], 0);

    /* Kernel outside RAM. */
    cfg.initrd = NULL;
    struct ph ph[1] = {{1, 0, 0x7ff000, 0x7ff000, 0x1000, 0x2000}};
    put_elf(ph, 1, 0x7ff000);
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -EINVAL);
    CHECK(has("not all guest RAM"));
    /* The kernel fits, the list after it does not. */
    ph[0].memsz = 0x1000;
    put_elf(ph, 1, 0x7ff000);
    CHECK_EQ(
        multiboot_load_image(&m, &mm, img, 0x1000, &cfg, &e, err, sizeof(err)),
        -EINVAL);
    CHECK(has("no RAM after the kernel"));

    /* File errors, through multiboot_load. */
    cfg.kernel_path = "/nonexistent/k";
    CHECK_EQ(multiboot_load(&m, &mm, &cfg, &e, err, sizeof(err)), -ENOENT);
    CHECK(has("kernel '/nonexistent/k': No such file or directory"));
    cfg.kernel_path = tmpdir;
    CHECK_EQ(multiboot_load(&m, &mm, &cfg, &e, err, sizeof(err)), -EISDIR);
    cfg.kernel_path = tmp_file("empty", "", 0);
    CHECK_EQ(multiboot_load(&m, &mm, &cfg, &e, err, sizeof(err)), -ENODATA);
    CHECK(has("file is empty"));
    cfg.kernel_path = "/dev/zero";
    CHECK_EQ(multiboot_load(&m, &mm, &cfg, &e, err, sizeof(err)), -EINVAL);
    CHECK(has("not a regular file"));
    munmap(m.host, RAM);
}

static void test_load_file(void)
{
    struct mem m = ram_map();
    struct memmap mm;
    struct mb_entry e;

    memmap_pc(&mm, RAM);
    kernel_elf();
    struct mb_config cfg = {.kernel_path = tmp_file("k.elf", img, 0x1000),
                            .cmdline = "x"};
    CHECK_OK(multiboot_load(&m, &mm, &cfg, &e, err, sizeof(err)));
    CHECK_MEM(m.host + 0x100000, img, 0x1000);
    char want[256];
    snprintf(want, sizeof(want), "%s x", cfg.kernel_path);
    CHECK_STR(gstr(&m, r32(m.host + e.ebx + 16)), want);
    munmap(m.host, RAM);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_header_search), TEST(test_aout),
        TEST(test_elf),           TEST(test_check_plan),
        TEST(test_load_pc),       TEST(test_load_defaults_and_fallback),
        TEST(test_load_errors),   TEST(test_load_file),
    };
    if (!mkdtemp(tmpdir)) {
        printf("not ok mkdtemp\n0 passed, 1 failed\n");
        return 1;
    }
    int r = test_main(tests, TEST_COUNT(tests));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmpdir);
    return r;
}
