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
#define CLI_MAX_SMP 254

enum cli_action {
    CLI_RUN,
    CLI_HELP,
    CLI_VERSION,
    CLI_HOST_INFO,
    CLI_USAGE_ERROR,
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
};

/*
 * Parse argv. Returns the action; on CLI_USAGE_ERROR, err holds a message
 * (no "vmm: " prefix, no newline).
 */
enum cli_action cli_parse(int argc, char **argv, struct cli_opts *o, char *err,
                          size_t errsz);

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

/* The usage text. */
const char *cli_usage(void);

#endif
