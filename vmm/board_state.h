#ifndef VMM_BOARD_STATE_H
#define VMM_BOARD_STATE_H

/*
 * The state of every device on the board, for snapshots: plain values, no
 * pointers (each device's *_save), checked when put back (each *_load).
 * The bare machine's devices (console, isa-debug-exit) keep no state.
 */

#include <stdint.h>

#include "hw/acpi.h"
#include "hw/fwcfg.h"
#include "hw/pci.h"
#include "hw/pit.h"
#include "hw/reset.h"
#include "hw/rtc.h"
#include "hw/testdev.h"
#include "hw/uart.h"

struct board;

struct board_state {
    uint32_t pc; /* 1: the pc devices below are valid */
    struct uart_state uart;
    struct rtc_state rtc;
    struct reset_state reset;
    struct fwcfg_state fwcfg;
    struct pci_state pci;
    struct acpi_pm_state acpi;
    struct testdev_state testdev;
    struct pit_state pit; /* present only in record mode (virtual time) */
};

/* Copy every device's state out. */
void board_save(const struct board *b, struct board_state *st);

/*
 * Put the devices' state back. Each device checks its own state and
 * changes nothing when it is bad; the devices before it are loaded by
 * then (a snapshot from a file that fails here ends the VMM). The RTC
 * timer is re-armed at the next board_poll. Returns 0, -EINVAL (a state
 * that does not fit this board or fails a device's check), or a device's
 * -errno from driving its interrupt line.
 */
int board_load(struct board *b, const struct board_state *st);

#endif
