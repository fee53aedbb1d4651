/*
 * QEMU's command-line spelling (qemu-system-x86_64, "QEMU User
 * Documentation", Invocation): each option kvmstub implements becomes
 * the native arguments with the same meaning, which cli_parse_native then
 * checks; everything else is refused by name.
 */
#include "qemu_cli.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_cpu.h"

/* QEMU's -s: "-gdb tcp::1234" */
#define QEMU_GDB_DEFAULT "tcp::1234"

/* A QEMU property list "a,b=c" split into items (",," is a comma). */
#define PROPS_MAX 16
struct props {
    int n;
    char *key[PROPS_MAX];
    char *val[PROPS_MAX]; /* NULL: the item had no '=' */
    char buf[4096];
};

/* What the QEMU options asked for, turned into native arguments at the end. */
struct qstate {
    struct cli_opts *o;
    int n; /* native arguments so far */
    char *err;
    size_t errsz;
    const char *gdb; /* -s / -gdb: QEMU's device string */
    bool stopped;    /* -S */
    const char *hd, *fd;
    bool hd_ro, fd_ro;
    const char *boot; /* -boot order */
    bool serial;      /* -serial given */
    bool nodefaults;  /* -nodefaults */
};

static enum cli_action refuse(struct qstate *q, const char *a, const char *b,
                              const char *c)
{
    snprintf(q->err, q->errsz, "%s%s%s", a, b, c);
    return CLI_USAGE_ERROR;
}

static enum cli_action not_implemented(struct qstate *q, const char *opt,
                                       const char *arg, const char *why)
{
    snprintf(q->err, q->errsz, "kvmstub does not implement -%s%s%s%s%s", opt,
             arg ? " " : "", arg ? arg : "", why ? ": " : "", why ? why : "");
    return CLI_USAGE_ERROR;
}

/* Append a native argument; s must outlive the options (argv or store). */
static int push(struct qstate *q, const char *s)
{
    if (q->n + 1 >= CLI_QEMU_ARGV_MAX)
        return -E2BIG;
    q->o->qemu.argv[q->n++] = (char *)s;
    q->o->qemu.argv[q->n] = NULL;
    return 0;
}

/* A copy of s in the store, or NULL when it is full. */
static char *keep(struct qstate *q, const char *s)
{
    struct cli_qemu_store *st = &q->o->qemu;
    size_t len = strlen(s) + 1;

    if (len > sizeof(st->str) - st->used)
        return NULL;
    char *d = memcpy(st->str + st->used, s, len);
    st->used += len;
    return d;
}

static int props_split(struct props *p, const char *s)
{
    size_t out = 0;
    bool start = true;

    p->n = 0;
    for (size_t i = 0;; i++) {
        if (start) {
            if (p->n == PROPS_MAX)
                return -E2BIG;
            p->key[p->n] = p->buf + out;
            p->val[p->n++] = NULL;
            start = false;
        }
        if (out + 1 >= sizeof(p->buf))
            return -E2BIG;
        char ch = s[i];
        if (ch == ',' && s[i + 1] == ',') {
            p->buf[out++] = ',';
            i++;
        } else if (ch == ',' || ch == '\0') {
            p->buf[out++] = '\0';
            if (!ch)
                return 0;
            start = true;
        } else if (ch == '=' && !p->val[p->n - 1]) {
            p->buf[out++] = '\0';
            p->val[p->n - 1] = p->buf + out;
        } else {
            p->buf[out++] = ch;
        }
    }
}

static bool is(const char *a, const char *b)
{
    return a && !strcmp(a, b);
}

/* QEMU's on/off booleans ("on", "yes", "true"; a bare key means on). */
static int onoff(const char *v)
{
    if (!v || is(v, "on") || is(v, "yes") || is(v, "true"))
        return 1;
    if (is(v, "off") || is(v, "no") || is(v, "false"))
        return 0;
    return -1;
}

/* "-m [size=]N[KMGT]": a bare number is MiB (QEMU's default unit). */
static enum cli_action opt_mem(struct qstate *q, const char *arg)
{
    struct props p;
    char num[64];
    const char *size = NULL;

    if (props_split(&p, arg) < 0)
        return refuse(q, "invalid -m '", arg, "'");
    for (int i = 0; i < p.n; i++) {
        if (!p.val[i] && i == 0)
            size = p.key[i];
        else if (is(p.key[i], "size"))
            size = p.val[i];
        else
            return not_implemented(q, "m", p.key[i], "only a size");
    }
    size_t len = size ? strlen(size) : 0;
    if (!len || len + 2 > sizeof(num))
        return refuse(q, "invalid -m '", arg, "': want a size, e.g. 128M");
    memcpy(num, size, len + 1);
    if (num[len - 1] >= '0' && num[len - 1] <= '9')
        memcpy(num + len, "M", 2);
    uint64_t v;
    if (cli_parse_size(num, &v) < 0)
        return refuse(q, "invalid -m '", arg, "': want a size, e.g. 128M");
    char bytes[32];
    snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)v);
    const char *k = keep(q, bytes);
    if (!k || push(q, "--mem") < 0 || push(q, k) < 0)
        return refuse(q, "too many options", "", "");
    return CLI_RUN;
}

/*
 * -smp [cpus=]N[,sockets=,dies=,cores=,threads=,maxcpus=]: --smp with the
 * CPU count (cpus, else the topology's product); the topology itself is
 * not modelled (every vCPU is its own package, as CPUID says).
 */
static enum cli_action opt_smp(struct qstate *q, const char *arg)
{
    struct props p;
    uint64_t cpus = 0, prod = 1, v;

    if (props_split(&p, arg) < 0)
        return refuse(q, "invalid -smp '", arg, "'");
    for (int i = 0; i < p.n; i++) {
        const char *k = p.key[i], *val = !p.val[i] && i == 0 ? k : p.val[i];
        if (p.val[i] && !is(k, "cpus") && !is(k, "sockets") &&
            !is(k, "cores") && !is(k, "threads") && !is(k, "dies") &&
            !is(k, "maxcpus"))
            return not_implemented(q, "smp", arg, NULL);
        if (val && cli_parse_uint(val, UINT64_MAX, &v) == 0 && v > CLI_MAX_SMP)
            /* kvm-unit-tests reads the maximum from the last word. */
            return not_implemented(q, "smp", arg, "the max SMP CPUs is 254");
        if (!val || cli_parse_uint(val, CLI_MAX_SMP, &v) < 0 || v == 0)
            return refuse(q, "invalid -smp '", arg, "'");
        if (!p.val[i] || is(k, "cpus"))
            cpus = v;
        else if (!is(k, "maxcpus"))
            prod *= v;
    }
    if (!cpus)
        cpus = prod;
    if (cpus > CLI_MAX_SMP)
        return not_implemented(q, "smp", arg, "the max SMP CPUs is 254");
    char num[16];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)cpus);
    const char *k = keep(q, num);
    if (!k || push(q, "--smp") < 0 || push(q, k) < 0)
        return refuse(q, "too many options", "", "");
    return CLI_RUN;
}

/* -gdb DEV: tcp::PORT, tcp:HOST:PORT, unix:PATH[,server][,nowait], none */
static enum cli_action gdb_spec(struct qstate *q, const char *dev)
{
    char spec[512];
    const char *native;
    struct props p;

    if (is(dev, "none")) {
        q->gdb = NULL;
        return CLI_RUN;
    }
    bool tcp = strncmp(dev, "tcp:", 4) == 0;
    if (!tcp && strncmp(dev, "unix:", 5) != 0)
        return not_implemented(q, "gdb", dev,
                               "want tcp::PORT, tcp:HOST:PORT or unix:PATH");
    if (props_split(&p, dev) < 0 || p.val[0])
        return refuse(q, "invalid -gdb '", dev, "'");
    for (int i = 1; i < p.n; i++) {
        /* The stub is always the server and never holds the VM back. */
        int b = onoff(p.val[i]);
        if (!(is(p.key[i], "server") && b == 1) &&
            !(is(p.key[i], "nowait") && !p.val[i]) &&
            !(is(p.key[i], "wait") && b == 0))
            return not_implemented(q, "gdb", dev, p.key[i]);
    }
    /* QEMU's empty TCP host is every address; kvmstub's is loopback. */
    snprintf(spec, sizeof(spec), "%s%s",
             tcp && p.key[0][4] == ':' ? "127.0.0.1" : "",
             tcp ? p.key[0] + 4 : p.key[0]);
    native = keep(q, spec);
    if (!native)
        return refuse(q, "too many options", "", "");
    q->gdb = native;
    return CLI_RUN;
}

/* -drive file=F,format=raw[,if=ide|floppy][,readonly=on][,media=disk] */
static enum cli_action opt_drive(struct qstate *q, const char *arg)
{
    struct props p;
    const char *file = NULL, *iface = "ide";
    int ro = 0;

    if (props_split(&p, arg) < 0)
        return refuse(q, "invalid -drive '", arg, "'");
    for (int i = 0; i < p.n; i++) {
        const char *k = p.key[i], *v = p.val[i];
        if (is(k, "file") && v && *v)
            file = v;
        else if (is(k, "format") && !is(v, "raw"))
            return not_implemented(q, "drive", arg, "only format=raw");
        else if (is(k, "if") && (is(v, "ide") || is(v, "floppy")))
            iface = v;
        else if ((is(k, "readonly") && (ro = onoff(v)) >= 0) ||
                 (is(k, "media") && is(v, "disk")) ||
                 (is(k, "index") && is(v, "0")) || is(k, "format"))
            continue;
        else
            return not_implemented(q, "drive", arg, k);
    }
    if (!file)
        return refuse(q, "-drive '", arg, "' needs file=FILE");
    bool floppy = is(iface, "floppy");
    if (floppy ? q->fd != NULL : q->hd != NULL)
        return not_implemented(q, "drive", arg,
                               floppy ? "one floppy only" : "one disk only");
    char *f = keep(q, file); /* ",," unescaped */
    if (!f)
        return refuse(q, "too many options", "", "");
    if (floppy) {
        q->fd = f;
        q->fd_ro = ro == 1;
    } else {
        q->hd = f;
        q->hd_ro = ro == 1;
    }
    return CLI_RUN;
}

/* -device DRIVER[,PROP=VALUE...]: what the pc machine has built in. */
static enum cli_action opt_device(struct qstate *q, const char *arg)
{
    struct props p;

    if (is(arg, "help") || is(arg, "?"))
        return CLI_QEMU_DEVICES;
    if (props_split(&p, arg) < 0)
        return refuse(q, "invalid -device '", arg, "'");
    if (is(p.key[0], "pc-testdev") && p.n == 1)
        return CLI_RUN; /* ports 0xe0-0xe8, 0x2000; MMIO 0xff000000 */
    if (!is(p.key[0], "isa-debug-exit"))
        return not_implemented(q, "device", arg, NULL);
    /* QEMU's default is iobase=0x501,iosize=2; kvmstub's sits at 0xf4. */
    bool base = false, size = false;
    for (int i = 1; i < p.n; i++) {
        char *end;
        unsigned long v = p.val[i] ? strtoul(p.val[i], &end, 0) : 0;
        bool num = p.val[i] && *p.val[i] && !*end;
        if (is(p.key[i], "iobase") && num && v == 0xf4)
            base = true;
        else if (is(p.key[i], "iosize") && num && v == 4)
            size = true;
        else
            return not_implemented(q, "device", arg,
                                   "isa-debug-exit sits at iobase=0xf4,"
                                   "iosize=0x4 only");
    }
    if (!base || !size)
        return not_implemented(q, "device", arg,
                               "isa-debug-exit sits at iobase=0xf4,"
                               "iosize=0x4 only");
    return CLI_RUN;
}

/* -machine [type=]pc[,accel=kvm][,kernel-irqchip=on] */
static enum cli_action opt_machine(struct qstate *q, const char *opt,
                                   const char *arg)
{
    struct props p;

    if (is(arg, "help") || is(arg, "?"))
        return CLI_QEMU_MACHINES;
    if (props_split(&p, arg) < 0)
        return refuse(q, "invalid -", opt, "");
    for (int i = 0; i < p.n; i++) {
        const char *k = p.key[i], *v = p.val[i];
        if ((!v && i == 0 && is(k, "pc")) || (is(k, "type") && is(v, "pc")))
            continue;
        if (is(k, "accel") && v && strncmp(v, "kvm", 3) == 0 &&
            (v[3] == '\0' || v[3] == ':'))
            continue; /* "kvm:tcg": KVM first, and KVM is all there is */
        if (is(k, "kernel-irqchip") && onoff(v) == 1)
            continue; /* the in-kernel PICs, IOAPIC and PIT */
        return not_implemented(q, opt, arg,
                               is(k, "accel") ? "KVM is the only accelerator"
                               : (!v && i == 0) || is(k, "type")
                                   ? "the only machine is pc"
                                   : NULL);
    }
    return CLI_RUN;
}

/* -cpu (qemu_cpu.c): refused with the reason it gives. */
static enum cli_action opt_cpu(struct qstate *q, const char *arg)
{
    const char *why = NULL;

    if (qemu_cpu_parse(arg, q->o, &why) < 0)
        return not_implemented(q, "cpu", arg, why);
    return CLI_RUN;
}

/* Options with a value, and the ones without. */
static bool takes_value(const char *name)
{
    static const char *const with[] = {
        "kernel",
        "append",
        "initrd",
        "m",
        "smp",
        "gdb",
        "serial",
        "debugcon",
        "display",
        "device",
        "drive",
        "hda",
        "fda",
        "boot",
        "bios",
        "machine",
        "M",
        "cpu",
        "accel",
        "monitor",
        "vga",
        "global",
        "debug-mechanism",
    };
    for (size_t i = 0; i < sizeof(with) / sizeof(with[0]); i++)
        if (!strcmp(name, with[i]))
            return true;
    return false;
}

static enum cli_action one_option(struct qstate *q, const char *name,
                                  const char *arg)
{
    if (is(name, "kernel") || is(name, "append") || is(name, "initrd") ||
        is(name, "bios") || is(name, "debug-mechanism")) {
        char flag[32];
        snprintf(flag, sizeof(flag), "--%s", name);
        const char *f = keep(q, flag);
        if (!f || push(q, f) < 0 || push(q, arg) < 0)
            return refuse(q, "too many options", "", "");
        return CLI_RUN;
    }
    if (is(name, "m"))
        return opt_mem(q, arg);
    if (is(name, "smp"))
        return opt_smp(q, arg);
    if (is(name, "s"))
        return gdb_spec(q, QEMU_GDB_DEFAULT);
    if (is(name, "gdb"))
        return gdb_spec(q, arg);
    if (is(name, "S")) {
        q->stopped = true;
        return CLI_RUN;
    }
    if (is(name, "serial")) {
        if (q->serial)
            return not_implemented(q, name, arg, "one serial port (COM1) only");
        q->serial = true;
        if (!is(arg, "stdio") && !is(arg, "none") && strncmp(arg, "file:", 5))
            return not_implemented(q, name, arg,
                                   "only stdio, none or file:PATH");
        if (push(q, "--serial") < 0 || push(q, arg) < 0)
            return refuse(q, "too many options", "", "");
        return CLI_RUN;
    }
    if (is(name, "nodefaults"))
        q->nodefaults = true;
    if (is(name, "debugcon") && !is(arg, "stdio"))
        return not_implemented(q, name, arg, "only stdio");
    if ((is(name, "display") || is(name, "monitor") || is(name, "vga")) &&
        !is(arg, "none"))
        return not_implemented(q, name, arg, "only none");
    if (is(name, "debugcon") || is(name, "display") || is(name, "monitor") ||
        is(name, "vga") || is(name, "nographic") || is(name, "no-reboot") ||
        is(name, "nodefaults") || is(name, "enable-kvm"))
        return CLI_RUN; /* what kvmstub's pc machine is (see kvmstub(1)) */
    if (is(name, "accel"))
        return is(arg, "kvm") ? CLI_RUN
                              : not_implemented(q, name, arg,
                                                "KVM is the only accelerator");
    if (is(name, "device"))
        return opt_device(q, arg);
    if (is(name, "drive"))
        return opt_drive(q, arg);
    if (is(name, "hda") || is(name, "fda")) {
        char d[4200];
        /* QEMU: "-hda F" is "-drive file=F,index=0,media=disk". */
        snprintf(d, sizeof(d), "file=%s%s", arg,
                 is(name, "fda") ? ",if=floppy" : "");
        if (strchr(arg, ','))
            return not_implemented(q, name, arg, "a file name with a comma");
        return opt_drive(q, d);
    }
    if (is(name, "boot")) {
        struct props p;
        if (props_split(&p, arg) < 0)
            return refuse(q, "invalid -boot '", arg, "'");
        for (int i = 0; i < p.n; i++) {
            if ((!p.val[i] && i == 0) || is(p.key[i], "order") ||
                is(p.key[i], "once"))
                q->boot = keep(q, p.val[i] ? p.val[i] : p.key[i]);
            else if (!(is(p.key[i], "menu") && onoff(p.val[i]) == 0))
                return not_implemented(q, "boot", arg, p.key[i]);
        }
        return CLI_RUN;
    }
    if (is(name, "machine") || is(name, "M"))
        return opt_machine(q, name, arg);
    if (is(name, "cpu"))
        return opt_cpu(q, arg);
    if (is(name, "global")) {
        /* QEMU's lost_tick_policy: delay reinjects, discard drops. */
        if (is(arg, "kvm-pit.lost_tick_policy=discard") ||
            is(arg, "kvm-pit.lost_tick_policy=delay")) {
            bool drop = strstr(arg, "discard") != NULL;
            if (push(q, "--pit-lost-ticks") < 0 ||
                push(q, drop ? "discard" : "delay") < 0)
                return refuse(q, "too many options", "", "");
            return CLI_RUN;
        }
        return not_implemented(q, name, arg, NULL);
    }
    if (is(name, "verbose") || is(name, "v") || is(name, "screen")) {
        if (push(q, is(name, "screen") ? "--screen" : "--verbose") < 0)
            return refuse(q, "too many options", "", "");
        return CLI_RUN;
    }
    if (is(name, "h") || is(name, "help"))
        return CLI_HELP;
    if (is(name, "version"))
        return CLI_VERSION;
    return not_implemented(q, name, NULL, NULL);
}

/*
 * The boot disks in QEMU's order: the first of -boot's letters that names
 * a drive given (QEMU's default "cad": hard disk, then floppy). The
 * built-in BIOS tries the floppy first, so a hard disk first with a
 * floppy present cannot be honoured.
 */
static enum cli_action emit_disks(struct qstate *q)
{
    const char *order = q->boot ? q->boot : "cad";
    char *v;

    if (q->hd && q->fd) {
        const char *c = strchr(order, 'c'), *a = strchr(order, 'a');
        if (!a || (c && c < a))
            return refuse(q, "kvmstub does not implement ",
                          q->boot ? "this -boot order"
                                  : "QEMU's default boot order (hard disk "
                                    "first)",
                          " with a floppy and a hard disk: the built-in "
                          "BIOS boots the floppy first (give -boot a)");
    }
    for (int i = 0; i < 2; i++) {
        const char *file = i ? q->hd : q->fd;
        bool ro = i ? q->hd_ro : q->fd_ro;
        if (!file)
            continue;
        char buf[4200];
        snprintf(buf, sizeof(buf), "%s%s", file, ro ? ",readonly" : "");
        if (!(v = keep(q, buf)) || push(q, i ? "--drive" : "--floppy") < 0 ||
            push(q, v) < 0)
            return refuse(q, "too many options", "", "");
    }
    return CLI_RUN;
}

bool qemu_cli_is_qemu(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_native_takes_value(a)) {
            i++; /* "--mem -1" is a (bad) value, not an option */
            continue;
        }
        if (a[0] != '-' || a[1] == '-' ||
            !((a[1] >= 'a' && a[1] <= 'z') || (a[1] >= 'A' && a[1] <= 'Z')))
            continue;
        if (a[2] == '\0') {
            if (!strchr("mgvh", a[1]))
                return true; /* -s, -S, -M, -L, ...: not native */
            if (a[1] == 'm' || a[1] == 'g')
                i++; /* the value */
            continue;
        }
        /* -vh, -m64M, -g1234, -vgunix:/x are native clusters. */
        size_t k = strspn(a + 1, "vh");
        char c = a[1 + k];
        if (c == '\0')
            continue;
        if ((c == 'm' || c == 'g') &&
            !((a[2 + k] >= 'a' && a[2 + k] <= 'z') || a[2 + k] == '-'))
            continue;
        return true;
    }
    return false;
}

enum cli_action qemu_cli_parse(int argc, char **argv, struct cli_opts *o,
                               char *err, size_t errsz)
{
    struct qstate q = {.o = o, .err = err, .errsz = errsz};
    enum cli_action r;

    o->qemu.used = 0;
    o->qemu_spelling = true;
    if (push(&q, argv[0] ? argv[0] : "kvmstub") < 0 ||
        push(&q, "--machine") < 0 || push(&q, "pc") < 0)
        return refuse(&q, "too many options", "", "");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            /* QEMU: a bare argument is the first hard disk. */
            char d[4200];
            if (strchr(a, ','))
                return not_implemented(&q, "hda", a,
                                       "a file name with a comma");
            snprintf(d, sizeof(d), "file=%s", a);
            if ((r = opt_drive(&q, d)) != CLI_RUN)
                return r;
            continue;
        }
        const char *name = a + 1 + (a[1] == '-'); /* --opt is -opt */
        const char *arg = NULL;
        if (!*name)
            return not_implemented(&q, "", NULL, "QEMU has no '--'");
        if (takes_value(name)) {
            if (i + 1 >= argc)
                return refuse(&q, "option '", a, "' needs a value");
            arg = argv[++i];
        }
        if ((r = one_option(&q, name, arg)) != CLI_RUN)
            return r;
    }
    if (q.stopped && !q.gdb)
        return refuse(&q,
                      "-S without -s or -gdb: kvmstub has no monitor to "
                      "start the guest (add -s)",
                      "", "");
    if (q.gdb && (push(&q, "--gdb") < 0 || push(&q, q.gdb) < 0 ||
                  (!q.stopped && push(&q, "--gdb-nowait") < 0)))
        return refuse(&q, "too many options", "", "");
    /* QEMU's -nodefaults drops the default COM1 unless -serial says. */
    if (q.nodefaults && !q.serial &&
        (push(&q, "--serial") < 0 || push(&q, "none") < 0))
        return refuse(&q, "too many options", "", "");
    if ((r = emit_disks(&q)) != CLI_RUN)
        return r;
    return cli_parse_native(q.n, o->qemu.argv, o, err, errsz);
}

const char *qemu_cli_devices(void)
{
    return "Devices of kvmstub's pc machine (all built in; -device accepts "
           "the first two):\n"
           "name \"isa-debug-exit\", bus ISA, desc \"exit status (V << 1) | "
           "1; iobase=0xf4,iosize=0x4\"\n"
           "name \"pc-testdev\", bus ISA, desc \"QEMU's PC test device\"\n"
           "name \"isa-debugcon\", bus ISA, desc \"port 0xe9 to stdout "
           "(-debugcon stdio)\"\n"
           "name \"isa-serial\", bus ISA, desc \"16550A at 0x3f8, IRQ 4 "
           "(-serial stdio)\"\n"
           "name \"i440FX-pcihost\", bus System, desc \"the PCI host bridge "
           "(00:00.0)\"\n"
           "name \"fw_cfg_io\", bus System, desc \"fw_cfg at 0x510\"\n";
}

const char *qemu_cli_machines(void)
{
    return "Supported machines are:\n"
           "pc                   the PC as kvmstub models it (i440FX host "
           "bridge, one\n"
           "                     vCPU, in-kernel irqchip and PIT) "
           "(default)\n";
}
