/*
 * The 256 interrupt stubs of idt64.c, 16 bytes apart from isr_stubs:
 * each pushes a zero error code where the CPU pushes none (Intel SDM vol.
 * 3A, 7.3 Table 7-1: vectors 8, 10-14, 17, 21, 29, 30 have one), then the
 * vector, and jumps to isr_common, which saves the general registers in
 * struct intr_frame order and calls idt_dispatch(frame).
 */
    .text
    .code64
    .align 16
    .globl isr_stubs
isr_stubs:
vec = 0
    .rept 256
    .align 16
    .if !(vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
    pushq $0
    .endif
    pushq $vec
    jmp isr_common
vec = vec + 1
    .endr

isr_common:
    /* RSP was 16-aligned before the CPU's frame: 5 + 2 + 15 slots keep it. */
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call idt_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp              /* vector and error code */
    iretq
