/*
 * backlog: a Unix socket listener that never accepts, with its listen
 * queue filled, as a VMM looks to a second one on the same path while the
 * first one's debugger stalls it.
 *
 *   backlog PATH
 *
 * Binds PATH (which must not exist), listens with a backlog of 0 and
 * connects to itself (non-blocking) until the kernel says the queue is
 * full (EAGAIN), then prints "backlog: full N" (N connections queued) on
 * stdout and waits for SIGINT or SIGTERM; then it unlinks PATH and exits
 * 0. Exit status 1 on a failure, 2 on a usage error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONN 64

int main(int argc, char **argv)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int lfd, conns[MAX_CONN], n = 0, sig;
    sigset_t quit;

    if (argc != 2 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
        fprintf(stderr, "usage: backlog PATH\n");
        return 2;
    }
    strcpy(sun.sun_path, argv[1]);
    /* Blocked now, taken by sigwait later: no handler races the setup. */
    sigemptyset(&quit);
    sigaddset(&quit, SIGINT);
    sigaddset(&quit, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &quit, NULL) < 0) {
        perror("backlog: sigprocmask");
        return 1;
    }
    lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(lfd, 0) < 0) {
        fprintf(stderr, "backlog: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (;;) {
        if (n == MAX_CONN) {
            fprintf(stderr, "backlog: the queue never filled\n");
            unlink(argv[1]);
            return 1;
        }
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) {
            perror("backlog: socket");
            unlink(argv[1]);
            return 1;
        }
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            conns[n++] = fd;
            continue;
        }
        int e = errno;
        close(fd);
        if (e == EAGAIN)
            break;
        fprintf(stderr, "backlog: connect: %s\n", strerror(e));
        unlink(argv[1]);
        return 1;
    }
    printf("backlog: full %d\n", n);
    fflush(stdout);
    while (sigwait(&quit, &sig) != 0)
        continue;
    unlink(argv[1]);
    for (int i = 0; i < n; i++)
        close(conns[i]);
    close(lfd);
    return 0;
}
