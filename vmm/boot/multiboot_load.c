/*
 * Loading a Multiboot kernel: files in, a checked layout, then the copy
 * into guest RAM. The pure parser is in multiboot.c.
 */
#include "multiboot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memmap.h"
#include "vmm/mem.h"

#define FOUR_GIB       0x100000000ull
#define PAGE           0x1000ull
#define LOW_BLOCK_SIZE (MB_INFO_GPA - MB_MMAP_GPA + MB_INFO_SIZE)

static int fail_errno(char *err, size_t errsz, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Record the message in err and return ret (-EINVAL or -errno). */
static int fail_errno(char *err, size_t errsz, int ret, const char *fmt, ...)
{
    va_list ap;

    if (err && errsz) {
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return ret;
}

#define fail(err, errsz, ...) fail_errno(err, errsz, -EINVAL, __VA_ARGS__)

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

struct module {
    char *string; /* "FILE ARGS": the module's string (malloc'd) */
    char *path;   /* FILE (malloc'd) */
    int fd;
    uint64_t size, gpa;
};

/* The whole plan of one load: where everything goes, before any copy. */
struct layout {
    struct module mod[MB_MAX_MODULES];
    size_t nmod;
    char *cmdline;     /* the kernel's command line (malloc'd) */
    const char *name;  /* boot_loader_name */
    uint64_t list_gpa; /* module list, then the strings */
    uint64_t list_len;
    uint64_t low_gpa; /* memory map; the info structure at + 0x500 */
};

static uint64_t page_up(uint64_t x)
{
    return (x + PAGE - 1) & ~(PAGE - 1);
}

static void layout_free(struct layout *l)
{
    for (size_t i = 0; i < l->nmod; i++) {
        free(l->mod[i].string);
        free(l->mod[i].path);
        if (l->mod[i].fd >= 0)
            close(l->mod[i].fd);
    }
    free(l->cmdline);
    l->nmod = 0;
    l->cmdline = NULL;
}

/*
 * Split QEMU's -initrd syntax: modules separated by ',', ",," a literal
 * comma; each "FILE ARGS" is the module's string, FILE up to the first
 * space its file.
 */
static int split_modules(const char *spec, struct layout *l, char *err,
                         size_t errsz)
{
    const char *p = spec;

    for (;;) {
        size_t n = 0, cap = strlen(p) + 1;
        char *s = malloc(cap);
        if (!s)
            return fail_errno(err, errsz, -ENOMEM, "--initrd: out of memory");
        while (*p && !(p[0] == ',' && p[1] != ',')) {
            if (p[0] == ',') /* ",," */
                p++;
            s[n++] = *p++;
        }
        s[n] = '\0';
        if (l->nmod == MB_MAX_MODULES) {
            free(s);
            return fail(err, errsz, "--initrd: more than %d modules",
                        MB_MAX_MODULES);
        }
        struct module *m = &l->mod[l->nmod++];
        *m = (struct module){.string = s, .fd = -1};
        size_t flen = strcspn(s, " ");
        if (flen == 0)
            return fail(err, errsz, "--initrd: module %zu has no file name",
                        l->nmod);
        m->path = strndup(s, flen);
        if (!m->path)
            return fail_errno(err, errsz, -ENOMEM, "--initrd: out of memory");
        if (*p == '\0')
            return 0;
        p++; /* the separating ',' */
    }
}

/* Open a non-empty (unless allow_empty) regular file: fd or -errno. */
static int open_regular(const char *path, uint64_t *size, bool allow_empty)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    int e = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        e = -errno;
    else if (S_ISDIR(st.st_mode))
        e = -EISDIR;
    else if (!S_ISREG(st.st_mode))
        e = -EINVAL;
    else if (st.st_size == 0 && !allow_empty)
        e = -ENODATA;
    else if ((uint64_t)st.st_size >= FOUR_GIB)
        e = -EFBIG;
    if (e < 0) {
        close(fd);
        return e;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

static const char *file_error(int e)
{
    switch (e) {
    case -EINVAL:
        return "not a regular file";
    case -ENODATA:
        return "file is empty";
    case -EFBIG:
        return "file is 4 GiB or larger";
    default:
        return strerror(-e);
    }
}

/* Read len bytes at the current offset into buf; -EIO if the file shrank. */
static int read_full(int fd, uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        done += (size_t)n;
    }
    return 0;
}

/*
 * Guest memory through mem_gpa_to_hva() only: the whole range at once, or
 * else page by page (RAM in several memslots). src NULL writes zeros; fd
 * >= 0 reads the bytes from the file instead.
 */
static int guest_write(struct mem *mem, uint64_t gpa, const uint8_t *src,
                       int fd, uint64_t len)
{
    while (len) {
        uint64_t chunk = len;
        uint8_t *p = len <= SIZE_MAX ? mem_gpa_to_hva(mem, gpa, len) : NULL;
        if (!p) {
            chunk = PAGE - (gpa & (PAGE - 1));
            if (chunk > len)
                chunk = len;
            p = mem_gpa_to_hva(mem, gpa, chunk);
            if (!p)
                return -EFAULT;
        }
        if (fd >= 0) {
            int r = read_full(fd, p, chunk);
            if (r < 0)
                return r;
        } else if (src) {
            memcpy(p, src, chunk);
            src += chunk;
        } else {
            memset(p, 0, chunk);
        }
        gpa += chunk;
        len -= chunk;
    }
    return 0;
}

static int put32(struct mem *mem, uint64_t gpa, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    return guest_write(mem, gpa, b, -1, 4);
}

static int put64(struct mem *mem, uint64_t gpa, uint64_t v)
{
    int r = put32(mem, gpa, (uint32_t)v);
    return r < 0 ? r : put32(mem, gpa + 4, (uint32_t)(v >> 32));
}

/* Contiguous RAM from start on (adjacent RAM ranges joined), in bytes. */
static uint64_t ram_run(const struct memmap *mm, uint64_t start)
{
    uint64_t at = start;

    for (size_t i = 0; i < mm->n; i++) {
        const struct memmap_entry *e = &mm->e[i];
        if (e->type == MEMMAP_RAM && e->base <= at && at < e->base + e->len)
            at = e->base + e->len;
    }
    return at - start;
}

/* Whether [gpa, gpa + len) is free: no kernel segment, list or module. */
static bool is_free(const struct mb_image *im, const struct layout *l,
                    uint64_t gpa, uint64_t len)
{
    for (size_t i = 0; i < im->nseg; i++) {
        if (ranges_overlap(gpa, len, im->seg[i].gpa, im->seg[i].memsz))
            return false;
    }
    if (ranges_overlap(gpa, len, l->list_gpa, l->list_len))
        return false;
    for (size_t i = 0; i < l->nmod; i++) {
        if (ranges_overlap(gpa, len, l->mod[i].gpa, page_up(l->mod[i].size)))
            return false;
    }
    return true;
}

static bool fits_low(const struct memmap *mm, const struct mb_image *im,
                     const struct layout *l, uint64_t gpa)
{
    return gpa >= PAGE && gpa + LOW_BLOCK_SIZE <= FOUR_GIB &&
           memmap_is_ram(mm, gpa, LOW_BLOCK_SIZE) &&
           is_free(im, l, gpa, LOW_BLOCK_SIZE);
}

/*
 * The memory map and info structure: QEMU's page if free, else the lowest
 * page-aligned free RAM above page 0 (kvm-unit-tests puts its AP trampoline
 * there) and below 4 GiB. The lowest fit starts at page 1, at a RAM range's
 * start or right after something placed, page aligned: try those.
 */
static int place_low(const struct memmap *mm, const struct mb_image *im,
                     struct layout *l)
{
    uint64_t best = UINT64_MAX;

    if (fits_low(mm, im, l, MB_MMAP_GPA)) {
        l->low_gpa = MB_MMAP_GPA;
        return 0;
    }
    uint64_t cand[2 + MEMMAP_MAX + MB_MAX_SEGMENTS + MB_MAX_MODULES];
    size_t n = 0;
    cand[n++] = PAGE;
    cand[n++] = page_up(l->list_gpa + l->list_len);
    for (size_t i = 0; i < mm->n; i++)
        cand[n++] = page_up(mm->e[i].base);
    for (size_t i = 0; i < im->nseg; i++)
        cand[n++] = page_up(im->seg[i].gpa + im->seg[i].memsz);
    for (size_t i = 0; i < l->nmod; i++)
        cand[n++] = page_up(l->mod[i].gpa + l->mod[i].size);
    for (size_t i = 0; i < n; i++) {
        if (cand[i] < best && fits_low(mm, im, l, cand[i]))
            best = cand[i];
    }
    if (best == UINT64_MAX)
        return -ENOSPC;
    l->low_gpa = best;
    return 0;
}

/* Open every module file; sizes known, nothing read yet. */
static int open_modules(struct layout *l, char *err, size_t errsz)
{
    for (size_t i = 0; i < l->nmod; i++) {
        struct module *m = &l->mod[i];
        int fd = open_regular(m->path, &m->size, true);
        if (fd < 0)
            return fail_errno(err, errsz, fd, "module '%s' (--initrd): %s",
                              m->path, file_error(fd));
        m->fd = fd;
    }
    return 0;
}

/*
 * After the kernel, as QEMU lays it out: from the page after the kernel's
 * highest byte the module list and the strings, then each module on a
 * page boundary. Every range must be RAM and below 4 GiB.
 */
static int place_after_kernel(const struct memmap *mm,
                              const struct mb_image *im, struct layout *l,
                              char *err, size_t errsz)
{
    uint64_t len = (uint64_t)l->nmod * MB_MOD_SIZE;

    len += strlen(l->cmdline) + 1 + strlen(l->name) + 1;
    for (size_t i = 0; i < l->nmod; i++)
        len += strlen(l->mod[i].string) + 1;
    l->list_gpa = page_up(im->hi);
    l->list_len = len;
    if (l->list_gpa + len > FOUR_GIB || !memmap_is_ram(mm, l->list_gpa, len))
        return fail(err, errsz,
                    "no RAM after the kernel for the command line and module "
                    "list (0x%llx-0x%llx; more RAM with -m?)",
                    (unsigned long long)l->list_gpa,
                    (unsigned long long)(l->list_gpa + len));
    uint64_t at = page_up(l->list_gpa + len);
    for (size_t i = 0; i < l->nmod; i++) {
        struct module *m = &l->mod[i];
        m->gpa = at;
        if (at + m->size > FOUR_GIB || !memmap_is_ram(mm, at, m->size))
            return fail(err, errsz,
                        "module '%s' (%llu bytes) does not fit in RAM at "
                        "0x%llx (below 4 GiB; more RAM with -m?)",
                        m->path, (unsigned long long)m->size,
                        (unsigned long long)at);
        at = page_up(at + m->size);
    }
    return 0;
}

/* Copy the kernel segments: file bytes, then zeros (bss). */
static int copy_kernel(struct mem *mem, const struct mb_image *im,
                       const uint8_t *img)
{
    for (size_t i = 0; i < im->nseg; i++) {
        const struct mb_segment *s = &im->seg[i];
        int r = guest_write(mem, s->gpa, img + s->offset, -1, s->filesz);
        if (r == 0)
            r = guest_write(mem, s->gpa + s->filesz, NULL, -1,
                            s->memsz - s->filesz);
        if (r < 0)
            return r;
    }
    return 0;
}

/* A string into guest RAM at *at; returns its address, advances *at. */
static int put_string(struct mem *mem, uint64_t *at, const char *s,
                      uint32_t *addr)
{
    size_t n = strlen(s) + 1;

    *addr = (uint32_t)*at;
    *at += n;
    return guest_write(mem, *addr, (const uint8_t *)s, -1, n);
}

/* Module list, strings, memory map and info structure (3.3). */
static int write_info(struct mem *mem, const struct memmap *mm,
                      const struct layout *l)
{
    uint64_t strings = l->list_gpa + (uint64_t)l->nmod * MB_MOD_SIZE;
    uint64_t info = l->low_gpa + (MB_INFO_GPA - MB_MMAP_GPA);
    uint32_t cmdline = 0, name = 0, s = 0;
    int r = 0;

    for (size_t i = 0; i < l->nmod && r == 0; i++) {
        uint64_t e = l->list_gpa + i * MB_MOD_SIZE;
        r = put_string(mem, &strings, l->mod[i].string, &s);
        if (r == 0)
            r = put32(mem, e, (uint32_t)l->mod[i].gpa);
        if (r == 0)
            r = put32(mem, e + 4, (uint32_t)(l->mod[i].gpa + l->mod[i].size));
        if (r == 0)
            r = put32(mem, e + 8, s);
        if (r == 0)
            r = put32(mem, e + 12, 0);
    }
    if (r == 0)
        r = put_string(mem, &strings, l->cmdline, &cmdline);
    if (r == 0)
        r = put_string(mem, &strings, l->name, &name);
    if (r == 0)
        r = guest_write(mem, l->low_gpa, NULL, -1, LOW_BLOCK_SIZE);
    for (size_t i = 0; i < mm->n && r == 0; i++) {
        uint64_t e = l->low_gpa + i * MB_MMAP_ENTRY_SIZE;
        r = put32(mem, e, MB_MMAP_ENTRY_SIZE - 4);
        if (r == 0)
            r = put64(mem, e + 4, mm->e[i].base);
        if (r == 0)
            r = put64(mem, e + 12, mm->e[i].len);
        if (r == 0)
            r = put32(mem, e + 20, mm->e[i].type);
    }
    /* 3.3: mem_lower from 0 (at most 640 KiB), mem_upper from 1 MiB. */
    uint64_t lower = ram_run(mm, 0), upper = ram_run(mm, 0x100000) >> 10;
    if (lower > 0xa0000)
        lower = 0xa0000;
    if (upper > UINT32_MAX)
        upper = UINT32_MAX;
    const uint32_t fields[][2] = {
        {MB_INFO_FLAGS,
         MB_IF_MEMORY | MB_IF_CMDLINE | MB_IF_MODS | MB_IF_MMAP | MB_IF_LOADER},
        {MB_INFO_MEM_LOWER, (uint32_t)(lower >> 10)},
        {MB_INFO_MEM_UPPER, (uint32_t)upper},
        {MB_INFO_CMDLINE, cmdline},
        {MB_INFO_MODS_COUNT, (uint32_t)l->nmod},
        {MB_INFO_MODS_ADDR, (uint32_t)l->list_gpa},
        {MB_INFO_MMAP_LENGTH, (uint32_t)(mm->n * MB_MMAP_ENTRY_SIZE)},
        {MB_INFO_MMAP_ADDR, (uint32_t)l->low_gpa},
        {MB_INFO_LOADER_NAME, name},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && r == 0; i++)
        r = put32(mem, info + fields[i][0], fields[i][1]);
    return r;
}

int multiboot_load_image(struct mem *mem, const struct memmap *mm,
                         const uint8_t *img, size_t len,
                         const struct mb_config *cfg, struct mb_entry *entry,
                         char *err, size_t errsz)
{
    struct layout l = {.name = cfg->loader_name ? cfg->loader_name
                                                : MB_DEFAULT_NAME};
    struct mb_image im;
    const char *path = cfg->kernel_path ? cfg->kernel_path : "kernel";
    const char *append = cfg->cmdline ? cfg->cmdline : "";
    int r;

    r = multiboot_parse(img, len, &im, err, errsz);
    if (r == 0)
        r = multiboot_check_plan(&im, mm, err, errsz);
    if (r < 0)
        return r;
    /* QEMU's -kernel command line: "%s %s", the kernel's path first. */
    if (asprintf(&l.cmdline, "%s %s", path, append) < 0) {
        l.cmdline = NULL;
        return fail_errno(err, errsz, -ENOMEM, "kernel command line: %s",
                          strerror(ENOMEM));
    }
    if (cfg->initrd)
        r = split_modules(cfg->initrd, &l, err, errsz);
    if (r == 0)
        r = open_modules(&l, err, errsz);
    if (r == 0)
        r = place_after_kernel(mm, &im, &l, err, errsz);
    if (r == 0 && place_low(mm, &im, &l) < 0)
        r = fail(err, errsz,
                 "no free RAM below 4 GiB for the Multiboot information "
                 "(%u bytes)",
                 (unsigned)LOW_BLOCK_SIZE);
    if (r < 0)
        goto out;

    /* The layout is checked: now copy. */
    r = copy_kernel(mem, &im, img);
    for (size_t i = 0; i < l.nmod && r == 0; i++) {
        r = guest_write(mem, l.mod[i].gpa, NULL, l.mod[i].fd, l.mod[i].size);
        if (r == -EIO) {
            r = fail_errno(err, errsz, r,
                           "module '%s' shrank while it was loaded",
                           l.mod[i].path);
            goto out;
        }
    }
    if (r == 0)
        r = write_info(mem, mm, &l);
    if (r == -EFAULT) {
        r = fail_errno(err, errsz, r,
                       "guest RAM in the memory map is not backed by the "
                       "VMM's memory");
        goto out;
    }
    if (r < 0) {
        r = fail_errno(err, errsz, r, "reading a module: %s", strerror(-r));
        goto out;
    }
    *entry = (struct mb_entry){
        .eip = im.entry,
        .eax = MB_BOOT_MAGIC,
        .ebx = (uint32_t)(l.low_gpa + MB_INFO_GPA - MB_MMAP_GPA)};
out:
    layout_free(&l);
    return r;
}

int multiboot_load(struct mem *mem, const struct memmap *mm,
                   const struct mb_config *cfg, struct mb_entry *entry,
                   char *err, size_t errsz)
{
    uint64_t size = 0;
    uint8_t *img;
    int r, fd;

    if (!cfg->kernel_path)
        return fail(err, errsz, "no kernel file given");
    fd = open_regular(cfg->kernel_path, &size, false);
    if (fd < 0)
        return fail_errno(err, errsz, fd, "kernel '%s': %s", cfg->kernel_path,
                          file_error(fd));
    img = size <= SIZE_MAX ? malloc((size_t)size) : NULL;
    if (!img) {
        close(fd);
        return fail_errno(err, errsz, -ENOMEM, "kernel '%s': %s",
                          cfg->kernel_path, strerror(ENOMEM));
    }
    r = read_full(fd, img, (size_t)size);
    close(fd);
    if (r < 0)
        r = fail_errno(err, errsz, r, "kernel '%s': %s", cfg->kernel_path,
                       r == -EIO ? "file shrank while it was read"
                                 : strerror(-r));
    else
        r = multiboot_load_image(mem, mm, img, (size_t)size, cfg, entry, err,
                                 errsz);
    free(img);
    return r;
}
