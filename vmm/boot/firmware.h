#ifndef VMM_BOOT_FIRMWARE_H
#define VMM_BOOT_FIRMWARE_H

/*
 * Where the first instruction comes from: the reset vector of a firmware
 * image the user brings (--bios), or a chosen CS:IP (--entry, the
 * built-in BIOS's F000:FFF0).
 */

#include <stddef.h>
#include <stdint.h>

#define FIRMWARE_MIN     0x10000u  /* 64 KiB */
#define FIRMWARE_MAX     0x800000u /* 8 MiB: clear of the pc's MMIO below */
#define FIRMWARE_ISA_MAX 0x20000u  /* the part also seen below 1 MiB */
#define FIRMWARE_SLOT    2u        /* KVM memslot (0, 1: RAM) */

struct vm;
struct mem;
struct vcpu;

/* The firmware's ROM: owned host mapping. */
struct firmware {
    uint8_t *host; /* MAP_FAILED when unmapped */
    size_t size;
    uint64_t gpa;    /* 4 GiB - size */
    int readonly;    /* 1: a read-only memslot; 0: KVM has none, writable */
    const char *err; /* why the file is unusable (-EINVAL) */
};

void firmware_init(struct firmware *fw);

/*
 * Read path (a multiple of 64 KiB, 64 KiB to 8 MiB) into a ROM mapped to
 * end at 4 GiB (a read-only memslot when KVM has
 * KVM_CAP_READONLY_MEM: guest writes then go nowhere), and copy its last
 * 128 KiB (all of it if smaller) to the RAM just below 1 MiB, where the
 * PC's ISA BIOS window aliases it. Returns 0, -EINVAL with fw->err set for
 * an unusable file, or -errno (vm->err_op for KVM).
 */
int firmware_load(struct firmware *fw, struct vm *vm, struct mem *mem,
                  const char *path);

void firmware_unmap(struct firmware *fw);

/*
 * Real-mode start at CS selector cs with base cs_base (the reset state's
 * base FFFF0000 differs from selector << 4; Intel SDM vol. 3, "First
 * Instruction Executed") and IP ip; every other register as
 * vcpu_reset_real_mode leaves it, EDX the processor signature as at
 * reset. Returns 0 or -errno (vm->err_op).
 */
int firmware_start(struct vcpu *c, uint16_t cs, uint32_t cs_base, uint16_t ip);

#endif
