/*
 * The data-read decoder of page-protection watchpoints (vmm/insn.c): the
 * operands it finds for each addressing form, in 16-bit, 32-bit and
 * 64-bit code, and the forms that only write.
 */
#include "tests/test.h"

#include "vmm/insn.h"

static struct insn_access acc[INSN_MAX_READS];

static int reads(const struct insn_cpu *cpu, const char *bytes, size_t n)
{
    memset(acc, 0, sizeof(acc));
    return insn_data_reads((const uint8_t *)bytes, n, cpu, acc);
}

#define READS(cpu, lit) reads(cpu, lit, sizeof(lit) - 1)

static void test_real_mode(void)
{
    struct insn_cpu c = {.seg_base = {[3] = 0x1000, [2] = 0x2000}};

    c.gpr[3] = 0x10; /* bx */
    c.gpr[6] = 0x5;  /* si */
    c.gpr[5] = 0x40; /* bp */
    c.gpr[4] = 0x80; /* sp */
    /* mov 0x300, %al (moffs): DS base + 0x300, one byte */
    CHECK_EQ(READS(&c, "\xa0\x00\x03"), 1);
    CHECK_EQ(acc[0].addr, 0x1300);
    CHECK_EQ(acc[0].len, 1);
    /* mov 0x2(%bx,%si), %ax: 8b 40 02 */
    CHECK_EQ(READS(&c, "\x8b\x40\x02"), 1);
    CHECK_EQ(acc[0].addr, 0x1000 + 0x10 + 0x5 + 2);
    CHECK_EQ(acc[0].len, 2);
    /* mov -2(%bp), %ax: 8b 46 fe: SS by default */
    CHECK_EQ(READS(&c, "\x8b\x46\xfe"), 1);
    CHECK_EQ(acc[0].addr, 0x2000 + 0x3e);
    /* es: override: 26 8a 07 (mov (%bx), %al) */
    c.seg_base[0] = 0x9000;
    CHECK_EQ(READS(&c, "\x26\x8a\x07"), 1);
    CHECK_EQ(acc[0].addr, 0x9010);
    CHECK_EQ(acc[0].len, 1);
    /* incb 0x300: fe 06 00 03, a read-modify-write */
    CHECK_EQ(READS(&c, "\xfe\x06\x00\x03"), 1);
    CHECK_EQ(acc[0].addr, 0x1300);
    /* Stores and lea read nothing: mov %al,0x300; movb $1,(%bx); lea */
    CHECK_EQ(READS(&c, "\xa2\x00\x03"), 0);
    CHECK_EQ(READS(&c, "\xc6\x07\x01"), 0);
    CHECK_EQ(READS(&c, "\x8d\x40\x02"), 0);
    CHECK_EQ(READS(&c, "\x88\x07"), 0);
    /* Register operands: add %bx,%ax */
    CHECK_EQ(READS(&c, "\x01\xd8"), 0);
    /* pop %ax, ret: the stack top */
    CHECK_EQ(READS(&c, "\x58"), 1);
    CHECK_EQ(acc[0].addr, 0x2080);
    CHECK_EQ(acc[0].len, 2);
    CHECK_EQ(READS(&c, "\xc3"), 1);
    /* lodsb, cmpsb: DS:SI (and ES:DI) */
    c.gpr[7] = 0x7;
    CHECK_EQ(READS(&c, "\xac"), 1);
    CHECK_EQ(acc[0].addr, 0x1005);
    CHECK_EQ(READS(&c, "\xa6"), 2);
    CHECK_EQ(acc[1].addr, 0x9007);
    /* rep movsb with cx = 0 reads nothing; with 3, one iteration */
    CHECK_EQ(READS(&c, "\xf3\xa4"), 0);
    c.gpr[1] = 3;
    CHECK_EQ(READS(&c, "\xf3\xa4"), 1);
    CHECK_EQ(acc[0].len, 1);
    /* Truncated: the operand bytes are missing. */
    CHECK_EQ(READS(&c, "\xa0\x00"), -1);
    CHECK_EQ(reads(&c, "", 0), -1);
}

static void test_protected_mode(void)
{
    struct insn_cpu c = {.code32 = true, .seg_base = {[3] = 0x100000}};

    c.gpr[0] = 0x10;   /* eax */
    c.gpr[3] = 0x2000; /* ebx */
    /* mov 0x8(%ebx,%eax,4), %ecx: 8b 4c 83 08 */
    CHECK_EQ(READS(&c, "\x8b\x4c\x83\x08"), 1);
    CHECK_EQ(acc[0].addr, 0x100000 + 0x2000 + 0x40 + 8);
    CHECK_EQ(acc[0].len, 4);
    /* mov 0x5000, %eax with a disp32 ModRM: 8b 05 00 50 00 00 */
    CHECK_EQ(READS(&c, "\x8b\x05\x00\x50\x00\x00"), 1);
    CHECK_EQ(acc[0].addr, 0x105000);
    /* 66: a 16-bit operand */
    CHECK_EQ(READS(&c, "\x66\x8b\x03"), 1);
    CHECK_EQ(acc[0].len, 2);
    /* cmpl $1, (%ebx): 83 3b 01 */
    CHECK_EQ(READS(&c, "\x83\x3b\x01"), 1);
    CHECK_EQ(acc[0].addr, 0x102000);
    /* movzbl (%ebx), %eax: 0f b6 03 */
    CHECK_EQ(READS(&c, "\x0f\xb6\x03"), 1);
    CHECK_EQ(acc[0].addr, 0x102000);
    /* sete (%ebx): a store */
    CHECK_EQ(READS(&c, "\x0f\x94\x03"), 0);
}

static void test_long_mode(void)
{
    struct insn_cpu c = {.long64 = true,
                         .next_rip = 0x20f,
                         .seg_base = {[3] = 0x777, [5] = 0x10000}};

    c.gpr[6] = 0x4ff8; /* rsi */
    c.gpr[1] = 1;      /* rcx */
    c.gpr[9] = 0x100;  /* r9 */
    /* mov 0x4df1(%rip), %rax: 48 8b 05 f1 4d 00 00 */
    CHECK_EQ(READS(&c, "\x48\x8b\x05\xf1\x4d\x00\x00"), 1);
    CHECK_EQ(acc[0].addr, 0x5000);
    CHECK_EQ(acc[0].len, 8);
    /* mov (%rsi,%rcx,8), %rdx: 48 8b 14 ce; DS base ignored */
    CHECK_EQ(READS(&c, "\x48\x8b\x14\xce"), 1);
    CHECK_EQ(acc[0].addr, 0x5000);
    /* incq 0x5000: 48 ff 04 25 00 50 00 00 */
    CHECK_EQ(READS(&c, "\x48\xff\x04\x25\x00\x50\x00\x00"), 1);
    CHECK_EQ(acc[0].addr, 0x5000);
    /* mov %gs:0x8(%r9), %eax: 65 41 8b 41 08 */
    CHECK_EQ(READS(&c, "\x65\x41\x8b\x41\x08"), 1);
    CHECK_EQ(acc[0].addr, 0x10000 + 0x108);
    CHECK_EQ(acc[0].len, 4);
    /* movb %al, 0x5100: a store */
    CHECK_EQ(READS(&c, "\x88\x04\x25\x00\x51\x00\x00"), 0);
    /* pop %rbx: 8 bytes */
    c.gpr[4] = 0x7000;
    CHECK_EQ(READS(&c, "\x5b"), 1);
    CHECK_EQ(acc[0].addr, 0x7000);
    CHECK_EQ(acc[0].len, 8);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_real_mode),
        TEST(test_protected_mode),
        TEST(test_long_mode),
    };
    return test_main(tests, TEST_COUNT(tests));
}
