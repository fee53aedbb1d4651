#ifndef VMM_TERM_H
#define VMM_TERM_H

/*
 * The terminal on stdin in raw mode while a boot disk's guest reads keys
 * (every byte, Ctrl-C included, goes to the guest; the escape Ctrl-A x
 * quits: see bios.h), and back to how it was on every way out that a
 * process can catch: a normal end through main, and the fatal signals
 * (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGHUP, SIGQUIT), whose
 * handler restores the terminal and re-raises. SIGKILL cannot be caught:
 * `stty sane` then.
 */

#include <stdbool.h>
#include <termios.h>

struct term {
    int fd; /* -1: not switched */
    struct termios saved;
};

void term_init(struct term *t);

/*
 * If fd is a terminal, save its modes and make it raw: no echo, no line
 * editing, no signals from keys, 8-bit bytes; output processing (\n to
 * \r\n) stays. Installs the fatal-signal handler. Returns 1 if switched,
 * 0 if fd is no terminal, -errno.
 */
int term_raw(struct term *t, int fd);

/* Put the saved modes back (idempotent). */
void term_restore(struct term *t);

#endif
