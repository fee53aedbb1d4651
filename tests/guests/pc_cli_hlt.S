/*
 * pc_cli_hlt: `hlt` with interrupts off on the pc machine, where HLT
 * waits in the kernel for an interrupt: prints "hlt\n" on port 0xe9 and
 * halts for good. Only a signal (Ctrl-C, SIGTERM, a debugger's 0x03) ends
 * the wait.
 */
    .code16
    .text
    .globl _start
_start:
    cli
    mov $'h', %al
    out %al, $0xe9
    mov $'l', %al
    out %al, $0xe9
    mov $'t', %al
    out %al, $0xe9
    mov $'\n', %al
    out %al, $0xe9
halt:
    hlt
    jmp halt
