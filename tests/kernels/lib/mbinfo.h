#ifndef KLIB_MBINFO_H
#define KLIB_MBINFO_H

/*
 * The Multiboot boot information (Multiboot 0.6.96, 3.3), as the test
 * kernels read it. Addresses in it are physical and 32-bit; the kernels
 * run with physical = linear (no paging, or an identity map).
 */

#include <stdint.h>

#define MB_BOOT_MAGIC 0x2BADB002u

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;  /* KiB; flags bit 0 */
    uint32_t boot_device;           /* bit 1 */
    uint32_t cmdline;               /* bit 2 */
    uint32_t mods_count, mods_addr; /* bit 3 */
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr; /* bit 6 */
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name; /* bit 9 */
};

struct mb_module {
    uint32_t start, end; /* end exclusive */
    uint32_t string, reserved;
};

struct mb_mmap_entry {
    uint32_t size; /* of the rest of the entry: 20 */
    uint32_t base_lo, base_hi, len_lo, len_hi;
    uint32_t type;
} __attribute__((packed));

/*
 * Print everything the loader passed ("mb: ..." lines: magic, flags,
 * memory, command line, loader name, modules with their strings, sizes
 * and first bytes, the memory map) and check it (magic, module alignment,
 * ranges). Returns the number of problems found, each printed as a line
 * starting "mb: FAIL".
 */
int mb_print_info(uint32_t magic, uint32_t info);

/*
 * The exit code the command line asks for: the number after the first
 * "exit=" word, else 0.
 */
int mb_exit_code(uint32_t info);

/* Whether the command line has word (space separated) after argv[0]. */
int mb_cmdline_has(uint32_t info, const char *word);

#endif
