#include "dump.h"

#include <stdarg.h>
#include <stdio.h>

#include "mem.h"
#include "vcpu.h"

struct out {
    char *buf;
    size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o,
                                                      const char *fmt, ...)
{
    va_list ap;

    if (o->len >= o->cap)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
    if (o->len >= o->cap)
        o->len = o->cap - 1;
}

int dump_regs(struct vcpu *c, struct mem *m, char *buf, size_t cap)
{
    return dump_regs_view(c, m, NULL, NULL, buf, cap);
}

int dump_regs_view(struct vcpu *c, struct mem *m,
                   int (*read)(void *rctx, uint64_t addr, void *buf,
                               size_t len),
                   void *rctx, char *buf, size_t cap)
{
    struct kvm_regs *r = NULL;
    struct kvm_sregs *s = NULL;
    struct out o = {buf, cap, 0};
    int e;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if ((e = vcpu_get_regs(c, &r)) < 0 || (e = vcpu_get_sregs(c, &s)) < 0)
        return e;
    put(&o, "rax %016llx rbx %016llx rcx %016llx rdx %016llx\n", r->rax, r->rbx,
        r->rcx, r->rdx);
    put(&o, "rsi %016llx rdi %016llx rsp %016llx rbp %016llx\n", r->rsi, r->rdi,
        r->rsp, r->rbp);
    put(&o, "r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n", r->r8, r->r9,
        r->r10, r->r11);
    put(&o, "r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n", r->r12, r->r13,
        r->r14, r->r15);
    put(&o, "rip %016llx rflags %08llx cr0 %08llx\n", r->rip, r->rflags,
        s->cr0);
    put(&o, "cs %04x ds %04x es %04x ss %04x fs %04x gs %04x\n", s->cs.selector,
        s->ds.selector, s->es.selector, s->ss.selector, s->fs.selector,
        s->gs.selector);
    uint64_t lin = s->cs.base + r->rip, gpa;
    put(&o, "cs:ip %04x:%04llx (linear 0x%llx) bytes:", s->cs.selector,
        (unsigned long long)r->rip, (unsigned long long)lin);
    unsigned char code[16];
    if (read && read(rctx, lin, code, sizeof(code)) == 0) {
        for (int i = 0; i < 16; i++)
            put(&o, " %02x", code[i]);
    } else if (vcpu_translate(c, lin, &gpa) == 0) {
        for (int i = 0; i < 16; i++) {
            const unsigned char *p = mem_gpa_to_hva(m, gpa + (uint64_t)i, 1);
            if (!p) {
                put(&o, " (outside RAM)");
                break;
            }
            put(&o, " %02x", *p);
        }
    } else {
        put(&o, " (not mapped)");
    }
    put(&o, "\n");
    return (int)o.len;
}

static void seg(struct out *o, const char *name, const struct kvm_segment *s)
{
    put(o,
        "%-3s sel %04x base %016llx limit %08x type %x s %u dpl %u p %u "
        "db %u l %u g %u\n",
        name, s->selector, s->base, s->limit, s->type, s->s, s->dpl, s->present,
        s->db, s->l, s->g);
}

int dump_sregs(struct vcpu *c, char *buf, size_t cap)
{
    struct kvm_sregs *s = NULL;
    struct out o = {buf, cap, 0};
    int e;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if ((e = vcpu_get_sregs(c, &s)) < 0)
        return e;
    put(&o, "cr0 %016llx cr2 %016llx cr3 %016llx\n", s->cr0, s->cr2, s->cr3);
    put(&o, "cr4 %016llx cr8 %016llx efer %016llx\n", s->cr4, s->cr8, s->efer);
    put(&o, "apic_base %016llx\n", s->apic_base);
    seg(&o, "cs", &s->cs);
    seg(&o, "ds", &s->ds);
    seg(&o, "es", &s->es);
    seg(&o, "fs", &s->fs);
    seg(&o, "gs", &s->gs);
    seg(&o, "ss", &s->ss);
    seg(&o, "tr", &s->tr);
    seg(&o, "ldt", &s->ldt);
    put(&o, "gdtr base %016llx limit %04x\n", s->gdt.base, s->gdt.limit);
    put(&o, "idtr base %016llx limit %04x\n", s->idt.base, s->idt.limit);
    return (int)o.len;
}
