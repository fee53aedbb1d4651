#include "multiboot.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "memmap.h"

#define FOUR_GIB 0x100000000ull

/* ELF (System V ABI, ELF-32 object file format): the fields we read. */
#define ELF_EHDR32_SIZE 52
#define ELF_PHDR32_SIZE 32
#define ELF_CLASS32     1
#define ELF_CLASS64     2
#define ELF_DATA_LSB    1
#define ELF_ET_EXEC     2
#define ELF_EM_386      3
#define ELF_PT_LOAD     1
#define ELF_PN_XNUM     0xffff

/* Multiboot header field offsets (3.1.1). */
#define MBH_FLAGS     4
#define MBH_CHECKSUM  8
#define MBH_HEADER    12
#define MBH_LOAD      16
#define MBH_LOAD_END  20
#define MBH_BSS_END   24
#define MBH_ENTRY     28
#define MBH_AOUT_SIZE 32

/* Requirement bits we know (3.1.2); the others in 0-15 make us refuse. */
#define MB_HF_KNOWN_REQ (MB_HF_PAGE_ALIGN | MB_HF_MEMORY | MB_HF_VIDEO)

static int fail(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errsz, const char *fmt, ...)
{
    va_list ap;

    if (err && errsz) {
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/*
 * 3.1.1: the header is 32-bit aligned and contained in the first 8192
 * bytes. The first magic whose checksum is right wins (QEMU and GRUB scan
 * on past a bad one too). Returns the offset, or -EINVAL.
 */
static int find_header(const uint8_t *img, size_t len, uint32_t *off, char *err,
                       size_t errsz)
{
    size_t lim = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
    long bad = -1;

    for (size_t i = 0; i + 12 <= lim; i += 4) {
        if (le32(img + i) != MB_HEADER_MAGIC)
            continue;
        uint32_t sum = MB_HEADER_MAGIC + le32(img + i + MBH_FLAGS) +
                       le32(img + i + MBH_CHECKSUM);
        if (sum == 0) {
            *off = (uint32_t)i;
            return 0;
        }
        if (bad < 0)
            bad = (long)i;
    }
    if (bad >= 0)
        return fail(err, errsz,
                    "Multiboot header checksum is wrong (magic at file "
                    "offset 0x%lx)",
                    (unsigned long)bad);
    return fail(err, errsz, "no Multiboot header in the first %u bytes",
                MB_SEARCH_LEN);
}

static void add_seg(struct mb_image *im, uint64_t off, uint64_t gpa,
                    uint64_t filesz, uint64_t memsz)
{
    im->seg[im->nseg++] = (struct mb_segment){
        .offset = off, .gpa = gpa, .filesz = filesz, .memsz = memsz};
}

/* 3.1.3 Address fields: the a.out kludge, one segment. */
static int parse_aout(const uint8_t *img, size_t len, struct mb_image *im,
                      char *err, size_t errsz)
{
    uint32_t h = im->header_offset;
    uint64_t load_size, mem_size, text_off, end;

    if ((uint64_t)h + MBH_AOUT_SIZE > len ||
        (uint64_t)h + MBH_AOUT_SIZE > MB_SEARCH_LEN)
        return fail(err, errsz,
                    "Multiboot header at 0x%x: the a.out-kludge addresses "
                    "(flags bit 16) lie past %s",
                    h,
                    len < MB_SEARCH_LEN ? "the end of the file"
                                        : "the first 8192 bytes");
    uint32_t header_addr = le32(img + h + MBH_HEADER);
    uint32_t load_addr = le32(img + h + MBH_LOAD);
    uint32_t load_end = le32(img + h + MBH_LOAD_END);
    uint32_t bss_end = le32(img + h + MBH_BSS_END);
    uint32_t entry = le32(img + h + MBH_ENTRY);

    if (load_addr > header_addr)
        return fail(err, errsz,
                    "a.out kludge: load_addr 0x%x is above header_addr 0x%x",
                    load_addr, header_addr);
    if (header_addr - load_addr > h)
        return fail(err, errsz,
                    "a.out kludge: header_addr 0x%x - load_addr 0x%x puts "
                    "the image start before the file start (header at "
                    "file offset 0x%x)",
                    header_addr, load_addr, h);
    text_off = h - (header_addr - load_addr);
    if (load_end == 0) { /* the text and data run to the end of the file */
        load_size = len - text_off;
    } else {
        if (load_end < load_addr)
            return fail(err, errsz,
                        "a.out kludge: load_end_addr 0x%x is below "
                        "load_addr 0x%x",
                        load_end, load_addr);
        load_size = load_end - load_addr;
        if (text_off + load_size > len)
            return fail(err, errsz,
                        "a.out kludge: the image at 0x%x (file offset 0x%llx, "
                        "0x%llx bytes) runs past the end of the file (0x%zx "
                        "bytes; truncated?)",
                        load_addr, (unsigned long long)text_off,
                        (unsigned long long)load_size, len);
    }
    if ((uint64_t)load_addr + load_size > FOUR_GIB)
        return fail(err, errsz,
                    "a.out kludge: 0x%llx bytes at 0x%x run past 4 GiB",
                    (unsigned long long)load_size, load_addr);
    mem_size = load_size;
    if (bss_end != 0) {
        if (bss_end < load_addr + load_size)
            return fail(err, errsz,
                        "a.out kludge: bss_end_addr 0x%x is below the end "
                        "of the loaded image 0x%llx",
                        bss_end, (unsigned long long)(load_addr + load_size));
        mem_size = bss_end - load_addr;
    }
    if (mem_size == 0)
        return fail(err, errsz, "a.out kludge: the image is empty");
    end = (uint64_t)load_addr + mem_size;
    if (entry < load_addr || entry >= end)
        return fail(err, errsz,
                    "a.out kludge: entry_addr 0x%x is outside the image "
                    "0x%x-0x%llx",
                    entry, load_addr, (unsigned long long)end);
    im->aout = true;
    im->entry = entry;
    add_seg(im, text_off, load_addr, load_size, mem_size);
    return 0;
}

/* ELF32 program headers (System V ABI, Program Header). */
static int parse_elf(const uint8_t *img, size_t len, struct mb_image *im,
                     char *err, size_t errsz)
{
    if (len < 16 || memcmp(img, "\177ELF", 4) != 0)
        return fail(err, errsz,
                    "not ELF and no a.out-kludge addresses (Multiboot "
                    "header flags bit 16 is clear)");
    if (img[4] == ELF_CLASS64)
        return fail(err, errsz,
                    "ELF64 kernel without a.out-kludge addresses: convert "
                    "it with objcopy -O elf32-i386 (as kvm-unit-tests do)");
    if (img[4] != ELF_CLASS32 || img[5] != ELF_DATA_LSB)
        return fail(err, errsz,
                    "ELF kernel is not 32-bit little-endian (class %u, "
                    "data %u)",
                    img[4], img[5]);
    if (len < ELF_EHDR32_SIZE)
        return fail(err, errsz,
                    "ELF header runs past the end of the file (%zu bytes; "
                    "truncated?)",
                    len);
    uint16_t type = le16(img + 16), machine = le16(img + 18);
    uint32_t e_entry = le32(img + 24), phoff = le32(img + 28);
    uint16_t phentsize = le16(img + 42), phnum = le16(img + 44);

    if (type != ELF_ET_EXEC)
        return fail(err, errsz, "ELF kernel is not an executable (e_type %u)",
                    type);
    if (machine != ELF_EM_386)
        return fail(err, errsz,
                    "ELF kernel is not for i386 (e_machine %u; want 3)",
                    machine);
    if (phnum == 0 || phnum == ELF_PN_XNUM)
        return fail(err, errsz, "ELF kernel has %s program headers",
                    phnum ? "too many" : "no");
    if (phentsize < ELF_PHDR32_SIZE)
        return fail(err, errsz,
                    "ELF program header size %u is too small (want >= %u)",
                    phentsize, ELF_PHDR32_SIZE);
    /* phnum < 0xffff and phentsize < 0x10000: the product fits. */
    uint64_t ph_end = (uint64_t)phoff + (uint64_t)phnum * phentsize;
    if (ph_end > len)
        return fail(err, errsz,
                    "ELF program headers (0x%x + %u x %u bytes) run past the "
                    "end of the file (0x%zx bytes; truncated?)",
                    phoff, phnum, phentsize, len);

    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (size_t)i * phentsize;
        uint32_t p_type = le32(ph), off = le32(ph + 4), paddr = le32(ph + 12);
        uint32_t filesz = le32(ph + 16), memsz = le32(ph + 20);

        if (p_type != ELF_PT_LOAD || memsz == 0)
            continue;
        if (filesz > memsz)
            return fail(err, errsz,
                        "segment %u at 0x%x: file size 0x%x is larger than "
                        "its memory size 0x%x",
                        i, paddr, filesz, memsz);
        if (filesz && (uint64_t)off + filesz > len)
            return fail(err, errsz,
                        "segment %u at 0x%x (file offset 0x%x, 0x%x bytes) "
                        "runs past the end of the file (0x%zx bytes; "
                        "truncated?)",
                        i, paddr, off, filesz, len);
        if ((uint64_t)paddr + memsz > FOUR_GIB)
            return fail(err, errsz,
                        "segment %u at 0x%x (0x%x bytes) runs past 4 GiB", i,
                        paddr, memsz);
        if (im->nseg == MB_MAX_SEGMENTS)
            return fail(err, errsz,
                        "ELF kernel has more than %d loadable segments",
                        MB_MAX_SEGMENTS);
        add_seg(im, off, paddr, filesz, memsz);
    }
    if (im->nseg == 0)
        return fail(err, errsz, "ELF kernel has no loadable segment");

    /*
     * The entry is physical in every kernel QEMU boots. A kernel linked at
     * a virtual address (p_vaddr != p_paddr) gives a virtual e_entry:
     * translate it through the segment that holds it, as GRUB does.
     */
    im->entry = e_entry;
    for (size_t s = 0; s < im->nseg; s++) {
        if (e_entry >= im->seg[s].gpa &&
            e_entry - im->seg[s].gpa < im->seg[s].memsz)
            return 0;
    }
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + (size_t)i * phentsize;
        uint32_t vaddr = le32(ph + 8), paddr = le32(ph + 12);
        uint32_t memsz = le32(ph + 20);

        if (le32(ph) == ELF_PT_LOAD && e_entry >= vaddr &&
            e_entry - vaddr < memsz) {
            im->entry = paddr + (e_entry - vaddr);
            return 0;
        }
    }
    return fail(err, errsz,
                "ELF entry point 0x%x is outside every loadable segment",
                e_entry);
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

int multiboot_parse(const uint8_t *img, size_t len, struct mb_image *out,
                    char *err, size_t errsz)
{
    struct mb_image im = {0};
    int r;

    if (err && errsz)
        err[0] = '\0';
    r = find_header(img, len, &im.header_offset, err, errsz);
    if (r < 0)
        return r;
    im.flags = le32(img + im.header_offset + MBH_FLAGS);
    uint32_t unknown = im.flags & 0xffffu & ~MB_HF_KNOWN_REQ;
    if (unknown)
        return fail(err, errsz,
                    "Multiboot header requires features this loader does "
                    "not know (flags 0x%08x, unknown requirement bits 0x%x)",
                    im.flags, unknown);
    if (im.flags & MB_HF_AOUT)
        r = parse_aout(img, len, &im, err, errsz);
    else
        r = parse_elf(img, len, &im, err, errsz);
    if (r < 0)
        return r;

    im.lo = UINT64_MAX;
    for (size_t i = 0; i < im.nseg; i++) {
        const struct mb_segment *s = &im.seg[i];
        for (size_t j = 0; j < i; j++) {
            const struct mb_segment *t = &im.seg[j];
            if (ranges_overlap(s->gpa, s->memsz, t->gpa, t->memsz))
                return fail(
                    err, errsz,
                    "segments at 0x%llx (0x%llx bytes) and 0x%llx "
                    "(0x%llx bytes) overlap",
                    (unsigned long long)t->gpa, (unsigned long long)t->memsz,
                    (unsigned long long)s->gpa, (unsigned long long)s->memsz);
        }
        if (s->gpa < im.lo)
            im.lo = s->gpa;
        if (s->gpa + s->memsz > im.hi)
            im.hi = s->gpa + s->memsz;
    }
    *out = im;
    return 0;
}

/* The end of the highest RAM range in mm (0 if none), for messages. */
static uint64_t ram_top(const struct memmap *mm)
{
    uint64_t top = 0;

    for (size_t i = 0; i < mm->n; i++) {
        if (mm->e[i].type == MEMMAP_RAM)
            top = mm->e[i].base + mm->e[i].len;
    }
    return top;
}

int multiboot_check_plan(const struct mb_image *im, const struct memmap *mm,
                         char *err, size_t errsz)
{
    for (size_t i = 0; i < im->nseg; i++) {
        const struct mb_segment *s = &im->seg[i];
        if (!memmap_is_ram(mm, s->gpa, s->memsz))
            return fail(err, errsz,
                        "kernel segment at 0x%llx-0x%llx is not all guest "
                        "RAM (RAM ends at 0x%llx: more with -m?)",
                        (unsigned long long)s->gpa,
                        (unsigned long long)(s->gpa + s->memsz),
                        (unsigned long long)ram_top(mm));
    }
    return 0;
}
