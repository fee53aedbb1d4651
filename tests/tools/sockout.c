/*
 * sockout: run a command with its stdout on a Unix stream socket whose
 * reader stops reading, as a service's stdout under systemd
 * (StandardOutput=socket) behaves when the log reader stalls.
 *
 *   sockout [-r BYTES] [-x] [-b SNDBUF] [-f FILE] -- CMD ARG...
 *
 * The other end of the socket stays here. sockout copies the first BYTES
 * bytes CMD writes (default 0) to its own stdout, then reads no more
 * until CMD exits; then it copies everything still queued, so what CMD
 * wrote arrives intact. With -x it closes its end after the first BYTES
 * instead (the reader went away) and waits for CMD. -b sets CMD's SO_SNDBUF (so
 * the socket fills sooner). Once the queue has been non-empty and unchanged for
 * 300 ms (the writer is stuck), it writes "sockout: full N" (N bytes queued) to
 * stderr and, with -f, creates FILE. stderr also gets "sockout: pid PID"
 * at the start. SIGINT and SIGTERM sent to sockout are passed on to CMD.
 * Exit status: CMD's, 128 + the signal if CMD was killed, 125 on
 * sockout's own failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_MS  100
#define STILL_MS 300

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

static int die(const char *what)
{
    fprintf(stderr, "sockout: %s: %s\n", what, strerror(errno));
    return 125;
}

/* Copy what fd has to stdout: at most max bytes (0: until EOF or EAGAIN). */
static int copy_out(int fd, size_t max, size_t *copied)
{
    char buf[65536];

    while (max == 0 || *copied < max) {
        size_t want = sizeof(buf);
        if (max && max - *copied < want)
            want = max - *copied;
        ssize_t n = read(fd, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN && max == 0)
            return 0;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -errno;
            off += w;
        }
        *copied += (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t first = 0, copied = 0;
    int sndbuf = 0, opt, sv[2], status;
    const char *flag_file = NULL;
    bool leave = false;

    while ((opt = getopt(argc, argv, "+r:xb:f:")) != -1) {
        switch (opt) {
        case 'x':
            leave = true;
            break;
        case 'r':
            first = strtoul(optarg, NULL, 0);
            break;
        case 'b':
            sndbuf = atoi(optarg);
            break;
        case 'f':
            flag_file = optarg;
            break;
        default:
            goto usage;
        }
    }
    if (optind >= argc) {
    usage:
        fprintf(stderr, "usage: sockout [-r BYTES] [-x] [-b SNDBUF] [-f FILE] "
                        "-- CMD ARG...\n");
        return 125;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return die("socketpair");
    if (sndbuf > 0 &&
        setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
        return die("SO_SNDBUF");

    struct sigaction sa = {.sa_handler = forward};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
        return die("sigaction");
    pid_t pid = fork();
    if (pid < 0)
        return die("fork");
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        if (dup2(sv[1], STDOUT_FILENO) < 0)
            _exit(die("dup2"));
        execvp(argv[optind], argv + optind);
        _exit(die(argv[optind]));
    }
    child_pid = pid;
    close(sv[1]);
    fprintf(stderr, "sockout: pid %d\n", (int)pid);

    int e = copy_out(sv[0], first, &copied);
    if (e < 0) {
        errno = -e;
        return die("copy");
    }
    if (leave) {
        close(sv[0]);
        while (waitpid(pid, &status, 0) < 0) {
            if (errno != EINTR)
                return die("waitpid");
        }
        child_pid = 0;
        goto out;
    }
    /* Stop reading; watch the queue until the command ends. */
    int last = -1, still_ms = 0;
    bool said_full = false;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w < 0 && errno != EINTR)
            return die("waitpid");
        if (w == pid)
            break;
        int queued = 0;
        if (ioctl(sv[0], FIONREAD, &queued) < 0)
            return die("FIONREAD");
        if (queued > 0 && queued == last) {
            still_ms += POLL_MS;
        } else {
            still_ms = 0;
        }
        last = queued;
        if (!said_full && still_ms >= STILL_MS) {
            said_full = true;
            fprintf(stderr, "sockout: full %d\n", queued);
            if (flag_file) {
                int fd = open(flag_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                if (fd < 0)
                    return die(flag_file);
                close(fd);
            }
        }
        poll(NULL, 0, POLL_MS);
    }
    child_pid = 0;
    if (fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
        return die("fcntl");
    e = copy_out(sv[0], 0, &copied);
    if (e < 0) {
        errno = -e;
        return die("copy");
    }
    close(sv[0]);
out:
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
