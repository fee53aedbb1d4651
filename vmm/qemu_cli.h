#ifndef VMM_QEMU_CLI_H
#define VMM_QEMU_CLI_H

/*
 * qemu-system-x86_64's spelling of the options kvmstub implements, so a
 * command line written for QEMU runs unchanged. Each QEMU option is
 * translated into native arguments (kept in o->qemu) that the native
 * parser then checks as if the user had typed them; a QEMU option with no
 * native counterpart is refused by name. Prints nothing.
 */

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"

/*
 * Whether argv is in QEMU's spelling: some argument is a single-dash word
 * that is not one of the native short options (-m SIZE, -g SPEC, -v, -h),
 * such as -kernel, -nographic, -s, -S or -M.
 */
bool qemu_cli_is_qemu(int argc, char **argv);

/*
 * Parse QEMU's spelling into o (set to the defaults by cli_parse).
 * Returns the action as cli_parse does; on CLI_USAGE_ERROR err says why,
 * e.g. "kvmstub does not implement -netdev". Pointers in o point into
 * argv or o->qemu.
 */
enum cli_action qemu_cli_parse(int argc, char **argv, struct cli_opts *o,
                               char *err, size_t errsz);

/* The text for QEMU's -device help (CLI_QEMU_DEVICES), in QEMU's format. */
const char *qemu_cli_devices(void);

/* The text for QEMU's -machine help (CLI_QEMU_MACHINES). */
const char *qemu_cli_machines(void);

#endif
