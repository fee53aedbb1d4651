/*
 * Snapshot files without KVM: synthetic snapshots (bare and pc) written
 * with snap_file_write and read back field for field; every truncation,
 * a changed byte anywhere, a different build's layout, a bad bitmap and
 * trailing bytes are refused with a message (never a crash: make sanitize
 * runs this too). `test_snapfile --seeds DIR` writes the fuzz seeds.
 */
#include "tests/test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/snapdisk.h"
#include "vmm/snapfile.h"
#include "vmm/snapshot.h"

#define PAGES 4

static char tmpdir[] = "/tmp/test_snapfile.XXXXXX";
static char err[256];

/* A snapshot with made-up but recognisable values. */
static void make(struct snap *s, bool pc)
{
    memset(s, 0, sizeof(*s));
    s->machine = pc ? SNAP_PC : SNAP_BARE;
    s->mem_size = PAGES * 4096;
    s->halts = 7;
    s->nr_vcpus = 1;
    s->vcpu = calloc(1, sizeof(*s->vcpu));
    s->dev = calloc(1, sizeof(*s->dev));
    s->vcpu->regs.rip = 0x1234;
    s->vcpu->regs.rax = 0xdeadbeef;
    s->vcpu->sregs.cr0 = 0x60000010;
    s->vcpu->has_xsave = true;
    s->vcpu->xsave.region[0] = 0x37f;
    s->vcpu->nr_msrs = 2;
    s->vcpu->msrs[0].index = 0x10;
    s->vcpu->msrs[0].data = 99;
    s->vcpu->msrs[1].index = 0xc0000080;
    s->has_irqchip = pc;
    for (uint32_t i = 0; i < 3; i++)
        s->chip[i].chip_id = i;
    s->clock.clock = 123456789;
    s->dev->pc = pc;
    s->dev->uart.scr = 0x5a;
    s->nr_disks = 1;
    snprintf(s->disk[0].path, sizeof(s->disk[0].path), "/images/hd.img");
    s->disk[0].size = 1 << 20;
    s->disk[0].hash = 0x1234567887654321ull;
    snap_ram_alloc(&s->ram, s->mem_size, 2);
    s->ram.map[0] = 0x5; /* pages 0 and 2 */
    for (int i = 0; i < 2 * 4096; i++)
        s->ram.data[i] = (uint8_t)(i * 7 + 1);
}

static char *path(const char *name)
{
    static char buf[2][256];
    static int k;

    k ^= 1;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s", tmpdir, name);
    return buf[k];
}

static uint8_t *slurp(const char *p, size_t *len)
{
    struct stat st;
    FILE *f = fopen(p, "rb");
    uint8_t *b;

    if (!f || fstat(fileno(f), &st) < 0)
        return NULL;
    b = malloc((size_t)st.st_size + 1);
    *len = fread(b, 1, (size_t)st.st_size, f);
    fclose(f);
    return b;
}

static void round_trip(bool pc)
{
    struct snap s, t;
    make(&s, pc);
    CHECK_OK(snap_file_write(&s, path("a.snap")));
    CHECK_OK(snap_file_read(path("a.snap"), &t, err, sizeof(err)));
    CHECK_EQ(t.machine, s.machine);
    CHECK_EQ(t.mem_size, s.mem_size);
    CHECK_EQ(t.halts, 7);
    CHECK_EQ(t.nr_vcpus, 1);
    CHECK_MEM(t.vcpu, s.vcpu, sizeof(*s.vcpu));
    CHECK_EQ(t.has_irqchip, pc);
    CHECK_EQ(t.clock.clock, pc ? 123456789u : 0u);
    CHECK_EQ(t.dev->uart.scr, 0x5a);
    CHECK_EQ(t.ram.nr_pages, 2);
    CHECK_EQ(t.ram.map[0], 0x5);
    CHECK_MEM(t.ram.data, s.ram.data, 2 * 4096);
    CHECK_EQ(t.nr_disks, 1);
    CHECK_MEM(&t.disk[0], &s.disk[0], sizeof(s.disk[0]));
    snap_free(&t);
    snap_free(&s);
    CHECK(access(path("a.snap.tmp"), F_OK) < 0); /* renamed into place */
}

static void test_round_trip_bare(void)
{
    round_trip(false);
}

static void test_round_trip_pc(void)
{
    round_trip(true);
}

/* Every prefix of a good file is refused, none crashes. */
static void test_truncated(void)
{
    struct snap s, t;
    size_t len, refused = 0;

    make(&s, true);
    CHECK_OK(snap_file_write(&s, path("b.snap")));
    snap_free(&s);
    uint8_t *b = slurp(path("b.snap"), &len);
    CHECK(b != NULL);
    for (size_t n = 0; b && n < len; n++) {
        err[0] = '\0';
        if (snap_parse(b, n, &t, err, sizeof(err)) == -EINVAL && err[0])
            refused++;
        else
            snap_free(&t);
    }
    CHECK_EQ(refused, len);
    CHECK_OK(snap_parse(b, len, &t, err, sizeof(err)));
    snap_free(&t);
    free(b);
}

/* A changed byte anywhere is refused: a check or the checksum catches it. */
static void test_flipped(void)
{
    struct snap s, t;
    size_t len, refused = 0, tried = 0;

    make(&s, false);
    CHECK_OK(snap_file_write(&s, path("c.snap")));
    snap_free(&s);
    uint8_t *b = slurp(path("c.snap"), &len);
    for (size_t i = 0; b && i < len; i += 13) {
        b[i] ^= 0x40;
        tried++;
        if (snap_parse(b, len, &t, err, sizeof(err)) == -EINVAL)
            refused++;
        else
            snap_free(&t);
        b[i] ^= 0x40;
    }
    CHECK_EQ(refused, tried);
    /* Trailing bytes. */
    uint8_t *c = malloc(len + 1);
    memcpy(c, b, len);
    c[len] = 0;
    CHECK_EQ(snap_parse(c, len + 1, &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "after the end") != NULL);
    free(c);
    free(b);
}

static void test_errors(void)
{
    struct snap s, t;

    CHECK_EQ(snap_parse((const uint8_t *)"hello", 5, &t, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "magic") != NULL);
    CHECK_EQ(snap_parse((const uint8_t *)"KVMSTUB-SNAPSHOT\2\0\0\0\0\0\0\0", 24,
                        &t, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "version 2") != NULL);
    CHECK_EQ(snap_file_read(path("none"), &t, err, sizeof(err)), -ENOENT);
    CHECK_EQ(snap_file_read(tmpdir, &t, err, sizeof(err)), -EINVAL);
    /* A bool byte of 2 is refused before the struct is read. */
    make(&s, false);
    memset(&s.vcpu->has_xcrs, 2, 1);
    CHECK_OK(snap_file_write(&s, path("d.snap")));
    CHECK_EQ(snap_file_read(path("d.snap"), &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "has_xcrs") != NULL);
    memset(&s.vcpu->has_xcrs, 0, 1);
    /* A bitmap that disagrees with the page count. */
    s.ram.map[0] = 0x7;
    CHECK_OK(snap_file_write(&s, path("e.snap")));
    CHECK_EQ(snap_file_read(path("e.snap"), &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "bitmap") != NULL);
    s.ram.map[0] = 0x5;
    /* Too many MSRs. */
    s.vcpu->nr_msrs = SNAP_MAX_MSRS + 1;
    CHECK_OK(snap_file_write(&s, path("f.snap")));
    CHECK_EQ(snap_file_read(path("f.snap"), &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "MSRs") != NULL);
    snap_free(&s);
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "wb");

    CHECK(f != NULL);
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

/* A disk image must be byte for byte as recorded. */
static void test_disk_identity(void)
{
    struct snap_disk d;
    char why[400];
    char *img = path("disk.img");

    write_file(img, "boot sector and more");
    CHECK_OK(snap_disk_identify(img, &d));
    CHECK_EQ(d.size, 20);
    CHECK_OK(snap_disk_check(&d, why, sizeof(why)));
    write_file(img, "boot sector and more"); /* same bytes, new mtime */
    CHECK_OK(snap_disk_check(&d, why, sizeof(why)));
    write_file(img, "boot sector and mOre");
    CHECK_EQ(snap_disk_check(&d, why, sizeof(why)), -ESTALE);
    CHECK(strstr(why, "contents") && strstr(why, "two points in time"));
    write_file(img, "boot sector and more!");
    CHECK_EQ(snap_disk_check(&d, why, sizeof(why)), -ESTALE);
    CHECK(strstr(why, "size") != NULL);
    unlink(img);
    CHECK_EQ(snap_disk_check(&d, why, sizeof(why)), -ENOENT);
    CHECK(strstr(why, img) != NULL);
    char longp[SNAP_PATH_MAX + 8];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    CHECK_EQ(snap_disk_identify(longp, &d), -ENAMETOOLONG);
}

/* Seeds for the fuzz target: a bare and a pc file. */
static int write_seeds(const char *dir)
{
    char p[512];
    struct snap s;

    for (int pc = 0; pc < 2; pc++) {
        make(&s, pc);
        snprintf(p, sizeof(p), "%s/%s", dir, pc ? "pc" : "bare");
        int e = snap_file_write(&s, p);
        snap_free(&s);
        if (e < 0) {
            fprintf(stderr, "%s: %s\n", p, strerror(-e));
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct test_case tests[] = {
        TEST(test_round_trip_bare), TEST(test_round_trip_pc),
        TEST(test_truncated),       TEST(test_flipped),
        TEST(test_errors),          TEST(test_disk_identity),
    };
    if (argc == 3 && !strcmp(argv[1], "--seeds"))
        return write_seeds(argv[2]);
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
