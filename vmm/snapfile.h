#ifndef VMM_SNAPFILE_H
#define VMM_SNAPFILE_H

/*
 * Snapshot files. Little-endian, as the host:
 *
 *   header   "KVMSTUB-SNAPSHOT" (16 bytes), u32 version (2), u32 0
 *   section  u32 type, u32 0, u64 length, then length bytes; in order:
 *     1 MACHINE  u32 kind (0 bare, 1 pc), u32 vCPUs (1..SNAP_MAX_VCPUS;
 *                1 on the bare machine), u64 RAM size,
 *                u64 high base, u64 high size, u64 halts, u32 irqchip,
 *                u32 sizeof(struct snap_vcpu), u32 sizeof(struct
 *                board_state), u32 0 (the layout of this build)
 *     2 VCPU     one per vCPU, in vCPU order: u32 vCPU index (0, 1, ...:
 *                the KVM vCPU id and APIC ID), u32 0, then struct
 *                snap_vcpu as this build lays it out
 *     3 CHIPS    with the irqchip: 3 x kvm_irqchip, kvm_pit_state2,
 *                kvm_clock_data (the kernel's ABI)
 *     4 DEVICES  struct board_state
 *     6 DISKS    u32 count, u32 0, count x struct snap_disk (path, size,
 *                mtime, FNV-1a hash of the image: snapdisk.h)
 *     5 RAM      u64 RAM size, u64 pages stored, the page bitmap
 *                ((size / 4096 + 7) / 8 bytes), then the pages
 *     255 END    u64 FNV-1a (64-bit) of every byte before this section
 *
 * Every length, count and bit is checked; a file another build wrote
 * (different structure sizes) is refused, not misread.
 *
 * Version 1 (one vCPU only: its VCPU section is the struct alone, without
 * the index and padding) is still read; the writer writes version 2.
 */

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

#define SNAPFILE_VERSION     2
#define SNAPFILE_VERSION_MIN 1 /* the oldest still read */

/*
 * Write s to path (through path.tmp and rename(2), so a crash never
 * leaves half a file under the name). Returns 0 or -errno.
 */
int snap_file_write(const struct snap *s, const char *path);

/*
 * Parse a snapshot file's bytes into *s (allocated: snap_free). Pure:
 * no I/O. Returns 0, or -EINVAL with a message in err (bad magic,
 * version, section, length, count or checksum; truncated input), or
 * -ENOMEM.
 */
int snap_parse(const uint8_t *buf, size_t len, struct snap *s, char *err,
               size_t errsz);

/* Read and parse path. Returns 0 or -errno with a message in err. */
int snap_file_read(const char *path, struct snap *s, char *err, size_t errsz);

#endif
