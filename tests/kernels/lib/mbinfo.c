#include "mbinfo.h"

#include "kprint.h"

static const char *str(uint32_t addr)
{
    return (const char *)(unsigned long)addr;
}

static void print_module(unsigned i, const struct mb_module *m, int *bad)
{
    const uint8_t *p = (const uint8_t *)(unsigned long)m->start;
    uint32_t len = m->end - m->start;

    kprintf("mb: mod %u: %u bytes, string \"%s\", first bytes", i, len,
            str(m->string));
    for (uint32_t b = 0; b < len && b < 8; b++)
        kprintf(" %02x", p[b]);
    kputc('\n');
    if (m->end < m->start) {
        kprintf("mb: FAIL mod %u ends before it starts\n", i);
        ++*bad;
    }
    if (m->start & 0xfff) { /* header flags bit 0 asked for page alignment */
        kprintf("mb: FAIL mod %u at 0x%x is not page aligned\n", i, m->start);
        ++*bad;
    }
}

int mb_print_info(uint32_t magic, uint32_t info)
{
    const struct mb_info *mi = (const struct mb_info *)(unsigned long)info;
    int bad = 0;

    if (magic != MB_BOOT_MAGIC) {
        kprintf("mb: FAIL magic 0x%x, want 0x%x\n", magic, MB_BOOT_MAGIC);
        return 1;
    }
    kprintf("mb: magic ok, flags 0x%x\n", mi->flags);
    if (mi->flags & (1u << 0))
        kprintf("mb: mem_lower %u KiB, mem_upper %u KiB\n", mi->mem_lower,
                mi->mem_upper);
    else {
        kprintf("mb: FAIL no memory information (asked for, flags bit 1)\n");
        bad++;
    }
    if (mi->flags & (1u << 2))
        kprintf("mb: cmdline \"%s\"\n", str(mi->cmdline));
    if (mi->flags & (1u << 9))
        kprintf("mb: loader \"%s\"\n", str(mi->boot_loader_name));
    if (mi->flags & (1u << 3)) {
        const struct mb_module *m =
            (const struct mb_module *)(unsigned long)mi->mods_addr;
        kprintf("mb: %u modules\n", mi->mods_count);
        for (uint32_t i = 0; i < mi->mods_count; i++)
            print_module(i, &m[i], &bad);
    }
    if (mi->flags & (1u << 6)) {
        unsigned long p = mi->mmap_addr, end = p + mi->mmap_length;
        while (p < end) {
            const struct mb_mmap_entry *e = (const void *)p;
            kprintf("mb: mmap 0x%08x%08x +0x%08x%08x type %u\n", e->base_hi,
                    e->base_lo, e->len_hi, e->len_lo, e->type);
            p += e->size + 4;
        }
    }
    return bad;
}

int mb_exit_code(uint32_t info)
{
    const struct mb_info *mi = (const struct mb_info *)(unsigned long)info;
    const char *s;

    if (!(mi->flags & (1u << 2)))
        return 0;
    for (s = str(mi->cmdline); *s; s++) {
        if ((s == str(mi->cmdline) || s[-1] == ' ') &&
            memcmp(s, "exit=", 5) == 0) {
            int v = 0;
            for (s += 5; *s >= '0' && *s <= '9'; s++)
                v = v * 10 + (*s - '0');
            return v;
        }
    }
    return 0;
}

int mb_cmdline_has(uint32_t info, const char *word)
{
    const struct mb_info *mi = (const struct mb_info *)(unsigned long)info;
    unsigned long n = strlen(word);
    const char *s;

    if (!(mi->flags & (1u << 2)))
        return 0;
    s = str(mi->cmdline);
    while (*s && *s != ' ') /* argv[0], the kernel's path */
        s++;
    for (; *s; s++) {
        if (s[-1] == ' ' && memcmp(s, word, n) == 0 &&
            (s[n] == ' ' || s[n] == '\0'))
            return 1;
    }
    return 0;
}
