#ifndef GDBSTUB_ARCH_H
#define GDBSTUB_ARCH_H

/*
 * x86 register layouts as gdb numbers them, and the target descriptions
 * (target.xml) that tell gdb those layouts. The layout is the one described
 * to gdb for the session, not necessarily the vCPU's current mode: gdb
 * reads target.xml once per connection.
 *
 * i8086 and i386 (gdb's 32bit-core.xml + 32bit-sse.xml):
 *   0 eax 1 ecx 2 edx 3 ebx 4 esp 5 ebp 6 esi 7 edi 8 eip 9 eflags
 *   10 cs 11 ss 12 ds 13 es 14 fs 15 gs (all 32-bit)
 *   16-23 st0-st7 (80-bit) 24 fctrl 25 fstat 26 ftag 27 fiseg 28 fioff
 *   29 foseg 30 fooff 31 fop (32-bit) 32-39 xmm0-7 (128-bit) 40 mxcsr
 * x86-64 (64bit-core.xml + 64bit-sse.xml + 64bit-segments.xml):
 *   0 rax 1 rbx 2 rcx 3 rdx 4 rsi 5 rdi 6 rbp 7 rsp 8-15 r8-r15 (64-bit)
 *   16 rip (64) 17 eflags (32) 18-23 cs ss ds es fs gs (32)
 *   24-31 st0-st7 32-39 fctrl..fop 40-55 xmm0-15 56 mxcsr
 *   57 fs_base 58 gs_base (64)
 * Then, in both, the org.kvmstub.sys feature (see SYS_32 and SYS_64 in
 * arch.c): cr0 cr2 cr3 cr4 cr8 efer, segment caches, LDTR, TR, GDTR, IDTR,
 * dr0-3 dr6 dr7. All values little-endian on the wire.
 */

#include <stddef.h>

#include "target.h"

/* Number of registers in the layout. */
int gdb_arch_nr_regs(enum gdb_arch arch);

/* Size in bytes of register regno, or -1 if there is no such register. */
int gdb_arch_reg_size(enum gdb_arch arch, int regno);

/* Register numbers gdb expects expedited in stop replies. */
int gdb_arch_pc_regno(enum gdb_arch arch);
int gdb_arch_sp_regno(enum gdb_arch arch);
int gdb_arch_fp_regno(enum gdb_arch arch);

/*
 * Copy register regno's value in wire (little-endian) order into out,
 * which has room for 16 bytes. Returns its size, or -1 if no such reg.
 */
int gdb_arch_reg_get(enum gdb_arch arch, const struct gdb_x86_regs *regs,
                     int regno, uint8_t *out);

/*
 * Store size bytes (wire order) into register regno. Returns 0, or -1 if
 * no such register or size is not its size.
 */
int gdb_arch_reg_set(enum gdb_arch arch, struct gdb_x86_regs *regs, int regno,
                     const uint8_t *in, size_t size);

/* Total size in bytes of all registers (the `g` reply is twice this). */
size_t gdb_arch_regs_size(enum gdb_arch arch);

/*
 * The target description for arch (a complete target.xml naming the
 * architecture: i8086, i386 or i386:x86-64). Static storage; *len set.
 */
const char *gdb_arch_target_xml(enum gdb_arch arch, size_t *len);

#endif
