#include "fwcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Directory entry: u32 size, u16 select, u16 reserved, name[56]. */
#define DIR_ENTRY_LEN (4 + 2 + 2 + FWCFG_MAX_NAME)

void fwcfg_init(struct fwcfg *f)
{
    memset(f, 0, sizeof(*f));
}

void fwcfg_destroy(struct fwcfg *f)
{
    for (size_t i = 0; i < f->nitems; i++)
        free(f->items[i].data);
    fwcfg_init(f);
}

void fwcfg_reset(struct fwcfg *f)
{
    f->sel = FWCFG_SIGNATURE;
    f->off = 0;
}

void fwcfg_save(const struct fwcfg *f, struct fwcfg_state *st)
{
    st->sel = f->sel;
    st->off = f->off;
}

int fwcfg_load(struct fwcfg *f, const struct fwcfg_state *st)
{
    if (st->sel & FWCFG_WRITE_CHANNEL)
        return -EINVAL;
    f->sel = st->sel;
    f->off = st->off; /* past the end is fine: reads give 0 */
    return 0;
}

static struct fwcfg_item *find_item(struct fwcfg *f, uint16_t key)
{
    for (size_t i = 0; i < f->nitems; i++) {
        if (f->items[i].key == key)
            return &f->items[i];
    }
    return NULL;
}

/* Store a copy under key, any key. */
static int set_item(struct fwcfg *f, uint16_t key, const void *data, size_t len)
{
    struct fwcfg_item *it = find_item(f, key);
    uint8_t *copy = NULL;

    if (len > FWCFG_MAX_ITEM_LEN)
        return -EINVAL;
    if (!it && f->nitems == FWCFG_MAX_ITEMS)
        return -ENOSPC;
    if (len) {
        copy = malloc(len);
        if (!copy)
            return -ENOMEM;
        memcpy(copy, data, len);
    }
    if (!it) {
        it = &f->items[f->nitems++];
        it->key = key;
    } else {
        free(it->data);
    }
    it->data = copy;
    it->len = (uint32_t)len;
    return 0;
}

int fwcfg_add(struct fwcfg *f, uint16_t key, const void *data, size_t len)
{
    uint16_t k = key & (uint16_t)~FWCFG_WRITE_CHANNEL;

    /* The directory and file items are fwcfg_add_file's to manage. */
    if (k == FWCFG_FILE_DIR || (k >= FWCFG_FILE_FIRST && k < 0x4000))
        return -EINVAL;
    return set_item(f, k, data, len);
}

int fwcfg_add_u16(struct fwcfg *f, uint16_t key, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    return fwcfg_add(f, key, b, sizeof(b));
}

int fwcfg_add_u32(struct fwcfg *f, uint16_t key, uint32_t v)
{
    uint8_t b[4];

    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fwcfg_add(f, key, b, sizeof(b));
}

int fwcfg_add_u64(struct fwcfg *f, uint16_t key, uint64_t v)
{
    uint8_t b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fwcfg_add(f, key, b, sizeof(b));
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* fw_cfg.txt, "File Directory Structure": everything big-endian. */
static int rebuild_dir(struct fwcfg *f)
{
    uint8_t buf[4 + FWCFG_MAX_FILES * DIR_ENTRY_LEN];
    uint8_t *p = buf + 4;

    memset(buf, 0, sizeof(buf));
    put_be32(buf, (uint32_t)f->nfiles);
    for (size_t i = 0; i < f->nfiles; i++, p += DIR_ENTRY_LEN) {
        put_be32(p, f->files[i].len);
        p[4] = (uint8_t)(f->files[i].key >> 8);
        p[5] = (uint8_t)f->files[i].key;
        memcpy(p + 8, f->files[i].name, FWCFG_MAX_NAME);
    }
    return set_item(f, FWCFG_FILE_DIR, buf, (size_t)(p - buf));
}

int fwcfg_add_file(struct fwcfg *f, const char *name, const void *data,
                   size_t len)
{
    size_t n = strnlen(name, FWCFG_MAX_NAME);
    uint16_t key;
    int e;

    if (n == 0 || n == FWCFG_MAX_NAME)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < f->nfiles; i++) {
        if (strcmp(f->files[i].name, name) == 0)
            return -EEXIST;
    }
    if (f->nfiles == FWCFG_MAX_FILES)
        return -ENOSPC;
    /* Room for the file and, the first time, for the directory. */
    if (f->nitems + 1 + !find_item(f, FWCFG_FILE_DIR) > FWCFG_MAX_ITEMS)
        return -ENOSPC;
    key = (uint16_t)(FWCFG_FILE_FIRST + f->nfiles);
    if ((e = set_item(f, key, data, len)) < 0)
        return e;
    f->files[f->nfiles].key = key;
    f->files[f->nfiles].len = (uint32_t)len;
    memset(f->files[f->nfiles].name, 0, FWCFG_MAX_NAME);
    memcpy(f->files[f->nfiles].name, name, n);
    f->nfiles++;
    if ((e = rebuild_dir(f)) < 0) {
        /* Undo, so the directory never names a file it lacks. */
        struct fwcfg_item *it = find_item(f, key);
        free(it->data);
        *it = f->items[--f->nitems];
        f->nfiles--;
        return e;
    }
    return key;
}

int fwcfg_add_pc_keys(struct fwcfg *f, unsigned ncpus, uint64_t ram_size,
                      uint64_t max_ram)
{
    static const char sig[4] = {'Q', 'E', 'M', 'U'};
    int e;

    if (ncpus == 0 || ncpus > 0xffff)
        return -EINVAL;
    if ((e = fwcfg_add(f, FWCFG_SIGNATURE, sig, sizeof(sig))) < 0 ||
        (e = fwcfg_add_u32(f, FWCFG_ID, FWCFG_ID_TRADITIONAL)) < 0 ||
        (e = fwcfg_add_u64(f, FWCFG_RAM_SIZE, ram_size)) < 0 ||
        (e = fwcfg_add_u16(f, FWCFG_NB_CPUS, (uint16_t)ncpus)) < 0 ||
        (e = fwcfg_add_u16(f, FWCFG_MAX_CPUS, (uint16_t)ncpus)) < 0 ||
        (e = fwcfg_add_u64(f, FWCFG_MAX_RAM, max_ram)) < 0)
        return e;
    return 0;
}

static uint8_t read_data(struct fwcfg *f)
{
    const struct fwcfg_item *it = find_item(f, f->sel);

    if (!it || f->off >= it->len)
        return 0; /* no such item, or past its end */
    return it->data[f->off++];
}

int fwcfg_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
             uint32_t count, uint8_t *data)
{
    struct fwcfg *f = ctx;
    uint16_t reg = (uint16_t)(port - FWCFG_PORT_BASE);

    for (uint32_t i = 0; i < count; i++, data += size) {
        if (is_write) {
            /* out %ax, $0x510: select, rewind */
            if (reg == 0 && size == 2) {
                f->sel = (uint16_t)(data[0] | data[1] << 8) &
                         (uint16_t)~FWCFG_WRITE_CHANNEL;
                f->off = 0;
            }
        } else if (reg == 1 && size == 1) {
            /* in $0x511, %al: next data byte */
            data[0] = read_data(f);
        } else {
            memset(data, 0xff, size);
        }
    }
    return 0;
}
