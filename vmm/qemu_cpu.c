/*
 * QEMU's -cpu for kvmstub: the models that mean "the CPUID the host's KVM
 * supports", and +FLAG/-FLAG as claims about that CPUID.
 */
#include "qemu_cpu.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* QEMU's on/off booleans ("on", "yes", "true"; no value means on). */
static int onoff(const char *v)
{
    if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true"))
        return 1;
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false"))
        return 0;
    return -1;
}

/* The host's CPUID vendor, which KVM passes through. */
static void host_vendor(char out[13])
{
    unsigned a, b = 0, c = 0, d = 0;

    __get_cpuid(0, &a, &b, &c, &d);
    memcpy(out, &b, 4);
    memcpy(out + 4, &d, 4);
    memcpy(out + 8, &c, 4);
    out[12] = '\0';
}

/*
 * CPUID feature flags by QEMU's names: leaf, subleaf, register, bit
 * (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, appendix E).
 */
static const struct cli_cpu_feat features[] = {
    {"pcid", 1, 0, 2, 17, true},
    {"x2apic", 1, 0, 2, 21, true},
    {"tsc-deadline", 1, 0, 2, 24, true},
    {"xsave", 1, 0, 2, 26, true},
    {"vmx", 1, 0, 2, 5, true},
    {"smep", 7, 0, 1, 7, true},
    {"invpcid", 7, 0, 1, 10, true},
    {"smap", 7, 0, 1, 20, true},
    {"umip", 7, 0, 2, 2, true},
    {"pku", 7, 0, 2, 3, true},
    {"la57", 7, 0, 2, 16, true},
    {"arch-capabilities", 7, 0, 3, 29, true},
    {"svm", 0x80000001u, 0, 2, 2, true},
    {"skinit", 0x80000001u, 0, 2, 12, true},
    {"rdtscp", 0x80000001u, 0, 3, 27, true},
    {"npt", 0x8000000au, 0, 3, 0, true},
};

/* "+f", "-f", "f=on|off" or a bare "f": the flag and whether it is on. */
static const struct cli_cpu_feat *cpu_flag(const char *k, const char *v,
                                           bool *on)
{
    int b = 1;

    if (!v && (*k == '+' || *k == '-'))
        b = *k++ == '+';
    else if (v)
        b = onoff(v);
    if (b < 0)
        return NULL;
    *on = b == 1;
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
        if (!strcmp(k, features[i].name))
            return &features[i];
    return NULL;
}

/*
 * -cpu host|max[,host-phys-bits][,migratable=no][,vendor=HOST'S][,+F,-F]:
 * kvmstub always gives the CPUID the host's KVM supports, which is what
 * host and max mean. It edits nothing, so +F and -F are claims that the
 * host's KVM does (not) offer F, checked by qemu_cli_check_cpu; other
 * models and unknown flags are refused.
 */
int qemu_cpu_parse(const char *arg, struct cli_opts *o, const char **why)
{
    char buf[512], vendor[13];
    char *save = NULL;
    bool on;

    if (strlen(arg) >= sizeof(buf)) {
        *why = "too long";
        return -EINVAL;
    }
    memcpy(buf, arg, strlen(arg) + 1);
    char *model = strtok_r(buf, ",", &save);
    if (!model || (strcmp(model, "host") && strcmp(model, "max"))) {
        *why = "the guest sees the host's CPUID (host, max)";
        return -EINVAL;
    }
    host_vendor(vendor);
    o->cpu_arg = arg;
    for (char *k; (k = strtok_r(NULL, ",", &save));) {
        char *v = strchr(k, '=');
        if (v)
            *v++ = '\0';
        if ((!strcmp(k, "host-phys-bits") && onoff(v) == 1) ||
            (!strcmp(k, "migratable") && onoff(v) == 0) ||
            (!strcmp(k, "vendor") && v && !strcmp(v, vendor)))
            continue;
        const struct cli_cpu_feat *f = cpu_flag(k, v, &on);
        if (!f || o->ncpu_feat == CLI_CPU_FEAT_MAX) {
            *why = "CPUID edits (the guest sees the host's CPUID as KVM "
                   "supports it)";
            return -EINVAL;
        }
        struct cli_cpu_feat *d = &o->cpu_feat[o->ncpu_feat++];
        *d = *f;
        d->on = on;
    }
    return 0;
}

int qemu_cpu_check(const struct cli_opts *o, const struct kvm_cpuid2 *t,
                   char *err, size_t errsz)
{
    for (unsigned i = 0; i < o->ncpu_feat; i++) {
        const struct cli_cpu_feat *f = &o->cpu_feat[i];
        bool has = false;
        for (uint32_t j = 0; j < t->nent; j++) {
            const struct kvm_cpuid_entry2 *e = &t->entries[j];
            bool indexed = e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
            if (e->function != f->leaf || (indexed && e->index != f->index))
                continue;
            uint32_t r[4] = {e->eax, e->ebx, e->ecx, e->edx};
            has = (r[f->reg] >> f->bit) & 1;
            break;
        }
        if (has != f->on) {
            snprintf(err, errsz,
                     "kvmstub does not implement -cpu %s: this host's KVM "
                     "%s %s and kvmstub does not edit CPUID",
                     o->cpu_arg ? o->cpu_arg : "", has ? "offers" : "lacks",
                     f->name);
            return -EINVAL;
        }
    }
    return 0;
}
