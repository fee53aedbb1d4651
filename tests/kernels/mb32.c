/*
 * mb32: a 32-bit Multiboot kernel (ELF, and the same code as an a.out-
 * kludge flat binary). Prints the boot information it was given, calls
 * mb32_checkpoint() (a place for a debugger's breakpoint), and exits
 * through isa-debug-exit with 0, the command line's exit=N, or 1 when the
 * information is wrong. Runs in flat 32-bit protected mode, no paging, no
 * interrupts (it needs none).
 */
#include <stdint.h>

#include "lib/kprint.h"
#include "lib/mbinfo.h"

int mb32_main(uint32_t magic, uint32_t info);
void mb32_checkpoint(int step);

volatile int mb32_steps; /* what a debugger at mb32_checkpoint can read */

__attribute__((noinline)) void mb32_checkpoint(int step)
{
    mb32_steps += step;
    __asm__ volatile("" ::: "memory");
}

int mb32_main(uint32_t magic, uint32_t info)
{
    kcons_init();
    kprintf("mb32: hello, console port 0x%x\n", kcons_port());
    int bad = mb_print_info(magic, info);
    mb32_checkpoint(1);
    int code = bad ? 1 : mb_exit_code(info);
    kprintf("mb32: %s, exit %d\n", bad ? "FAILED" : "done", code);
    return code;
}
