#include "firmware.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/mem.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

void firmware_init(struct firmware *fw)
{
    *fw = (struct firmware){.host = MAP_FAILED};
}

static int bad(struct firmware *fw, const char *why)
{
    fw->err = why;
    return -EINVAL;
}

int firmware_load(struct firmware *fw, struct vm *vm, struct mem *mem,
                  const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;

    firmware_init(fw);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        e = -errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        e = bad(fw, "not a regular file");
        goto out;
    }
    if (st.st_size < FIRMWARE_MIN || st.st_size > FIRMWARE_MAX ||
        st.st_size % FIRMWARE_MIN) {
        e = bad(fw, "firmware size must be a multiple of 64K, 64K to 8M");
        goto out;
    }
    fw->size = (size_t)st.st_size;
    fw->gpa = (1ull << 32) - fw->size;
    fw->host = mmap(NULL, fw->size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fw->host == MAP_FAILED) {
        e = -errno;
        goto out;
    }
    for (size_t done = 0; done < fw->size;) {
        ssize_t n = pread(fd, fw->host + done, fw->size - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            e = n < 0 ? -errno : bad(fw, "file shrank while read");
            goto out;
        }
        done += (size_t)n;
    }
    size_t isa = fw->size < FIRMWARE_ISA_MAX ? fw->size : FIRMWARE_ISA_MAX;
    uint8_t *low = mem_gpa_to_hva(mem, 0x100000 - isa, isa);
    if (!low) {
        e = bad(fw, "no RAM below 1 MiB for the ISA BIOS window");
        goto out;
    }
    memcpy(low, fw->host + fw->size - isa, isa);
    fw->readonly = vm_check_cap(vm, KVM_CAP_READONLY_MEM) > 0;
    struct kvm_userspace_memory_region region = {
        .slot = FIRMWARE_SLOT,
        .flags = fw->readonly ? KVM_MEM_READONLY : 0,
        .guest_phys_addr = fw->gpa,
        .memory_size = fw->size,
        .userspace_addr = (uintptr_t)fw->host,
    };
    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        e = vm_fail(vm, "KVM_SET_USER_MEMORY_REGION (firmware)");
out:
    close(fd);
    return e;
}

void firmware_unmap(struct firmware *fw)
{
    if (fw->host != MAP_FAILED)
        munmap(fw->host, fw->size);
    fw->host = MAP_FAILED;
}

int firmware_start(struct vcpu *c, uint16_t cs, uint32_t cs_base, uint16_t ip)
{
    struct kvm_sregs *s = NULL;
    struct kvm_regs *r = NULL;
    int e = vcpu_reset_real_mode(c);

    if (e < 0 || (e = vcpu_get_sregs(c, &s)) < 0)
        return e;
    struct kvm_sregs sregs = *s;
    sregs.cs.selector = cs;
    sregs.cs.base = cs_base;
    if ((e = vcpu_set_sregs(c, &sregs)) < 0 || (e = vcpu_get_regs(c, &r)) < 0)
        return e;
    struct kvm_regs regs = *r;
    regs.rip = ip;
    regs.rdx = 0x600; /* family 6: the signature EDX holds after reset */
    return vcpu_set_regs(c, &regs);
}
