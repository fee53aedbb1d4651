#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/memmap.h"
#include "qemu_cli.h"

enum {
    OPT_HLT_SLEEP = 256,
    OPT_MAX_HALTS,
    OPT_VERSION,
    OPT_HOST_INFO,
    OPT_MECHANISM,
    OPT_MACHINE,
    OPT_KERNEL,
    OPT_APPEND,
    OPT_INITRD,
    OPT_SMP,
    OPT_GDB_NOWAIT,
    OPT_PIT_LOST_TICKS,
    OPT_SERIAL,
    OPT_RECORD,
    OPT_RESTORE,
};

#define CLI_RECORD_DEFAULT (256ull << 20) /* REC_DEFAULT_BUDGET */
#define CLI_RECORD_MIN     (1ull << 20)

static const struct option long_opts[] = {
    {"mem", required_argument, NULL, 'm'},
    {"hlt-sleep", required_argument, NULL, OPT_HLT_SLEEP},
    {"max-halts", required_argument, NULL, OPT_MAX_HALTS},
    {"gdb", required_argument, NULL, 'g'},
    {"debug-mechanism", required_argument, NULL, OPT_MECHANISM},
    {"host-info", no_argument, NULL, OPT_HOST_INFO},
    {"machine", required_argument, NULL, OPT_MACHINE},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"append", required_argument, NULL, OPT_APPEND},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"smp", required_argument, NULL, OPT_SMP},
    {"drive", required_argument, NULL, CLI_OPT_DRIVE},
    {"floppy", required_argument, NULL, CLI_OPT_FLOPPY},
    {"bios", required_argument, NULL, CLI_OPT_BIOS},
    {"load", required_argument, NULL, CLI_OPT_LOAD},
    {"entry", required_argument, NULL, CLI_OPT_ENTRY},
    {"screen", no_argument, NULL, CLI_OPT_SCREEN},
    {"gdb-nowait", no_argument, NULL, OPT_GDB_NOWAIT},
    {"pit-lost-ticks", required_argument, NULL, OPT_PIT_LOST_TICKS},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"record", optional_argument, NULL, OPT_RECORD},
    {"restore", required_argument, NULL, OPT_RESTORE},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

bool cli_native_takes_value(const char *arg)
{
    if (strncmp(arg, "--", 2) || strchr(arg, '='))
        return false;
    for (const struct option *l = long_opts; l->name; l++)
        if (!strcmp(arg + 2, l->name))
            return l->has_arg == required_argument;
    return false;
}

const char *cli_usage(void)
{
    /* Grouped as the man page is; no line wider than 80 columns. */
    return "Usage: kvmstub [OPTIONS] IMAGE\n"
           "       kvmstub [OPTIONS] --kernel FILE [--append STRING] "
           "[--initrd MODULES]\n"
           "       kvmstub [OPTIONS] --drive FILE | --floppy FILE | --bios "
           "FILE\n"
           "       kvmstub QEMU-OPTIONS      (qemu-system-x86_64's spelling, "
           "below)\n"
           "Run a guest under KVM, debuggable with stock gdb from its first\n"
           "instruction: a flat 16-bit real-mode IMAGE (loaded at guest "
           "physical 0,\n"
           "started at CS:IP 0:0), a Multiboot kernel, a boot disk or "
           "firmware.\n"
           "\n"
           "Machine:\n"
           "      --machine bare|pc  bare: RAM, port 0xf1, 0xf4 and HLT "
           "pauses\n"
           "                         (default for IMAGE); pc: the PC "
           "platform\n"
           "                         with interrupt controllers, PIT, UART "
           "and\n"
           "                         the other devices (default otherwise)\n"
           "      --smp N            N vCPUs (pc only; default 1): vCPU 0 "
           "boots,\n"
           "                         the others wait for INIT/SIPI\n"
           "  -m, --mem SIZE         guest RAM, K/M/G suffixes (default 1M; "
           "128M\n"
           "                         on pc)\n"
           "      --pit-lost-ticks delay|discard\n"
           "                         PIT ticks the guest missed: delivered "
           "late\n"
           "                         (default) or dropped (pc only)\n"
           "      --hlt-sleep MS     pause after each guest HLT (default "
           "1000; 0 =\n"
           "                         none; bare only)\n"
           "      --max-halts N      exit 0 at the N-th HLT (default 0 = "
           "never;\n"
           "                         bare only)\n"
           "\n"
           "Boot:\n"
           "      --kernel FILE      boot a Multiboot kernel (pc only)\n"
           "      --append STRING    the kernel's command line\n"
           "      --initrd \"FILE ARGS,FILE ARGS\"\n"
           "                         Multiboot modules, each with its "
           "string\n" CLI_BOOT_USAGE "\n"
           "Console:\n"
           "  Guest bytes written to ports 0xf1 and 0xe9 (pc) and to COM1 "
           "(pc) go\n"
           "  to stdout; stdin feeds COM1 (or the BIOS keyboard).\n"
           "      --serial stdio|none|file:PATH\n"
           "                         COM1 on stdout (default), absent, or "
           "its\n"
           "                         output written to PATH (pc only)\n"
           "\n"
           "Debugging:\n"
           "  -g, --gdb [HOST:]PORT  wait for gdb on TCP HOST:PORT (HOST "
           "defaults\n"
           "                         to 127.0.0.1), stopped before the "
           "first\n"
           "                         instruction; or unix:PATH for a Unix "
           "socket\n"
           "      --gdb-nowait       with --gdb: run the guest at once; gdb "
           "may\n"
           "                         attach (and detach) at any time\n"
           "      --debug-mechanism auto|int3|dr|step\n"
           "                         how breakpoints are implemented "
           "(default auto)\n"
           "      --record[=SIZE]    record mode for reverse execution "
           "in gdb\n"
           "                         (with --gdb; on the pc machine its "
           "timers run on\n"
           "                         virtual time): SIZE of history\n"
           "                         kept (default 256M)\n"
           "      --restore FILE     start from a snapshot file "
           "(monitor\n"
           "                         savevm-file), no IMAGE; its vCPUs "
           "(--smp,\n"
           "                         if given, must match)\n"
           "      --host-info        print what this host's KVM supports "
           "and exit\n"
           "  -v, --verbose          trace VM exits on stderr\n"
           "\n"
           "QEMU spellings (same meaning as in qemu-system-x86_64; see "
           "kvmstub(1)):\n"
           "  -kernel -append -initrd -m SIZE -smp 1 -s -S -gdb DEV -bios "
           "-boot\n"
           "  -drive file=F,format=raw[,if=ide|floppy][,readonly=on] -hda "
           "-fda\n"
           "  -serial stdio|none|file:PATH -debugcon stdio -nographic "
           "-display none\n"
           "  -vga none -monitor none -no-reboot -nodefaults -enable-kvm "
           "-accel kvm\n"
           "  -machine pc,accel=kvm -cpu host|max[,+FLAG,-FLAG] -device "
           "pc-testdev\n"
           "  -device isa-debug-exit,iobase=0xf4,iosize=0x4\n"
           "  -global kvm-pit.lost_tick_policy=discard\n"
           "  -device help, -machine help; any other QEMU option is refused "
           "(exit 2)\n"
           "\n"
           "  -h, --help             show this help and exit\n"
           "      --version          show the version and exit\n"
           "\n"
           "Exit status: 0 normal end (halt limit, SIGINT/SIGTERM, gdb "
           "kill,\n"
           "stdout closed, guest reset or power-off), 1 runtime failure (no\n"
           "usable KVM, guest crash), 2 usage or configuration error; a "
           "guest\n"
           "write of V to port 0xf4 (isa-debug-exit) ends with (V << 1) | "
           "1.\n";
}

int cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;

    if (!s || !*s || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end)
        return -EINVAL;
    if (errno == ERANGE || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned shift = 0;

    if (!s || !*s || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -ERANGE;
    if (*end) {
        switch (*end) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        default:
            return -EINVAL;
        }
        if (end[1] && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B"))
            return -EINVAL;
    }
    if (v > (UINT64_MAX >> shift))
        return -ERANGE;
    *out = (uint64_t)v << shift;
    return 0;
}

int cli_parse_gdb(const char *spec, char *buf, size_t bufsz, const char **host,
                  const char **port, bool *is_unix)
{
    size_t n = strlen(spec);
    uint64_t num;

    if (n + 1 > bufsz || n == 0)
        return -EINVAL;
    memcpy(buf, spec, n + 1);
    *is_unix = false;
    if (strncmp(buf, "unix:", 5) == 0) {
        if (!buf[5])
            return -EINVAL;
        *is_unix = true;
        *host = NULL;
        *port = buf + 5;
        return 0;
    }
    char *colon = strrchr(buf, ':');
    if (!colon) {
        *host = "127.0.0.1";
        *port = buf;
    } else {
        *colon = '\0';
        *host = buf;
        *port = colon + 1;
        if (buf[0] == '[') { /* [v6addr]:port */
            size_t hl = strlen(buf);
            if (hl < 3 || buf[hl - 1] != ']')
                return -EINVAL;
            buf[hl - 1] = '\0';
            *host = buf + 1;
        }
        if (!**host)
            return -EINVAL;
    }
    if (cli_parse_uint(*port, 65535, &num) < 0 || num == 0)
        return -EINVAL;
    return 0;
}

/* err = a + b + c */
static enum cli_action usage_error(char *err, size_t errsz, const char *a,
                                   const char *b, const char *c)
{
    snprintf(err, errsz, "%s%s%s", a, b, c);
    return CLI_USAGE_ERROR;
}

enum cli_action cli_parse(int argc, char **argv, struct cli_opts *o, char *err,
                          size_t errsz)
{
    *o = (struct cli_opts){
        .mem_size = CLI_DEFAULT_MEM,
        .hlt_sleep_ms = CLI_DEFAULT_HLT_SLEEP,
        .smp = 1,
    };
    err[0] = '\0';
    if (qemu_cli_is_qemu(argc, argv))
        return qemu_cli_parse(argc, argv, o, err, errsz);
    return cli_parse_native(argc, argv, o, err, errsz);
}

enum cli_action cli_parse_native(int argc, char **argv, struct cli_opts *o,
                                 char *err, size_t errsz)
{
    enum cli_action action = CLI_RUN;
    char gdbbuf[512];
    const char *h, *p;
    bool is_unix;
    uint64_t v;
    int c;

    bool mem_set = false, machine_set = false, hlt_set = false;
    bool pit_set = false, serial_set = false;

    optind = 0; /* full reset of getopt state (glibc), for repeated calls */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:g:vh", long_opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (cli_parse_size(optarg, &v) < 0 || v < 4096 || v > CLI_MAX_MEM)
                return usage_error(err, errsz, "invalid --mem '", optarg,
                                   "': want 4K..64G, e.g. 1M");
            o->mem_size = v;
            mem_set = true;
            break;
        case OPT_HLT_SLEEP:
            if (cli_parse_uint(optarg, CLI_MAX_HLT_SLEEP, &v) < 0)
                return usage_error(err, errsz, "invalid --hlt-sleep '", optarg,
                                   "': want milliseconds 0..3600000");
            o->hlt_sleep_ms = (uint32_t)v;
            hlt_set = true;
            break;
        case OPT_MAX_HALTS:
            if (cli_parse_uint(optarg, UINT64_MAX, &v) < 0)
                return usage_error(err, errsz, "invalid --max-halts '", optarg,
                                   "': want a count");
            o->max_halts = v;
            hlt_set = true;
            break;
        case 'g':
            if (cli_parse_gdb(optarg, gdbbuf, sizeof(gdbbuf), &h, &p,
                              &is_unix) < 0)
                return usage_error(err, errsz, "invalid --gdb '", optarg,
                                   "': want [HOST:]PORT (port 1-65535) or "
                                   "unix:PATH");
            o->gdb = optarg;
            break;
        case OPT_MECHANISM:
            if (!strcmp(optarg, "auto"))
                o->mechanism = CLI_MECH_AUTO;
            else if (!strcmp(optarg, "int3"))
                o->mechanism = CLI_MECH_INT3;
            else if (!strcmp(optarg, "dr"))
                o->mechanism = CLI_MECH_DR;
            else if (!strcmp(optarg, "step"))
                o->mechanism = CLI_MECH_STEP;
            else
                return usage_error(err, errsz, "invalid --debug-mechanism '",
                                   optarg, "': want auto, int3, dr or step");
            break;
        case OPT_MACHINE:
            if (!strcmp(optarg, "bare"))
                o->machine = CLI_MACHINE_BARE;
            else if (!strcmp(optarg, "pc"))
                o->machine = CLI_MACHINE_PC;
            else
                return usage_error(err, errsz, "invalid --machine '", optarg,
                                   "': want bare or pc");
            machine_set = true;
            break;
        case OPT_KERNEL:
            if (!*optarg)
                return usage_error(err, errsz, "--kernel needs a file", "", "");
            o->kernel = optarg;
            break;
        case OPT_APPEND:
            o->append = optarg;
            break;
        case OPT_INITRD:
            if (!*optarg)
                return usage_error(err, errsz, "--initrd needs a file", "", "");
            o->initrd = optarg;
            break;
        case OPT_RECORD:
            o->record = CLI_RECORD_DEFAULT;
            if (optarg && (cli_parse_size(optarg, &v) < 0 ||
                           v < CLI_RECORD_MIN || v > CLI_MAX_MEM))
                return usage_error(err, errsz, "invalid --record '", optarg,
                                   "': want a history size 1M..64G");
            if (optarg)
                o->record = v;
            break;
        case OPT_RESTORE:
            if (!*optarg)
                return usage_error(err, errsz, "--restore needs a file", "",
                                   "");
            o->restore = optarg;
            break;
        case OPT_SMP:
            if (cli_parse_uint(optarg, CLI_MAX_SMP, &v) < 0 || v == 0)
                return usage_error(err, errsz, "invalid --smp '", optarg,
                                   "': want a vCPU count 1..254");
            o->smp = (unsigned)v;
            o->smp_set = true;
            break;
        case OPT_HOST_INFO:
            action = CLI_HOST_INFO;
            break;
        case OPT_GDB_NOWAIT:
            o->gdb_nowait = true;
            break;
        case OPT_PIT_LOST_TICKS:
            if (!strcmp(optarg, "discard") || !strcmp(optarg, "delay"))
                o->pit_discard = !strcmp(optarg, "discard");
            else
                return usage_error(err, errsz, "invalid --pit-lost-ticks '",
                                   optarg, "': want delay or discard");
            pit_set = true;
            break;
        case OPT_SERIAL:
            o->serial_none = !strcmp(optarg, "none");
            o->serial_file = NULL;
            if (!strncmp(optarg, "file:", 5) && optarg[5])
                o->serial_file = optarg + 5;
            else if (strcmp(optarg, "stdio") && !o->serial_none)
                return usage_error(err, errsz, "invalid --serial '", optarg,
                                   "': want stdio, none or file:PATH");
            serial_set = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        case 'h':
            return CLI_HELP;
        case OPT_VERSION:
            return CLI_VERSION;
        case ':':
            return usage_error(err, errsz, "option '", argv[optind - 1],
                               "' needs a value");
        default: {
            int b = cli_parse_boot(c, optarg, o, err, errsz);
            if (b < 0)
                return CLI_USAGE_ERROR;
            if (b > 0)
                break;
            return usage_error(err, errsz, "unknown option '", argv[optind - 1],
                               "'");
        }
        }
    }
    if (action == CLI_HOST_INFO) {
        if (optind != argc)
            return usage_error(err, errsz, "--host-info takes no image", "",
                               "");
        return action;
    }
    if (!machine_set && o->kernel)
        o->machine = CLI_MACHINE_PC;
    if (cli_check_boot(o, machine_set, err, errsz) < 0)
        return CLI_USAGE_ERROR;
    if (o->machine == CLI_MACHINE_BARE && o->kernel)
        return usage_error(
            err, errsz, "--kernel needs the pc machine (--machine pc)", "", "");
    if (!o->kernel && (o->append || o->initrd))
        return usage_error(err, errsz, o->append ? "--append" : "--initrd",
                           " needs --kernel", "");
    if (o->machine == CLI_MACHINE_BARE && o->smp > 1 && !o->restore)
        return usage_error(err, errsz,
                           "--smp needs the pc machine (--machine pc): the "
                           "bare machine has no local APICs to start the "
                           "other vCPUs",
                           "", "");
    if (o->machine == CLI_MACHINE_PC) {
        if (hlt_set)
            return usage_error(err, errsz,
                               "--hlt-sleep and --max-halts are for the bare "
                               "machine only (the pc machine's HLT waits for "
                               "an interrupt)",
                               "", "");
        if (!mem_set)
            o->mem_size = CLI_DEFAULT_MEM_PC;
        else if (o->mem_size < MEMMAP_PC_MIN_RAM)
            return usage_error(
                err, errsz, "--mem: the pc machine needs at least 2M", "", "");
    }
    if (o->mechanism != CLI_MECH_AUTO && !o->gdb)
        return usage_error(err, errsz, "--debug-mechanism needs --gdb", "", "");
    if (o->gdb_nowait && !o->gdb)
        return usage_error(err, errsz, "--gdb-nowait needs --gdb", "", "");
    if (serial_set && o->machine != CLI_MACHINE_PC)
        return usage_error(err, errsz,
                           "--serial needs the pc machine (the bare machine "
                           "has no serial port)",
                           "", "");
    if (pit_set && o->machine != CLI_MACHINE_PC)
        return usage_error(err, errsz,
                           "--pit-lost-ticks needs the pc machine (the bare "
                           "machine has no PIT)",
                           "", "");
    if (o->record && !o->gdb)
        return usage_error(err, errsz, "--record needs --gdb", "", "");
    if (o->record && o->smp > 1)
        return usage_error(err, errsz,
                           "--record knows one vCPU: not with --smp (an exact "
                           "replay of several would need one fixed "
                           "interleaving of their instructions)",
                           "", "");
    if (o->record && (o->kernel || o->drive || o->floppy || o->bios))
        return usage_error(err, errsz,
                           "--record on the pc machine runs an IMAGE: the "
                           "BIOS's disks and keyboard are host inputs it "
                           "does not record (not with --kernel, --drive, "
                           "--floppy or --bios)",
                           "", "");
    if (o->record && pit_set)
        return usage_error(err, errsz,
                           "--pit-lost-ticks is for KVM's PIT; record mode "
                           "has its own on virtual time",
                           "", "");
    if (o->record && o->mechanism != CLI_MECH_AUTO &&
        o->mechanism != CLI_MECH_STEP)
        return usage_error(err, errsz,
                           "--record steps every instruction: it uses "
                           "--debug-mechanism step",
                           "", "");
    if (o->restore) {
        if (o->kernel || o->drive || o->floppy || o->bios || machine_set ||
            mem_set || optind != argc)
            return usage_error(err, errsz,
                               "--restore takes the machine, RAM and image "
                               "from the snapshot: no IMAGE, --kernel, "
                               "--drive, --floppy, --bios, --machine or --mem",
                               "", "");
        return CLI_RUN;
    }
    if (o->kernel || o->drive || o->floppy || o->bios) {
        if (optind != argc)
            return usage_error(err, errsz, "unexpected argument '",
                               argv[optind],
                               "': give --kernel, --drive, --floppy, --bios or "
                               "IMAGE, not two of them");
        return CLI_RUN;
    }
    if (optind == argc)
        return usage_error(err, errsz, "missing IMAGE argument", "", "");
    if (optind + 1 != argc)
        return usage_error(err, errsz, "unexpected argument '",
                           argv[optind + 1], "'");
    o->image = argv[optind];
    return CLI_RUN;
}
