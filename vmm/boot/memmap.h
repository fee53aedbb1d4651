#ifndef VMM_BOOT_MEMMAP_H
#define VMM_BOOT_MEMMAP_H

/*
 * The guest physical memory map as firmware reports it (BIOS E820, the
 * Multiboot memory map, ACPI). One map per machine, built once; every
 * loader and table writer reads the same one so they cannot disagree.
 */

#include <stddef.h>
#include <stdint.h>

/* E820 types (ACPI 6.4, 15.1 "INT 15H, E820H - Query System Address Map"). */
enum memmap_type {
    MEMMAP_RAM = 1,
    MEMMAP_RESERVED = 2,
    MEMMAP_ACPI = 3,
    MEMMAP_NVS = 4,
};

#define MEMMAP_MAX 16

struct memmap_entry {
    uint64_t base, len;
    uint32_t type; /* enum memmap_type */
};

struct memmap {
    size_t n;
    struct memmap_entry e[MEMMAP_MAX]; /* sorted by base, no overlaps */
};

/*
 * The PC layout (what QEMU's pc machine reports), for ram bytes of RAM:
 *   [0, 0x9fc00)            RAM (conventional memory, 639 KiB)
 *   [0x9fc00, 0xa0000)      reserved (extended BIOS data area)
 *   [0xa0000, 0xe0000)      absent from the map (VGA window, option ROMs)
 *   [0xe0000, 0x100000)     reserved (firmware tables and the BIOS)
 *   [0x100000, low_end)     RAM, low_end = min(ram, MEMMAP_PCI_HOLE)
 *   [0xfec00000, +4 KiB)    reserved (IOAPIC)
 *   [0xfee00000, +4 KiB)    reserved (local APIC)
 *   [0xfeffc000, +16 KiB)   reserved (KVM's identity map and TSS: vm.h)
 *   [4 GiB, 4 GiB + rest)   RAM, the part of ram above MEMMAP_PCI_HOLE
 * Guest RAM is backed at the same addresses (the legacy hole is RAM in
 * the backing store so firmware and the text screen live there), and
 * above MEMMAP_PCI_HOLE it is moved up to 4 GiB. ram must be at least
 * MEMMAP_PC_MIN_RAM.
 */
#define MEMMAP_PCI_HOLE   0xc0000000ull /* 3 GiB: low RAM ends here at most */
#define MEMMAP_HIGH_BASE  0x100000000ull
#define MEMMAP_PC_MIN_RAM (2ull << 20)
void memmap_pc(struct memmap *m, uint64_t ram);

/* The bare machine: all of ram as one RAM range at 0. */
void memmap_flat(struct memmap *m, uint64_t ram);

/* Bytes of RAM in [lo, hi) according to the map. */
uint64_t memmap_ram_between(const struct memmap *m, uint64_t lo, uint64_t hi);

/* Whether all of [base, base + len) is RAM in the map (false on overflow). */
int memmap_is_ram(const struct memmap *m, uint64_t base, uint64_t len);

#endif
