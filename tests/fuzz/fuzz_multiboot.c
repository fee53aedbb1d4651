/*
 * libFuzzer target over the Multiboot loader: the input is a kernel file.
 * multiboot_parse must either refuse it with a message or return a plan
 * whose every range lies in the file and below 4 GiB; a plan that passes
 * multiboot_check_plan against a PC memory map is then loaded into a fake
 * guest RAM, and what landed there must be the file's bytes, zeros for
 * the bss, and boot information that overlaps none of it. The first byte
 * picks the machine (PC or bare) and the RAM size. A failed invariant
 * aborts, which libFuzzer reports; memory errors the sanitizers catch.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/boot/memmap.h"
#include "vmm/boot/multiboot.h"
#include "vmm/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAKE_RAM (16u << 20)

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz invariant failed: %s\n", what);
        abort();
    }
}

static uint32_t r32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void check_plan(const struct mb_image *im, size_t size)
{
    int entry_in = 0;

    check(im->nseg >= 1 && im->nseg <= MB_MAX_SEGMENTS, "segment count");
    for (size_t i = 0; i < im->nseg; i++) {
        const struct mb_segment *s = &im->seg[i];
        check(s->memsz > 0 && s->filesz <= s->memsz, "sizes");
        check(s->filesz == 0 || s->offset + s->filesz <= size, "in the file");
        check(s->gpa + s->memsz <= 0x100000000ull, "below 4 GiB");
        check(s->gpa >= im->lo && s->gpa + s->memsz <= im->hi, "lo/hi");
        for (size_t j = 0; j < i; j++) {
            const struct mb_segment *t = &im->seg[j];
            check(s->gpa >= t->gpa + t->memsz || t->gpa >= s->gpa + s->memsz,
                  "no overlap");
        }
        if (im->entry >= s->gpa && im->entry - s->gpa < s->memsz)
            entry_in = 1;
    }
    check(entry_in, "entry inside a segment");
    check(im->header_offset % 4 == 0 && im->header_offset + 12 <= size &&
              im->header_offset < MB_SEARCH_LEN,
          "header in the window");
}

/* Load into the fake RAM and check what landed there. */
static void check_load(struct mem *m, const struct memmap *mm,
                       const struct mb_image *im, const uint8_t *data,
                       size_t size)
{
    struct mb_config cfg = {.kernel_path = "fuzz", .cmdline = "a b"};
    struct mb_entry e;
    char err[256];

    memset(m->host, 0xa5, m->size);
    int r = multiboot_load_image(m, mm, data, size, &cfg, &e, err, sizeof(err));
    if (r < 0) {
        check(err[0] != '\0', "a failed load says why");
        return;
    }
    check(e.eax == MB_BOOT_MAGIC && e.eip == im->entry, "entry state");
    check(e.ebx >= 0x1000 && (uint64_t)e.ebx + MB_INFO_SIZE <= m->size,
          "info in RAM, not page 0");
    for (size_t i = 0; i < im->nseg; i++) {
        const struct mb_segment *s = &im->seg[i];
        check(e.ebx >= s->gpa + s->memsz || e.ebx + MB_INFO_SIZE <= s->gpa,
              "info clear of the kernel");
        check(memcmp(m->host + s->gpa, data + s->offset, s->filesz) == 0,
              "file bytes loaded");
        for (uint64_t b = s->filesz; b < s->memsz; b++)
            check(m->host[s->gpa + b] == 0, "bss zeroed");
    }
    const uint8_t *mbi = m->host + e.ebx;
    uint32_t cmd = r32(mbi + MB_INFO_CMDLINE);
    check(cmd >= im->hi && cmd < m->size - 8 &&
              memcmp(m->host + cmd, "fuzz a b", 9) == 0,
          "command line after the kernel");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mem m = {.host = MAP_FAILED};
    struct mb_image im;
    struct memmap mm;
    char err[256];

    if (m.host == MAP_FAILED) {
        m.host = mmap(NULL, FAKE_RAM, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        check(m.host != MAP_FAILED, "fake RAM");
        m.size = FAKE_RAM;
    }
    err[0] = '\0';
    if (multiboot_parse(data, size, &im, err, sizeof(err)) < 0) {
        check(err[0] != '\0', "a refusal says why");
        return 0;
    }
    check_plan(&im, size);

    uint8_t sel = size ? data[size - 1] : 0;
    uint64_t ram = (sel & 1) ? FAKE_RAM : FAKE_RAM / 2;
    if (sel & 2)
        memmap_flat(&mm, ram);
    else
        memmap_pc(&mm, ram);
    if (multiboot_check_plan(&im, &mm, err, sizeof(err)) < 0) {
        check(err[0] != '\0', "a refusal says why");
        return 0;
    }
    for (size_t i = 0; i < im.nseg; i++)
        check(memmap_is_ram(&mm, im.seg[i].gpa, im.seg[i].memsz),
              "checked plan is RAM");
    check_load(&m, &mm, &im, data, size);
    return 0;
}
