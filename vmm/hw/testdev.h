#ifndef VMM_HW_TESTDEV_H
#define VMM_HW_TESTDEV_H

/*
 * QEMU's pc-testdev, the test device kvm-unit-tests' x86 tests drive
 * (QEMU's x86/run adds `-device pc-testdev`):
 *
 *   0xe0-0xe3      a 32-bit scratch register: an access of n bytes at
 *                  0xe0 + k reads or writes bytes k..k+n-1 of it (bytes
 *                  past 0xe3 are dropped on writes and read as 0). The
 *                  emulator test's string I/O reads back what it wrote.
 *   0xe4-0xe7      "flush page": a dword OUT of a guest physical address
 *                  asks the VMM to invalidate the host mapping of that
 *                  page (QEMU mprotects it to PROT_NONE and back, so KVM
 *                  must fault it in again: eventinj uses it to make the
 *                  stack page fault during event injection). Here the
 *                  write is recorded (s.flush_count, s.flush_gpa) and nothing
 *                  else happens: the page stays mapped, which is always
 *                  safe; the test's checks still run, only the host-side
 *                  refault it wanted to provoke does not happen. Reads 0.
 *   0xe8-0xeb      the same scratch register through a window QEMU
 *                  splits into byte accesses (same result here).
 *   0x2000-0x2017  IRQ lines: a byte OUT to 0x2000 + n sets ISA/IOAPIC
 *                  line n to (value != 0) through irq_set(irq, n, level);
 *                  reads 0; wider accesses ignored as in QEMU. The
 *                  ioapic test toggles line 14 this way.
 *   0xff000000     "iomem": 64 KiB of MMIO that behaves like RAM
 *                  (TESTDEV_IOMEM_*), used by the emulator, cmpxchg8b and
 *                  lam tests to run instructions on emulated MMIO.
 *                  testdev_mmio is its handler, for when the machine
 *                  dispatches MMIO exits to devices (it does not yet).
 *
 * Not thread-safe: the machine serializes I/O to it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vmm/hw/irq.h"

#define TESTDEV_PORT_BASE  0xe0
#define TESTDEV_PORT_LEN   12 /* 0xe0-0xeb */
#define TESTDEV_PORT_FLUSH 0xe4
#define TESTDEV_PORT_BYTE  0xe8
#define TESTDEV_IRQ_BASE   0x2000
#define TESTDEV_IRQ_LEN    24 /* one port per IOAPIC pin */
#define TESTDEV_IOMEM_BASE 0xff000000ull
#define TESTDEV_IOMEM_LEN  0x10000u

/* The guest-visible state, for snapshots (64 KiB: iomem). */
struct testdev_state {
    uint32_t reg;         /* the scratch register */
    uint64_t flush_count; /* flush-page writes seen */
    uint32_t flush_gpa;   /* the last one's address */
    uint8_t iomem[TESTDEV_IOMEM_LEN];
};

/*
 * Fields other than s.flush_count and s.flush_gpa are private. About
 * 64 KiB: keep it in the machine's heap or static struct, not on a stack.
 */
struct testdev {
    struct testdev_state s;
    struct irq_line irq;
};

/*
 * Zeroed state; irq (copied; NULL: no lines) is where 0x2000 + n goes.
 * Returns 0. There is no testdev_reset: QEMU keeps this device's state
 * across a machine reset too.
 */
int testdev_init(struct testdev *t, const struct irq_line *irq);

void testdev_save(const struct testdev *t, struct testdev_state *st);

/* Every state is valid; the IRQ lines are the machine's. Returns 0. */
int testdev_load(struct testdev *t, const struct testdev_state *st);

/*
 * pio_handler for both [TESTDEV_PORT_BASE, +TESTDEV_PORT_LEN) and
 * [TESTDEV_IRQ_BASE, +TESTDEV_IRQ_LEN): register it twice with the same
 * ctx. Returns 0 or irq_set's -errno.
 */
int testdev_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
               uint32_t count, uint8_t *data);

/*
 * MMIO handler for [TESTDEV_IOMEM_BASE, +TESTDEV_IOMEM_LEN): len bytes at
 * gpa (KVM_EXIT_MMIO: 1 to 8) from or into data. Returns 0, or -EINVAL if
 * the range is not inside iomem (nothing touched).
 */
int testdev_mmio(void *ctx, uint64_t gpa, bool is_write, uint32_t len,
                 uint8_t *data);

#endif
