#include "arch.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * How one register of a layout maps onto struct gdb_x86_regs: where its
 * value lives, how wide the field is there, and how many bytes gdb sees.
 * An integer field narrower on the wire than in the struct (the 32-bit
 * GPRs, eip, eflags) sends the low bytes; a write zero-extends.
 */
enum field_kind {
    FIELD_U32,   /* uint32_t field */
    FIELD_U64,   /* uint64_t field */
    FIELD_BYTES, /* byte array already in wire order (st, xmm) */
};

struct reg_desc {
    uint16_t offset; /* into struct gdb_x86_regs */
    uint8_t kind;    /* enum field_kind */
    uint8_t size;    /* bytes on the wire */
};

#define OFF(field) offsetof(struct gdb_x86_regs, field)
#define GPR_OFF(i) (OFF(gpr) + (i) * sizeof(uint64_t))
#define SEG_OFF(i) (OFF(seg) + (i) * sizeof(uint32_t))
#define ST_OFF(i)  (OFF(st) + (i) * sizeof(((struct gdb_x86_regs *)0)->st[0]))
#define XMM_OFF(i) (OFF(xmm) + (i) * sizeof(((struct gdb_x86_regs *)0)->xmm[0]))

/* One initializer per line; clang-format would spread each over four. */
/* clang-format off */
#define GPR(i, sz) {GPR_OFF(i), FIELD_U64, (sz)}
#define SEG(i)     {SEG_OFF(i), FIELD_U32, 4}
#define U32(field) {OFF(field), FIELD_U32, 4}
#define ST(i)      {ST_OFF(i), FIELD_BYTES, 10}
#define XMM(i)     {XMM_OFF(i), FIELD_BYTES, 16}
#define SYS(f)     {OFF(sys.f), FIELD_U64, 8}
#define SYS32(f)   {OFF(sys.f), FIELD_U32, 4}
/* clang-format on */

/*
 * org.kvmstub.sys: control registers, EFER, then each segment's cache
 * (base, limit, attributes), LDTR and TR (selector and cache), GDTR, IDTR,
 * and the guest's debug registers. In the 64-bit layout the FS and GS
 * bases are the org.gnu.gdb.i386.segments registers already.
 */
#define SYS_CR            SYS(cr0), SYS(cr2), SYS(cr3), SYS(cr4), SYS(cr8), SYS(efer)
#define SYS_SEG(i)        SYS(seg[i].base), SYS32(seg[i].limit), SYS32(seg[i].attr)
#define SYS_SEG_NOBASE(i) SYS32(seg[i].limit), SYS32(seg[i].attr)
#define SYS_TAIL                                                               \
    SYS32(ldtr), SYS(ldt.base), SYS32(ldt.limit), SYS32(ldt.attr), SYS32(tr),  \
        SYS(tss.base), SYS32(tss.limit), SYS32(tss.attr), SYS(gdtr_base),      \
        SYS32(gdtr_limit), SYS(idtr_base), SYS32(idtr_limit), SYS(dr[0]),      \
        SYS(dr[1]), SYS(dr[2]), SYS(dr[3]), SYS(dr[6]), SYS(dr[7])
#define SYS_32                                                                 \
    SYS_CR, SYS_SEG(GDB_CS), SYS_SEG(GDB_SS), SYS_SEG(GDB_DS),                 \
        SYS_SEG(GDB_ES), SYS_SEG(GDB_FS), SYS_SEG(GDB_GS), SYS_TAIL
#define SYS_64                                                                 \
    SYS_CR, SYS_SEG(GDB_CS), SYS_SEG(GDB_SS), SYS_SEG(GDB_DS),                 \
        SYS_SEG(GDB_ES), SYS_SEG_NOBASE(GDB_FS), SYS_SEG_NOBASE(GDB_GS),       \
        SYS_TAIL

/*
 * gdb's 32bit-core.xml and 64bit-core.xml end alike: the six selectors,
 * st0-st7, fctrl..fop.
 */
#define SEGS_X87                                                               \
    SEG(GDB_CS), SEG(GDB_SS), SEG(GDB_DS), SEG(GDB_ES), SEG(GDB_FS),           \
        SEG(GDB_GS), ST(0), ST(1), ST(2), ST(3), ST(4), ST(5), ST(6), ST(7),   \
        U32(fctrl), U32(fstat), U32(ftag), U32(fiseg), U32(fioff), U32(foseg), \
        U32(fooff), U32(fop)

/* gdb's 32bit-core.xml + 32bit-sse.xml, in their order. */
static const struct reg_desc regs_i386[] = {
    GPR(GDB_RAX, 4),
    GPR(GDB_RCX, 4),
    GPR(GDB_RDX, 4),
    GPR(GDB_RBX, 4),
    GPR(GDB_RSP, 4),
    GPR(GDB_RBP, 4),
    GPR(GDB_RSI, 4),
    GPR(GDB_RDI, 4),
    {OFF(rip), FIELD_U64, 4},
    {OFF(rflags), FIELD_U64, 4},
    SEGS_X87,
    XMM(0),
    XMM(1),
    XMM(2),
    XMM(3),
    XMM(4),
    XMM(5),
    XMM(6),
    XMM(7),
    U32(mxcsr),
    SYS_32,
};

/* gdb's 64bit-core.xml + 64bit-sse.xml + 64bit-segments.xml. */
static const struct reg_desc regs_x86_64[] = {
    GPR(GDB_RAX, 8),
    GPR(GDB_RBX, 8),
    GPR(GDB_RCX, 8),
    GPR(GDB_RDX, 8),
    GPR(GDB_RSI, 8),
    GPR(GDB_RDI, 8),
    GPR(GDB_RBP, 8),
    GPR(GDB_RSP, 8),
    GPR(GDB_R8, 8),
    GPR(GDB_R9, 8),
    GPR(GDB_R10, 8),
    GPR(GDB_R11, 8),
    GPR(GDB_R12, 8),
    GPR(GDB_R13, 8),
    GPR(GDB_R14, 8),
    GPR(GDB_R15, 8),
    {OFF(rip), FIELD_U64, 8},
    /* 64bit-core.xml: eflags is 32 bits even in long mode */
    {OFF(rflags), FIELD_U64, 4},
    SEGS_X87,
    XMM(0),
    XMM(1),
    XMM(2),
    XMM(3),
    XMM(4),
    XMM(5),
    XMM(6),
    XMM(7),
    XMM(8),
    XMM(9),
    XMM(10),
    XMM(11),
    XMM(12),
    XMM(13),
    XMM(14),
    XMM(15),
    U32(mxcsr),
    {OFF(fs_base), FIELD_U64, 8},
    {OFF(gs_base), FIELD_U64, 8},
    SYS_64,
};

#define NR_I386   (int)(sizeof(regs_i386) / sizeof(regs_i386[0]))
#define NR_X86_64 (int)(sizeof(regs_x86_64) / sizeof(regs_x86_64[0]))

/*
 * Target descriptions. Each is one self-contained document (gdb's feature
 * files inlined, no xi:include) so `qXfer:features:read:target.xml` is the
 * only object gdb asks for. Types and registers are copied from gdb's own
 * i386 feature files (32bit-core, 32bit-sse, 64bit-core, 64bit-sse,
 * 64bit-segments); gdb's i386 tdesc check requires the whole
 * org.gnu.gdb.i386.core feature, x87 included. Registers carry no regnum
 * attribute: gdb then numbers them 0, 1, ... in document order, which is
 * the order of the tables above.
 *
 * The osabi is "none": a bare guest has no OS ABI, and without it gdb
 * assumes its own default (GNU/Linux on Linux hosts), for which it has no
 * i8086 handler and warns on connecting.
 */
#define XML_HEAD(arch)                                                         \
    "<?xml version=\"1.0\"?>\n"                                                \
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"                            \
    "<target version=\"1.0\">\n"                                               \
    "<architecture>" arch "</architecture>\n"                                  \
    "<osabi>none</osabi>\n"

#define XML_EFLAGS                                                             \
    "<flags id=\"i386_eflags\" size=\"4\">\n"                                  \
    "<field name=\"CF\" start=\"0\" end=\"0\"/>\n"                             \
    "<field name=\"\" start=\"1\" end=\"1\"/>\n"                               \
    "<field name=\"PF\" start=\"2\" end=\"2\"/>\n"                             \
    "<field name=\"AF\" start=\"4\" end=\"4\"/>\n"                             \
    "<field name=\"ZF\" start=\"6\" end=\"6\"/>\n"                             \
    "<field name=\"SF\" start=\"7\" end=\"7\"/>\n"                             \
    "<field name=\"TF\" start=\"8\" end=\"8\"/>\n"                             \
    "<field name=\"IF\" start=\"9\" end=\"9\"/>\n"                             \
    "<field name=\"DF\" start=\"10\" end=\"10\"/>\n"                           \
    "<field name=\"OF\" start=\"11\" end=\"11\"/>\n"                           \
    "<field name=\"NT\" start=\"14\" end=\"14\"/>\n"                           \
    "<field name=\"RF\" start=\"16\" end=\"16\"/>\n"                           \
    "<field name=\"VM\" start=\"17\" end=\"17\"/>\n"                           \
    "<field name=\"AC\" start=\"18\" end=\"18\"/>\n"                           \
    "<field name=\"VIF\" start=\"19\" end=\"19\"/>\n"                          \
    "<field name=\"VIP\" start=\"20\" end=\"20\"/>\n"                          \
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"                           \
    "</flags>\n"

#define XML_SEGS_X87                                                           \
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"                       \
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"                       \
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"                       \
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"                       \
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"                       \
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"                       \
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"                   \
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"      \
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"      \
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"       \
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"      \
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"      \
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"      \
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"      \
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"

#define XML_SSE_TYPES                                                          \
    "<vector id=\"v8bf16\" type=\"bfloat16\" count=\"8\"/>\n"                  \
    "<vector id=\"v8h\" type=\"ieee_half\" count=\"8\"/>\n"                    \
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"                  \
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"                  \
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"                      \
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"                      \
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"                      \
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"                      \
    "<union id=\"vec128\">\n"                                                  \
    "<field name=\"v8_bfloat16\" type=\"v8bf16\"/>\n"                          \
    "<field name=\"v8_half\" type=\"v8h\"/>\n"                                 \
    "<field name=\"v4_float\" type=\"v4f\"/>\n"                                \
    "<field name=\"v2_double\" type=\"v2d\"/>\n"                               \
    "<field name=\"v16_int8\" type=\"v16i8\"/>\n"                              \
    "<field name=\"v8_int16\" type=\"v8i16\"/>\n"                              \
    "<field name=\"v4_int32\" type=\"v4i32\"/>\n"                              \
    "<field name=\"v2_int64\" type=\"v2i64\"/>\n"                              \
    "<field name=\"uint128\" type=\"uint128\"/>\n"                             \
    "</union>\n"                                                               \
    "<flags id=\"i386_mxcsr\" size=\"4\">\n"                                   \
    "<field name=\"IE\" start=\"0\" end=\"0\"/>\n"                             \
    "<field name=\"DE\" start=\"1\" end=\"1\"/>\n"                             \
    "<field name=\"ZE\" start=\"2\" end=\"2\"/>\n"                             \
    "<field name=\"OE\" start=\"3\" end=\"3\"/>\n"                             \
    "<field name=\"UE\" start=\"4\" end=\"4\"/>\n"                             \
    "<field name=\"PE\" start=\"5\" end=\"5\"/>\n"                             \
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/>\n"                            \
    "<field name=\"IM\" start=\"7\" end=\"7\"/>\n"                             \
    "<field name=\"DM\" start=\"8\" end=\"8\"/>\n"                             \
    "<field name=\"ZM\" start=\"9\" end=\"9\"/>\n"                             \
    "<field name=\"OM\" start=\"10\" end=\"10\"/>\n"                           \
    "<field name=\"UM\" start=\"11\" end=\"11\"/>\n"                           \
    "<field name=\"PM\" start=\"12\" end=\"12\"/>\n"                           \
    "<field name=\"FZ\" start=\"15\" end=\"15\"/>\n"                           \
    "</flags>\n"

#define XML_XMM(n) "<reg name=\"xmm" #n "\" bitsize=\"128\" type=\"vec128\"/>\n"

#define XML_MXCSR                                                              \
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" "                  \
    "group=\"vector\"/>\n"

#define XML_GPR_32                                                             \
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\"/>\n"                      \
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"                      \
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"                      \
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"                      \
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"                   \
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"                   \
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"                      \
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"                      \
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"                   \
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"

#define XML_GPR_64                                                             \
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"                   \
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"                   \
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"                       \
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"                       \
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"                      \
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"                   \
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"

#define XML_SEGMENTS_64                                                        \
    "<feature name=\"org.gnu.gdb.i386.segments\">\n"                           \
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"                    \
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"                    \
    "</feature>\n"

/* org.kvmstub.sys, in the order of SYS_32 / SYS_64. */
#define XML_R64(n)                                                             \
    "<reg name=\"" n "\" bitsize=\"64\" type=\"uint64\" group=\"system\"/>\n"
#define XML_R32(n)                                                             \
    "<reg name=\"" n "\" bitsize=\"32\" type=\"uint32\" group=\"system\"/>\n"
#define XML_SYS_SEG(s)        XML_R64(s "_base") XML_R32(s "_limit") XML_R32(s "_attr")
#define XML_SYS_SEG_NOBASE(s) XML_R32(s "_limit") XML_R32(s "_attr")
#define XML_SYS_CR                                                             \
    "<feature name=\"org.kvmstub.sys\">\n" XML_R64("cr0") XML_R64("cr2")       \
        XML_R64("cr3") XML_R64("cr4") XML_R64("cr8") XML_R64("efer")           \
            XML_SYS_SEG("cs") XML_SYS_SEG("ss") XML_SYS_SEG("ds")              \
                XML_SYS_SEG("es")
#define XML_SYS_TAIL                                                           \
    XML_R32("ldtr")                                                            \
    XML_SYS_SEG("ldtr")                                                        \
    XML_R32("tr")                                                              \
    XML_SYS_SEG("tr")                                                          \
    XML_R64("gdtr_base")                                                       \
    XML_R32("gdtr_limit") XML_R64("idtr_base") XML_R32("idtr_limit")           \
        XML_R64("dr0") XML_R64("dr1") XML_R64("dr2") XML_R64("dr3")            \
            XML_R64("dr6") XML_R64("dr7") "</feature>\n"
#define XML_SYS_32 XML_SYS_CR XML_SYS_SEG("fs") XML_SYS_SEG("gs") XML_SYS_TAIL
#define XML_SYS_64                                                             \
    XML_SYS_CR XML_SYS_SEG_NOBASE("fs") XML_SYS_SEG_NOBASE("gs") XML_SYS_TAIL

#define XML_CORE        "<feature name=\"org.gnu.gdb.i386.core\">\n"
#define XML_SSE         "<feature name=\"org.gnu.gdb.i386.sse\">\n"
#define XML_END_FEATURE "</feature>\n"
#define XML_END         "</target>\n"

#define XML_XMM_0_7                                                            \
    XML_XMM(0)                                                                 \
    XML_XMM(1) XML_XMM(2) XML_XMM(3) XML_XMM(4) XML_XMM(5) XML_XMM(6) XML_XMM(7)
#define XML_XMM_8_15                                                           \
    XML_XMM(8)                                                                 \
    XML_XMM(9)                                                                 \
    XML_XMM(10) XML_XMM(11) XML_XMM(12) XML_XMM(13) XML_XMM(14) XML_XMM(15)

/* 32bit-core.xml + 32bit-sse.xml under the given <architecture>. */
#define XML_32(arch)                                                           \
    XML_HEAD(arch)                                                             \
    XML_CORE XML_EFLAGS XML_GPR_32 XML_SEGS_X87 XML_END_FEATURE XML_SSE        \
        XML_SSE_TYPES XML_XMM_0_7 XML_MXCSR XML_END_FEATURE XML_SYS_32 XML_END

static const char xml_i8086[] = XML_32("i8086");
static const char xml_i386[] = XML_32("i386");

/* 64bit-core.xml + 64bit-sse.xml + 64bit-segments.xml */
static const char xml_x86_64[] =
    XML_HEAD("i386:x86-64") XML_CORE XML_EFLAGS XML_GPR_64 XML_SEGS_X87
        XML_END_FEATURE XML_SSE XML_SSE_TYPES XML_XMM_0_7 XML_XMM_8_15 XML_MXCSR
            XML_END_FEATURE XML_SEGMENTS_64 XML_SYS_64 XML_END;

/* The layout of arch and its length; NULL for an unknown arch. */
static const struct reg_desc *layout(enum gdb_arch arch, int *nr)
{
    switch (arch) {
    case GDB_ARCH_I8086:
    case GDB_ARCH_I386:
        *nr = NR_I386;
        return regs_i386;
    case GDB_ARCH_X86_64:
        *nr = NR_X86_64;
        return regs_x86_64;
    }
    *nr = 0;
    return NULL;
}

/* The descriptor of regno, or NULL if arch has no such register. */
static const struct reg_desc *find_reg(enum gdb_arch arch, int regno)
{
    int nr;
    const struct reg_desc *t = layout(arch, &nr);

    if (!t || regno < 0 || regno >= nr) {
        return NULL;
    }
    return &t[regno];
}

int gdb_arch_nr_regs(enum gdb_arch arch)
{
    int nr;

    layout(arch, &nr);
    return nr;
}

int gdb_arch_reg_size(enum gdb_arch arch, int regno)
{
    const struct reg_desc *d = find_reg(arch, regno);

    return d ? d->size : -1;
}

int gdb_arch_pc_regno(enum gdb_arch arch)
{
    return arch == GDB_ARCH_X86_64 ? 16 : 8; /* rip : eip */
}

int gdb_arch_sp_regno(enum gdb_arch arch)
{
    return arch == GDB_ARCH_X86_64 ? 7 : 4; /* rsp : esp */
}

int gdb_arch_fp_regno(enum gdb_arch arch)
{
    return arch == GDB_ARCH_X86_64 ? 6 : 5; /* rbp : ebp */
}

/* The integer in the struct field d names, widened to 64 bits. */
static uint64_t load_field(const struct gdb_x86_regs *regs,
                           const struct reg_desc *d)
{
    const unsigned char *p = (const unsigned char *)regs + d->offset;

    if (d->kind == FIELD_U32) {
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        return v;
    }
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static void store_field(struct gdb_x86_regs *regs, const struct reg_desc *d,
                        uint64_t v)
{
    unsigned char *p = (unsigned char *)regs + d->offset;

    if (d->kind == FIELD_U32) {
        uint32_t v32 = (uint32_t)v;

        memcpy(p, &v32, sizeof(v32));
    } else {
        memcpy(p, &v, sizeof(v));
    }
}

int gdb_arch_reg_get(enum gdb_arch arch, const struct gdb_x86_regs *regs,
                     int regno, uint8_t *out)
{
    const struct reg_desc *d = find_reg(arch, regno);

    if (!d) {
        return -1;
    }
    if (d->kind == FIELD_BYTES) {
        memcpy(out, (const unsigned char *)regs + d->offset, d->size);
        return d->size;
    }
    /* Little-endian whatever the host's order: shift, don't memcpy. */
    uint64_t v = load_field(regs, d);

    for (int i = 0; i < d->size; i++) {
        out[i] = (uint8_t)(v >> (8 * i));
    }
    return d->size;
}

int gdb_arch_reg_set(enum gdb_arch arch, struct gdb_x86_regs *regs, int regno,
                     const uint8_t *in, size_t size)
{
    const struct reg_desc *d = find_reg(arch, regno);

    if (!d || size != d->size) {
        return -1;
    }
    if (d->kind == FIELD_BYTES) {
        memcpy((unsigned char *)regs + d->offset, in, d->size);
        return 0;
    }
    /*
     * A 4-byte write to a 64-bit field (32-bit layout GPRs, eip, eflags)
     * zero-extends, dropping the upper half: the 32-bit layout has no way
     * to name it, and in modes where it is used the 64-bit layout is.
     */
    uint64_t v = 0;

    for (int i = 0; i < d->size; i++) {
        v |= (uint64_t)in[i] << (8 * i);
    }
    store_field(regs, d, v);
    return 0;
}

size_t gdb_arch_regs_size(enum gdb_arch arch)
{
    int nr;
    const struct reg_desc *t = layout(arch, &nr);
    size_t total = 0;

    for (int i = 0; i < nr; i++) {
        total += t[i].size;
    }
    return total;
}

const char *gdb_arch_target_xml(enum gdb_arch arch, size_t *len)
{
    switch (arch) {
    case GDB_ARCH_I8086:
        *len = sizeof(xml_i8086) - 1;
        return xml_i8086;
    case GDB_ARCH_I386:
        *len = sizeof(xml_i386) - 1;
        return xml_i386;
    case GDB_ARCH_X86_64:
        *len = sizeof(xml_x86_64) - 1;
        return xml_x86_64;
    }
    *len = 0;
    return NULL;
}
