#ifndef VMM_HW_POWER_H
#define VMM_HW_POWER_H

/*
 * Requests a device makes of the machine as a whole: end with a status
 * (isa-debug-exit), reset (port 0x92, 0x64, 0xcf9), power off or sleep
 * (ACPI PM1a). A device's port handler records the request and returns;
 * the run loop sees it after the exit and stops the vCPU there, so the
 * request takes effect exactly after the instruction that made it.
 * The first request wins until the run loop takes it.
 */

#include <stdbool.h>

enum power_req {
    POWER_NONE,
    POWER_EXIT,     /* end the VMM with exit status `status` */
    POWER_RESET,    /* the guest asked for a reset */
    POWER_SHUTDOWN, /* ACPI S5 / power off */
    POWER_SLEEP,    /* ACPI S3 (suspend to RAM) */
    POWER_BOOT,     /* the firmware's POST is done: enter the loaded kernel */
};

struct power {
    enum power_req req;
    int status; /* POWER_EXIT */
};

static inline void power_request(struct power *p, enum power_req req,
                                 int status)
{
    if (p && p->req == POWER_NONE) {
        p->req = req;
        p->status = status;
    }
}

static inline bool power_pending(const struct power *p)
{
    return p && p->req != POWER_NONE;
}

#endif
