#ifndef VMM_HW_RESET_H
#define VMM_HW_RESET_H

/*
 * The two legacy ways a PC guest resets itself, and the A20 gate bits
 * that live next to them.
 *
 * Port 0x92, System Control Port A (IBM PS/2, every PC chipset since):
 *   bit 0  fast reset: writing it 0 -> 1 requests POWER_RESET (it reads
 *          back as written, and 0 again after reset_reset)
 *   bit 1  A20 gate: stored and read back (starts at 1)
 *   others stored and read back, no effect
 *
 * The 8042 keyboard controller's minimum, ports 0x60 (data) and 0x64
 * (status on read, command on write). There is no keyboard or mouse
 * behind it and no IRQ 1/12; its output buffer is only ever filled by a
 * command's reply, which a guest polls for with the status register.
 *   status (0x64 read): bit 0 output buffer full (a reply waiting), bit 1
 *          input buffer full (always 0: commands complete at once), bit 2
 *          system flag (1, as after POST; the command byte's bit 2), bit
 *          3 last write was a command, bit 4 keyboard not inhibited (1)
 *   0x60 read: the reply (clears bit 0), or the last byte again, 0 at
 *          first
 *   commands: 0x20 read the command byte; 0x60 + data write it; 0xa7 /
 *          0xa8 disable / enable the mouse port and 0xad / 0xae the
 *          keyboard port (command byte bits 5 / 4); 0xaa self test,
 *          replies 0x55; 0xd0 read the output port; 0xd1 + data write it
 *          (bit 0 clear requests POWER_RESET, bit 1 is A20); 0xf0-0xff
 *          pulse output lines, those with bit 0 clear (0xfe, the usual
 *          one) pulse the reset line: POWER_RESET. Other commands, and
 *          data bytes for the keyboard, are ignored.
 * Power-on: command byte 0x45 (translation, system flag, keyboard
 * interrupt: what a BIOS leaves), output port 0x03.
 *
 * A20: KVM has no A20 gate, the address line is always enabled. Both A20
 * bits are stored so guests read back what they wrote, but clearing them
 * does not wrap memory at 1 MiB.
 *
 * Requests go through power_request (the first wins until the run loop
 * takes it); the run loop resets the machine after the exit. A wider
 * access gives its first byte to the port addressed and ignores the rest
 * (reads give 0xff), since 0x61 and 0x93 belong to others. Not
 * thread-safe: one thread calls all functions.
 */

#include <stdbool.h>
#include <stdint.h>

#define RESET_PORT_92  0x92
#define RESET_KBC_DATA 0x60
#define RESET_KBC_CMD  0x64

struct power;

/* A snapshot's worth: plain values, no pointers. Fields are private. */
struct reset_state {
    uint8_t port92;  /* as last written */
    uint8_t ccb;     /* 8042 command byte */
    uint8_t outport; /* 8042 output port */
    uint8_t obuf;    /* last byte the 8042 produced */
    uint8_t obf;     /* 1 while obuf is unread */
    uint8_t pending; /* command waiting for its data byte (0x60, 0xd1) */
    uint8_t was_cmd; /* last write went to 0x64 */
};

/* Fields private. */
struct reset {
    struct reset_state s;
    struct power *power; /* not owned; NULL: requests are dropped */
};

/* Power-on state; requests go to p. Returns 0, or -EINVAL if r is NULL. */
int reset_init(struct reset *r, struct power *p);

/*
 * After the machine reset: port 0x92 bit 0 reads 0 again and a command
 * waiting for data is dropped; the 8042 keeps its command byte (it is
 * not reset by the CPU's reset line).
 */
void reset_reset(struct reset *r);

/* pio_handler for port 0x92; ctx is a struct reset *. Returns 0. */
int reset_port92_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                    uint32_t count, uint8_t *data);

/*
 * pio_handler for the 8042: register it for port 0x60 and for port 0x64
 * (two ranges of one port each, same ctx, a struct reset *); it tells
 * them apart by port. Returns 0.
 */
int reset_kbc_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                 uint32_t count, uint8_t *data);

/* Copy the device state out for a snapshot. */
void reset_save(const struct reset *r, struct reset_state *st);

/* Replace the state with a saved one. Returns 0, or -EINVAL if st is
 * inconsistent (nothing changed then). */
int reset_load(struct reset *r, const struct reset_state *st);

#endif
