/*
 * mb64: a kvm-unit-tests style 64-bit kernel (32-bit Multiboot entry,
 * long mode, 64-bit C). Prints the boot information like mb32, then
 * checks its IDT: a #UD from ud2 is recovered by a handler that moves rip
 * past the instruction; with the command-line word "softint", int $0x40
 * reaches its handler, which changes the caller's rax (not on KVM
 * backends that cannot emulate int n); with "timer", three PIT interrupts
 * arrive through the 8259 (needs the pc machine's PIC and PIT). Exits 0
 * (or exit=N from the command line), 1 when the boot information is
 * wrong, 2 when an interrupt check fails, 3 on an unexpected exception.
 */
#include <stdint.h>

#include "lib/idt64.h"
#include "lib/io.h"
#include "lib/pic.h"
#include "lib/kprint.h"
#include "lib/mbinfo.h"

int mb64_main(uint32_t magic, uint32_t info);

static volatile int soft_hits, ud_hits, ticks;

static void on_soft(struct intr_frame *f)
{
    soft_hits++;
    f->rax += 1; /* the interrupted code sees this */
}

static void on_ud(struct intr_frame *f)
{
    ud_hits++;
    f->rip += 2; /* ud2 is 0f 0b */
}

static void on_timer(struct intr_frame *f)
{
    (void)f;
    ticks++;
    outb(PIC1_CMD, 0x20); /* non-specific EOI */
}

/* A #UD from ud2, recovered by moving rip past it. */
static int check_ud(void)
{
    idt_set_handler(6, on_ud);
    __asm__ volatile("ud2" : : : "memory");
    if (ud_hits != 1) {
        kprintf("idt: FAIL ud2: %d hits\n", ud_hits);
        return 1;
    }
    kprintf("idt: #UD handled\n");
    return 0;
}

/* int $0x40 reaches its handler, which changes rax for the caller. */
static int check_soft(void)
{
    uint64_t v = 41;

    idt_set_handler(0x40, on_soft);
    __asm__ volatile("int $0x40" : "+a"(v) : : "memory");
    if (soft_hits != 1 || v != 42) {
        kprintf("idt: FAIL int $0x40: %d hits, rax %lu\n", soft_hits,
                (unsigned long)v);
        return 1;
    }
    kprintf("idt: int $0x40 handled\n");
    return 0;
}

/*
 * Three PIT ticks through the 8259: IRQ0 at vector 0x20. The local APIC
 * passes the PIC's output on as ExtINT through LINT0 (no firmware ran to
 * set that up: Intel SDM vol. 3A, 11.5.1 Local Vector Table).
 */
static int check_timer(void)
{
    volatile uint32_t *lapic = (volatile uint32_t *)0xfee00000ul;

    lapic[0xf0 / 4] = 0x1ff;  /* SVR: APIC enabled, spurious vector 0xff */
    lapic[0x350 / 4] = 0x700; /* LVT LINT0: ExtINT, not masked */
    pic_init(0x20, 0x28);
    outb(PIC1_DATA, 0xfe); /* IRQ0 only */
    outb(PIC2_DATA, 0xff);
    idt_set_handler(0x20, on_timer);
    pit_periodic(1000);
    irq_enable();
    while (ticks < 3)
        __asm__ volatile("hlt");
    irq_disable();
    kprintf("idt: 3 timer interrupts (PIT IRQ0 via the 8259)\n");
    return 0;
}

int mb64_main(uint32_t magic, uint32_t info)
{
    kcons_init();
    kprintf("mb64: hello from long mode, console port 0x%x\n", kcons_port());
    int failed = mb_print_info(magic, info) ? 1 : 0;
    if (!failed) {
        idt_init();
        if (check_ud() || (mb_cmdline_has(info, "softint") && check_soft()) ||
            (mb_cmdline_has(info, "timer") && check_timer()))
            failed = 2;
    }
    int code = failed ? failed : mb_exit_code(info);
    kprintf("mb64: %s, exit %d\n", failed ? "FAILED" : "done", code);
    return code;
}
