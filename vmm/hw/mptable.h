#ifndef VMM_HW_MPTABLE_H
#define VMM_HW_MPTABLE_H

/*
 * The Intel MultiProcessor Specification 1.4 tables, for guests that find
 * their CPUs the pre-ACPI way: a floating pointer structure (chapter 4.1)
 * where the spec says an OS searches - here the last kilobyte of base
 * memory, 0x9fc00, which the PC memory map reserves (Linux scans it) -
 * and the configuration table it points to (4.2-4.3): a processor entry
 * per CPU (local APIC ids 0..ncpus-1, CPU 0 the bootstrap processor),
 * bus 0 ISA, the IOAPIC (id ncpus, at 0xfec00000), I/O interrupt entries
 * for ISA IRQs 0-15 as the MADT routes them (ExtINT on pin 0, IRQ 0 on
 * pin 2, IRQ n on pin n) and the local interrupts (LINT0 ExtINT, LINT1
 * NMI). Virtual wire mode (no IMCR), as KVM's in-kernel APICs are.
 */

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_FLOAT_GPA 0x9fc00u /* 16-byte aligned, in the EBDA */
#define MPTABLE_FLOAT_LEN 16
#define MPTABLE_MAX_CPUS  254
#define MPTABLE_IOAPIC    0xfec00000u
#define MPTABLE_LAPIC     0xfee00000u
/* The configuration table's size for ncpus CPUs. */
#define MPTABLE_CONFIG_LEN(ncpus)                                              \
    (44 + 20 * (size_t)(ncpus) + 8 + 8 + 16 * 8 + 2 * 8)

/*
 * Write the floating pointer into fp (MPTABLE_FLOAT_LEN bytes of host
 * memory backing MPTABLE_FLOAT_GPA) and the configuration table into
 * cfg (cfg_len bytes backing guest physical cfg_gpa, below 4 GiB).
 * Returns the configuration table's length, or -EINVAL (ncpus 0 or above
 * MPTABLE_MAX_CPUS, cfg_gpa too high) or -ENOSPC (cfg_len too small).
 * A pure function: touches only fp and cfg.
 */
int mptable_build(uint8_t *fp, uint8_t *cfg, uint64_t cfg_gpa, size_t cfg_len,
                  unsigned ncpus);

#endif
