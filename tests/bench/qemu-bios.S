/*
 * qemu-bios: a 64 KiB stand-in BIOS for running the bench guests under
 * QEMU with -bios. QEMU maps it at 0xf0000-0xfffff and starts the CPU at
 * the reset vector F000:FFF0 (Intel SDM vol. 3, 9.1.4 "First Instruction
 * Executed"); the only code is a far jump there to 0000:0000, where
 * `-device loader` put the guest, so the guest starts as under kvmstub.
 * Everything else is zero.
 */
    .code16
    .text
    .globl _start
_start:
    .fill 0xfff0, 1, 0
reset:
    ljmp $0x0000, $0x0000   /* 0xffff0: ea 00 00 00 00 */
    .fill 0x10000 - (. - _start), 1, 0
