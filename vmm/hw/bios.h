#ifndef VMM_HW_BIOS_H
#define VMM_HW_BIOS_H

/*
 * The VMM side of kvmstub's BIOS (the 16-bit code is built into the VMM
 * as bios_image). The BIOS stubs for int 10h, 13h, 15h, 16h, 18h, 19h
 * and POST hand the VMM a call frame through one I/O port:
 *
 *   port BIOS_PORT (0x500), 32-bit OUT: the linear address of a call
 *   frame on the guest's stack (service word, PUSHAD registers, ES, DS,
 *   then the interrupt's IP, CS, FLAGS). The VMM runs the service on the
 *   frame's registers and writes them back, FLAGS (CF, ZF) included, and
 *   sets the service word to 0; a service that has to wait (int 16h
 *   00h with no key) leaves it set and the stub retries after the next
 *   interrupt. 32-bit IN: BIOS_SIGNATURE. Other sizes, string I/O, a
 *   frame outside RAM and unknown services are ignored, so a guest that
 *   pokes the port only gets what calling the BIOS would give it.
 *
 * The time of day (int 08h, 1Ah), int 11h and 12h never leave the guest.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BIOS_PORT      0x500
#define BIOS_PORT_LEN  4
#define BIOS_SIGNATURE 0x424d564bu /* "KVMB" */
#define BIOS_GPA       0xf0000u    /* the image: segment F000 */
#define BIOS_SIZE      0x10000u
#define BIOS_RESET_IP  0xfff0u /* F000:FFF0, the reset vector */
#define BIOS_SVC_POST  0x100u

extern const uint8_t bios_image[];
extern const uint8_t bios_image_end[];

struct mem;
struct memmap;
struct pio_console;
struct power;
struct disk;

/* Fields private but for the ones main.c reads. One thread uses it. */
struct bios {
    struct mem *mem;
    const struct memmap *map;
    struct pio_console *con;
    struct power *power;
    struct disk *disks[2]; /* boot order: floppy, hard disk; NULL: absent */
    int kbd_fd;            /* not owned, non-blocking; -1: no keys */
    bool kbd_eof;
    bool escape;      /* Ctrl-A x quits, Ctrl-A Ctrl-A is Ctrl-A */
    bool escape_seen; /* the last byte was Ctrl-A */
    bool quit_key;    /* Ctrl-A x ended the VMM (main.c reads) */
    bool no_boot;     /* int 18h ran: no bootable device (main.c reads) */
    uint64_t calls;   /* services run */
};

/* Set b up; no disks, no keys. The pointers are kept, not owned. */
void bios_init(struct bios *b, struct mem *mem, const struct memmap *map,
               struct pio_console *con, struct power *power);

/* The drives int 13h serves (not owned; NULL: none). */
void bios_set_disks(struct bios *b, struct disk *floppy, struct disk *hd);

/* Keys for int 16h come from fd (non-blocking, not owned; -1: none). */
void bios_set_input(struct bios *b, int fd);

/*
 * Watch the keys for the escape Ctrl-A x (a terminal in raw mode): it ends
 * the VMM with status 0 (a POWER_EXIT request); Ctrl-A Ctrl-A gives the
 * guest one Ctrl-A, Ctrl-A and any other key gives that key.
 */
void bios_set_escape(struct bios *b, bool on);

/* Copy the built-in image to BIOS_GPA. Returns 0 or -EFAULT. */
int bios_install(struct mem *mem);

/* pio_handler for BIOS_PORT (ctx: the bios). Returns 0 or the console's
 * -errno (see pio_console_write). */
int bios_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
            uint32_t count, uint8_t *data);

/*
 * Translate one byte of input to the BIOS key code (scan code << 8 |
 * ASCII, US layout, IBM PC/AT scan code set 1): '\n' and '\r' are Enter
 * (1C0Dh), DEL and BS are Backspace (0E08h), control letters keep their
 * letter's scan code. Returns 0 for bytes no key makes.
 */
uint16_t bios_key_code(uint8_t ch);

#endif
