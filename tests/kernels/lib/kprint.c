#include "kprint.h"

#include "io.h"

static uint16_t port = KCONS_BARE;
static char line[128];
static unsigned long fill;

void kcons_init(void)
{
    port = inb(KCONS_DEBUGCON) == KCONS_DEBUGCON ? KCONS_DEBUGCON : KCONS_BARE;
}

uint16_t kcons_port(void)
{
    return port;
}

void kflush(void)
{
    if (fill)
        outsb(port, line, fill);
    fill = 0;
}

void kputc(char c)
{
    line[fill++] = c;
    if (c == '\n' || fill == sizeof(line))
        kflush();
}

void kputs(const char *s)
{
    while (*s)
        kputc(*s++);
}

static void put_num(unsigned long long v, unsigned base, int width, char pad,
                    int neg)
{
    char buf[24];
    int n = 0;

    do {
        unsigned d;
        if (base == 16) {
            d = (unsigned)(v & 15);
            v >>= 4;
        } else { /* decimal: native-width division (no libgcc on i386) */
            unsigned long w = (unsigned long)v;
            d = (unsigned)(w % 10);
            v = w / 10;
        }
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
    } while (v);
    if (neg)
        buf[n++] = '-';
    while (n < width--)
        kputc(pad);
    while (n)
        kputc(buf[--n]);
}

void kvprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            kputc(*fmt);
            continue;
        }
        char pad = ' ';
        int width = 0, lng = 0;
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'c':
            kputc((char)va_arg(ap, int));
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            kputs(s ? s : "(null)");
            break;
        }
        case 'd': {
            long v = lng ? va_arg(ap, long) : va_arg(ap, int);
            put_num(v < 0 ? -(unsigned long)v : (unsigned long)v, 10, width,
                    pad, v < 0);
            break;
        }
        case 'u':
            put_num(lng ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10,
                    width, pad, 0);
            break;
        case 'x':
            put_num(lng > 1   ? va_arg(ap, unsigned long long)
                    : lng > 0 ? va_arg(ap, unsigned long)
                              : va_arg(ap, unsigned),
                    16, width, pad, 0);
            break;
        case 'p':
            kputs("0x");
            put_num((unsigned long)va_arg(ap, void *), 16, width, pad, 0);
            break;
        case '%':
            kputc('%');
            break;
        default: /* unknown: print it as is */
            kputc('%');
            if (!*fmt)
                return;
            kputc(*fmt);
            break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void kexit(int code)
{
    kflush();
    outl(KEXIT_PORT, (uint32_t)code);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void *memset(void *d, int c, unsigned long n)
{
    unsigned char *p = d;

    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    return memmove(d, s, n);
}

void *memmove(void *d, const void *s, unsigned long n)
{
    unsigned char *p = d;
    const unsigned char *q = s;

    if (p < q) {
        while (n--)
            *p++ = *q++;
    } else {
        while (n--)
            p[n] = q[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
    const unsigned char *p = a, *q = b;

    for (; n; n--, p++, q++) {
        if (*p != *q)
            return *p - *q;
    }
    return 0;
}

unsigned long strlen(const char *s)
{
    unsigned long n = 0;

    while (s[n])
        n++;
    return n;
}
