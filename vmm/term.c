#include "term.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/*
 * What the fatal-signal handler restores. A handler has no context
 * pointer, so this one copy is global (STYLE allows only sig_atomic_t
 * flags; a terminal left raw after a crash is worse): written before the
 * handler is installed, read only by it.
 */
static struct termios crash_modes;
static volatile sig_atomic_t crash_fd = -1;

static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                            SIGABRT, SIGHUP, SIGQUIT};

static void on_fatal(int sig)
{
    if (crash_fd >= 0)
        tcsetattr(crash_fd, TCSANOW, &crash_modes);
    signal(sig, SIG_DFL);
    raise(sig);
}

void term_init(struct term *t)
{
    *t = (struct term){.fd = -1};
}

int term_raw(struct term *t, int fd)
{
    struct termios raw;

    if (t->fd >= 0)
        return 1;
    if (!isatty(fd))
        return 0;
    if (tcgetattr(fd, &t->saved) < 0)
        return -errno;
    raw = t->saved;
    raw.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
                               IGNCR | ICRNL | IXON);
    raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    raw.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    raw.c_cflag |= CS8;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    crash_modes = t->saved;
    crash_fd = fd;
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_fatal;
        sa.sa_flags = SA_RESETHAND;
        sigemptyset(&sa.sa_mask);
        if (sigaction(fatal[i], &sa, NULL) < 0)
            return -errno;
    }
    if (tcsetattr(fd, TCSANOW, &raw) < 0) {
        crash_fd = -1;
        return -errno;
    }
    t->fd = fd;
    return 1;
}

void term_restore(struct term *t)
{
    if (t->fd < 0)
        return;
    tcsetattr(t->fd, TCSANOW, &t->saved);
    crash_fd = -1;
    t->fd = -1;
}
