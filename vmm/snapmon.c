#include "snapmon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "snapfile.h"

const char snapmon_help[] =
    "savevm NAME  snapshot the machine in memory (replacing NAME)\n"
    "loadvm NAME  go back to snapshot NAME (then: maint flush "
    "register-cache)\n"
    "delvm NAME   forget snapshot NAME\n"
    "info snapshots  list the snapshots\n"
    "savevm-file PATH  write a snapshot file (vmm --restore PATH)\n";

void snapmon_init(struct snapmon *sm, struct snap_machine *m)
{
    *sm = (struct snapmon){.m = m};
}

void snapmon_destroy(struct snapmon *sm)
{
    for (size_t i = 0; i < sm->n; i++)
        snap_free(&sm->v[i]);
    sm->n = 0;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static struct snap *find(struct snapmon *sm, const char *name)
{
    for (size_t i = 0; i < sm->n; i++)
        if (!strcmp(sm->v[i].name, name))
            return &sm->v[i];
    return NULL;
}

static int say_err(char *out, size_t cap, const char *what, const char *op,
                   int e)
{
    return snprintf(out, cap, "Error: %s: %s: %s\n", what, op ? op : "KVM",
                    strerror(-e));
}

static int savevm(struct snapmon *sm, const char *name, char *out, size_t cap)
{
    struct timespec t0;
    struct snap s, *old;
    int e;

    if (!*name || strlen(name) > SNAP_NAME_MAX || strchr(name, ' '))
        return snprintf(out, cap,
                        "Error: savevm NAME: a name of 1-%d "
                        "characters without spaces\n",
                        SNAP_NAME_MAX);
    old = find(sm, name);
    if (!old && sm->n == SNAPMON_MAX)
        return snprintf(out, cap, "Error: %d snapshots already; delvm one\n",
                        SNAPMON_MAX);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((e = snap_take_reuse(sm->m, &s, old)) < 0)
        return say_err(out, cap, "savevm", sm->m->err_op, e);
    snprintf(s.name, sizeof(s.name), "%s", name);
    if (old)
        snap_free(old);
    else
        old = &sm->v[sm->n++];
    *old = s;
    return snprintf(out, cap, "snapshot '%s' saved: %llu KiB of RAM, %.1f ms\n",
                    name, (unsigned long long)(s.ram.nr_pages * 4),
                    ms_since(&t0));
}

static int loadvm(struct snapmon *sm, const char *name, char *out, size_t cap)
{
    struct timespec t0;
    struct snap *s = find(sm, name);
    int e;

    if (!s)
        return snprintf(out, cap, "Error: no snapshot named '%s'\n", name);
    if (sm->rec)
        return snprintf(out, cap,
                        "Error: loadvm is not available in "
                        "record mode (use reverse execution)\n");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((e = snap_restore(sm->m, s)) < 0) {
        if (sm->m->why[0])
            return snprintf(out, cap, "Error: loadvm: %s\n", sm->m->why);
        return say_err(out, cap, "loadvm", sm->m->err_op, e);
    }
    sm->loads++;
    return snprintf(out, cap, "snapshot '%s' loaded: %.1f ms\n", name,
                    ms_since(&t0));
}

static int info(struct snapmon *sm, char *out, size_t cap)
{
    size_t n = 0;

    if (!sm->n)
        return snprintf(out, cap, "There is no snapshot available.\n");
    n += (size_t)snprintf(out, cap, "ID  TAG                 VM SIZE\n");
    for (size_t i = 0; i < sm->n && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%-3zu %-19s %6zu KiB\n", i + 1,
                              sm->v[i].name, snap_bytes(&sm->v[i]) >> 10);
    return (int)(n < cap ? n : cap - 1);
}

static int save_file(struct snapmon *sm, const char *path, char *out,
                     size_t cap)
{
    struct timespec t0;
    struct snap s;
    int e;

    if (!*path)
        return snprintf(out, cap, "Error: savevm-file PATH\n");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((e = snap_take(sm->m, &s)) < 0)
        return say_err(out, cap, "savevm-file", sm->m->err_op, e);
    e = snap_file_write(&s, path);
    snap_free(&s);
    if (e < 0)
        return say_err(out, cap, "savevm-file", path, e);
    return snprintf(out, cap, "snapshot written to %s: %.1f ms\n", path,
                    ms_since(&t0));
}

static const char *arg(const char *cmd, const char *word)
{
    size_t n = strlen(word);

    if (strncmp(cmd, word, n))
        return NULL;
    if (cmd[n] == '\0')
        return cmd + n;
    return cmd[n] == ' ' ? cmd + n + 1 : NULL;
}

bool snapmon_is_vcpu_cmd(const char *cmd)
{
    return arg(cmd, "savevm") || arg(cmd, "loadvm") || arg(cmd, "savevm-file");
}

int snapmon_command(struct snapmon *sm, const char *cmd, char *out, size_t cap)
{
    const char *a;

    if (cap == 0)
        return -EINVAL;
    out[0] = '\0';
    if ((a = arg(cmd, "savevm")))
        return savevm(sm, a, out, cap);
    if ((a = arg(cmd, "loadvm")))
        return loadvm(sm, a, out, cap);
    if ((a = arg(cmd, "delvm"))) {
        struct snap *s = find(sm, a);
        if (!s)
            return snprintf(out, cap, "Error: no snapshot named '%s'\n", a);
        snap_free(s);
        size_t i = (size_t)(s - sm->v);
        memmove(&sm->v[i], &sm->v[i + 1], (sm->n - i - 1) * sizeof(sm->v[0]));
        sm->n--;
        return snprintf(out, cap, "snapshot '%s' deleted\n", a);
    }
    if (!strcmp(cmd, "info snapshots"))
        return info(sm, out, cap);
    if ((a = arg(cmd, "savevm-file")))
        return save_file(sm, a, out, cap);
    return -ENOENT;
}
