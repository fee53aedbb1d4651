#include "bios.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/boot/disk.h"
#include "vmm/boot/memmap.h"
#include "bios_regs.h"
#include "power.h"
#include "vga.h"
#include "vmm/mem.h"
#include "vmm/pio.h"

/* The call frame the BIOS stub pushes (bios.S). */
#define FRAME_LEN 44u

/* BIOS data area (IBM PC/AT technical reference; RBIL MEMORY.LST). */
#define BDA_COM1      0x400u
#define BDA_EBDA_SEG  0x40eu
#define BDA_EQUIP     0x410u
#define BDA_MEMSIZE   0x413u
#define BDA_SHIFT     0x417u
#define BDA_KBD_HEAD  0x41au
#define BDA_KBD_TAIL  0x41cu
#define BDA_KBD_BUF   0x41eu
#define BDA_FD_STATUS 0x441u
#define BDA_TICKS     0x46cu
#define BDA_HD_STATUS 0x474u
#define BDA_HD_COUNT  0x475u
#define BDA_KBD_START 0x480u
#define BDA_KBD_END   0x482u
#define BDA_KBD_FLAGS 0x496u
#define BDA_LEN       0x100u

#define KBD_BUF_OFF 0x1eu /* ring offsets are relative to 0x400 */
#define KBD_BUF_END 0x3eu
#define EBDA_SEG    0x9fc0u
#define CONV_KIB    639u

void bios_init(struct bios *b, struct mem *mem, const struct memmap *map,
               struct pio_console *con, struct power *power)
{
    *b = (struct bios){
        .mem = mem, .map = map, .con = con, .power = power, .kbd_fd = -1};
}

void bios_set_disks(struct bios *b, struct disk *floppy, struct disk *hd)
{
    b->disks[0] = floppy;
    b->disks[1] = hd;
}

void bios_set_input(struct bios *b, int fd)
{
    b->kbd_fd = fd;
    b->kbd_eof = false;
}

void bios_set_escape(struct bios *b, bool on)
{
    b->escape = on;
    b->escape_seen = false;
}

/* The escape: true when ch is the guest's, false when it was eaten. */
static bool escape_key(struct bios *b, uint8_t ch)
{
    if (!b->escape)
        return true;
    if (b->escape_seen) {
        b->escape_seen = false;
        if (ch == 'x' || ch == 'X') {
            b->quit_key = true;
            power_request(b->power, POWER_EXIT, 0);
            return false;
        }
        return true;
    }
    if (ch == 0x01) {
        b->escape_seen = true;
        return false;
    }
    return true;
}

int bios_install(struct mem *mem)
{
    size_t len = (size_t)(bios_image_end - bios_image);
    uint8_t *p = mem_gpa_to_hva(mem, BIOS_GPA, BIOS_SIZE);

    if (!p || len != BIOS_SIZE)
        return -EFAULT;
    memcpy(p, bios_image, len);
    return 0;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void decode(const uint8_t *f, struct bios_regs *r)
{
    r->edi = get32(f + 2);
    r->esi = get32(f + 6);
    r->ebp = get32(f + 10);
    r->ebx = get32(f + 18);
    r->edx = get32(f + 22);
    r->ecx = get32(f + 26);
    r->eax = get32(f + 30);
    r->es = get16(f + 34);
    r->ds = get16(f + 36);
    r->ip = get16(f + 38);
    r->cs = get16(f + 40);
    r->flags = get16(f + 42);
}

static void encode(uint8_t *f, const struct bios_regs *r)
{
    put32(f + 2, r->edi);
    put32(f + 6, r->esi);
    put32(f + 10, r->ebp);
    put32(f + 18, r->ebx);
    put32(f + 22, r->edx);
    put32(f + 26, r->ecx);
    put32(f + 30, r->eax);
    put16(f + 34, r->es);
    put16(f + 36, r->ds);
    put16(f + 42, r->flags);
}

/* POST: the BIOS data area the BIOS stub zeroed, and the screen. */
static void post(struct bios *b, uint8_t *bda)
{
    uint8_t nfd = b->disks[0] != NULL, nhd = b->disks[1] != NULL;
    uint16_t equip = 0x0002     /* x87 present */
                     | 0x0020   /* initial video: 80x25 colour */
                     | 1u << 9; /* one serial port */
    struct timespec now;

    if (nfd)
        equip |= 0x0001; /* floppy drives present; bits 6-7: count - 1 */
    put16(bda + BDA_COM1 - 0x400, 0x3f8);
    put16(bda + BDA_EBDA_SEG - 0x400, EBDA_SEG);
    put16(bda + BDA_EQUIP - 0x400, equip);
    put16(bda + BDA_MEMSIZE - 0x400, CONV_KIB);
    put16(bda + BDA_KBD_HEAD - 0x400, KBD_BUF_OFF);
    put16(bda + BDA_KBD_TAIL - 0x400, KBD_BUF_OFF);
    put16(bda + BDA_KBD_START - 0x400, KBD_BUF_OFF);
    put16(bda + BDA_KBD_END - 0x400, KBD_BUF_END);
    bda[BDA_KBD_FLAGS - 0x400] = 0x10; /* 101/102-key keyboard */
    bda[BDA_HD_COUNT - 0x400] = nhd;
    /* Ticks since midnight (UTC, the RTC's time), 1193182 / 65536 Hz. */
    if (clock_gettime(CLOCK_REALTIME, &now) == 0) {
        uint64_t s = (uint64_t)now.tv_sec % 86400;
        put32(bda + BDA_TICKS - 0x400, (uint32_t)(s * 1193182 / 65536));
    }
    uint8_t *ebda = mem_gpa_to_hva(b->mem, (uint64_t)EBDA_SEG << 4, 1024);
    if (ebda) {
        memset(ebda, 0, 1024);
        ebda[0] = 1; /* its size in KiB */
    }
    vga_post(b->mem);
}

uint16_t bios_key_code(uint8_t ch)
{
    static const char plain[] = "\0\0331234567890-=\b\tqwertyuiop[]\r\0"
                                "asdfghjkl;'`\0\\zxcvbnm,./";
    static const char shifted[] = "\0\0!@#$%^&*()_+\0\0QWERTYUIOP{}\0\0"
                                  "ASDFGHJKL:\"~\0|ZXCVBNM<>?";
    if (ch == '\n' || ch == '\r')
        return 0x1c0d;
    if (ch == 0x7f || ch == '\b')
        return 0x0e08;
    if (ch == ' ')
        return 0x3920;
    if (ch == 0)
        return 0;
    for (size_t i = 0; i < sizeof(plain) - 1; i++)
        if (plain[i] == (char)ch || shifted[i] == (char)ch)
            return (uint16_t)(i << 8 | ch);
    if (ch >= 1 && ch <= 26) /* Ctrl+letter */
        return (uint16_t)(bios_key_code((uint8_t)('a' + ch - 1)) & 0xff00) | ch;
    return 0;
}

static uint16_t kbd_next(uint16_t off)
{
    off = (uint16_t)(off + 2);
    return off >= KBD_BUF_END ? KBD_BUF_OFF : off;
}

/* Move waiting input into the BDA ring while it has room. */
static void kbd_fill(struct bios *b, uint8_t *bda)
{
    uint16_t head = get16(bda + BDA_KBD_HEAD - 0x400);
    uint16_t tail = get16(bda + BDA_KBD_TAIL - 0x400);
    uint8_t buf[16];

    if (head < KBD_BUF_OFF || head >= KBD_BUF_END || (head & 1) ||
        tail < KBD_BUF_OFF || tail >= KBD_BUF_END || (tail & 1)) {
        head = tail = KBD_BUF_OFF; /* the guest broke it: start over */
        put16(bda + BDA_KBD_HEAD - 0x400, head);
    }
    while (b->kbd_fd >= 0 && !b->kbd_eof) {
        size_t room = 0;
        for (uint16_t t = tail; kbd_next(t) != head; t = kbd_next(t))
            room++;
        if (room == 0)
            break;
        ssize_t n = read(b->kbd_fd, buf, room < sizeof(buf) ? room : 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            b->kbd_eof = true;
        if (n <= 0)
            break; /* EAGAIN: nothing yet; an error: no more keys */
        for (ssize_t i = 0; i < n; i++) {
            uint16_t key = bios_key_code(buf[i]);
            if (!escape_key(b, buf[i]) || !key)
                continue;
            put16(bda + tail, key);
            tail = kbd_next(tail);
        }
    }
    put16(bda + BDA_KBD_TAIL - 0x400, tail);
}

/* int 16h. Returns false when the caller must wait for a key. */
static bool int16(struct bios *b, uint8_t *bda, struct bios_regs *r)
{
    uint8_t fn = bios_ah(r);
    uint16_t head, tail;

    kbd_fill(b, bda);
    head = get16(bda + BDA_KBD_HEAD - 0x400);
    tail = get16(bda + BDA_KBD_TAIL - 0x400);
    switch (fn) {
    case 0x00: /* read key: AX = scan code, ASCII */
    case 0x10:
        if (head == tail)
            return false;
        bios_set16(&r->eax, get16(bda + head));
        put16(bda + BDA_KBD_HEAD - 0x400, kbd_next(head));
        break;
    case 0x01: /* check key: ZF set if none, else AX = the key (kept) */
    case 0x11:
        bios_set_zf(r, head == tail);
        if (head != tail)
            bios_set16(&r->eax, get16(bda + head));
        break;
    case 0x02: /* AL = shift flags */
        bios_set_al(r, bda[BDA_SHIFT - 0x400]);
        break;
    case 0x12: /* AX = extended shift flags */
        bios_set16(&r->eax, get16(bda + BDA_SHIFT - 0x400));
        break;
    case 0x05: /* store key CX: AL = 0, or 1 if the buffer is full */
        if (kbd_next(tail) == head) {
            bios_set_al(r, 1);
        } else {
            put16(bda + tail, (uint16_t)r->ecx);
            put16(bda + BDA_KBD_TAIL - 0x400, kbd_next(tail));
            bios_set_al(r, 0);
        }
        break;
    default:
        break;
    }
    return true;
}

/* int 15h: memory sizes, the memory map, A20, the configuration table. */
static void int15(struct bios *b, struct bios_regs *r)
{
    const struct memmap *m = b->map;
    uint16_t ax = (uint16_t)r->eax;

    if (r->eax == 0xe820) { /* EDX 'SMAP', EBX index, ES:DI, ECX size */
        uint8_t *p =
            mem_gpa_to_hva(b->mem, bios_linear(r->es, (uint16_t)r->edi), 20);
        if (r->edx != 0x534d4150 || r->ecx < 20 || r->ebx >= m->n || !p) {
            bios_status(r, 0x86);
            return;
        }
        const struct memmap_entry *e = &m->e[r->ebx];
        memcpy(p, &e->base, 8);
        memcpy(p + 8, &e->len, 8);
        put32(p + 16, e->type);
        r->eax = 0x534d4150;
        r->ecx = 20;
        r->ebx = r->ebx + 1 < m->n ? r->ebx + 1 : 0;
        bios_set_cf(r, false);
        return;
    }
    switch (ax) {
    case 0xe801: { /* AX = CX = KiB in 1-16 MiB, BX = DX = 64 KiB above */
        uint64_t lo = memmap_ram_between(m, 1 << 20, 16 << 20) >> 10;
        uint64_t hi = memmap_ram_between(m, 16 << 20, 1ull << 32) >> 16;
        bios_set16(&r->eax, (uint16_t)lo);
        bios_set16(&r->ecx, (uint16_t)lo);
        bios_set16(&r->ebx, (uint16_t)(hi > 0xffff ? 0xffff : hi));
        bios_set16(&r->edx, (uint16_t)(hi > 0xffff ? 0xffff : hi));
        bios_set_cf(r, false);
        return;
    }
    case 0x2400: /* disable A20: KVM has no A20 gate to close */
        bios_status(r, 0x86);
        return;
    case 0x2401: /* enable A20: it always is */
        bios_status(r, 0);
        return;
    case 0x2402: /* AL = A20 state */
        bios_status(r, 0);
        bios_set_al(r, 1);
        return;
    case 0x2403: /* BX = how A20 can be switched: not at all */
        bios_status(r, 0);
        bios_set16(&r->ebx, 0);
        return;
    default:
        break;
    }
    switch (bios_ah(r)) {
    case 0x88: { /* AX = KiB from 1 MiB (contiguous, at most 63 MiB) */
        uint64_t kib =
            memmap_ram_between(m, 1 << 20, (1 << 20) + (0xfc00ull << 10)) >> 10;
        bios_set16(&r->eax, (uint16_t)kib);
        bios_set_cf(r, false);
        return;
    }
    case 0xc0: /* ES:BX = the system configuration table */
        r->es = 0xf000;
        bios_set16(&r->ebx, 0xe6f5);
        bios_status(r, 0);
        return;
    default: /* 4Fh, 86h, 87h, ... : unsupported */
        bios_status(r, 0x86);
        return;
    }
}

/* int 19h: sector 0 of the first bootable drive to 0000:7C00. */
static void boot(struct bios *b, struct bios_regs *r)
{
    uint8_t *dst = mem_gpa_to_hva(b->mem, 0x7c00, DISK_SECTOR);

    for (size_t i = 0; dst && i < 2; i++) {
        struct disk *d = b->disks[i];
        if (!d || disk_read(d, 0, 1, dst) != DISK_OK)
            continue;
        /* A hard disk boots only with the signature; a floppy always. */
        if (!d->floppy && (dst[510] != 0x55 || dst[511] != 0xaa))
            continue;
        bios_set8(&r->edx, false, d->drive);
        bios_set_cf(r, false);
        return;
    }
    bios_set_cf(r, true);
}

static int no_boot(struct bios *b)
{
    static const char msg[] = "No bootable device.\r\n";
    struct bios_regs r = {.eax = 0x0e00};
    int e = 0;

    for (const char *p = msg; *p && e == 0; p++) {
        bios_set_al(&r, (uint8_t)*p);
        e = vga_int10(b->mem, b->con, &r);
    }
    b->no_boot = true;
    power_request(b->power, POWER_EXIT, 1);
    return e;
}

static int call(struct bios *b, uint32_t at)
{
    uint8_t *f = mem_gpa_to_hva(b->mem, at, FRAME_LEN);
    uint8_t *bda = mem_gpa_to_hva(b->mem, 0x400, BDA_LEN);
    struct bios_regs r;
    int e = 0;

    if (!f || !bda)
        return 0;
    uint16_t svc = get16(f);
    decode(f, &r);
    b->calls++;
    switch (svc) {
    case 0x10:
        e = vga_int10(b->mem, b->con, &r);
        break;
    case 0x13: {
        bool hd = (uint8_t)r.edx & 0x80;
        uint8_t *st = bda + (hd ? BDA_HD_STATUS : BDA_FD_STATUS) - 0x400;
        disk_int13(b->disks, 2, b->mem, &r, st);
        break;
    }
    case 0x15:
        int15(b, &r);
        break;
    case 0x16:
        if (!int16(b, bda, &r))
            return 0; /* no key yet: the stub waits and asks again */
        break;
    case 0x18:
        e = no_boot(b);
        break;
    case 0x19:
        boot(b, &r);
        break;
    case BIOS_SVC_POST:
        post(b, bda);
        break;
    default:
        break; /* not a service: done, registers as they were */
    }
    encode(f, &r);
    put16(f, 0);
    return e;
}

int bios_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
            uint32_t count, uint8_t *data)
{
    struct bios *b = ctx;

    if (port != BIOS_PORT || size != 4 || count != 1) {
        if (!is_write)
            memset(data, 0xff, (size_t)size * count);
        return 0;
    }
    if (!is_write) {
        put32(data, BIOS_SIGNATURE);
        return 0;
    }
    return call(b, get32(data));
}
