/*
 * pc_devs: one check per firmware-facing device of the pc machine, each
 * printing a line on port 0xe9 ("name ok" or "name bad"):
 *   fw_cfg   selector 0 (signature) at 0x510, four data reads at 0x511
 *            give "QEMU"
 *   pci      CONFIG_ADDRESS 0x80000000 -> CONFIG_DATA is 8086:1237 (the
 *            440FX host bridge)
 *   rsdp     "RSD PTR " on a 16-byte boundary in 0xe0000-0xfffff
 *   testdev  a dword written at 0xe0 reads back
 *   pmtimer  the ACPI PM timer at 0xb008 moves
 * then writes 0x10 to isa-debug-exit (status 33).
 */
    .code16
    .text
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7000, %sp
    cld

    mov $fwcfg_name, %si
    mov $0x510, %dx
    xor %ax, %ax
    out %ax, %dx
    inc %dx
    in %dx, %al
    mov %al, %bl
    in %dx, %al
    mov %al, %bh
    cmp $0x4551, %bx   /* "QE" */
    jne 1f
    in %dx, %al
    mov %al, %bl
    in %dx, %al
    mov %al, %bh
    cmp $0x554d, %bx   /* "MU" */
1:  call report

    mov $pci_name, %si
    mov $0xcf8, %dx
    mov $0x80000000, %eax
    out %eax, %dx
    mov $0xcfc, %dx
    in %dx, %eax
    cmp $0x12378086, %eax
    call report

    mov $rsdp_name, %si
    mov $0xe000, %ax
    mov %ax, %es
    xor %di, %di
2:  cmpl $0x20445352, %es:(%di)     /* "RSD " */
    jne 3f
    cmpl $0x20525450, %es:4(%di)    /* "PTR " */
    je 4f
3:  add $16, %di
    jnz 2b
    mov %es, %ax
    add $0x1000, %ax
    mov %ax, %es
    cmp $0x0000, %ax                /* wrapped past 0xf000: not found */
    jne 2b
    cmp $1, %ax                     /* ZF clear */
4:  call report

    mov $td_name, %si
    mov $0xa5c3e187, %eax
    out %eax, $0xe0
    xor %eax, %eax
    in $0xe0, %eax
    cmp $0xa5c3e187, %eax
    call report

    mov $pm_name, %si
    mov $0xb008, %dx
    in %dx, %eax
    mov %eax, %ebx
    mov $1000, %cx
5:  in %dx, %eax
    cmp %eax, %ebx
    loope 5b
    cmp %eax, %ebx
    setne %al
    cmp $1, %al                     /* ZF: it moved */
    call report

    mov $0x10, %al
    out %al, $0xf4
halt:
    jmp halt

/* report: ZF set -> "<name> ok\n", else "<name> bad\n"; name at %si */
report:
    pushf
    mov $0xe9, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  popf
    mov $ok, %si
    je 3f
    mov $bad, %si
3:  lodsb
    test %al, %al
    jz 4f
    out %al, %dx
    jmp 3b
4:  ret

fwcfg_name: .asciz "fw_cfg"
pci_name:   .asciz "pci"
rsdp_name:  .asciz "rsdp"
td_name:    .asciz "testdev"
pm_name:    .asciz "pmtimer"
ok:         .asciz " ok\n"
bad:        .asciz " bad\n"
