/* The boot-disk and firmware options of cli_parse. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errsz, const char *a, const char *b,
                const char *c)
{
    snprintf(err, errsz, "%s%s%s", a, b, c);
    return -EINVAL;
}

/* "FILE" or "FILE,readonly" (also ",ro") into buf. */
static int parse_file(const char *arg, char *buf, size_t bufsz, bool *ro)
{
    size_t n = strlen(arg);
    const char *comma = strrchr(arg, ',');

    *ro = false;
    if (comma && (!strcmp(comma, ",readonly") || !strcmp(comma, ",ro"))) {
        *ro = true;
        n = (size_t)(comma - arg);
    }
    if (n == 0 || n >= bufsz)
        return -EINVAL;
    memcpy(buf, arg, n);
    buf[n] = '\0';
    return 0;
}

/* A number, hex with 0x or decimal, in [0, max]. */
static int parse_num(const char *s, int base, uint64_t max, uint64_t *out)
{
    char *end;

    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (*end || errno == ERANGE || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int cli_parse_boot(int opt, const char *arg, struct cli_opts *o, char *err,
                   size_t errsz)
{
    uint64_t v, w;

    switch (opt) {
    case CLI_OPT_DRIVE:
        if (parse_file(arg, o->drive_buf, sizeof(o->drive_buf), &o->drive_ro))
            return fail(err, errsz, "invalid --drive '", arg,
                        "': want FILE or FILE,readonly");
        o->drive = o->drive_buf;
        return 1;
    case CLI_OPT_FLOPPY:
        if (parse_file(arg, o->floppy_buf, sizeof(o->floppy_buf),
                       &o->floppy_ro))
            return fail(err, errsz, "invalid --floppy '", arg,
                        "': want FILE or FILE,readonly");
        o->floppy = o->floppy_buf;
        return 1;
    case CLI_OPT_BIOS:
        if (!*arg)
            return fail(err, errsz, "--bios needs a file", "", "");
        o->bios = arg;
        return 1;
    case CLI_OPT_LOAD:
        if (parse_num(arg, 0, UINT32_MAX, &v) < 0)
            return fail(err, errsz, "invalid --load '", arg,
                        "': want an address below 4G, e.g. 0x7c00");
        o->load_set = true;
        o->load_addr = v;
        return 1;
    case CLI_OPT_ENTRY: {
        const char *colon = strchr(arg, ':');
        char seg[16];
        size_t n = colon ? (size_t)(colon - arg) : 0;
        if (!colon || n == 0 || n >= sizeof(seg))
            return fail(err, errsz, "invalid --entry '", arg,
                        "': want SEG:OFF in hex, e.g. 0:7c00");
        memcpy(seg, arg, n);
        seg[n] = '\0';
        if (parse_num(seg, 16, 0xffff, &v) < 0 ||
            parse_num(colon + 1, 16, 0xffff, &w) < 0)
            return fail(err, errsz, "invalid --entry '", arg,
                        "': want SEG:OFF in hex, e.g. 0:7c00");
        o->entry_set = true;
        o->entry_cs = (uint16_t)v;
        o->entry_ip = (uint16_t)w;
        return 1;
    }
    case CLI_OPT_SCREEN:
        o->screen = true;
        return 1;
    default:
        return 0;
    }
}

int cli_check_boot(struct cli_opts *o, bool machine_set, char *err,
                   size_t errsz)
{
    bool disk = o->drive || o->floppy;

    if (o->load_set && !o->entry_set && o->load_addr > 0xfffff)
        return fail(err, errsz,
                    "--load above 1 MiB needs --entry (real mode reaches "
                    "no further)",
                    "", "");
    if (!disk && !o->bios) {
        if (o->screen && o->machine != CLI_MACHINE_PC)
            return fail(err, errsz, "--screen needs the pc machine", "", "");
        return 0;
    }
    if (machine_set && o->machine != CLI_MACHINE_PC)
        return fail(err, errsz, o->bios ? "--bios" : "--drive and --floppy",
                    " need the pc machine", "");
    o->machine = CLI_MACHINE_PC;
    if (o->kernel)
        return fail(err, errsz, "--kernel cannot be combined with ",
                    o->bios ? "--bios" : "a boot disk", "");
    if (o->bios && disk)
        return fail(err, errsz,
                    "--drive and --floppy are served by the built-in BIOS; "
                    "--bios firmware brings its own disk drivers",
                    "", "");
    if (o->load_set || o->entry_set)
        return fail(err, errsz, "--load and --entry are for IMAGE", "", "");
    return 0;
}
