#ifndef VMM_HW_PCI_H
#define VMM_HW_PCI_H

/*
 * The PCI host bridge of the pc machine: configuration mechanism #1 (PCI
 * Local Bus Specification 3.0, 3.2.2.3.2) and the reset control register
 * of the PIIX3/ICH south bridges, with one device on the bus:
 *
 *   0xcf8        CONFIG_ADDRESS, dword accesses only: bit 31 enable,
 *                23:16 bus, 15:11 device, 10:8 function, 7:0 register
 *   0xcf9        reset control register (RCR), byte accesses only
 *   0xcfc-0xcff  CONFIG_DATA: a byte, word or dword at register
 *                (CONFIG_ADDRESS & 0xff) | (port & 3)
 *
 * Chipsets decode CONFIG_ADDRESS only on a dword access; narrower
 * accesses to 0xcf8-0xcfb go on to the ISA bus, which is how the byte
 * register at 0xcf9 lives inside it. Here too: a byte at 0xcf9 is the
 * RCR, and any other non-dword access to 0xcf8-0xcfb is an unclaimed
 * ISA access (reads all-ones, writes ignored). With bit 31 clear,
 * CONFIG_DATA is unclaimed the same way.
 *
 * The register bits 1:0 of CONFIG_ADDRESS are kept and OR'ed with the
 * data port's offset, as QEMU does (the spec has them read as 0):
 * kvm-unit-tests puts unaligned register numbers in CONFIG_ADDRESS and
 * always reads at 0xcfc (`outl(addr | reg)`, `inb(0xcfc)`), and Linux
 * writes them as 0 and adds reg & 3 to the port, so both read the
 * intended register. Bits 30:24 are reserved and read as 0.
 *
 * Device 00:00.0 is an Intel 82441FX (440FX) host bridge, 8086:1237,
 * class 06/00/00, header type 0, no BARs. Its command register keeps the
 * bits the guest may change, the latency timer and the device-specific
 * registers 0x40-0xff (PAM, SMRAM, ...) keep what is written but have no
 * effect (the memory map is fixed). Every other bus/device/function is
 * absent: reads all-ones (vendor 0xffff), writes ignored.
 *
 * RCR (82371SB PIIX3 datasheet, "RC - Reset Control Register"): bit 1
 * selects a hard (1) or soft reset, bit 2 going to 1 starts it. Both
 * become power_request(POWER_RESET, status) with status PCI_RESET_HARD
 * or PCI_RESET_SOFT: a soft reset is an INIT of the CPUs, which leaves
 * RAM, devices and port 0x92 bit 0 alone (kvm-unit-tests' init test
 * writes 0 then 4 and checks that bit to tell INIT from a hard reset).
 * A machine that has one kind of reset may ignore status.
 *
 * Not thread-safe: the machine serializes port I/O to it.
 */

#include <stdbool.h>
#include <stdint.h>

#include "vmm/hw/power.h"

#define PCI_PORT_BASE 0xcf8
#define PCI_PORT_LEN  8
#define PCI_PORT_RCR  0xcf9

#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x1237

#define PCI_RCR_SYS_RST 0x02 /* hard reset when RST_CPU is set */
#define PCI_RCR_RST_CPU 0x04 /* 0 -> 1: reset */

#define PCI_RESET_SOFT 0 /* power_request status: INIT */
#define PCI_RESET_HARD 1 /* power_request status: full reset */

/* The guest-visible state, for snapshots. */
struct pci_state {
    uint32_t addr;    /* CONFIG_ADDRESS */
    uint8_t rcr;      /* SYS_RST as last written */
    uint8_t cfg[256]; /* 00:00.0 configuration space */
};

/* Fields private. */
struct pci_host {
    struct pci_state s;
    struct power *pw; /* not owned */
};

/*
 * Power-on state: CONFIG_ADDRESS 0, RCR 0, the host bridge's registers at
 * their 440FX defaults. pw receives reset requests (NULL: none). Returns 0.
 */
int pci_init(struct pci_host *p, struct power *pw);

/* After a machine reset (either kind): the power-on state again. */
void pci_reset(struct pci_host *p);

/* Copy the state out for a snapshot. */
void pci_save(const struct pci_host *p, struct pci_state *st);

/*
 * Replace the state with a saved one. Returns 0, or -EINVAL (nothing
 * changed) if st has reserved CONFIG_ADDRESS or RCR bits set or differs
 * from the host bridge in a read-only configuration bit.
 */
int pci_load(struct pci_host *p, const struct pci_state *st);

/* pio_handler for [PCI_PORT_BASE, +PCI_PORT_LEN). Returns 0. */
int pci_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
           uint32_t count, uint8_t *data);

#endif
