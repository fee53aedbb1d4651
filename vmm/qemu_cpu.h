#ifndef VMM_QEMU_CPU_H
#define VMM_QEMU_CPU_H

/*
 * QEMU's -cpu: kvmstub gives the guest the CPUID the host's KVM supports
 * and edits nothing, so "host" and "max" are accepted and each +FLAG or
 * -FLAG is a claim about that CPUID, checked before the VM is built.
 */

#include "cli.h"

struct kvm_cpuid2;

/*
 * Parse a -cpu value ("max,host-phys-bits,+x2apic") into o->cpu_arg and
 * o->cpu_feat. Returns 0, or -EINVAL with *why (static text) saying what
 * kvmstub cannot do.
 */
int qemu_cpu_parse(const char *arg, struct cli_opts *o, const char **why);

/*
 * Check o's +FLAG/-FLAG claims against t, the host's
 * KVM_GET_SUPPORTED_CPUID table. Returns 0, or -EINVAL with err saying
 * which flag the host's KVM offers or lacks.
 */
int qemu_cpu_check(const struct cli_opts *o, const struct kvm_cpuid2 *t,
                   char *err, size_t errsz);

#endif
