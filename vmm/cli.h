#ifndef VMM_CLI_H
#define VMM_CLI_H

/* Command-line options. Parsing prints nothing: main.c does. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_DEFAULT_MEM       (1u << 20)    /* bare machine */
#define CLI_DEFAULT_MEM_PC    (128u << 20)  /* pc machine, as QEMU's */
#define CLI_MAX_MEM           (64ull << 30) /* beyond this is surely a typo */
#define CLI_DEFAULT_HLT_SLEEP 1000
#define CLI_MAX_HLT_SLEEP     3600000 /* one hour, in ms */
/* vCPUs: xAPIC IDs 0..253 (0xff broadcasts; the IOAPIC takes the next). */
#define CLI_MAX_SMP       254
#define CLI_QEMU_ARGV_MAX 512
#define CLI_QEMU_STR_MAX  8192
#define CLI_CPU_FEAT_MAX  16

enum cli_action {
    CLI_RUN,
    CLI_HELP,
    CLI_VERSION,
    CLI_HOST_INFO,
    CLI_USAGE_ERROR,
    CLI_QEMU_DEVICES,  /* QEMU's -device help: list the devices */
    CLI_QEMU_MACHINES, /* QEMU's -machine help: list the machines */
};

enum cli_mechanism {
    CLI_MECH_AUTO,
    CLI_MECH_INT3,
    CLI_MECH_DR,
    CLI_MECH_STEP,
};

enum cli_machine {
    CLI_MACHINE_BARE, /* flat image, port 0xf1, HLT pauses (the default) */
    CLI_MACHINE_PC,   /* PC platform: irqchip, PIT, devices (--kernel) */
};

struct cli_opts {
    enum cli_machine machine;
    uint64_t mem_size; /* bytes, not yet rounded to pages */
    uint32_t hlt_sleep_ms;
    uint64_t max_halts; /* 0 = no limit */
    const char *gdb;    /* [HOST:]PORT or unix:PATH, NULL if none */
    enum cli_mechanism mechanism;
    bool verbose;
    const char *image;  /* flat image, NULL when kernel is given */
    const char *kernel; /* --kernel: a Multiboot kernel (pc only) */
    const char *append; /* --append: its command line, NULL if none */
    const char *initrd; /* --initrd: "FILE ARGS,FILE ARGS" modules */
    unsigned smp;       /* --smp: vCPUs, 1..CLI_MAX_SMP (more: pc only) */
    /* Boot disks and firmware (pc only; cli_boot.c) */
    const char *drive;  /* --drive FILE[,readonly]: hard disk 80h */
    const char *floppy; /* --floppy FILE[,readonly]: floppy 00h */
    bool drive_ro, floppy_ro;
    const char *bios; /* --bios FILE: firmware at the reset vector */
    bool load_set;    /* --load ADDR: where IMAGE goes (default 0) */
    uint64_t load_addr;
    bool entry_set; /* --entry SEG:OFF: the first CS:IP */
    uint16_t entry_cs, entry_ip;
    bool screen; /* --screen: print the text screen at exit */
    char drive_buf[4096], floppy_buf[4096]; /* FILE without ",readonly" */
    bool gdb_nowait;  /* --gdb-nowait: the guest runs before gdb attaches */
    bool pit_discard; /* --pit-lost-ticks discard: no PIT reinjection */
    const char *serial_file; /* --serial file:PATH: COM1's output there */
    bool serial_none;        /* --serial none: no COM1 */
    bool qemu_spelling;      /* argv was in QEMU's spelling (qemu_cli.c) */
    /*
     * QEMU's -cpu host|max,+FEAT,-FEAT: kvmstub does not edit CPUID, so
     * each is a claim about the host's KVM CPUID, checked before the VM
     * is built (qemu_cli_check_cpu).
     */
    const char *cpu_arg; /* the -cpu value, for messages */
    unsigned ncpu_feat;
    struct cli_cpu_feat {
        const char *name;
        uint32_t leaf, index;
        uint8_t reg; /* 0 EAX, 1 EBX, 2 ECX, 3 EDX */
        uint8_t bit;
        bool on; /* + (the guest has it) or - (it has not) */
    } cpu_feat[CLI_CPU_FEAT_MAX];
    /*
     * QEMU's spelling (qemu_cli.c) is translated into native arguments
     * kept here, so that the pointers above may point into them.
     */
    struct cli_qemu_store {
        char *argv[CLI_QEMU_ARGV_MAX];
        char str[CLI_QEMU_STR_MAX];
        size_t used; /* bytes of str taken */
    } qemu;
    uint64_t record;     /* --record: history budget in bytes; 0 = off */
    const char *restore; /* --restore: a snapshot file, NULL if none */
    bool smp_set;        /* --smp was given (--restore: must match the file) */
};

/*
 * Parse argv, in the native spelling or, when argv uses QEMU's options
 * (qemu_cli_is_qemu), in QEMU's. Returns the action; on CLI_USAGE_ERROR,
 * err holds a message (no "vmm: " prefix, no newline).
 */
enum cli_action cli_parse(int argc, char **argv, struct cli_opts *o, char *err,
                          size_t errsz);

/*
 * The native parser alone, on an o that cli_parse has set to the
 * defaults (qemu_cli.c calls it with the arguments it translated).
 * argv[0] is skipped. Same returns as cli_parse.
 */
enum cli_action cli_parse_native(int argc, char **argv, struct cli_opts *o,
                                 char *err, size_t errsz);

/* "64K", "1M", "2G", "4096": bytes. Returns 0 or -EINVAL/-ERANGE. */
int cli_parse_size(const char *s, uint64_t *out);

/* A decimal number in [0, max]. Returns 0 or -EINVAL/-ERANGE. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/*
 * Check a --gdb value: "PORT", "HOST:PORT", "[V6ADDR]:PORT" or "unix:PATH".
 * Splits it into host (default 127.0.0.1; NULL for unix) and port/path.
 * Returns 0 or -EINVAL. host and port point into buf (size >= strlen+1).
 */
int cli_parse_gdb(const char *spec, char *buf, size_t bufsz, const char **host,
                  const char **port, bool *is_unix);

/*
 * The boot options (--drive, --floppy, --bios, --load, --entry,
 * --screen): returns 1 if opt was one and arg is good, 0 if opt is not
 * one of them, -EINVAL with err set on a bad value.
 */
int cli_parse_boot(int opt, const char *arg, struct cli_opts *o, char *err,
                   size_t errsz);

/*
 * Check the boot options against the rest once all are parsed (they
 * select the pc machine unless --machine said otherwise). Returns 0 or
 * -EINVAL with err set.
 */
int cli_check_boot(struct cli_opts *o, bool machine_set, char *err,
                   size_t errsz);

/* getopt_long codes of the boot options, and their usage lines. */
enum {
    CLI_OPT_DRIVE = 512,
    CLI_OPT_FLOPPY,
    CLI_OPT_BIOS,
    CLI_OPT_LOAD,
    CLI_OPT_ENTRY,
    CLI_OPT_SCREEN,
};
#define CLI_BOOT_USAGE                                                         \
    "      --drive FILE[,readonly]\n"                                          \
    "                         boot a raw hard disk image (BIOS drive 80h,\n"   \
    "                         sector 0 must end in 55 AA) with the built-in\n" \
    "                         BIOS; readonly refuses writes\n"                 \
    "      --floppy FILE[,readonly]\n"                                         \
    "                         a raw floppy image as drive 00h (1.44M, or\n"    \
    "                         160K-2.88M by size), booted before --drive\n"    \
    "      --bios FILE        run firmware FILE instead (mapped to end at "    \
    "4G,\n"                                                                    \
    "                         its last 128K at 0xE0000) from the reset\n"      \
    "                         vector F000:FFF0\n"                              \
    "      --load ADDR        load IMAGE at guest physical ADDR (default 0)\n" \
    "      --entry SEG:OFF    start IMAGE at CS:IP SEG:OFF (hex; default\n"    \
    "                         ADDR/16:ADDR%16)\n"                              \
    "      --screen           print the 80x25 text screen (0xB8000) on\n"      \
    "                         stderr when the VMM ends (pc only)\n"

/*
 * Whether arg is a native long option ("--mem") whose value is the next
 * argument (not "--mem=1M").
 */
bool cli_native_takes_value(const char *arg);

/* The usage text. */
const char *cli_usage(void);

#endif
