#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/mem.h"

void disk_init(struct disk *d)
{
    *d = (struct disk){.fd = -1};
}

/* The standard floppy formats (IBM PC DOS 1.0 through 5.0). */
static const struct {
    uint32_t kib, cyls, heads, spt;
    uint8_t type; /* int 13h 08h BL: 1 360K, 2 1.2M, 3 720K, 4 1.44M, 6 2.88M */
} floppy_formats[] = {
    {1440, 80, 2, 18, 4}, {160, 40, 1, 8, 1},   {180, 40, 1, 9, 1},
    {320, 40, 2, 8, 1},   {360, 40, 2, 9, 1},   {720, 80, 2, 9, 3},
    {1200, 80, 2, 15, 2}, {2880, 80, 2, 36, 6},
};

static int bad(struct disk *d, const char *why)
{
    d->err = why;
    return -EINVAL;
}

int disk_open(struct disk *d, const char *path, bool floppy, bool readonly)
{
    struct stat st;
    uint8_t sig[2];

    disk_init(d);
    d->floppy = floppy;
    d->readonly = readonly;
    d->drive = floppy ? 0x00 : 0x80;
    /* O_DSYNC: a write the guest is told succeeded is on disk. */
    d->fd = open(path, (readonly ? O_RDONLY : O_RDWR | O_DSYNC) | O_CLOEXEC);
    if (d->fd < 0)
        return -errno;
    if (fstat(d->fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return bad(d, "not a regular file or block device");
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(d->fd, 0, SEEK_END);
        if (end < 0)
            return -errno;
        d->size = (uint64_t)end;
    } else {
        d->size = (uint64_t)st.st_size;
    }
    if (d->size < DISK_SECTOR)
        return bad(d, "image is smaller than one 512-byte sector");
    d->sectors = (d->size + DISK_SECTOR - 1) / DISK_SECTOR;
    if (floppy) {
        size_t i, nf = sizeof(floppy_formats) / sizeof(floppy_formats[0]);
        if (d->size > 2880 * 1024)
            return bad(d, "image is larger than a 2.88 MB floppy");
        for (i = 0; i < nf; i++)
            if (d->size == floppy_formats[i].kib * 1024ull)
                break;
        if (i == nf)
            i = 0; /* short images: 1.44 MB, zeros past the end */
        if (d->size > floppy_formats[i].kib * 1024ull)
            return bad(d, "image size is no standard floppy format "
                          "(160K-1.44M, 2.88M)");
        d->cyls = floppy_formats[i].cyls;
        d->heads = floppy_formats[i].heads;
        d->spt = floppy_formats[i].spt;
        d->fd_type = floppy_formats[i].type;
        d->sectors = (uint64_t)d->cyls * d->heads * d->spt;
        return 0;
    }
    if (d->size > DISK_MAX_HD)
        return bad(d, "image is larger than 2 TiB");
    ssize_t n = pread(d->fd, sig, 2, 510);
    if (n < 0)
        return -errno;
    if (n != 2 || sig[0] != 0x55 || sig[1] != 0xaa)
        return bad(d, "no boot signature: sector 0 must end in 55 AA");
    /* LBA-assisted translation: 63 sectors, 16 heads up to 504 MiB,
     * 255 beyond; at most 1024 cylinders (the rest by EDD only). */
    d->spt = 63;
    d->heads = d->sectors <= 1024ull * 16 * 63 ? 16 : 255;
    uint64_t c = d->sectors / ((uint64_t)d->heads * d->spt);
    d->cyls = c == 0 ? 1 : c > 1024 ? 1024 : (uint32_t)c;
    return 0;
}

void disk_close(struct disk *d)
{
    if (d->fd >= 0)
        close(d->fd);
    d->fd = -1;
}

uint8_t disk_read(const struct disk *d, uint64_t lba, uint32_t count,
                  uint8_t *buf)
{
    uint64_t off = lba * DISK_SECTOR, len = (uint64_t)count * DISK_SECTOR;

    if (lba > d->sectors || count > d->sectors - lba)
        return DISK_ENOTFOUND;
    while (len > 0) {
        ssize_t n = pread(d->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return DISK_EIO;
        if (n == 0) { /* past the end of a short image */
            memset(buf, 0, len);
            break;
        }
        buf += n;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return DISK_OK;
}

uint8_t disk_write(const struct disk *d, uint64_t lba, uint32_t count,
                   const uint8_t *buf)
{
    uint64_t off = lba * DISK_SECTOR, len = (uint64_t)count * DISK_SECTOR;

    if (lba > d->sectors || count > d->sectors - lba)
        return DISK_ENOTFOUND;
    if (d->readonly)
        return DISK_EWRITEPROT;
    while (len > 0) {
        ssize_t n = pwrite(d->fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return DISK_EIO;
        buf += n;
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return DISK_OK;
}

static struct disk *find(struct disk *const *disks, size_t n, uint8_t drive)
{
    for (size_t i = 0; i < n; i++)
        if (disks[i] && disks[i]->drive == drive)
            return disks[i];
    return NULL;
}

/*
 * A transfer of count sectors between lba and the guest buffer seg:off
 * (flat: a 64-bit physical address instead, seg_off false). Returns the
 * status; *done the sectors moved.
 */
static uint8_t transfer(const struct disk *d, struct mem *mem, bool write,
                        bool verify, uint64_t lba, uint32_t count, uint64_t gpa,
                        uint32_t seg_off, bool wrap_check)
{
    uint64_t bytes = (uint64_t)count * DISK_SECTOR;
    uint8_t *buf;

    if (count == 0)
        return DISK_EPARAM;
    if (lba > d->sectors || count > d->sectors - lba)
        return DISK_ENOTFOUND;
    if (write && d->readonly)
        return DISK_EWRITEPROT;
    if (verify)
        return DISK_OK;
    /* The offset would wrap within its segment: the PC's DMA boundary
     * error, never a transfer to somewhere else. */
    if (wrap_check && seg_off + bytes > 0x10000)
        return DISK_EBOUNDARY;
    buf = mem_gpa_to_hva(mem, gpa, bytes);
    if (!buf)
        return DISK_EPARAM;
    return write ? disk_write(d, lba, count, buf)
                 : disk_read(d, lba, count, buf);
}

/* 02h-04h: CX = cylinder and sector, DH = head, AL = count, ES:BX. */
static uint8_t chs_access(const struct disk *d, struct mem *mem,
                          struct bios_regs *r, uint8_t fn)
{
    uint32_t count = bios_al(r);
    uint32_t sector = r->ecx & 0x3f;
    uint32_t cyl = ((r->ecx >> 8) & 0xff) | ((r->ecx & 0xc0) << 2);
    uint32_t head = (r->edx >> 8) & 0xff;
    uint16_t bx = (uint16_t)r->ebx;
    uint8_t st;

    bios_set_al(r, 0);
    /* SeaBIOS and the AT BIOS reject these as bad parameters. */
    if (count == 0 || count > 128 || sector == 0 || sector > d->spt ||
        head >= d->heads || cyl >= d->cyls)
        return DISK_EPARAM;
    uint64_t lba = ((uint64_t)cyl * d->heads + head) * d->spt + sector - 1;
    st = transfer(d, mem, fn == 0x03, fn == 0x04, lba, count,
                  bios_linear(r->es, bx), bx, true);
    if (st == DISK_OK)
        bios_set_al(r, (uint8_t)count);
    return st;
}

/* 42h-44h, 47h: the disk address packet at DS:SI (Phoenix EDD 1.1/3.0). */
static uint8_t edd_access(const struct disk *d, struct mem *mem,
                          struct bios_regs *r, uint8_t fn)
{
    uint32_t dap_at = bios_linear(r->ds, (uint16_t)r->esi);
    uint8_t *dap = mem_gpa_to_hva(mem, dap_at, 0x10);
    uint16_t count, off, seg;
    uint64_t lba, gpa;
    bool flat = false;
    uint8_t st;

    if (!dap || dap[0] < 0x10)
        return DISK_EPARAM;
    memcpy(&count, dap + 2, 2);
    memcpy(&off, dap + 4, 2);
    memcpy(&seg, dap + 6, 2);
    memcpy(&lba, dap + 8, 8);
    gpa = bios_linear(seg, off);
    if (dap[0] >= 0x18 && off == 0xffff && seg == 0xffff) {
        uint8_t *ext = mem_gpa_to_hva(mem, dap_at, 0x18);
        if (!ext)
            return DISK_EPARAM;
        memcpy(&gpa, ext + 0x10, 8);
        flat = true;
    }
    if (fn == 0x47)
        return lba < d->sectors ? DISK_OK : DISK_ENOTFOUND;
    if (fn == 0x43 && bios_al(r) > 2)
        return DISK_EPARAM;
    uint16_t want = count;
    count = 0;
    memcpy(dap + 2, &count, 2); /* blocks transferred, until done */
    if (want > 0x7f)
        return DISK_EPARAM; /* Phoenix EDD: at most 127 blocks */
    st = transfer(d, mem, fn == 0x43, fn == 0x44, lba, want, gpa, off, !flat);
    if (st == DISK_OK)
        memcpy(dap + 2, &want, 2);
    return st;
}

/* 48h: drive parameters into the result buffer at DS:SI. */
static uint8_t edd_params(const struct disk *d, struct mem *mem,
                          struct bios_regs *r)
{
    uint8_t *p = mem_gpa_to_hva(mem, bios_linear(r->ds, (uint16_t)r->esi), 2);
    uint16_t size, flags = 0x0002; /* CHS information is valid */
    uint32_t v;

    if (!p)
        return DISK_EPARAM;
    memcpy(&size, p, 2);
    if (size < 0x1a)
        return DISK_EPARAM;
    size = size >= 0x1e ? 0x1e : 0x1a;
    p = mem_gpa_to_hva(mem, bios_linear(r->ds, (uint16_t)r->esi), size);
    if (!p)
        return DISK_EPARAM;
    memcpy(p, &size, 2);
    memcpy(p + 2, &flags, 2);
    memcpy(p + 4, &d->cyls, 4);
    memcpy(p + 8, &d->heads, 4);
    memcpy(p + 12, &d->spt, 4);
    memcpy(p + 16, &d->sectors, 8);
    uint16_t bps = DISK_SECTOR;
    memcpy(p + 24, &bps, 2);
    if (size >= 0x1e) {
        v = 0xffffffffu; /* no device parameter table extension */
        memcpy(p + 26, &v, 4);
    }
    return DISK_OK;
}

/* 08h: parameters. */
static uint8_t params(const struct disk *d, struct bios_regs *r, uint8_t count)
{
    uint32_t maxc = d->cyls - 1;

    r->eax &= 0xffff0000u;
    bios_set8(&r->ecx, true, (uint8_t)maxc);
    bios_set8(&r->ecx, false, (uint8_t)(d->spt | ((maxc >> 2) & 0xc0)));
    bios_set8(&r->edx, true, (uint8_t)(d->heads - 1));
    bios_set8(&r->edx, false, count);
    if (d->floppy) {
        bios_set16(&r->ebx, d->fd_type);
        r->es = 0xf000; /* the diskette parameter table in the BIOS */
        bios_set16(&r->edi, 0xefc7);
    }
    return DISK_OK;
}

void disk_int13(struct disk *const *disks, size_t n, struct mem *mem,
                struct bios_regs *r, uint8_t *last)
{
    uint8_t fn = bios_ah(r), dl = (uint8_t)r->edx, st;
    struct disk *d = find(disks, n, dl);
    uint8_t hd = 0, fd = 0;

    for (size_t i = 0; i < n; i++)
        if (disks[i] && disks[i]->floppy)
            fd++;
        else if (disks[i])
            hd++;
    if (fn == 0x01) { /* 01h: status of the last operation */
        bios_status(r, *last);
        return;
    }
    if (fn == 0x15) { /* 15h: AH = type (0 none, 1 floppy, 3 hard disk) */
        bios_set_cf(r, false);
        if (!d) {
            bios_set_ah(r, 0);
        } else if (d->floppy) {
            bios_set_ah(r, 1);
        } else {
            uint32_t s =
                d->sectors > 0xffffffffu ? 0xffffffffu : (uint32_t)d->sectors;
            bios_set_ah(r, 3);
            bios_set16(&r->ecx, (uint16_t)(s >> 16));
            bios_set16(&r->edx, (uint16_t)s);
        }
        *last = 0;
        return;
    }
    if (!d) {
        st = DISK_EPARAM;
    } else {
        switch (fn) {
        case 0x00: /* reset */
        case 0x0d: /* alternate reset */
        case 0x10: /* test drive ready */
        case 0x11: /* recalibrate */
            st = DISK_OK;
            break;
        case 0x02: /* read, CHS */
        case 0x03: /* write, CHS */
        case 0x04: /* verify, CHS */
            st = chs_access(d, mem, r, fn);
            break;
        case 0x08: /* parameters */
            st = params(d, r, d->floppy ? fd : hd);
            break;
        case 0x41: /* EDD installation check: BX = 55AAh */
            if (d->floppy || (uint16_t)r->ebx != 0x55aa) {
                st = DISK_EPARAM;
                break;
            }
            bios_set16(&r->ebx, 0xaa55);
            bios_set16(&r->ecx, 0x0001); /* 42h-44h, 47h, 48h */
            bios_status(r, 0x21);        /* EDD 1.1 */
            bios_set_cf(r, false);
            *last = 0;
            return;
        case 0x42: /* extended read */
        case 0x43: /* extended write */
        case 0x44: /* extended verify */
        case 0x47: /* extended seek */
            st = d->floppy ? DISK_EPARAM : edd_access(d, mem, r, fn);
            break;
        case 0x48: /* extended parameters */
            st = d->floppy ? DISK_EPARAM : edd_params(d, mem, r);
            break;
        default:
            st = DISK_EPARAM;
            break;
        }
    }
    *last = st;
    bios_status(r, st);
}
