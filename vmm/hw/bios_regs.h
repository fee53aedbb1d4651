#ifndef VMM_HW_BIOS_REGS_H
#define VMM_HW_BIOS_REGS_H

/*
 * The registers of a BIOS call as the BIOS stub saved them (the call
 * frame: bios.h), decoded. A service reads and changes them; the BIOS
 * port writes them back and the stub pops them. Real-mode conventions:
 * AH the function, CF (FLAGS bit 0) the error flag, AH the error code.
 */

#include <stdbool.h>
#include <stdint.h>

#define BIOS_FLAG_CF 0x0001u
#define BIOS_FLAG_ZF 0x0040u

struct bios_regs {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
    uint16_t es, ds, ip, cs, flags;
};

static inline uint8_t bios_ah(const struct bios_regs *r)
{
    return (uint8_t)(r->eax >> 8);
}

static inline uint8_t bios_al(const struct bios_regs *r)
{
    return (uint8_t)r->eax;
}

static inline void bios_set_ah(struct bios_regs *r, uint8_t v)
{
    r->eax = (r->eax & 0xffff00ffu) | ((uint32_t)v << 8);
}

static inline void bios_set_al(struct bios_regs *r, uint8_t v)
{
    r->eax = (r->eax & 0xffffff00u) | v;
}

/* Set the low 16 bits of a 32-bit register. */
static inline void bios_set16(uint32_t *reg, uint16_t v)
{
    *reg = (*reg & 0xffff0000u) | v;
}

/* Set the low byte (hi false) or the high byte of a register's low word. */
static inline void bios_set8(uint32_t *reg, bool hi, uint8_t v)
{
    if (hi)
        *reg = (*reg & 0xffff00ffu) | ((uint32_t)v << 8);
    else
        *reg = (*reg & 0xffffff00u) | v;
}

static inline void bios_set_cf(struct bios_regs *r, bool on)
{
    r->flags = on ? (uint16_t)(r->flags | BIOS_FLAG_CF)
                  : (uint16_t)(r->flags & ~BIOS_FLAG_CF);
}

static inline void bios_set_zf(struct bios_regs *r, bool on)
{
    r->flags = on ? (uint16_t)(r->flags | BIOS_FLAG_ZF)
                  : (uint16_t)(r->flags & ~BIOS_FLAG_ZF);
}

/* Success (CF clear, AH 0) or failure with AH = code (CF set). */
static inline void bios_status(struct bios_regs *r, uint8_t code)
{
    bios_set_ah(r, code);
    bios_set_cf(r, code != 0);
}

/* Real-mode linear address of seg:off. */
static inline uint32_t bios_linear(uint16_t seg, uint16_t off)
{
    return ((uint32_t)seg << 4) + off;
}

#endif
