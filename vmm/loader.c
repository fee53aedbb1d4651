#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

/* Open path and check it is a non-empty regular file: fd or -errno. */
static int open_image(const char *path, struct stat *st)
{
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    int e = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, st) < 0)
        e = -errno;
    else if (S_ISDIR(st->st_mode))
        e = -EISDIR;
    else if (!S_ISREG(st->st_mode))
        e = -EINVAL;
    else if (st->st_size == 0)
        e = -ENODATA;
    if (e < 0) {
        close(fd);
        return e;
    }
    return fd;
}

long loader_check_file(const char *path)
{
    struct stat st;
    int fd = open_image(path, &st);

    if (fd < 0)
        return fd;
    close(fd);
    return (long)st.st_size;
}

long loader_load_file(struct mem *m, const char *path, uint64_t gpa)
{
    struct stat st;
    long ret;
    int fd = open_image(path, &st);

    if (fd < 0)
        return fd;
    uint8_t *dst = mem_gpa_to_hva(m, gpa, (size_t)st.st_size);
    if (!dst) {
        ret = -EFBIG;
        goto out;
    }
    size_t done = 0, len = (size_t)st.st_size;
    while (done < len) {
        ssize_t n = read(fd, dst + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ret = -errno;
            goto out;
        }
        if (n == 0) { /* the file shrank under us */
            ret = -EIO;
            goto out;
        }
        done += (size_t)n;
    }
    ret = (long)len;
out:
    close(fd);
    return ret;
}
