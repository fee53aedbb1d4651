#include "vga.h"

#include <errno.h>
#include <string.h>

#include "vmm/mem.h"
#include "vmm/pio.h"

/* BIOS data area fields (IBM PC/AT technical reference). */
#define BDA_MODE    0x449u /* byte: video mode */
#define BDA_COLS    0x44au /* word: columns */
#define BDA_PAGELEN 0x44cu /* word: bytes per page */
#define BDA_PAGEOFF 0x44eu /* word: offset of the active page */
#define BDA_CURSOR  0x450u /* 8 words: column, row per page */
#define BDA_SHAPE   0x460u /* word: cursor end, start scan lines */
#define BDA_PAGE    0x462u /* byte: active page */
#define BDA_CRTC    0x463u /* word: CRTC base port */
#define BDA_ROWS    0x484u /* byte: rows - 1 */
#define BDA_CHARH   0x485u /* word: character height */
#define BDA_END     0x490u

#define ATTR_NORMAL 0x07 /* light grey on black */

struct screen {
    uint8_t *bda;  /* guest physical 0x400.. */
    uint8_t *text; /* guest physical 0xB8000, all pages */
};

static int map_screen(const struct mem *mem, struct screen *s)
{
    s->bda = mem_gpa_to_hva(mem, 0, BDA_END);
    s->text = mem_gpa_to_hva(mem, VGA_TEXT_BASE, VGA_PAGE_SIZE * VGA_PAGES);
    return s->bda && s->text ? 0 : -EFAULT;
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

static uint8_t active_page(const struct screen *s)
{
    return s->bda[BDA_PAGE] & (VGA_PAGES - 1);
}

static uint8_t *cell(const struct screen *s, uint8_t page, unsigned row,
                     unsigned col)
{
    return s->text + (size_t)page * VGA_PAGE_SIZE +
           ((size_t)row * VGA_COLS + col) * 2;
}

static void get_cursor(const struct screen *s, uint8_t page, unsigned *row,
                       unsigned *col)
{
    uint16_t v = get16(s->bda + BDA_CURSOR + 2 * page);
    *col = v & 0xff;
    *row = v >> 8;
    if (*col >= VGA_COLS)
        *col = VGA_COLS - 1;
    if (*row >= VGA_ROWS)
        *row = VGA_ROWS - 1;
}

static void set_cursor(struct screen *s, uint8_t page, unsigned row,
                       unsigned col)
{
    put16(s->bda + BDA_CURSOR + 2 * page, (uint16_t)(row << 8 | col));
}

/* 06h/07h: scroll the window [top..bottom] x [left..right] by n lines
 * (0: blank it), up or down, new lines in attr. */
static void scroll(struct screen *s, uint8_t page, bool up, unsigned n,
                   uint8_t attr, unsigned top, unsigned left, unsigned bottom,
                   unsigned right)
{
    if (bottom >= VGA_ROWS)
        bottom = VGA_ROWS - 1;
    if (right >= VGA_COLS)
        right = VGA_COLS - 1;
    if (top > bottom || left > right)
        return;
    unsigned height = bottom - top + 1, width = right - left + 1;
    if (n == 0 || n > height)
        n = height;
    for (unsigned i = 0; i < height; i++) {
        unsigned dst = up ? top + i : bottom - i;
        uint8_t *d = cell(s, page, dst, left);
        if (i + n < height) {
            unsigned src = up ? dst + n : dst - n;
            memmove(d, cell(s, page, src, left), width * 2);
        } else {
            for (unsigned c = 0; c < width; c++) {
                d[2 * c] = ' ';
                d[2 * c + 1] = attr;
            }
        }
    }
}

/* Teletype one character on page: control codes move the cursor; attr
 * < 0 keeps the cell's attribute. */
static void teletype(struct screen *s, uint8_t page, uint8_t ch, int attr)
{
    unsigned row, col;

    get_cursor(s, page, &row, &col);
    switch (ch) {
    case 0x07: /* bell */
        return;
    case 0x08: /* backspace */
        if (col > 0)
            col--;
        break;
    case 0x0a: /* line feed */
        row++;
        break;
    case 0x0d: /* carriage return */
        col = 0;
        break;
    default: {
        uint8_t *c = cell(s, page, row, col);
        c[0] = ch;
        if (attr >= 0)
            c[1] = (uint8_t)attr;
        if (++col == VGA_COLS) {
            col = 0;
            row++;
        }
    }
    }
    if (row == VGA_ROWS) {
        scroll(s, page, true, 1, ATTR_NORMAL, 0, 0, VGA_ROWS - 1, VGA_COLS - 1);
        row = VGA_ROWS - 1;
    }
    set_cursor(s, page, row, col);
}

void vga_post(struct mem *mem)
{
    struct screen s;

    if (map_screen(mem, &s) < 0)
        return;
    s.bda[BDA_MODE] = 3;
    put16(s.bda + BDA_COLS, VGA_COLS);
    put16(s.bda + BDA_PAGELEN, VGA_PAGE_SIZE);
    put16(s.bda + BDA_PAGEOFF, 0);
    memset(s.bda + BDA_CURSOR, 0, 16);
    put16(s.bda + BDA_SHAPE, 0x0607);
    s.bda[BDA_PAGE] = 0;
    put16(s.bda + BDA_CRTC, 0x3d4);
    s.bda[BDA_ROWS] = VGA_ROWS - 1;
    put16(s.bda + BDA_CHARH, 16);
    for (unsigned i = 0; i < VGA_PAGE_SIZE * VGA_PAGES; i += 2) {
        s.text[i] = ' ';
        s.text[i + 1] = ATTR_NORMAL;
    }
}

/* A page number from BH: out of range means the active page. */
static uint8_t page_of(const struct screen *s, const struct bios_regs *r)
{
    uint8_t bh = (uint8_t)(r->ebx >> 8);
    return bh < VGA_PAGES ? bh : active_page(s);
}

/* 09h/0Ah: CX copies of AL at the cursor, the cursor unmoved. */
static void write_chars(struct screen *s, const struct bios_regs *r,
                        bool with_attr)
{
    uint8_t page = page_of(s, r);
    unsigned row, col;
    uint32_t n = (uint16_t)r->ecx;

    get_cursor(s, page, &row, &col);
    size_t pos = (size_t)row * VGA_COLS + col, end = VGA_COLS * VGA_ROWS;
    for (; n > 0 && pos < end; n--, pos++) {
        uint8_t *c = s->text + (size_t)page * VGA_PAGE_SIZE + pos * 2;
        c[0] = bios_al(r);
        if (with_attr)
            c[1] = (uint8_t)r->ebx;
    }
}

/* 13h: write string ES:BP, CX characters, at DH,DL; AL bit 0 moves the
 * cursor, bit 1 means (char, attr) pairs. */
static int write_string(struct screen *s, struct mem *mem,
                        struct pio_console *con, struct bios_regs *r)
{
    uint8_t mode = bios_al(r), page = page_of(s, r);
    uint32_t n = (uint16_t)r->ecx, step = (mode & 2) ? 2 : 1;
    unsigned row0, col0;
    uint8_t out[512];
    size_t nout = 0;
    int e = 0;

    if (mode > 3 || n == 0)
        return 0;
    const uint8_t *str = mem_gpa_to_hva(
        mem, bios_linear(r->es, (uint16_t)r->ebp), (size_t)n * step);
    if (!str)
        return 0;
    get_cursor(s, page, &row0, &col0);
    unsigned row = (r->edx >> 8) & 0xff, col = r->edx & 0xff;
    set_cursor(s, page, row < VGA_ROWS ? row : VGA_ROWS - 1,
               col < VGA_COLS ? col : VGA_COLS - 1);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t ch = str[i * step];
        int attr = step == 2 ? str[i * step + 1] : (uint8_t)r->ebx;
        /* control codes are interpreted and never take an attribute */
        teletype(s, page, ch, attr);
        out[nout++] = ch;
        if (nout == sizeof(out) || i + 1 == n) {
            if (con && e == 0)
                e = pio_console_write(con, out, nout);
            nout = 0;
        }
    }
    if (!(mode & 1))
        set_cursor(s, page, row0, col0);
    return e;
}

int vga_int10(struct mem *mem, struct pio_console *con, struct bios_regs *r)
{
    struct screen s;
    unsigned row, col;
    uint8_t page;

    if (map_screen(mem, &s) < 0)
        return 0;
    switch (bios_ah(r)) {
    case 0x00: /* set mode AL: every text mode becomes 80x25 colour */
        s.bda[BDA_MODE] = 3;
        s.bda[BDA_PAGE] = 0;
        memset(s.bda + BDA_CURSOR, 0, 16);
        if (!(bios_al(r) & 0x80))
            scroll(&s, 0, true, 0, ATTR_NORMAL, 0, 0, VGA_ROWS - 1,
                   VGA_COLS - 1);
        bios_set_al(r, 0x30);
        break;
    case 0x01: /* cursor shape CH = start, CL = end */
        put16(s.bda + BDA_SHAPE, (uint16_t)r->ecx);
        break;
    case 0x02: /* cursor position BH = page, DH = row, DL = column */
        page = page_of(&s, r);
        set_cursor(&s, page, (r->edx >> 8) & 0xff, r->edx & 0xff);
        break;
    case 0x03: /* get cursor: DH, DL position; CH, CL shape */
        page = page_of(&s, r);
        get_cursor(&s, page, &row, &col);
        bios_set16(&r->edx, (uint16_t)(row << 8 | col));
        bios_set16(&r->ecx, get16(s.bda + BDA_SHAPE));
        r->eax &= 0xffff0000u;
        break;
    case 0x05: /* active page AL */
        if (bios_al(r) < VGA_PAGES) {
            s.bda[BDA_PAGE] = bios_al(r);
            put16(s.bda + BDA_PAGEOFF, (uint16_t)(bios_al(r) * VGA_PAGE_SIZE));
        }
        break;
    case 0x06: /* scroll up AL lines, BH attribute, CX..DX the window */
    case 0x07: /* scroll down */
        scroll(&s, active_page(&s), bios_ah(r) == 0x06, bios_al(r),
               (uint8_t)(r->ebx >> 8), (r->ecx >> 8) & 0xff, r->ecx & 0xff,
               (r->edx >> 8) & 0xff, r->edx & 0xff);
        break;
    case 0x08: { /* read AH = attribute, AL = character at the cursor */
        page = page_of(&s, r);
        get_cursor(&s, page, &row, &col);
        const uint8_t *c = cell(&s, page, row, col);
        bios_set16(&r->eax, (uint16_t)(c[1] << 8 | c[0]));
        break;
    }
    case 0x09: /* write AL with attribute BL, CX times */
        write_chars(&s, r, true);
        break;
    case 0x0a: /* write AL, CX times */
        write_chars(&s, r, false);
        break;
    case 0x0e: { /* teletype AL */
        uint8_t ch = bios_al(r);
        teletype(&s, active_page(&s), ch, -1);
        return con ? pio_console_write(con, &ch, 1) : 0;
    }
    case 0x0f: /* AL = mode, AH = columns, BH = active page */
        bios_set16(&r->eax, (uint16_t)(VGA_COLS << 8 | s.bda[BDA_MODE]));
        bios_set8(&r->ebx, true, active_page(&s));
        break;
    case 0x12: /* BL = 10h: EGA information: colour, 256 KiB */
        if ((uint8_t)r->ebx == 0x10)
            bios_set16(&r->ebx, 0x0003);
        break;
    case 0x13:
        return write_string(&s, mem, con, r);
    case 0x1a: /* AL = 00h: display combination: VGA colour */
        if (bios_al(r) == 0x00) {
            bios_set_al(r, 0x1a);
            bios_set16(&r->ebx, 0x0008);
        }
        break;
    default:
        break;
    }
    return 0;
}

int vga_dump(const struct mem *mem, char *out, size_t cap)
{
    struct screen s;
    size_t n = 0;

    if (cap == 0)
        return -EINVAL;
    out[0] = '\0';
    if (map_screen(mem, &s) < 0)
        return -EFAULT;
    uint8_t page = active_page(&s);
    for (unsigned row = 0; row < VGA_ROWS; row++) {
        char line[VGA_COLS + 1];
        size_t len = 0;
        for (unsigned col = 0; col < VGA_COLS; col++) {
            uint8_t ch = cell(&s, page, row, col)[0];
            line[col] = ch == 0                     ? ' '
                        : (ch >= 0x20 && ch < 0x7f) ? (char)ch
                                                    : '.';
            if (line[col] != ' ')
                len = col + 1;
        }
        line[len++] = '\n';
        if (n + len + 1 > cap)
            break;
        memcpy(out + n, line, len);
        n += len;
    }
    out[n] = '\0';
    return (int)n;
}
