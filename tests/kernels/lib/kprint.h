#ifndef KLIB_KPRINT_H
#define KLIB_KPRINT_H

/*
 * Console output and exit for the test kernels.
 *
 * The console is port 0xe9 (QEMU's isa-debugcon, the pc machine's debug
 * console) when a read of 0xe9 gives 0xe9 back, as that device does, and
 * port 0xf1 (the bare machine's console) otherwise, so a kernel prints
 * once on either machine. Output is line buffered and written with one
 * `rep outsb` per line.
 */

#include <stdarg.h>
#include <stdint.h>

#define KCONS_DEBUGCON 0xe9
#define KCONS_BARE     0xf1
#define KEXIT_PORT     0xf4 /* isa-debug-exit: the VMM exits (code << 1) | 1 */

/* Pick the console port. Call once before printing. */
void kcons_init(void);

/* The port kcons_init picked. */
uint16_t kcons_port(void);

/* Flush the line buffer. */
void kflush(void);

void kputc(char c);
void kputs(const char *s);

/*
 * printf-lite: %c %s %d %u %x %p %%, the l and ll length modifiers (ll with
 * x only on 32-bit), a field width with optional 0 flag. No floating point.
 */
void kvprintf(const char *fmt, va_list ap);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flush, write code to isa-debug-exit, then halt forever (if it returns). */
void kexit(int code) __attribute__((noreturn));

/* The freestanding C runtime: the compiler may call these. */
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
void *memmove(void *d, const void *s, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);
unsigned long strlen(const char *s);

#endif
