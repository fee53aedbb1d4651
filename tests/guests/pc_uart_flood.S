/*
 * pc_uart_flood: writes "UART\n" through COM1's THR forever (polling
 * LSR.THRE), to test a stdout that fills up or goes away under the UART.
 */
    .code16
    .text
    .globl _start
_start:
    xor %ax, %ax
    mov %ax, %ds
    cld
1:  mov $msg, %si
    mov $msg_len, %cx
2:  mov $0x3fd, %dx
3:  in %dx, %al
    test $0x20, %al
    jz 3b
    lodsb
    mov $0x3f8, %dx
    out %al, %dx
    loop 2b
    jmp 1b
msg:
    .ascii "UART\n"
    .set msg_len, . - msg
