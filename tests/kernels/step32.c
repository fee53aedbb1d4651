/*
 * step32: a Multiboot kernel for the stepping tests and the bench
 * (mb32_entry.S calls mb32_main, whose value goes to isa-debug-exit).
 * Each loop is one source line of inline assembly, one row of the line
 * table, so that gdb's `next` over it is one step range (a C loop's
 * parts get rows of their own, which gdb steps through one by one);
 * step32_add is a function to `step` into. Built without optimisation
 * (per function) so each line keeps its own code. The marker comments
 * name the lines for the tests.
 */
#include <stdint.h>

#include "lib/kprint.h"
#include "lib/mbinfo.h"

#define STEP32_CODE __attribute__((noinline, optimize("O0")))

int mb32_main(uint32_t magic, uint32_t info);

volatile uint32_t step32_sum;

STEP32_CODE static uint32_t step32_add(uint32_t a, uint32_t b)
{
    return a + b; /* STEP32_LINE_ADD */
}

/* sum += n + (n - 1) + ... + 1: three instructions an iteration. */
#define STEP32_LOOP(sum, n)                                                    \
    __asm__ volatile("1: add %1, %0\n\tdec %1\n\tjnz 1b" : "+r"(sum), "+r"(n))

STEP32_CODE int mb32_main(uint32_t magic, uint32_t info)
{
    uint32_t sum = 0, n = 100, big = 10000;

    (void)magic;
    STEP32_LOOP(sum, n);             /* STEP32_LINE_LOOP */
    step32_sum = step32_add(sum, 1); /* STEP32_LINE_CALL */
    STEP32_LOOP(sum, big);           /* STEP32_LINE_BIG */
    step32_sum += sum;
    kprintf("step32: sum %u\n", (unsigned)step32_sum); /* STEP32_LINE_END */
    return mb_exit_code(info);
}
