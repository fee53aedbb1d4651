/*
 * Register layouts and target descriptions (gdbstub/arch.h).
 *
 * Run with `--dump DIR` it writes the three target descriptions to
 * DIR/i8086.xml, DIR/i386.xml and DIR/x86-64.xml instead, each with a
 * NAME.regs file listing "regno name size" as the layout has them, for the
 * gdb check that loads them with `set tdesc filename`.
 */
#include "gdbstub/arch.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/test.h"

static const char *const names_32[] = {
    "eax",
    "ecx",
    "edx",
    "ebx",
    "esp",
    "ebp",
    "esi",
    "edi",
    "eip",
    "eflags",
    "cs",
    "ss",
    "ds",
    "es",
    "fs",
    "gs",
    "st0",
    "st1",
    "st2",
    "st3",
    "st4",
    "st5",
    "st6",
    "st7",
    "fctrl",
    "fstat",
    "ftag",
    "fiseg",
    "fioff",
    "foseg",
    "fooff",
    "fop",
    "xmm0",
    "xmm1",
    "xmm2",
    "xmm3",
    "xmm4",
    "xmm5",
    "xmm6",
    "xmm7",
    "mxcsr",
    /* org.kvmstub.sys */
    "cr0",
    "cr2",
    "cr3",
    "cr4",
    "cr8",
    "efer",
    "cs_base",
    "cs_limit",
    "cs_attr",
    "ss_base",
    "ss_limit",
    "ss_attr",
    "ds_base",
    "ds_limit",
    "ds_attr",
    "es_base",
    "es_limit",
    "es_attr",
    "fs_base",
    "fs_limit",
    "fs_attr",
    "gs_base",
    "gs_limit",
    "gs_attr",
    "ldtr",
    "ldtr_base",
    "ldtr_limit",
    "ldtr_attr",
    "tr",
    "tr_base",
    "tr_limit",
    "tr_attr",
    "gdtr_base",
    "gdtr_limit",
    "idtr_base",
    "idtr_limit",
    "dr0",
    "dr1",
    "dr2",
    "dr3",
    "dr6",
    "dr7",
};

static const char *const names_64[] = {
    "rax",
    "rbx",
    "rcx",
    "rdx",
    "rsi",
    "rdi",
    "rbp",
    "rsp",
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
    "rip",
    "eflags",
    "cs",
    "ss",
    "ds",
    "es",
    "fs",
    "gs",
    "st0",
    "st1",
    "st2",
    "st3",
    "st4",
    "st5",
    "st6",
    "st7",
    "fctrl",
    "fstat",
    "ftag",
    "fiseg",
    "fioff",
    "foseg",
    "fooff",
    "fop",
    "xmm0",
    "xmm1",
    "xmm2",
    "xmm3",
    "xmm4",
    "xmm5",
    "xmm6",
    "xmm7",
    "xmm8",
    "xmm9",
    "xmm10",
    "xmm11",
    "xmm12",
    "xmm13",
    "xmm14",
    "xmm15",
    "mxcsr",
    "fs_base",
    "gs_base",
    /* org.kvmstub.sys */
    "cr0",
    "cr2",
    "cr3",
    "cr4",
    "cr8",
    "efer",
    "cs_base",
    "cs_limit",
    "cs_attr",
    "ss_base",
    "ss_limit",
    "ss_attr",
    "ds_base",
    "ds_limit",
    "ds_attr",
    "es_base",
    "es_limit",
    "es_attr",
    "fs_limit",
    "fs_attr",
    "gs_limit",
    "gs_attr",
    "ldtr",
    "ldtr_base",
    "ldtr_limit",
    "ldtr_attr",
    "tr",
    "tr_base",
    "tr_limit",
    "tr_attr",
    "gdtr_base",
    "gdtr_limit",
    "idtr_base",
    "idtr_limit",
    "dr0",
    "dr1",
    "dr2",
    "dr3",
    "dr6",
    "dr7",
};

#define NR_32 (int)(sizeof(names_32) / sizeof(names_32[0]))
#define NR_64 (int)(sizeof(names_64) / sizeof(names_64[0]))

static const enum gdb_arch all_arches[] = {
    GDB_ARCH_I8086,
    GDB_ARCH_I386,
    GDB_ARCH_X86_64,
};

#define NR_CORE_32 41
#define NR_CORE_64 59

/* org.kvmstub.sys: limits, attributes and selectors 32 bits, the rest 64. */
static int sys_size(const char *name)
{
    size_t n = strlen(name);

    if (!strcmp(name, "ldtr") || !strcmp(name, "tr") ||
        (n > 6 && !strcmp(name + n - 6, "_limit")) ||
        (n > 5 && !strcmp(name + n - 5, "_attr")))
        return 4;
    return 8;
}

/* Expected size of register i in the 32-bit layout. */
static int size_32(int i)
{
    if (i >= NR_CORE_32) {
        return sys_size(names_32[i]);
    }
    if (i >= 16 && i <= 23) {
        return 10;
    }
    if (i >= 32 && i <= 39) {
        return 16;
    }
    return 4;
}

/* Expected size of register i in the 64-bit layout. */
static int size_64(int i)
{
    if (i >= NR_CORE_64) {
        return sys_size(names_64[i]);
    }
    if (i <= 16 || i == 57 || i == 58) {
        return 8;
    }
    if (i >= 24 && i <= 31) {
        return 10;
    }
    if (i >= 40 && i <= 55) {
        return 16;
    }
    return 4;
}

static void test_nr_regs(void)
{
    CHECK_EQ(NR_32, NR_CORE_32 + 42);
    CHECK_EQ(NR_64, NR_CORE_64 + 40);
    CHECK_EQ(gdb_arch_nr_regs(GDB_ARCH_I8086), NR_32);
    CHECK_EQ(gdb_arch_nr_regs(GDB_ARCH_I386), NR_32);
    CHECK_EQ(gdb_arch_nr_regs(GDB_ARCH_X86_64), NR_64);
}

static void test_reg_sizes(void)
{
    for (int i = 0; i < NR_32; i++) {
        CHECK_EQ(gdb_arch_reg_size(GDB_ARCH_I8086, i), size_32(i));
        CHECK_EQ(gdb_arch_reg_size(GDB_ARCH_I386, i), size_32(i));
    }
    for (int i = 0; i < NR_64; i++) {
        CHECK_EQ(gdb_arch_reg_size(GDB_ARCH_X86_64, i), size_64(i));
    }
}

/*
 * org.kvmstub.sys: cr0-cr8 and efer; base, limit, attr of each segment
 * (in 64 bits no fs/gs base: those are fs_base/gs_base already); LDTR and
 * TR selector and cache; GDTR, IDTR; dr0-3, dr6, dr7.
 */
#define SYS_TAIL_BYTES (2 * (4 + 16) + 8 + 4 + 8 + 4 + 6 * 8)
#define SYS_32         (6 * 8 + 6 * 16 + SYS_TAIL_BYTES)
#define SYS_64         (6 * 8 + 4 * 16 + 2 * 8 + SYS_TAIL_BYTES)

static void test_total_sizes(void)
{
    /* 8 GPRs, eip, eflags, 6 selectors, st0-7, fctrl..fop, xmm0-7, mxcsr */
    CHECK_EQ(gdb_arch_regs_size(GDB_ARCH_I386),
             8 * 4 + 4 + 4 + 6 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4 + SYS_32);
    CHECK_EQ(gdb_arch_regs_size(GDB_ARCH_I386), 308 + 256);
    CHECK_EQ(gdb_arch_regs_size(GDB_ARCH_I8086), 308 + 256);
    /* ... and r8-r15, xmm8-15, fs_base, gs_base in 64 bits */
    CHECK_EQ(gdb_arch_regs_size(GDB_ARCH_X86_64), 16 * 8 + 8 + 4 + 6 * 4 +
                                                      8 * 10 + 8 * 4 + 16 * 16 +
                                                      4 + 2 * 8 + SYS_64);
    CHECK_EQ(gdb_arch_regs_size(GDB_ARCH_X86_64), 552 + 240);
}

static void test_out_of_range(void)
{
    struct gdb_x86_regs r = {0};
    uint8_t buf[16] = {0};

    for (size_t a = 0; a < TEST_COUNT(all_arches); a++) {
        enum gdb_arch arch = all_arches[a];
        int nr = gdb_arch_nr_regs(arch);

        CHECK_EQ(gdb_arch_reg_size(arch, -1), -1);
        CHECK_EQ(gdb_arch_reg_size(arch, nr), -1);
        CHECK_EQ(gdb_arch_reg_size(arch, 1000), -1);
        CHECK_EQ(gdb_arch_reg_get(arch, &r, -1, buf), -1);
        CHECK_EQ(gdb_arch_reg_get(arch, &r, nr, buf), -1);
        CHECK_EQ(gdb_arch_reg_set(arch, &r, -1, buf, 4), -1);
        CHECK_EQ(gdb_arch_reg_set(arch, &r, nr, buf, 4), -1);
    }
}

static void test_wrong_size(void)
{
    struct gdb_x86_regs r = {0}, zero = {0};
    uint8_t buf[17];

    memset(buf, 0xab, sizeof(buf));
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_I386, &r, 0, buf, 8), -1);
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_I386, &r, 0, buf, 2), -1);
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_I386, &r, 16, buf, 16), -1);
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_X86_64, &r, 0, buf, 4), -1);
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_X86_64, &r, 17, buf, 8), -1);
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_X86_64, &r, 40, buf, 17), -1);
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_X86_64, &r, 40, buf, 0), -1);
    /* a rejected write changes nothing */
    CHECK_MEM(&r, &zero, sizeof(r));
}

static void test_unknown_arch(void)
{
    enum gdb_arch bad = (enum gdb_arch)99;
    struct gdb_x86_regs r = {0};
    uint8_t buf[16] = {0};
    size_t len = 123;

    CHECK_EQ(gdb_arch_nr_regs(bad), 0);
    CHECK_EQ(gdb_arch_reg_size(bad, 0), -1);
    CHECK_EQ(gdb_arch_reg_get(bad, &r, 0, buf), -1);
    CHECK_EQ(gdb_arch_reg_set(bad, &r, 0, buf, 4), -1);
    CHECK_EQ(gdb_arch_regs_size(bad), 0);
    CHECK(gdb_arch_target_xml(bad, &len) == NULL);
    CHECK_EQ(len, 0);
}

static void test_pc_sp_fp(void)
{
    CHECK_EQ(gdb_arch_pc_regno(GDB_ARCH_I8086), 8);
    CHECK_EQ(gdb_arch_sp_regno(GDB_ARCH_I8086), 4);
    CHECK_EQ(gdb_arch_fp_regno(GDB_ARCH_I8086), 5);
    CHECK_EQ(gdb_arch_pc_regno(GDB_ARCH_I386), 8);
    CHECK_EQ(gdb_arch_sp_regno(GDB_ARCH_I386), 4);
    CHECK_EQ(gdb_arch_fp_regno(GDB_ARCH_I386), 5);
    CHECK_EQ(gdb_arch_pc_regno(GDB_ARCH_X86_64), 16);
    CHECK_EQ(gdb_arch_sp_regno(GDB_ARCH_X86_64), 7);
    CHECK_EQ(gdb_arch_fp_regno(GDB_ARCH_X86_64), 6);
}

static void test_little_endian(void)
{
    struct gdb_x86_regs r = {0};
    uint8_t out[16];
    static const uint8_t want[8] = {0x88, 0x77, 0x66, 0x55,
                                    0x44, 0x33, 0x22, 0x11};

    r.rip = 0x1122334455667788ULL;
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 16, out), 8);
    CHECK_MEM(out, want, 8);
    /* eip is the low half */
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, 8, out), 4);
    CHECK_MEM(out, want, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I8086, &r, 8, out), 4);
    CHECK_MEM(out, want, 4);

    /* and back: wire bytes become the host value */
    r.rip = 0;
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_X86_64, &r, 16, want, 8), 0);
    CHECK_EQ(r.rip, 0x1122334455667788ULL);
}

/* The 32-bit layout's GPR order (eax ecx edx ebx esp ebp esi edi). */
static void test_gpr_order_32(void)
{
    static const int gpr_of_regno[8] = {GDB_RAX, GDB_RCX, GDB_RDX, GDB_RBX,
                                        GDB_RSP, GDB_RBP, GDB_RSI, GDB_RDI};
    struct gdb_x86_regs r = {0};
    uint8_t out[16];

    for (int i = 0; i < GDB_NR_GPR; i++) {
        r.gpr[i] = 0xdead000000000000ULL | (uint64_t)(0x100 + i);
    }
    for (int regno = 0; regno < 8; regno++) {
        uint8_t want[4] = {(uint8_t)gpr_of_regno[regno], 0x01, 0, 0};

        CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, regno, out), 4);
        CHECK_MEM(out, want, 4);
    }
}

/* The 64-bit layout's GPR order is the enum's: rax rbx rcx rdx ... */
static void test_gpr_order_64(void)
{
    struct gdb_x86_regs r = {0};
    uint8_t out[16];

    for (int i = 0; i < GDB_NR_GPR; i++) {
        r.gpr[i] = 0x0102030405060700ULL | (uint64_t)i;
    }
    for (int regno = 0; regno < 16; regno++) {
        uint8_t want[8] = {(uint8_t)regno, 7, 6, 5, 4, 3, 2, 1};

        CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, regno, out), 8);
        CHECK_MEM(out, want, 8);
    }
}

static void test_set_32_clears_upper(void)
{
    struct gdb_x86_regs r = {0};
    static const uint8_t in[4] = {0x78, 0x56, 0x34, 0x12};

    r.gpr[GDB_RSP] = 0xffffffffffffffffULL;
    r.gpr[GDB_RBP] = 0x5555555555555555ULL;
    r.rip = 0xffffffff00000000ULL;
    r.rflags = 0xffffffff00000002ULL;
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_I386, &r, 4, in, 4), 0);
    CHECK_EQ(r.gpr[GDB_RSP], 0x12345678);
    CHECK_EQ(r.gpr[GDB_RBP], 0x5555555555555555ULL); /* neighbour kept */
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_I8086, &r, 8, in, 4), 0);
    CHECK_EQ(r.rip, 0x12345678);
    CHECK_EQ(gdb_arch_reg_set(GDB_ARCH_X86_64, &r, 17, in, 4), 0);
    CHECK_EQ(r.rflags, 0x12345678);
}

static void test_eflags_and_segments(void)
{
    struct gdb_x86_regs r = {0};
    uint8_t out[16];
    static const uint8_t want_fl[4] = {0x46, 0x02, 0x00, 0x00};
    static const uint8_t want_ss[4] = {0x34, 0x12, 0x00, 0x00};
    static const uint8_t want_gs[4] = {0xcd, 0xab, 0x00, 0x00};

    r.rflags = 0x246;
    r.seg[GDB_SS] = 0x1234;
    r.seg[GDB_GS] = 0xabcd;
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, 9, out), 4);
    CHECK_MEM(out, want_fl, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 17, out), 4);
    CHECK_MEM(out, want_fl, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I8086, &r, 11, out), 4);
    CHECK_MEM(out, want_ss, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 19, out), 4);
    CHECK_MEM(out, want_ss, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, 15, out), 4);
    CHECK_MEM(out, want_gs, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 23, out), 4);
    CHECK_MEM(out, want_gs, 4);
}

static void test_fpu_sse_bases(void)
{
    struct gdb_x86_regs r = {0};
    uint8_t out[16];
    static const uint8_t st3[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const uint8_t fop[4] = {0xdd, 0x07, 0, 0};
    static const uint8_t mxcsr[4] = {0x80, 0x1f, 0, 0};
    static const uint8_t gsb[8] = {0xf0, 0xde, 0xbc, 0x9a,
                                   0x78, 0x56, 0x34, 0x12};
    uint8_t xmm[16];

    for (int i = 0; i < 16; i++) {
        xmm[i] = (uint8_t)(0xa0 + i);
    }
    memcpy(r.st[3], st3, sizeof(st3));
    memcpy(r.xmm[7], xmm, sizeof(xmm));
    memcpy(r.xmm[15], xmm, sizeof(xmm));
    r.fop = 0x7dd;
    r.mxcsr = 0x1f80;
    r.gs_base = 0x123456789abcdef0ULL;

    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, 19, out), 10);
    CHECK_MEM(out, st3, 10);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 27, out), 10);
    CHECK_MEM(out, st3, 10);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, 31, out), 4);
    CHECK_MEM(out, fop, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 39, out), 4);
    CHECK_MEM(out, fop, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, 39, out), 16);
    CHECK_MEM(out, xmm, 16);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 55, out), 16);
    CHECK_MEM(out, xmm, 16);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_I386, &r, 40, out), 4);
    CHECK_MEM(out, mxcsr, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 56, out), 4);
    CHECK_MEM(out, mxcsr, 4);
    CHECK_EQ(gdb_arch_reg_get(GDB_ARCH_X86_64, &r, 58, out), 8);
    CHECK_MEM(out, gsb, 8);
}

/*
 * Writing every register with distinct bytes and reading them back gives
 * the same bytes, and writing all of them touches every field of the
 * layout exactly once (no two registers share storage).
 */
static void round_trip(enum gdb_arch arch)
{
    struct gdb_x86_regs r;
    int nr = gdb_arch_nr_regs(arch);
    uint8_t in[16], out[16];

    memset(&r, 0, sizeof(r));
    for (int regno = 0; regno < nr; regno++) {
        int size = gdb_arch_reg_size(arch, regno);

        for (int i = 0; i < size; i++) {
            in[i] = (uint8_t)(regno * 16 + i + 1);
        }
        CHECK_EQ(gdb_arch_reg_set(arch, &r, regno, in, (size_t)size), 0);
    }
    for (int regno = 0; regno < nr; regno++) {
        int size = gdb_arch_reg_size(arch, regno);

        for (int i = 0; i < size; i++) {
            in[i] = (uint8_t)(regno * 16 + i + 1);
        }
        memset(out, 0xee, sizeof(out));
        CHECK_EQ(gdb_arch_reg_get(arch, &r, regno, out), size);
        CHECK_MEM(out, in, (size_t)size);
    }
}

static void test_round_trip(void)
{
    for (size_t a = 0; a < TEST_COUNT(all_arches); a++) {
        round_trip(all_arches[a]);
    }
}

/* Count the non-overlapping occurrences of needle in hay. */
static int count_str(const char *hay, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);

    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle)) {
        n++;
    }
    return n;
}

/*
 * Check xml names arch, lists the registers names[] in order with the
 * bit sizes the layout gives, and each exactly once.
 */
static void check_xml(enum gdb_arch arch, const char *arch_name,
                      const char *const *names, int nr)
{
    size_t len = 0;
    const char *xml = gdb_arch_target_xml(arch, &len);
    char want[128];

    CHECK(xml != NULL);
    if (!xml) {
        return;
    }
    CHECK_EQ(len, strlen(xml));
    CHECK(strncmp(xml, "<?xml version=\"1.0\"?>", 21) == 0);
    snprintf(want, sizeof(want), "<architecture>%s</architecture>", arch_name);
    CHECK_EQ(count_str(xml, want), 1);
    CHECK_EQ(count_str(xml, "<architecture>"), 1);
    CHECK_EQ(count_str(xml, "<osabi>none</osabi>"), 1);
    CHECK_EQ(count_str(xml, "xi:include"), 0);
    CHECK_EQ(count_str(xml, "<target version=\"1.0\">"), 1);
    CHECK_EQ(count_str(xml, "</target>"), 1);
    CHECK_EQ(count_str(xml, "<feature "), count_str(xml, "</feature>"));
    CHECK_EQ(count_str(xml, "<feature name=\"org.gnu.gdb.i386.core\">"), 1);
    CHECK_EQ(count_str(xml, "<feature name=\"org.gnu.gdb.i386.sse\">"), 1);
    CHECK_EQ(count_str(xml, "<flags id=\"i386_eflags\""), 1);
    CHECK_EQ(count_str(xml, "<flags id=\"i386_mxcsr\""), 1);
    CHECK_EQ(count_str(xml, "<union id=\"vec128\">"), 1);
    CHECK_EQ(count_str(xml, "<reg "), nr);

    const char *p = xml;

    for (int i = 0; i < nr; i++) {
        char tag[64];

        snprintf(tag, sizeof(tag), "<reg name=\"%s\" bitsize=\"%d\"", names[i],
                 8 * gdb_arch_reg_size(arch, i));
        if (count_str(xml, tag) != 1) {
            printf("FAIL %s: \"%s\" appears %d times\n", arch_name, tag,
                   count_str(xml, tag));
            test_failures++;
            continue;
        }
        /* in layout order: each after the previous one */
        const char *q = strstr(xml, tag);

        if (q < p) {
            printf("FAIL %s: register %d (%s) out of order\n", arch_name, i,
                   names[i]);
            test_failures++;
        }
        p = q;
    }
}

static void test_xml(void)
{
    check_xml(GDB_ARCH_I8086, "i8086", names_32, NR_32);
    check_xml(GDB_ARCH_I386, "i386", names_32, NR_32);
    check_xml(GDB_ARCH_X86_64, "i386:x86-64", names_64, NR_64);
    CHECK_EQ(count_str(gdb_arch_target_xml(GDB_ARCH_X86_64, &(size_t){0}),
                       "<feature name=\"org.gnu.gdb.i386.segments\">"),
             1);
}

/* i8086 and i386 differ in <architecture> only. */
static void test_xml_16_32_same_layout(void)
{
    size_t len16, len32;
    const char *x16 = gdb_arch_target_xml(GDB_ARCH_I8086, &len16);
    const char *x32 = gdb_arch_target_xml(GDB_ARCH_I386, &len32);
    const char *body16 = strstr(x16, "</architecture>");
    const char *body32 = strstr(x32, "</architecture>");

    CHECK_EQ(len16, len32 + 1);
    CHECK(body16 && body32);
    if (body16 && body32) {
        CHECK_STR(body16, body32);
    }
}

static const struct test_case tests[] = {
    TEST(test_nr_regs),
    TEST(test_reg_sizes),
    TEST(test_total_sizes),
    TEST(test_out_of_range),
    TEST(test_wrong_size),
    TEST(test_unknown_arch),
    TEST(test_pc_sp_fp),
    TEST(test_little_endian),
    TEST(test_gpr_order_32),
    TEST(test_gpr_order_64),
    TEST(test_set_32_clears_upper),
    TEST(test_eflags_and_segments),
    TEST(test_fpu_sse_bases),
    TEST(test_round_trip),
    TEST(test_xml),
    TEST(test_xml_16_32_same_layout),
};

/*
 * Write one target description to dir/NAME.xml, and the layout it should
 * give gdb to dir/NAME.regs, one "regno name size" line per register.
 * Returns 0 or -errno.
 */
static int dump_one(const char *dir, const char *name, enum gdb_arch arch,
                    const char *const *names, int nr)
{
    char path[4096];
    size_t len;
    const char *xml = gdb_arch_target_xml(arch, &len);
    FILE *f;
    int err = 0;

    if (snprintf(path, sizeof(path), "%s/%s.xml", dir, name) >=
        (int)sizeof(path)) {
        return -ENAMETOOLONG;
    }
    f = fopen(path, "w");
    if (!f) {
        return -errno;
    }
    if (fwrite(xml, 1, len, f) != len) {
        err = errno ? errno : EIO;
    }
    if (fclose(f) != 0 && !err) {
        err = errno;
    }
    if (err) {
        return -err;
    }

    snprintf(path, sizeof(path), "%s/%s.regs", dir, name);
    f = fopen(path, "w");
    if (!f) {
        return -errno;
    }
    for (int i = 0; i < nr && !err; i++) {
        if (fprintf(f, "%d %s %d\n", i, names[i], gdb_arch_reg_size(arch, i)) <
            0) {
            err = errno ? errno : EIO;
        }
    }
    if (fclose(f) != 0 && !err) {
        err = errno;
    }
    return -err;
}

static int dump_all(const char *dir)
{
    static const struct {
        const char *name;
        enum gdb_arch arch;
        const char *const *names;
        int nr;
    } files[] = {
        {"i8086", GDB_ARCH_I8086, names_32, NR_32},
        {"i386", GDB_ARCH_I386, names_32, NR_32},
        {"x86-64", GDB_ARCH_X86_64, names_64, NR_64},
    };

    for (size_t i = 0; i < TEST_COUNT(files); i++) {
        int r = dump_one(dir, files[i].name, files[i].arch, files[i].names,
                         files[i].nr);

        if (r < 0) {
            fprintf(stderr, "test_arch: %s/%s: %s\n", dir, files[i].name,
                    strerror(-r));
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
        return dump_all(argv[2]);
    }
    if (argc != 1) {
        fprintf(stderr, "usage: test_arch [--dump DIR]\n");
        return 2;
    }
    return test_main(tests, TEST_COUNT(tests));
}
