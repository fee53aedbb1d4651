#include "pci.h"

#include <errno.h>
#include <string.h>

#define ADDR_ENABLE 0x80000000u
#define ADDR_MASK   0x80ffffffu /* bits 30:24 reserved */

/* PCI 3.0, 6.1: the predefined header. */
#define CFG_VENDOR   0x00
#define CFG_DEVICE   0x02
#define CFG_COMMAND  0x04
#define CFG_STATUS   0x06
#define CFG_REVISION 0x08
#define CFG_CLASS    0x09 /* prog-if, subclass, base class */
#define CFG_LATENCY  0x0d
#define CFG_HEADER   0x0e
#define CFG_DEVSPEC  0x40 /* first device-specific register */

/*
 * 82441FX datasheet, PCICMD: memory space and bus master read as 1;
 * parity and SERR# enables (bits 6, 8) are the writable ones. PCISTS
 * 0x0280: fast back-to-back capable, DEVSEL# medium.
 */
#define HOST_COMMAND      0x0006
#define HOST_COMMAND_RW   0x0140
#define HOST_STATUS       0x0280
#define HOST_REVISION     0x02
#define HOST_CLASS_BRIDGE 0x06
#define HOST_CLASS_HOST   0x00

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* The 440FX's configuration space after power-on. */
static void power_on(struct pci_state *st)
{
    memset(st, 0, sizeof(*st));
    put16(st->cfg + CFG_VENDOR, PCI_HOST_VENDOR);
    put16(st->cfg + CFG_DEVICE, PCI_HOST_DEVICE);
    put16(st->cfg + CFG_COMMAND, HOST_COMMAND);
    put16(st->cfg + CFG_STATUS, HOST_STATUS);
    st->cfg[CFG_REVISION] = HOST_REVISION;
    st->cfg[CFG_CLASS + 1] = HOST_CLASS_HOST;
    st->cfg[CFG_CLASS + 2] = HOST_CLASS_BRIDGE;
    st->cfg[CFG_HEADER] = 0x00; /* type 0, single function */
}

int pci_init(struct pci_host *p, struct power *pw)
{
    power_on(&p->s);
    p->pw = pw;
    return 0;
}

void pci_reset(struct pci_host *p)
{
    power_on(&p->s);
}

/* Which bits of configuration byte reg the guest may write. */
static uint8_t write_mask(unsigned reg)
{
    if (reg == CFG_COMMAND)
        return (uint8_t)HOST_COMMAND_RW;
    if (reg == CFG_COMMAND + 1)
        return (uint8_t)(HOST_COMMAND_RW >> 8);
    if (reg == CFG_LATENCY || reg >= CFG_DEVSPEC)
        return 0xff;
    return 0;
}

void pci_save(const struct pci_host *p, struct pci_state *st)
{
    *st = p->s;
}

int pci_load(struct pci_host *p, const struct pci_state *st)
{
    struct pci_state def;

    if ((st->addr & ~ADDR_MASK) || (st->rcr & ~PCI_RCR_SYS_RST))
        return -EINVAL;
    power_on(&def);
    for (unsigned i = 0; i < sizeof(st->cfg); i++) {
        if ((st->cfg[i] ^ def.cfg[i]) & ~write_mask(i))
            return -EINVAL;
    }
    p->s = *st;
    return 0;
}

/* Whether CONFIG_ADDRESS selects 00:00.0 with configuration enabled. */
static bool is_host_selected(uint32_t addr)
{
    return (addr & ADDR_ENABLE) && (addr & 0x00ffff00u) == 0;
}

/* One CONFIG_DATA item of size bytes at data port offset off. */
static void config_data(struct pci_host *p, unsigned off, bool is_write,
                        uint8_t size, uint8_t *data)
{
    unsigned reg = (p->s.addr & 0xffu) | off;
    bool host = is_host_selected(p->s.addr);

    for (unsigned i = 0; i < size; i++, reg++) {
        /* Past the 256-byte space (reg 0xff, dword): nothing there. */
        bool here = host && reg < sizeof(p->s.cfg);
        if (!is_write) {
            data[i] = here ? p->s.cfg[reg] : 0xff;
        } else if (here) {
            uint8_t m = write_mask(reg);
            p->s.cfg[reg] = (uint8_t)((p->s.cfg[reg] & ~m) | (data[i] & m));
        }
    }
}

static void rcr_write(struct pci_host *p, uint8_t v)
{
    p->s.rcr = v & PCI_RCR_SYS_RST;
    /* RST_CPU reads back 0, so every write with it set is a 0 -> 1. */
    if (v & PCI_RCR_RST_CPU)
        power_request(p->pw, POWER_RESET,
                      v & PCI_RCR_SYS_RST ? PCI_RESET_HARD : PCI_RESET_SOFT);
}

int pci_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
           uint32_t count, uint8_t *data)
{
    struct pci_host *p = ctx;
    unsigned off = (unsigned)(port - PCI_PORT_BASE);

    if (size != 1 && size != 2 && size != 4)
        return -EINVAL; /* KVM_EXIT_IO never has other sizes */
    for (uint32_t n = 0; n < count; n++, data += size) {
        if (off == 0 && size == 4) {
            /* CONFIG_ADDRESS */
            if (is_write)
                p->s.addr = (data[0] | data[1] << 8 | data[2] << 16 |
                             (uint32_t)data[3] << 24) &
                            ADDR_MASK;
            else
                for (int i = 0; i < 4; i++)
                    data[i] = (uint8_t)(p->s.addr >> (8 * i));
        } else if (port == PCI_PORT_RCR && size == 1) {
            /* RCR */
            if (is_write)
                rcr_write(p, data[0]);
            else
                data[0] = p->s.rcr;
        } else if (off >= 4 && (p->s.addr & ADDR_ENABLE)) {
            /* CONFIG_DATA */
            config_data(p, off - 4, is_write, size, data);
        } else if (!is_write) {
            /* ISA: nobody home */
            memset(data, 0xff, size);
        }
    }
    return 0;
}
