#ifndef VMM_HW_VGA_H
#define VMM_HW_VGA_H

/*
 * The colour text screen as the BIOS keeps it: 80x25 cells of (char,
 * attribute) at 0xB8000 in guest RAM, pages of 4 KiB, the mode, cursor
 * and active page in the BIOS data area (IBM PC/AT BIOS, BDA 449h-462h,
 * 484h). There is no VGA device behind it (no CRTC registers, no
 * graphics modes): the screen is the guest's memory, so what a guest
 * writes there itself shows as well as what int 10h put there.
 */

#include <stddef.h>
#include <stdint.h>

#include "bios_regs.h"

#define VGA_TEXT_BASE 0xb8000u
#define VGA_COLS      80u
#define VGA_ROWS      25u
#define VGA_PAGE_SIZE 0x1000u
#define VGA_PAGES     8u

struct mem;
struct pio_console;

/* POST: mode 3 in the BDA, cursor at 0,0, every page blank (07h). */
void vga_post(struct mem *mem);

/*
 * int 10h: 00h/0Fh mode (80x25 text only), 01h-03h cursor, 05h page,
 * 06h/07h scroll, 08h-0Ah characters, 0Eh teletype, 12h (BL=10h), 13h
 * write string, 1Ah display combination. Teletype and write string also
 * write their characters to con (stdout). Returns 0 or the console's
 * -errno (-EINTR, -EPIPE: see pio_console_write), which the caller
 * returns from its port handler as is.
 */
int vga_int10(struct mem *mem, struct pio_console *con, struct bios_regs *r);

/*
 * The active page as text: VGA_ROWS lines of up to VGA_COLS characters,
 * trailing blanks trimmed, each ending in '\n'; NUL cells as blanks,
 * other bytes outside printable ASCII as '.'. Returns the length written
 * (out is NUL-terminated, cap >= 1) or -EFAULT if the screen is not RAM.
 */
int vga_dump(const struct mem *mem, char *out, size_t cap);

#endif
