/*
 * libFuzzer target over the snapshot file parser: snap_parse must refuse
 * the input with a message or return a snapshot whose counts agree (vCPUs
 * within bounds, MSRs within bounds, the RAM bitmap's pages = the pages
 * stored, none past the end). A failed invariant aborts, which libFuzzer
 * reports; memory errors the sanitizers catch.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm/snapfile.h"
#include "vmm/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz invariant failed: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct snap s;
    char err[256];
    int e = snap_parse(data, size, &s, err, sizeof(err));

    if (e < 0) {
        check(e == -EINVAL || e == -ENOMEM, "error code");
        check(e == -ENOMEM || err[0] != '\0', "a message");
        return 0;
    }
    check(s.nr_vcpus >= 1 && s.nr_vcpus <= SNAP_MAX_VCPUS, "vCPU count");
    for (uint32_t i = 0; i < s.nr_vcpus; i++)
        check(s.vcpu[i].nr_msrs <= SNAP_MAX_MSRS, "MSR count");
    uint64_t pages = s.ram.size / 4096, n = 0;
    for (uint64_t i = 0; i < pages; i++)
        n += (s.ram.map[i / 8] >> (i % 8)) & 1;
    check(n == s.ram.nr_pages, "bitmap agrees");
    check(s.ram.size == s.mem_size, "RAM size");
    snap_free(&s);
    return 0;
}
