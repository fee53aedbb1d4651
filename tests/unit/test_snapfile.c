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

/* A snapshot of n vCPUs with made-up but recognisable values. */
static void make_n(struct snap *s, bool pc, uint32_t n)
{
    memset(s, 0, sizeof(*s));
    s->machine = pc ? SNAP_PC : SNAP_BARE;
    s->mem_size = PAGES * 4096;
    s->halts = 7;
    s->nr_vcpus = n;
    s->vcpu = calloc(n, sizeof(*s->vcpu));
    for (uint32_t i = 1; i < n; i++) {
        s->vcpu[i].regs.rip = 0x300 + i;
        s->vcpu[i].mp_state.mp_state = KVM_MP_STATE_INIT_RECEIVED;
        s->vcpu[i].has_lapic = pc;
        s->vcpu[i].lapic.regs[0x20] = (char)i; /* APIC ID register */
    }
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

static void make(struct snap *s, bool pc)
{
    make_n(s, pc, 1);
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
    CHECK_EQ(snap_parse((const uint8_t *)"KVMSTUB-SNAPSHOT\3\0\0\0\0\0\0\0", 24,
                        &t, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "version 3") != NULL);
    CHECK_EQ(snap_parse((const uint8_t *)"KVMSTUB-SNAPSHOT\0\0\0\0\0\0\0\0", 24,
                        &t, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "version 0") != NULL);
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

/* Several vCPUs (pc): each comes back as it was, in order. */
static void test_round_trip_smp(void)
{
    struct snap s, t;

    make_n(&s, true, 3);
    CHECK_OK(snap_file_write(&s, path("smp.snap")));
    CHECK_OK(snap_file_read(path("smp.snap"), &t, err, sizeof(err)));
    CHECK_EQ(t.nr_vcpus, 3);
    for (uint32_t i = 0; i < 3 && t.vcpu; i++)
        CHECK_MEM(&t.vcpu[i], &s.vcpu[i], sizeof(s.vcpu[i]));
    CHECK_EQ(t.vcpu[2].mp_state.mp_state, KVM_MP_STATE_INIT_RECEIVED);
    snap_free(&t);
    snap_free(&s);
    /* The bare machine has one vCPU: a file that says more is refused. */
    make_n(&s, false, 2);
    CHECK_OK(snap_file_write(&s, path("smp-bare.snap")));
    CHECK_EQ(snap_file_read(path("smp-bare.snap"), &t, err, sizeof(err)),
             -EINVAL);
    CHECK(strstr(err, "bare machine") != NULL);
    snap_free(&s);
}

/* FNV-1a 64 as the file's end section has it. */
static uint64_t fnv(const uint8_t *b, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/*
 * The version 1 layout of a one-vCPU version 2 file: version 1, and the
 * VCPU section (at 96: header 24 + machine section 16 + 56) without the
 * 8 bytes of index and padding; the checksum made again.
 */
static uint8_t *to_v1(const uint8_t *b, size_t len, size_t *out_len)
{
    const size_t at = 96, end = 24; /* the end section: 16 + 8 */
    uint8_t *v = malloc(len);
    uint32_t one = 1;
    uint64_t sec;

    if (!v || len < at + 24 + end)
        return NULL;
    memcpy(v, b, at + 16);
    memcpy(v + 16, &one, 4);
    memcpy(&sec, b + at + 8, 8);
    sec -= 8;
    memcpy(v + at + 8, &sec, 8);
    memcpy(v + at + 16, b + at + 24, len - (at + 24));
    *out_len = len - 8;
    uint64_t h = fnv(v, *out_len - end);
    memcpy(v + *out_len - 8, &h, 8);
    return v;
}

/* A version 1 file (one vCPU) still loads; one that says 2 does not. */
static void test_version1(void)
{
    struct snap s, t;
    size_t len, len1;

    make(&s, true);
    CHECK_OK(snap_file_write(&s, path("v2.snap")));
    uint8_t *b = slurp(path("v2.snap"), &len);
    uint8_t *v1 = b ? to_v1(b, len, &len1) : NULL;
    CHECK(v1 != NULL);
    if (!v1) {
        free(b);
        snap_free(&s);
        return;
    }
    CHECK_OK(snap_parse(v1, len1, &t, err, sizeof(err)));
    CHECK_EQ(t.nr_vcpus, 1);
    if (t.vcpu)
        CHECK_MEM(t.vcpu, s.vcpu, sizeof(*s.vcpu));
    CHECK_MEM(t.ram.data, s.ram.data, 2 * 4096);
    snap_free(&t);
    /* The v2 layout under a version 1 header is refused... */
    uint32_t one = 1, two = 2;
    memcpy(b + 16, &one, 4);
    CHECK_EQ(snap_parse(b, len, &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "vCPU section 0") != NULL);
    /* ...and so is the v1 layout under version 2. */
    memcpy(v1 + 16, &two, 4);
    CHECK_EQ(snap_parse(v1, len1, &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "vCPU section 0") != NULL);
    /* Version 1 never held more than one vCPU. */
    memcpy(v1 + 16, &one, 4);
    uint32_t n2 = 2;
    memcpy(v1 + 44, &n2, 4); /* machine section: kind, then vCPUs */
    CHECK_EQ(snap_parse(v1, len1, &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "version 1") != NULL);
    free(v1);
    free(b);
    snap_free(&s);
}

/* A VCPU section must name its own vCPU. */
static void test_vcpu_index(void)
{
    struct snap s, t;
    size_t len;

    make_n(&s, true, 2);
    CHECK_OK(snap_file_write(&s, path("idx.snap")));
    snap_free(&s);
    uint8_t *b = slurp(path("idx.snap"), &len);
    CHECK(b != NULL);
    if (!b)
        return;
    uint32_t wrong = 1;
    memcpy(b + 96 + 16, &wrong, 4); /* vCPU section 0 says 1 */
    uint64_t h = fnv(b, len - 24);  /* before the end section */
    memcpy(b + len - 8, &h, 8);
    CHECK_EQ(snap_parse(b, len, &t, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "says vCPU 1") != NULL);
    free(b);
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

/* Seeds for the fuzz target: a bare, a pc and a 2-vCPU pc file. */
static int write_seeds(const char *dir)
{
    static const char *const names[] = {"bare", "pc", "pc-smp2"};
    char p[512];
    struct snap s;

    for (int k = 0; k < 3; k++) {
        make_n(&s, k > 0, k == 2 ? 2 : 1);
        snprintf(p, sizeof(p), "%s/%s", dir, names[k]);
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
        TEST(test_round_trip_smp),  TEST(test_version1),
        TEST(test_vcpu_index),
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
