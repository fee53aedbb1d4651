/*
 * Runs the fuzz target over every file in the given directories without
 * libFuzzer, so the seed corpus (and every crash turned into a regression
 * input) runs in `make test` under plain gcc. Prints "N passed, N failed".
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0;

    if (!f)
        return -1;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        if (n == 0)
            break;
        len += n;
    }
    int err = ferror(f);
    fclose(f);
    if (!err)
        LLVMFuzzerTestOneInput(buf, len); /* aborts on a failed invariant */
    free(buf);
    return err ? -1 : 0;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        if (!d) {
            printf("not ok %s: cannot open\n", argv[i]);
            failed++;
            continue;
        }
        while ((e = readdir(d))) {
            char path[4096];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (run_file(path) < 0) {
                printf("not ok %s\n", path);
                failed++;
            } else {
                printf("ok %s\n", path);
                passed++;
            }
        }
        closedir(d);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
