#ifndef VMM_DUMP_H
#define VMM_DUMP_H

/* Human-readable vCPU state, for crash reports and `monitor` commands. */

#include <stddef.h>
#include <stdint.h>

struct vcpu;
struct mem;

/*
 * Format the general registers, CS:IP and the code bytes there into buf
 * (NUL-terminated, truncated to cap). Returns the length, or -errno.
 */
int dump_regs(struct vcpu *c, struct mem *m, char *buf, size_t cap);

/*
 * The same, with the code bytes read through read(rctx, linear, buf, len)
 * (e.g. a debugger's view that hides its int3 patches) when read is not
 * NULL; read returns 0 or -errno.
 */
int dump_regs_view(struct vcpu *c, struct mem *m,
                   int (*read)(void *rctx, uint64_t addr, void *buf,
                               size_t len),
                   void *rctx, char *buf, size_t cap);

/*
 * Format the system registers: CR0-CR4, CR8, EFER, APIC base, every
 * segment's selector/base/limit/attributes, GDTR and IDTR. Returns the
 * length, or -errno.
 */
int dump_sregs(struct vcpu *c, char *buf, size_t cap);

#endif
