#ifndef VMM_HW_DEBUGEXIT_H
#define VMM_HW_DEBUGEXIT_H

/*
 * isa-debug-exit as QEMU's `-device isa-debug-exit,iobase=0xf4,iosize=4`:
 * a guest write of value V (the access's size, 1, 2 or 4 bytes) to any of
 * the four ports ends the VMM with exit status (V << 1) | 1 (the process
 * sees its low 8 bits). Test guests (kvm-unit-tests among them) report
 * their result this way. Reads float (all-ones).
 */

#include <stdbool.h>
#include <stdint.h>

#define DEBUGEXIT_PORT 0xf4
#define DEBUGEXIT_LEN  4

struct power;

struct debugexit {
    struct power *power; /* where the exit request goes */
};

void debugexit_init(struct debugexit *d, struct power *power);

/* pio_handler; ctx is a struct debugexit *. Returns 0. */
int debugexit_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                 uint32_t count, uint8_t *data);

#endif
