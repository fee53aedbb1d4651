#include "idt64.h"

#include "kprint.h"

/* Intel SDM vol. 3A, 7.14.1 64-Bit Mode IDT: 16-byte gate descriptors. */
struct gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, reserved;
};

extern const char isr_stubs[]; /* 256 stubs, 16 bytes apart (isr64.S) */
void idt_dispatch(struct intr_frame *f);

static struct gate idt[256] __attribute__((aligned(16)));
static intr_handler handlers[256];

void idt_init(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(unsigned long)(isr_stubs + 16 * v);
        idt[v] = (struct gate){.off0 = (uint16_t)a,
                               .sel = 0x08,
                               .type = 0x8e, /* present, DPL 0, int gate */
                               .off1 = (uint16_t)(a >> 16),
                               .off2 = (uint32_t)(a >> 32)};
    }
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } desc = {sizeof(idt) - 1, (uint64_t)(unsigned long)idt};
    __asm__ volatile("lidt %0" : : "m"(desc));
}

void idt_set_handler(uint8_t vec, intr_handler fn)
{
    handlers[vec] = fn;
}

void idt_dispatch(struct intr_frame *f)
{
    intr_handler h = handlers[f->vector & 0xff];

    if (h) {
        h(f);
        return;
    }
    kprintf("idt: unexpected vector %lu, error 0x%lx, rip 0x%lx, rsp 0x%lx\n",
            (unsigned long)f->vector, (unsigned long)f->error,
            (unsigned long)f->rip, (unsigned long)f->rsp);
    kexit(3);
}
