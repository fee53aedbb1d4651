#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

long loader_load_file(struct mem *m, const char *path, uint64_t gpa)
{
    struct stat st;
    long ret;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        ret = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        ret = -EISDIR;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        ret = -EINVAL;
        goto out;
    }
    if (st.st_size == 0) {
        ret = -ENODATA;
        goto out;
    }
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
