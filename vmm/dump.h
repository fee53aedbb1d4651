#ifndef VMM_DUMP_H
#define VMM_DUMP_H

/* Human-readable vCPU state, for crash reports and `monitor` commands. */

#include <stddef.h>

struct vcpu;
struct mem;

/*
 * Format the general registers, CS:IP and the code bytes there into buf
 * (NUL-terminated, truncated to cap). Returns the length, or -errno.
 */
int dump_regs(struct vcpu *c, struct mem *m, char *buf, size_t cap);

/*
 * Format the system registers: CR0-CR4, CR8, EFER, APIC base, every
 * segment's selector/base/limit/attributes, GDTR and IDTR. Returns the
 * length, or -errno.
 */
int dump_sregs(struct vcpu *c, char *buf, size_t cap);

#endif
