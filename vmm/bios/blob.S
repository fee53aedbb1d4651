/*
 * The BIOS image, built from bios.S at build time, as read-only data of
 * the VMM (bios_image .. bios_image_end; bios.h declares them).
 */
    .section .rodata
    .balign 16
    .globl bios_image
    .globl bios_image_end
bios_image:
    .incbin BIOS_BIN
bios_image_end:
    .section .note.GNU-stack, "", @progbits
