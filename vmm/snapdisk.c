#include "snapdisk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20)

/* FNV-1a, 64 bits, over the whole file, and its stat. */
static int identify(const char *path, uint64_t *size, int64_t *mtime,
                    uint64_t *hash)
{
    struct stat st;
    uint64_t h = 0xcbf29ce484222325ull;
    uint8_t *buf;
    int fd, e = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        e = -errno;
        close(fd);
        return e;
    }
    buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = -errno;
            break;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            h ^= buf[i];
            h *= 0x100000001b3ull;
        }
    }
    free(buf);
    close(fd);
    *size = (uint64_t)st.st_size;
    *mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    *hash = h;
    return e;
}

int snap_disk_identify(const char *path, struct snap_disk *d)
{
    memset(d, 0, sizeof(*d));
    if (strlen(path) >= sizeof(d->path))
        return -ENAMETOOLONG;
    memcpy(d->path, path, strlen(path) + 1);
    return identify(path, &d->size, &d->mtime_ns, &d->hash);
}

int snap_disk_check(const struct snap_disk *d, char *why, size_t whysz)
{
    uint64_t size, hash;
    int64_t mtime;
    int e;

    if (memchr(d->path, '\0', sizeof(d->path)) == NULL) {
        snprintf(why, whysz, "disk image path is not terminated");
        return -EINVAL;
    }
    e = identify(d->path, &size, &mtime, &hash);
    if (e < 0) {
        snprintf(why, whysz, "disk image %s: %s", d->path, strerror(-e));
        return e;
    }
    if (size != d->size || hash != d->hash) {
        snprintf(why, whysz,
                 "disk image %s changed since the snapshot (%s): restoring "
                 "would mix disk contents from two points in time",
                 d->path, size != d->size ? "size" : "contents");
        return -ESTALE;
    }
    if (mtime != d->mtime_ns) {
        /* Same bytes, touched since: the contents are what counts. */
        return 0;
    }
    return 0;
}
