/*
 * Memory views and the console for the debugger: gdb's memory map
 * (qXfer:memory-map:read), QEMU's physical-memory mode for m and M
 * (Qqemu.PhyMemMode), `monitor xp` and `monitor console`.
 */
#include "cmd_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsp.h"

#define MAX_REGIONS 32
#define XP_MAX      4096 /* bytes one `monitor xp` shows */

bool gdb_cmd_has_memory_map(const struct gdb_cmd *s)
{
    return s->ops->memory_map != NULL;
}

/*
 * The map as gdb's memory-map DTD has it (GDB manual, "Memory Map
 * Format"). The target's regions are physical; gdb applies them to the
 * addresses it uses, which are linear (the same with paging off).
 * Everything above the last region is listed as RAM too: gdb refuses
 * addresses outside the map, and with paging on those are linear
 * addresses the stub reads through the page tables. Returns the length,
 * or -errno.
 */
static int map_xml(struct gdb_cmd *s, char *out, size_t cap)
{
    static const char head[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map "
        "V1.0//EN\" \"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n"
        "<memory-map>\n";
    struct gdb_mem_region r[MAX_REGIONS];
    uint64_t top = 0;
    bool to_end = false;
    size_t n;
    int k = s->ops->memory_map(s->ctx, r, MAX_REGIONS);

    if (k < 0)
        return k;
    if ((size_t)k > MAX_REGIONS)
        k = MAX_REGIONS;
    n = (size_t)snprintf(out, cap, "%s", head);
    for (int i = 0; i < k && n < cap; i++) {
        uint64_t end = 0;
        if (r[i].start < top || to_end)
            return -EINVAL; /* not sorted, or overlapping */
        if (r[i].length == 0 ||
            __builtin_add_overflow(r[i].start, r[i].length, &end))
            to_end = true;
        n += (size_t)snprintf(
            out + n, cap - n,
            "<memory type=\"%s\" start=\"0x%llx\" "
            "length=\"0x%llx\"/>\n",
            r[i].type == GDB_MEM_ROM ? "rom" : "ram",
            (unsigned long long)r[i].start,
            (unsigned long long)(to_end ? -r[i].start : r[i].length));
        top = end;
    }
    /* start + length wraps to 0: gdb takes that as the end of memory. */
    if (!to_end && top != 0 && n < cap)
        n += (size_t)snprintf(out + n, cap - n,
                              "<memory type=\"ram\" start=\"0x%llx\" "
                              "length=\"0x%llx\"/>\n",
                              (unsigned long long)top,
                              (unsigned long long)(0 - top));
    if (n < cap)
        n += (size_t)snprintf(out + n, cap - n, "</memory-map>\n");
    if (n >= cap)
        return -ENOSPC;
    return (int)n;
}

/* qXfer:memory-map:read::offset,length */
enum gdb_cmd_result gdb_cmd_xfer_memory_map(struct gdb_cmd *s, const char *p,
                                            const char *end, char *reply,
                                            size_t cap, size_t *len)
{
    uint64_t off, n;
    int xlen;

    if (!s->ops->memory_map)
        return gdb_cmd_reply_str("", reply, cap, len);
    if (p == end || *p++ != ':')
        return gdb_cmd_reply_str("E00", reply, cap, len); /* an annex */
    if (!gdb_cmd_parse_xfer(p, end, &off, &n))
        return gdb_cmd_reply_err(1, reply, cap, len);
    xlen = map_xml(s, s->text, RSP_MAX_PACKET / 2 + 1);
    if (xlen < 0)
        return gdb_cmd_reply_err(xlen, reply, cap, len);
    return gdb_cmd_xfer_reply(s->text, (size_t)xlen, off, n, reply, cap, len);
}

/*
 * Qqemu.PhyMemMode:1|0 and qqemu.PhyMemMode (QEMU's gdbstub): while 1,
 * m, M, x and X address guest physical memory.
 */
enum gdb_cmd_result gdb_cmd_phy_mem_mode(struct gdb_cmd *s, const char *pkt,
                                         size_t plen, char *reply, size_t cap,
                                         size_t *len)
{
    if (pkt[0] == 'q')
        return gdb_cmd_reply_str(s->phys_mem ? "1" : "0", reply, cap, len);
    if (plen != 18 || (pkt[17] != '0' && pkt[17] != '1'))
        return gdb_cmd_reply_err(1, reply, cap, len);
    if (!s->ops->read_phys || !s->ops->write_phys)
        return gdb_cmd_reply_err(ENOSYS, reply, cap, len);
    s->phys_mem = pkt[17] == '1';
    return gdb_cmd_reply_str("OK", reply, cap, len);
}

void gdb_cmd_set_console_writer(struct gdb_cmd *s,
                                size_t (*write)(void *arg, const uint8_t *buf,
                                                size_t len),
                                void *arg)
{
    s->sink.write = write;
    s->sink.arg = arg;
}

static void apply_console(struct gdb_cmd *s)
{
    if (!s->ops->set_console_sink)
        return;
    if (s->console == GDB_CONSOLE_STDOUT || !s->sink.write) {
        s->ops->set_console_sink(s->ctx, NULL);
        return;
    }
    s->sink.mode = s->console;
    s->ops->set_console_sink(s->ctx, &s->sink);
}

void gdb_cmd_reset_views(struct gdb_cmd *s)
{
    s->phys_mem = false;
    if (s->console != GDB_CONSOLE_STDOUT) {
        s->console = GDB_CONSOLE_STDOUT;
        apply_console(s);
    }
}

static const char *const console_name[] = {"stdout", "gdb", "both"};

/* console [stdout|gdb|both] */
static int console_cmd(struct gdb_cmd *s, const char *arg, char *out,
                       size_t cap)
{
    static const char *const what[] = {
        "guest console output goes to the VMM's stdout",
        "guest console output goes to gdb (O packets) while the guest runs",
        "guest console output goes to the VMM's stdout and to gdb",
    };
    int m = -1;

    if (*arg) {
        for (int i = 0; i < 3; i++)
            if (!strcmp(arg, console_name[i]))
                m = i;
        if (m < 0) {
            snprintf(out, cap, "usage: monitor console [stdout|gdb|both]\n");
            return -EINVAL;
        }
        if (m != GDB_CONSOLE_STDOUT &&
            (!s->ops->set_console_sink || !s->sink.write)) {
            snprintf(out, cap,
                     "console: this target cannot send its "
                     "output to the debugger\n");
            return -EINVAL;
        }
        s->console = (enum gdb_console_mode)m;
        apply_console(s);
    }
    return snprintf(out, cap, "console: %s (%s)\n", console_name[s->console],
                    what[s->console]);
}

/* A number as C writes it (0x hex, 0 octal, decimal), the whole of str. */
static bool parse_num(const char *str, const char *stop, uint64_t *v)
{
    char buf[32], *end;
    size_t n = (size_t)(stop - str);

    if (n == 0 || n >= sizeof(buf) || str[0] == '-' || str[0] == '+')
        return false;
    memcpy(buf, str, n);
    buf[n] = '\0';
    errno = 0;
    unsigned long long x = strtoull(buf, &end, 0);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

/*
 * xp ADDR [LEN] (bytes, default 16) or QEMU's xp /[COUNT][x][b|h|w|g]
 * ADDR (COUNT units of 1, 2, 4 or 8 bytes, default 1 of w): physical
 * memory, 16 bytes a line, in units as little-endian hex.
 */
static int xp_cmd(struct gdb_cmd *s, const char *arg, char *out, size_t cap)
{
    static const char usage[] =
        "usage: monitor xp ADDR [LEN] or monitor xp /[COUNT][x][b|h|w|g] "
        "ADDR (physical memory)\n";
    uint64_t addr, len = 16, count = 1, unit = 1;
    const char *sp;
    uint8_t buf[16];
    size_t n = 0;

    if (!s->ops->read_phys) {
        snprintf(out, cap, "xp: this target cannot read physical memory\n");
        return -EINVAL;
    }
    if (arg[0] == '/') {
        const char *f = arg + 1;
        sp = strchr(f, ' ');
        if (!sp)
            goto bad;
        const char *d = f;
        while (d < sp && *d >= '0' && *d <= '9')
            d++;
        if (d > f && !parse_num(f, d, &count))
            goto bad;
        unit = 4;
        for (; d < sp; d++) {
            static const char sizes[] = "bhwg";
            const char *u = strchr(sizes, *d);
            if (*d == 'x')
                continue;
            if (!u || !*d)
                goto bad;
            unit = 1ull << (u - sizes);
        }
        arg = sp + 1;
        if (count == 0 || count > XP_MAX ||
            !parse_num(arg, arg + strlen(arg), &addr))
            goto bad;
        len = count * unit;
    } else {
        sp = strchr(arg, ' ');
        if (!parse_num(arg, sp ? sp : arg + strlen(arg), &addr) ||
            (sp && !parse_num(sp + 1, sp + 1 + strlen(sp + 1), &len)) ||
            len == 0)
            goto bad;
    }
    if (len > XP_MAX)
        len = XP_MAX;
    if (addr + len < addr)
        len = 0 - addr;
    for (uint64_t off = 0; off < len && n + 1 < cap; off += 16) {
        size_t chunk = len - off < 16 ? (size_t)(len - off) : 16;
        int r = s->ops->read_phys(s->ctx, addr + off, buf, chunk);
        if (r < 0) {
            n += (size_t)snprintf(
                out + n, cap - n, "%016llx: cannot read (%s)\n",
                (unsigned long long)(addr + off),
                r == -EFAULT ? "not RAM or ROM" : strerror(-r));
            break;
        }
        n += (size_t)snprintf(out + n, cap - n,
                              "%016llx:", (unsigned long long)(addr + off));
        for (size_t i = 0; i + unit <= chunk && n + 1 < cap; i += unit) {
            uint64_t v = 0;
            for (size_t b = unit; b-- > 0;)
                v = v << 8 | buf[i + b];
            n += (size_t)snprintf(out + n, cap - n, " 0x%0*llx", (int)unit * 2,
                                  (unsigned long long)v);
        }
        if (n + 1 < cap)
            n += (size_t)snprintf(out + n, cap - n, "\n");
    }
    return n < cap ? (int)n : (int)cap - 1;
bad:
    snprintf(out, cap, "%s", usage);
    return -EINVAL;
}

int gdb_cmd_views_monitor(struct gdb_cmd *s, const char *cmd, char *out,
                          size_t cap)
{
    if (!strcmp(cmd, "console"))
        return console_cmd(s, "", out, cap);
    if (!strncmp(cmd, "console ", 8))
        return console_cmd(s, cmd + 8, out, cap);
    if (!strncmp(cmd, "xp ", 3))
        return xp_cmd(s, cmd + 3, out, cap);
    if (!strcmp(cmd, "xp"))
        return xp_cmd(s, "", out, cap);
    return -ENOENT;
}
