#ifndef VMM_BOOT_DISK_H
#define VMM_BOOT_DISK_H

/*
 * Raw disk images behind the BIOS's int 13h: a hard disk (drive 80h) or
 * a floppy (drive 00h), each one host file read and written in 512-byte
 * sectors with pread/pwrite. Writes are durable when int 13h reports
 * success (the file is opened O_DSYNC), so the image is complete however
 * the VMM ends.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/hw/bios_regs.h"

#define DISK_SECTOR 512u
#define DISK_MAX_HD                                                            \
    (2ull << 40) /* 2 TiB: 32-bit sector counts (int 13h 15h)                  \
                  */

/* int 13h status codes (IBM PC/AT BIOS, RBIL table 00234). */
enum disk_status {
    DISK_OK = 0x00,
    DISK_EPARAM = 0x01,     /* bad command or parameter */
    DISK_EWRITEPROT = 0x03, /* write-protected */
    DISK_ENOTFOUND = 0x04,  /* sector not found */
    DISK_EBOUNDARY = 0x09,  /* data would cross a 64 KiB boundary */
    DISK_EMEDIA = 0x0c,     /* unsupported track or media */
    DISK_EIO = 0x20,        /* controller failure (a host I/O error) */
};

struct disk {
    int fd; /* -1 when closed */
    bool readonly;
    bool floppy;
    uint8_t drive;    /* BIOS drive number: 0x00 or 0x80 */
    uint8_t fd_type;  /* floppy drive type for int 13h 08h (BL) */
    uint64_t sectors; /* of the image (the last one may be partial) */
    uint64_t size;    /* bytes */
    uint32_t cyls;    /* CHS geometry the BIOS reports */
    uint32_t heads;
    uint32_t spt;
    const char *err; /* why disk_open failed, for main.c */
};

/* Set d up closed. */
void disk_init(struct disk *d);

/*
 * Open path as a floppy (1.44 MB geometry unless the size is another
 * standard format: 160K-2.88M; smaller images get 1.44 MB geometry and
 * read zeros past their end) or as a hard disk (16 or 255 heads, 63
 * sectors per track, as QEMU's LBA translation; the image must end its
 * first sector with 55 AA). Returns 0 or -errno with d->err set to a
 * message when the image itself is unusable (-EINVAL).
 */
int disk_open(struct disk *d, const char *path, bool floppy, bool readonly);

void disk_close(struct disk *d);

/*
 * Transfer count sectors at lba to or from buf (count * DISK_SECTOR
 * bytes). Returns a disk_status; reads past the end of a short image give
 * zeros, writes past it extend the file (floppies only reach that far).
 */
uint8_t disk_read(const struct disk *d, uint64_t lba, uint32_t count,
                  uint8_t *buf);
uint8_t disk_write(const struct disk *d, uint64_t lba, uint32_t count,
                   const uint8_t *buf);

struct mem;

/*
 * int 13h for the drives in disks[0..n) (NULL entries are absent
 * drives): 00h reset, 01h status, 02h/03h/04h read/write/verify CHS,
 * 08h parameters, 15h type, 41h-44h, 47h, 48h EDD. hd_count and fd_count
 * are what 08h reports in DL. *last is the last status (BDA 41h/74h,
 * 01h). Every buffer is checked against guest RAM in mem.
 */
void disk_int13(struct disk *const *disks, size_t n, struct mem *mem,
                struct bios_regs *r, uint8_t *last);

#endif
