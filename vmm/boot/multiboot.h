#ifndef VMM_BOOT_MULTIBOOT_H
#define VMM_BOOT_MULTIBOOT_H

/*
 * Multiboot v1 kernels (Multiboot Specification 0.6.96), loaded the way
 * QEMU's -kernel/-append/-initrd load them, so kvm-unit-tests and other
 * Multiboot test kernels run unchanged.
 *
 * Two steps, as every loader here (parse a plan, check it, then copy):
 *   multiboot_parse()       pure: file bytes -> load plan (segments, entry)
 *   multiboot_check_plan()  pure: the plan against the machine's memory map
 *   multiboot_load()        reads the files, places modules and the boot
 *                           information, copies everything into guest RAM
 * Every field from the file is untrusted; arithmetic is overflow-checked.
 * On failure err gets one line saying what is wrong (no trailing newline)
 * and the functions return -EINVAL (a bad image, command line or layout)
 * or -errno (a file that cannot be read).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mem;
struct memmap;

/* Multiboot 0.6.96, 3.1.1 and 3.2 */
#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC   0x2BADB002u /* EAX at entry */
#define MB_SEARCH_LEN   8192u       /* the header lies in the first 8 KiB */
#define MB_MAX_SEGMENTS 16
#define MB_MAX_MODULES  64
#define MB_DEFAULT_NAME "kvmstub" /* boot_loader_name when none is given */

/* Header flags (3.1.2): bits 0-15 are requirements, 16-31 optional. */
#define MB_HF_PAGE_ALIGN 0x00000001u /* modules page aligned: always done */
#define MB_HF_MEMORY     0x00000002u /* mem_* and mmap_*: always given */
#define MB_HF_VIDEO      0x00000004u /* video mode table: ignored */
#define MB_HF_AOUT       0x00010000u /* header_addr..entry_addr are valid */

/* Boot information flags (3.3) that multiboot_load() sets. */
#define MB_IF_MEMORY  0x00000001u /* mem_lower, mem_upper */
#define MB_IF_CMDLINE 0x00000004u
#define MB_IF_MODS    0x00000008u
#define MB_IF_MMAP    0x00000040u
#define MB_IF_LOADER  0x00000200u /* boot_loader_name */

/* Boot information layout (3.3): byte offsets into the info block. */
#define MB_INFO_FLAGS       0
#define MB_INFO_MEM_LOWER   4
#define MB_INFO_MEM_UPPER   8
#define MB_INFO_CMDLINE     16
#define MB_INFO_MODS_COUNT  20
#define MB_INFO_MODS_ADDR   24
#define MB_INFO_MMAP_LENGTH 44
#define MB_INFO_MMAP_ADDR   48
#define MB_INFO_LOADER_NAME 64
#define MB_INFO_SIZE        116 /* up to the framebuffer fields (unused) */
#define MB_MOD_SIZE         16  /* mod_start, mod_end, string, reserved */
#define MB_MMAP_ENTRY_SIZE  24  /* size (= 20), base_addr, length, type */

/*
 * Where the memory map and the info structure go when that RAM is free:
 * the page QEMU uses (mmap at 0x9000, info at 0x9500), below 1 MiB where
 * a kernel's own allocator (kvm-unit-tests hands out RAM from the end of
 * the kernel up) will not overwrite them. Elsewhere free RAM is searched.
 */
#define MB_MMAP_GPA 0x9000u
#define MB_INFO_GPA 0x9500u

/* One piece of the kernel image to copy: file bytes, then zeros. */
struct mb_segment {
    uint64_t offset; /* file offset of the first byte */
    uint64_t gpa;    /* guest physical load address */
    uint64_t filesz; /* bytes taken from the file */
    uint64_t memsz;  /* bytes in guest memory, >= filesz (the rest is bss) */
};

/*
 * A load plan. Invariants after a successful multiboot_parse(): 1 <= nseg
 * <= MB_MAX_SEGMENTS; for each segment filesz <= memsz, memsz > 0, offset +
 * filesz <= the file length, gpa + memsz <= 4 GiB; segments do not overlap;
 * entry lies inside a segment; [lo, hi) spans all segments.
 */
struct mb_image {
    uint32_t header_offset; /* file offset of the Multiboot header */
    uint32_t flags;         /* the header's flags word */
    bool aout;              /* addresses from the a.out kludge, not ELF */
    uint32_t entry;         /* guest physical entry point (EIP) */
    size_t nseg;
    struct mb_segment seg[MB_MAX_SEGMENTS];
    uint64_t lo, hi; /* lowest gpa; highest gpa + memsz */
};

/*
 * Parse a kernel image of len bytes: find the Multiboot header (magic
 * MB_HEADER_MAGIC, 4-byte aligned, in the first MB_SEARCH_LEN bytes, with
 * a zero checksum sum) and build the plan from the a.out-kludge addresses
 * (header flags bit 16) or else from the ELF32 program headers (PT_LOAD at
 * p_paddr, as QEMU loads them; an entry point that is a virtual address
 * inside a segment is translated to its physical address). ELF64 is
 * refused unless the header has a.out-kludge addresses: convert it with
 * `objcopy -O elf32-i386`, as kvm-unit-tests does. Header flags: bits 0
 * (page-aligned modules) and 1 (memory information) are always honoured,
 * bit 2 (video mode) is ignored, any other requirement bit (3-15) makes
 * the image refused, as 3.1.2 says a loader must. Pure: reads img only.
 * Returns 0, or -EINVAL with err set.
 */
int multiboot_parse(const uint8_t *img, size_t len, struct mb_image *out,
                    char *err, size_t errsz);

/*
 * Check a plan against the memory map: every segment must be RAM in mm.
 * Pure. Returns 0, or -EINVAL with err naming the segment.
 */
int multiboot_check_plan(const struct mb_image *im, const struct memmap *mm,
                         char *err, size_t errsz);

struct mb_config {
    const char *kernel_path; /* the kernel file; also argv[0] of cmdline */
    const char *cmdline;     /* --append: the rest of cmdline, may be NULL */
    /*
     * --initrd, QEMU -initrd syntax, may be NULL: "FILE ARGS,FILE ARGS"
     * loads each FILE as a module whose string is the whole "FILE ARGS";
     * ",," is a literal comma.
     */
    const char *initrd;
    const char *loader_name; /* boot_loader_name; NULL: MB_DEFAULT_NAME */
};

/* What the vCPU starts with (Multiboot 3.2, Machine state). */
struct mb_entry {
    uint32_t eip; /* the kernel's entry point */
    uint32_t eax; /* MB_BOOT_MAGIC */
    uint32_t ebx; /* guest physical address of the boot information */
};

/*
 * Load cfg->kernel_path into RAM (a non-empty regular file), its modules
 * after the kernel's highest address, each page aligned (as QEMU does),
 * and write the boot information: flags MB_IF_MEMORY | MB_IF_CMDLINE |
 * MB_IF_MODS | MB_IF_MMAP | MB_IF_LOADER, mem_lower/mem_upper and the
 * memory map from mm, the command line "KERNEL_PATH APPEND" (QEMU's: the
 * kernel's path is argv[0]; the space is there also without --append), the
 * module list and strings (right after the kernel, before the modules),
 * the loader name. The info structure and memory map go at MB_INFO_GPA/
 * MB_MMAP_GPA when free, else in the lowest free page of RAM above page 0
 * and below 4 GiB. Nothing overlaps; every range is RAM in mm and below
 * 4 GiB. Guest RAM is written only after the whole layout is checked, and
 * only through mem_gpa_to_hva(). Does not block beyond file reads.
 * Returns 0 with *entry set, -EINVAL (bad image or layout) or -errno (a
 * file cannot be read), err set on failure.
 */
int multiboot_load(struct mem *mem, const struct memmap *mm,
                   const struct mb_config *cfg, struct mb_entry *entry,
                   char *err, size_t errsz);

/*
 * multiboot_load() for a kernel image already in memory (img, len);
 * cfg->kernel_path is used for the command line only. Modules are still
 * read from their files.
 */
int multiboot_load_image(struct mem *mem, const struct memmap *mm,
                         const uint8_t *img, size_t len,
                         const struct mb_config *cfg, struct mb_entry *entry,
                         char *err, size_t errsz);

#endif
