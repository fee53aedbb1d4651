#ifndef VMM_SNAPDISK_H
#define VMM_SNAPDISK_H

/*
 * Disk images and snapshots. A snapshot does not copy disk images: the
 * BIOS writes them through to the host file as the guest writes, so the
 * image holds the newest contents, not the snapshot's. Putting a snapshot
 * back over an image that changed since would mix disk contents from two
 * points in time (the guest's caches and file system state from one, the
 * sectors from another). So a snapshot records each image's identity -
 * path, size, modification time and a 64-bit FNV-1a hash of every byte -
 * and loadvm and --restore refuse when any of them differs. A read-only
 * image (,readonly) never changes, so its snapshots always fit; for a
 * writable one, keep a copy of the image next to the snapshot file.
 */

#include <stddef.h>
#include <stdint.h>

#define SNAP_MAX_DISKS 4
#define SNAP_PATH_MAX  256

struct snap_disk {
    char path[SNAP_PATH_MAX]; /* as given on the command line */
    uint64_t size;            /* bytes */
    int64_t mtime_ns;         /* st_mtim */
    uint64_t hash;            /* FNV-1a 64 of the contents */
};

/*
 * Record the image at path: stat it and hash its contents (reads all of
 * it: about a second per GiB). Returns 0, -ENAMETOOLONG, or -errno.
 */
int snap_disk_identify(const char *path, struct snap_disk *d);

/*
 * Whether the image at d->path is still the one recorded. Returns 0, or
 * -ESTALE with why filled in (size, time or contents changed), or -errno
 * (why filled in too) if it cannot be read.
 */
int snap_disk_check(const struct snap_disk *d, char *why, size_t whysz);

#endif
