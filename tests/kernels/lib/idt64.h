#ifndef KLIB_IDT64_H
#define KLIB_IDT64_H

/*
 * A 64-bit IDT for the test kernels: all 256 vectors go through one
 * assembly stub that saves the general registers and calls the C handler
 * registered for the vector, with the frame it may change (e.g. rip to
 * skip a faulting instruction); iretq then resumes with the frame. A
 * vector without a handler prints the frame and exits with status 3.
 * Interrupt gates (IF cleared on entry), IST 0, no privilege change.
 */

#include <stdint.h>

/* What the stub and the CPU pushed, lowest address first. */
struct intr_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error; /* error is 0 for vectors without one */
    uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*intr_handler)(struct intr_frame *f);

/* Fill the IDT with the 256 stubs and load it (lidt). */
void idt_init(void);

/* Route vector vec to fn (NULL: back to the default report-and-exit). */
void idt_set_handler(uint8_t vec, intr_handler fn);

static inline void irq_enable(void)
{
    __asm__ volatile("sti");
}

static inline void irq_disable(void)
{
    __asm__ volatile("cli");
}

#endif
