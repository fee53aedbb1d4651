#include "snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC     "KVMSTUB-SNAPSHOT"
#define MAGIC_LEN 16
#define PAGE      4096ull
#define MAX_FILE  (65ull << 30) /* 64 GiB of RAM plus the rest */

enum {
    SEC_MACHINE = 1,
    SEC_VCPU = 2,
    SEC_CHIPS = 3,
    SEC_DEVICES = 4,
    SEC_RAM = 5,
    SEC_DISKS = 6,
    SEC_END = 255,
};

#define MACHINE_LEN 56
#define VCPU_HDR    8 /* version 2: u32 index, u32 0 before the state */

/* FNV-1a, 64 bits (Fowler, Noll, Vo: offset basis and prime). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_BASIS 0xcbf29ce484222325ull

/* A buffered writer that hashes what it writes. */
struct out {
    int fd;
    uint64_t hash;
    int err;
};

static void put(struct out *o, const void *p, size_t n)
{
    const uint8_t *b = p;

    if (o->err)
        return;
    o->hash = fnv(o->hash, p, n);
    while (n) {
        ssize_t w = write(o->fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            o->err = w < 0 ? -errno : -EIO;
            return;
        }
        b += w;
        n -= (size_t)w;
    }
}

static void put32(struct out *o, uint32_t v)
{
    put(o, &v, 4);
}

static void put64(struct out *o, uint64_t v)
{
    put(o, &v, 8);
}

static void section(struct out *o, uint32_t type, uint64_t len)
{
    put32(o, type);
    put32(o, 0);
    put64(o, len);
}

int snap_file_write(const struct snap *s, const char *path)
{
    char tmp[4096];
    struct out o = {.hash = FNV_BASIS};
    uint64_t mapbytes = (s->ram.size / PAGE + 7) / 8;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (o.fd < 0)
        return -errno;
    put(&o, MAGIC, MAGIC_LEN);
    put32(&o, SNAPFILE_VERSION);
    put32(&o, 0);
    section(&o, SEC_MACHINE, MACHINE_LEN);
    put32(&o, s->machine);
    put32(&o, s->nr_vcpus);
    put64(&o, s->mem_size);
    put64(&o, s->mem_high_base);
    put64(&o, s->mem_high_size);
    put64(&o, s->halts);
    put32(&o, s->has_irqchip);
    put32(&o, (uint32_t)sizeof(struct snap_vcpu));
    put32(&o, (uint32_t)sizeof(struct board_state));
    put32(&o, 0);
    for (uint32_t i = 0; i < s->nr_vcpus; i++) {
        section(&o, SEC_VCPU, VCPU_HDR + sizeof(struct snap_vcpu));
        put32(&o, i);
        put32(&o, 0);
        put(&o, &s->vcpu[i], sizeof(struct snap_vcpu));
    }
    if (s->has_irqchip) {
        section(&o, SEC_CHIPS,
                sizeof(s->chip) + sizeof(s->pit) + sizeof(s->clock));
        put(&o, s->chip, sizeof(s->chip));
        put(&o, &s->pit, sizeof(s->pit));
        put(&o, &s->clock, sizeof(s->clock));
    }
    section(&o, SEC_DEVICES, sizeof(struct board_state));
    put(&o, s->dev, sizeof(struct board_state));
    section(&o, SEC_DISKS, 8 + s->nr_disks * sizeof(struct snap_disk));
    put32(&o, s->nr_disks);
    put32(&o, 0);
    put(&o, s->disk, s->nr_disks * sizeof(struct snap_disk));
    section(&o, SEC_RAM, 16 + mapbytes + s->ram.nr_pages * PAGE);
    put64(&o, s->ram.size);
    put64(&o, s->ram.nr_pages);
    put(&o, s->ram.map, mapbytes);
    put(&o, s->ram.data, s->ram.nr_pages * PAGE);
    uint64_t h = o.hash;
    section(&o, SEC_END, 8);
    put64(&o, h);
    if (!o.err && fsync(o.fd) < 0)
        o.err = -errno;
    if (close(o.fd) < 0 && !o.err)
        o.err = -errno;
    if (!o.err && rename(tmp, path) < 0)
        o.err = -errno;
    if (o.err)
        unlink(tmp);
    return o.err;
}

/* A reader over the input that never goes past its end. */
struct in {
    const uint8_t *p;
    size_t left;
    char *err;
    size_t errsz;
};

__attribute__((format(printf, 2, 3))) static int bad(struct in *in,
                                                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (in->errsz)
        vsnprintf(in->err, in->errsz, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static bool get(struct in *in, void *dst, size_t n)
{
    if (n > in->left)
        return false;
    memcpy(dst, in->p, n);
    in->p += n;
    in->left -= n;
    return true;
}

static bool get32(struct in *in, uint32_t *v)
{
    return get(in, v, 4);
}

static bool get64(struct in *in, uint64_t *v)
{
    return get(in, v, 8);
}

/* The next section's header; its length must fit what is left. */
static int next_section(struct in *in, uint32_t want, uint64_t *len)
{
    uint32_t type, zero;

    if (!get32(in, &type) || !get32(in, &zero) || !get64(in, len))
        return bad(in, "truncated: a section header is cut off");
    if (type != want)
        return bad(in, "section type %u where %u belongs", type, want);
    if (zero)
        return bad(in, "section %u: reserved field is not 0", type);
    if (*len > in->left)
        return bad(in, "truncated: section %u says %llu bytes, %zu are left",
                   type, (unsigned long long)*len, in->left);
    return 0;
}

/* bool members are read as bytes: a stored 2 must be refused, not loaded. */
static int check_bool(struct in *in, const struct snap_vcpu *raw, size_t off,
                      const char *what)
{
    uint8_t b;

    memcpy(&b, (const uint8_t *)raw + off, 1);
    if (b > 1)
        return bad(in, "vCPU section: %s is neither 0 nor 1", what);
    return 0;
}

/* VCPU section i of a version's file. */
static int parse_vcpu(struct in *in, uint32_t version, uint32_t nr,
                      struct snap_vcpu *v)
{
    uint64_t len;
    size_t hdr = version >= 2 ? VCPU_HDR : 0;
    uint32_t index = 0, zero = 0;
    int e;

    if ((e = next_section(in, SEC_VCPU, &len)) < 0)
        return e;
    if (len != hdr + sizeof(*v))
        return bad(in, "vCPU section %u is %llu bytes, not %zu", nr,
                   (unsigned long long)len, hdr + sizeof(*v));
    if (hdr) {
        get32(in, &index);
        get32(in, &zero);
        if (index != nr || zero)
            return bad(in, "vCPU section %u: says vCPU %u (reserved %u)", nr,
                       index, zero);
    }
    /* Check the flag bytes before the struct is ever read as such. */
    static const struct {
        size_t off;
        const char *name;
    } flags[] = {
        {offsetof(struct snap_vcpu, has_xsave), "has_xsave"},
        {offsetof(struct snap_vcpu, has_xcrs), "has_xcrs"},
        {offsetof(struct snap_vcpu, has_debugregs), "has_debugregs"},
        {offsetof(struct snap_vcpu, has_lapic), "has_lapic"},
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if ((e = check_bool(in, (const struct snap_vcpu *)(const void *)in->p,
                            flags[i].off, flags[i].name)) < 0)
            return e;
    get(in, v, sizeof(*v));
    if (v->nr_msrs > SNAP_MAX_MSRS)
        return bad(in, "vCPU section: %u MSRs, at most %u", v->nr_msrs,
                   SNAP_MAX_MSRS);
    return 0;
}

static int parse_ram(struct in *in, struct snap *s)
{
    uint64_t len, size, pages, mapbytes, need, count = 0;
    int e;

    if ((e = next_section(in, SEC_RAM, &len)) < 0)
        return e;
    if (len < 16 || !get64(in, &size) || !get64(in, &pages))
        return bad(in, "RAM section too short");
    if (size != s->mem_size)
        return bad(in, "RAM section size %llu, the machine has %llu",
                   (unsigned long long)size, (unsigned long long)s->mem_size);
    mapbytes = (size / PAGE + 7) / 8;
    if (pages > size / PAGE || __builtin_mul_overflow(pages, PAGE, &need) ||
        __builtin_add_overflow(need, mapbytes + 16, &need) || need != len)
        return bad(in, "RAM section: %llu bytes do not hold %llu pages",
                   (unsigned long long)len, (unsigned long long)pages);
    if (snap_ram_alloc(&s->ram, size, pages) < 0)
        return -ENOMEM;
    get(in, s->ram.map, mapbytes);
    for (uint64_t i = 0; i < mapbytes * 8; i++) {
        bool set = s->ram.map[i / 8] & (1u << (i % 8));
        if (set && i >= size / PAGE)
            return bad(in, "RAM section: page bit %llu past the end",
                       (unsigned long long)i);
        count += set;
    }
    if (count != pages)
        return bad(in, "RAM section: bitmap has %llu pages, header %llu",
                   (unsigned long long)count, (unsigned long long)pages);
    get(in, s->ram.data, pages * PAGE);
    return 0;
}

static int parse(struct in *in, const uint8_t *buf, size_t buflen,
                 struct snap *s)
{
    char magic[MAGIC_LEN];
    uint32_t version, zero, irq = 0, vsz = 0, dsz = 0, pad = 0;
    uint64_t len;
    int e;

    if (!get(in, magic, MAGIC_LEN) || memcmp(magic, MAGIC, MAGIC_LEN))
        return bad(in, "not a kvmstub snapshot (bad magic)");
    if (!get32(in, &version) || !get32(in, &zero))
        return bad(in, "truncated header");
    if (version < SNAPFILE_VERSION_MIN || version > SNAPFILE_VERSION)
        return bad(in, "snapshot version %u, this build reads %u to %u",
                   version, SNAPFILE_VERSION_MIN, SNAPFILE_VERSION);
    if ((e = next_section(in, SEC_MACHINE, &len)) < 0)
        return e;
    if (len != MACHINE_LEN)
        return bad(in, "machine section is %llu bytes, not %d",
                   (unsigned long long)len, MACHINE_LEN);
    get32(in, &s->machine);
    get32(in, &s->nr_vcpus);
    get64(in, &s->mem_size);
    get64(in, &s->mem_high_base);
    get64(in, &s->mem_high_size);
    get64(in, &s->halts);
    get32(in, &irq);
    get32(in, &vsz);
    get32(in, &dsz);
    get32(in, &pad);
    if (s->machine > SNAP_PC || irq > 1 || irq != (s->machine == SNAP_PC))
        return bad(in, "machine section: unknown machine %u (irqchip %u)",
                   s->machine, irq);
    if (vsz != sizeof(struct snap_vcpu) || dsz != sizeof(struct board_state))
        return bad(in,
                   "written by a different build (state sizes %u/%u, "
                   "here %zu/%zu)",
                   vsz, dsz, sizeof(struct snap_vcpu),
                   sizeof(struct board_state));
    if (s->nr_vcpus == 0 || s->nr_vcpus > SNAP_MAX_VCPUS)
        return bad(in, "machine section: %u vCPUs (1 to %u)", s->nr_vcpus,
                   SNAP_MAX_VCPUS);
    if (s->nr_vcpus > 1 && s->machine != SNAP_PC)
        return bad(in, "machine section: %u vCPUs on the bare machine",
                   s->nr_vcpus);
    if (s->nr_vcpus > 1 && version < 2)
        return bad(in, "machine section: %u vCPUs in a version %u file",
                   s->nr_vcpus, version);
    if (s->mem_size == 0 || s->mem_size % PAGE || s->mem_size > (64ull << 30) ||
        s->mem_high_size > s->mem_size || s->mem_high_size % PAGE ||
        (s->mem_high_size && !s->mem_high_base))
        return bad(in, "machine section: bad RAM layout");
    s->has_irqchip = irq;
    s->vcpu = calloc(s->nr_vcpus, sizeof(*s->vcpu));
    s->dev = calloc(1, sizeof(*s->dev));
    if (!s->vcpu || !s->dev)
        return -ENOMEM;
    for (uint32_t i = 0; i < s->nr_vcpus; i++)
        if ((e = parse_vcpu(in, version, i, &s->vcpu[i])) < 0)
            return e;
    if (s->has_irqchip) {
        if ((e = next_section(in, SEC_CHIPS, &len)) < 0)
            return e;
        if (len != sizeof(s->chip) + sizeof(s->pit) + sizeof(s->clock))
            return bad(in, "chips section has the wrong length");
        get(in, s->chip, sizeof(s->chip));
        get(in, &s->pit, sizeof(s->pit));
        get(in, &s->clock, sizeof(s->clock));
        for (uint32_t i = 0; i < 3; i++)
            if (s->chip[i].chip_id != i)
                return bad(in, "chips section: chip %u has id %u", i,
                           s->chip[i].chip_id);
    }
    if ((e = next_section(in, SEC_DEVICES, &len)) < 0)
        return e;
    if (len != sizeof(*s->dev))
        return bad(in, "devices section has the wrong length");
    get(in, s->dev, sizeof(*s->dev));
    if (s->dev->pc != (s->machine == SNAP_PC))
        return bad(in, "devices section is for another machine");
    if ((e = next_section(in, SEC_DISKS, &len)) < 0)
        return e;
    if (len < 8 || !get32(in, &s->nr_disks) || !get32(in, &pad) ||
        s->nr_disks > SNAP_MAX_DISKS ||
        len != 8 + s->nr_disks * sizeof(struct snap_disk) || pad)
        return bad(in, "disks section: bad count or length");
    for (uint32_t i = 0; i < s->nr_disks; i++) {
        get(in, &s->disk[i], sizeof(s->disk[i]));
        if (!memchr(s->disk[i].path, '\0', sizeof(s->disk[i].path)))
            return bad(in, "disks section: path %u not terminated", i);
    }
    if ((e = parse_ram(in, s)) < 0)
        return e;
    uint64_t h = fnv(FNV_BASIS, buf, buflen - in->left), stored;
    if ((e = next_section(in, SEC_END, &len)) < 0)
        return e;
    if (len != 8 || !get64(in, &stored))
        return bad(in, "end section has the wrong length");
    if (stored != h)
        return bad(in, "checksum mismatch: the file is damaged");
    if (in->left)
        return bad(in, "%zu bytes after the end section", in->left);
    return 0;
}

int snap_parse(const uint8_t *buf, size_t len, struct snap *s, char *err,
               size_t errsz)
{
    struct in in = {.p = buf, .left = len, .err = err, .errsz = errsz};
    int e;

    memset(s, 0, sizeof(*s));
    if (errsz)
        err[0] = '\0';
    e = parse(&in, buf, len, s);
    if (e < 0) {
        if (e == -ENOMEM && errsz)
            snprintf(err, errsz, "out of memory");
        snap_free(s);
    }
    return e;
}

int snap_file_read(const char *path, struct snap *s, char *err, size_t errsz)
{
    struct stat st;
    uint8_t *buf;
    size_t got = 0;
    int fd, e;

    memset(s, 0, sizeof(*s));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        e = -errno;
        snprintf(err, errsz, "%s", strerror(-e));
        if (fd >= 0)
            close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_FILE) {
        close(fd);
        snprintf(err, errsz, "%s",
                 S_ISREG(st.st_mode) ? "too large for a snapshot"
                                     : "not a regular file");
        return -EINVAL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        close(fd);
        snprintf(err, errsz, "out of memory");
        return -ENOMEM;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    e = snap_parse(buf, got, s, err, errsz);
    free(buf);
    return e;
}
