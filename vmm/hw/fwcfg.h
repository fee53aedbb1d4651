#ifndef VMM_HW_FWCFG_H
#define VMM_HW_FWCFG_H

/*
 * QEMU's firmware configuration device (fw_cfg), traditional I/O
 * interface only, as QEMU's docs/specs/fw_cfg.txt describes it for x86:
 *
 *   0x510  selector, a 16-bit OUT (little-endian): picks an item and
 *          resets its read offset to 0
 *   0x511  data, byte IN (string INs too: Linux and SeaBIOS use rep insb):
 *          the next byte of the item, then the offset moves on; past the
 *          end, and for an item that does not exist, reads give 0
 *
 * This is exactly what kvm-unit-tests (16-bit `out %ax,%dx` to 0x510,
 * byte `in` from 0x511) and Linux's qemu_fw_cfg driver (iowrite16 to
 * the selector, ioread8_rep from data) do. Other accesses are not part of
 * the interface: a byte OUT to 0x510 and OUTs to 0x511 (data writes were
 * dropped from QEMU in 2.4) are ignored, and wider or selector-port INs
 * read all-ones like an unclaimed port. (QEMU decodes its two ports as
 * one: there a 16-bit OUT to 0x511 also selects and a byte IN from 0x510
 * also reads data; no guest we know of relies on that.) The DMA
 * interface (0x514) is absent and FW_CFG_ID says so (feature bit 0 only).
 *
 * Items are copied in; the device owns the copies. Not thread-safe: the
 * machine serializes port I/O to it (kvm-unit-tests also takes a lock
 * around select + read).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWCFG_PORT_BASE 0x510
#define FWCFG_PORT_LEN  2 /* selector 0x510-0x511 (16-bit), data 0x511 */

/* Item keys (QEMU's fw_cfg.txt; kvm-unit-tests lib/x86/fwcfg.h). */
#define FWCFG_SIGNATURE  0x00 /* "QEMU" */
#define FWCFG_ID         0x01 /* u32 feature bitmap: bit 0 traditional */
#define FWCFG_RAM_SIZE   0x03 /* u64 bytes of guest RAM */
#define FWCFG_NB_CPUS    0x05 /* u16 vCPUs at boot */
#define FWCFG_MAX_CPUS   0x0f /* u16 */
#define FWCFG_MAX_RAM    0x11 /* u64, kvm-unit-tests only: see below */
#define FWCFG_FILE_DIR   0x19 /* the file directory (big-endian) */
#define FWCFG_FILE_FIRST 0x20 /* first file item */

#define FWCFG_WRITE_CHANNEL 0x4000 /* selector bit, ignored (no writes) */

#define FWCFG_ID_TRADITIONAL 0x1 /* FWCFG_ID bit: the I/O interface */

#define FWCFG_MAX_ITEMS    64 /* keyed items and files together */
#define FWCFG_MAX_FILES    32
#define FWCFG_MAX_NAME     56 /* bytes in a directory name, NUL included */
#define FWCFG_MAX_ITEM_LEN (16u << 20)

/* Fields private. */
struct fwcfg {
    uint16_t sel; /* current key, FWCFG_WRITE_CHANNEL masked off */
    uint32_t off; /* read offset in the current item */
    size_t nitems;
    struct fwcfg_item {
        uint16_t key;
        uint32_t len;
        uint8_t *data; /* malloc'd copy, NULL when len is 0 */
    } items[FWCFG_MAX_ITEMS];
    size_t nfiles;
    struct fwcfg_file {
        uint16_t key;
        uint32_t len;
        char name[FWCFG_MAX_NAME];
    } files[FWCFG_MAX_FILES];
};

/* An empty device: no items, selector 0. Allocates nothing. */
void fwcfg_init(struct fwcfg *f);

/*
 * Set item key to a copy of len bytes at data (replacing an item already
 * under that key). Returns 0, -ENOSPC when the item table is full,
 * -EINVAL for the directory key, a key in the file range (use
 * fwcfg_add_file) or len above FWCFG_MAX_ITEM_LEN, -ENOMEM.
 */
int fwcfg_add(struct fwcfg *f, uint16_t key, const void *data, size_t len);

/* fwcfg_add of a little-endian integer (fw_cfg's integer encoding). */
int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v);
int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v);
int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v);

/*
 * Add a named file: a copy of the bytes goes under the next key from
 * FWCFG_FILE_FIRST, and the directory at FWCFG_FILE_DIR is rebuilt:
 * a big-endian u32 count, then per file a big-endian u32 size, u16 key,
 * u16 reserved and a 56-byte NUL-padded name, in the order files were
 * added. Returns the file's key (>= 0x20), -ENAMETOOLONG (name empty or
 * longer than 55 bytes), -EEXIST (same name), -ENOSPC, -EINVAL, -ENOMEM.
 */
int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data,
                   size_t len);

/*
 * The items the pc machine offers, in QEMU's encodings: SIGNATURE "QEMU",
 * ID (traditional interface only), RAM_SIZE u64 = ram_size, NB_CPUS and
 * MAX_CPUS u16 = ncpus, and key 0x11 u64 = max_ram.
 *
 * Key 0x11 is not a QEMU item (QEMU puts the -kernel image there,
 * FW_CFG_KERNEL_DATA, for its own option ROM): kvm-unit-tests calls it
 * FW_CFG_MAX_RAM, a "dummy entry" it normally takes from the MEMLIMIT
 * environment variable (MiB); otherwise it reads the u64 and, in 64-bit
 * builds, uses it as the physical address above which its page allocator
 * takes no high memory, 0 meaning no limit. So max_ram is such an address
 * limit in bytes, and 0 (what a QEMU run without the item reads) means
 * "no limit", not "ram_size": RAM above 3 GiB sits at 4 GiB and up, so
 * ram_size is not the top of RAM. Returns 0 or the first fwcfg_add error;
 * -EINVAL if ncpus is 0 or above 0xffff.
 */
int fwcfg_add_pc_keys(struct fwcfg *f, unsigned ncpus, uint64_t ram_size,
                      uint64_t max_ram);

/*
 * The guest-visible state, for snapshots. The items are the machine's
 * configuration, rebuilt from its options, so they are not part of it.
 */
struct fwcfg_state {
    uint16_t sel; /* selected key */
    uint32_t off; /* read offset in it */
};

/* After a machine reset: the signature selected, offset 0, as QEMU. */
void fwcfg_reset(struct fwcfg *f);

void fwcfg_save(const struct fwcfg *f, struct fwcfg_state *st);

/* Returns 0, or -EINVAL if st->sel has FWCFG_WRITE_CHANNEL set (a
 * selector never holds it; nothing changed then). */
int fwcfg_load(struct fwcfg *f, const struct fwcfg_state *st);

/* Free every item; f is then as after fwcfg_init. Idempotent. */
void fwcfg_destroy(struct fwcfg *f);

/* pio_handler for [FWCFG_PORT_BASE, +FWCFG_PORT_LEN). Returns 0. */
int fwcfg_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
             uint32_t count, uint8_t *data);

#endif
