#ifndef TESTS_TEST_H
#define TESTS_TEST_H

/*
 * A tiny test harness in the manner of kselftest.h. Each CHECK prints
 * "FAIL file:line: expr (got ..., want ...)" and lets the test go on. A
 * test binary defines a table of tests and calls test_main(), which prints
 * "N passed, N failed" last and returns the exit status.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
    const char *name;
    void (*fn)(void);
};

static int test_failures; /* failed checks in the current test */

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c)) {                                                            \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);                \
            test_failures++;                                                   \
        }                                                                      \
    } while (0)

#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);        \
        if (check_a_ != check_b_) {                                            \
            printf("FAIL %s:%d: %s == %s (got %lld, want %lld)\n", __FILE__,   \
                   __LINE__, #a, #b, check_a_, check_b_);                      \
            test_failures++;                                                   \
        }                                                                      \
    } while (0)

#define CHECK_MEM(p, q, n)                                                     \
    do {                                                                       \
        if (memcmp((p), (q), (n)) != 0) {                                      \
            printf("FAIL %s:%d: %s == %s (%zu bytes differ)\n", __FILE__,      \
                   __LINE__, #p, #q, (size_t)(n));                             \
            test_failures++;                                                   \
        }                                                                      \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *check_a_ = (a), *check_b_ = (b);                           \
        if (strcmp(check_a_, check_b_) != 0) {                                 \
            printf("FAIL %s:%d: %s (got \"%s\", want \"%s\")\n", __FILE__,     \
                   __LINE__, #a, check_a_, check_b_);                          \
            test_failures++;                                                   \
        }                                                                      \
    } while (0)

/* For fallible calls returning 0 / -errno. */
#define CHECK_OK(e)                                                            \
    do {                                                                       \
        long long check_r_ = (long long)(e);                                   \
        if (check_r_ < 0) {                                                    \
            printf("FAIL %s:%d: %s (got %lld, want >= 0)\n", __FILE__,         \
                   __LINE__, #e, check_r_);                                    \
            test_failures++;                                                   \
        }                                                                      \
    } while (0)

static inline int test_main(const struct test_case *tests, size_t n)
{
    int passed = 0, failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        test_failures = 0;
        tests[i].fn();
        if (test_failures) {
            printf("not ok %s\n", tests[i].name);
            failed++;
        } else {
            printf("ok %s\n", tests[i].name);
            passed++;
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

#define TEST(fn)                                                               \
    {                                                                          \
#fn, fn                                                                \
    }
#define TEST_COUNT(t) (sizeof(t) / sizeof((t)[0]))

#endif
