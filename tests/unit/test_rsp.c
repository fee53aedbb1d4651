/*
 * Unit tests for the RSP packet codec: exact byte strings in, events and
 * payloads out, plus frame/parse round trips over random binary payloads.
 */
#include "gdbstub/rsp.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test.h"

#define MAX_EVENTS 64
#define MAX_KEPT   512 /* payload bytes kept per packet event */

/* What a stream produced: every event but RSP_EV_NONE, with payloads. */
struct collected {
    size_t n;
    enum rsp_event ev[MAX_EVENTS];
    size_t len[MAX_EVENTS];
    char data[MAX_EVENTS][MAX_KEPT + 1];
};

static struct rsp_parser *new_parser(void)
{
    struct rsp_parser *p = malloc(sizeof(*p));

    if (!p) {
        printf("FAIL: out of memory\n");
        exit(1);
    }
    rsp_init(p);
    return p;
}

/* Feed n bytes one at a time, appending the events to c. */
static void feed(struct rsp_parser *p, const void *s, size_t n,
                 struct collected *c)
{
    const uint8_t *b = s;

    for (size_t i = 0; i < n; i++) {
        enum rsp_event ev = rsp_feed(p, b[i]);
        size_t len;
        const char *pl;

        if (ev == RSP_EV_NONE || c->n == MAX_EVENTS)
            continue;
        c->ev[c->n] = ev;
        c->len[c->n] = 0;
        c->data[c->n][0] = '\0';
        if (ev == RSP_EV_PACKET) {
            pl = rsp_payload(p, &len);
            CHECK_EQ(pl[len], '\0');
            c->len[c->n] = len;
            if (len > MAX_KEPT)
                len = MAX_KEPT;
            memcpy(c->data[c->n], pl, len);
            c->data[c->n][len] = '\0';
        }
        c->n++;
    }
}

/* Feed a C string to a fresh parser. */
static void feed_str(const char *s, struct collected *c)
{
    struct rsp_parser *p = new_parser();

    memset(c, 0, sizeof(*c));
    feed(p, s, strlen(s), c);
    free(p);
}

/* "$" + raw + "#xx", with the checksum over the raw bytes; returns length. */
static size_t make_pkt(const void *raw, size_t n, char *out)
{
    const uint8_t *b = raw;
    unsigned sum = 0;

    out[0] = '$';
    for (size_t i = 0; i < n; i++) {
        out[1 + i] = (char)b[i];
        sum += b[i];
    }
    snprintf(out + 1 + n, 4, "#%02x", sum & 0xff);
    return n + 4;
}

/* xorshift64: a fixed-seed PRNG, so failures reproduce. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_simple_packets(void)
{
    struct collected c;

    feed_str("$g#67", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.len[0], 1);
    CHECK_STR(c.data[0], "g");

    feed_str("$m0,10#2a", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_STR(c.data[0], "m0,10");

    /* Upper-case checksum digits are accepted too. */
    feed_str("$m0,10#2A", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);

    /* An empty packet is valid (checksum 00). */
    feed_str("$#00", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.len[0], 0);

    /* Back to back, with acks in between. */
    feed_str("$g#67+$m0,10#2a", &c);
    CHECK_EQ(c.n, 3);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.ev[1], RSP_EV_ACK);
    CHECK_EQ(c.ev[2], RSP_EV_PACKET);
    CHECK_STR(c.data[2], "m0,10");
}

static void test_bad_checksum(void)
{
    struct collected c;

    feed_str("$g#68$g#67", &c);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(c.ev[0], RSP_EV_BAD);
    CHECK_EQ(c.ev[1], RSP_EV_PACKET);
    CHECK_STR(c.data[1], "g");

    /* Non-hex checksum digits, first or second. */
    feed_str("$g#z7$g#6z$g#67", &c);
    CHECK_EQ(c.n, 3);
    CHECK_EQ(c.ev[0], RSP_EV_BAD);
    CHECK_EQ(c.ev[1], RSP_EV_BAD);
    CHECK_EQ(c.ev[2], RSP_EV_PACKET);

    /* A '$' in the checksum cuts the packet short and starts another. */
    feed_str("$g#6$g#67", &c);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(c.ev[0], RSP_EV_BAD);
    CHECK_EQ(c.ev[1], RSP_EV_PACKET);
    CHECK_STR(c.data[1], "g");
}

static void test_escape(void)
{
    struct collected c;
    char buf[64];

    /* '}' ']' is 0x5d ^ 0x20 = '}'; sum 0x7d + 0x5d = 0xda. */
    feed_str("$}]#da", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.len[0], 1);
    CHECK_STR(c.data[0], "}");

    /* X packet data: '#', '$', '*' and 0x00 escaped. */
    buf[make_pkt("X0,4:}\x03}\x04}\x0a}\x20", 13, buf)] = '\0';
    feed_str(buf, &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.len[0], 9);
    CHECK_MEM(c.data[0], "X0,4:#$*\0", 9);

    /* A dangling escape before '#' is malformed. */
    feed_str("$a}#de$g#67", &c);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(c.ev[0], RSP_EV_BAD);
    CHECK_EQ(c.ev[1], RSP_EV_PACKET);
}

static void test_run_length(void)
{
    struct collected c;
    char buf[64], want[128];

    /* ' ' is 32: 32 - 29 = 3 more; sum 0x30 + 0x2a + 0x20 = 0x7a. */
    feed_str("$0* #7a", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.len[0], 4);
    CHECK_STR(c.data[0], "0000");

    /* Runs chain, and text follows them. */
    buf[make_pkt("0* * 1", 6, buf)] = '\0';
    feed_str(buf, &c);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_STR(c.data[0], "00000001");

    /* '~' (126) is the longest count: 97 more. */
    buf[make_pkt("f*~", 3, buf)] = '\0';
    feed_str(buf, &c);
    memset(want, 'f', 98);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.len[0], 98);
    CHECK_MEM(c.data[0], want, 98);

    /* The previous byte is the decoded one: '}' after an escape. */
    buf[make_pkt("}]* ", 4, buf)] = '\0';
    feed_str(buf, &c);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_STR(c.data[0], "}}}}");

    /* No previous byte, a count below ' ', above '~', or dangling. */
    static const char *const bad[] = {"* ", "0*\x1f", "0*\x7f", "0*\xff", "0*"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = make_pkt(bad[i], strlen(bad[i]), buf);

        memcpy(buf + n, "$g#67", 6);
        feed_str(buf, &c);
        CHECK_EQ(c.n, 2);
        CHECK_EQ(c.ev[0], RSP_EV_BAD);
        CHECK_EQ(c.ev[1], RSP_EV_PACKET);
        CHECK_STR(c.data[1], "g");
    }
}

static void test_overflow(void)
{
    struct rsp_parser *p = new_parser();
    size_t cap = RSP_MAX_PACKET + 200, n, len;
    char *raw = malloc(cap), *pkt = malloc(cap + 8);
    struct collected c;

    CHECK(raw && pkt);
    if (!raw || !pkt)
        goto out;

    /* Exactly RSP_MAX_PACKET bytes fit. */
    memset(raw, 'a', RSP_MAX_PACKET);
    n = make_pkt(raw, RSP_MAX_PACKET, pkt);
    memset(&c, 0, sizeof(c));
    feed(p, pkt, n, &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.len[0], RSP_MAX_PACKET);
    CHECK_EQ(rsp_payload(p, &len)[RSP_MAX_PACKET], '\0');

    /* One more is rejected, at the end, and the parser recovers. */
    memset(raw, 'b', RSP_MAX_PACKET + 1);
    n = make_pkt(raw, RSP_MAX_PACKET + 1, pkt);
    memcpy(pkt + n, "$g#67", 5);
    memset(&c, 0, sizeof(c));
    feed(p, pkt, n + 5, &c);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(c.ev[0], RSP_EV_OVERFLOW);
    CHECK_EQ(c.ev[1], RSP_EV_PACKET);
    CHECK_STR(c.data[1], "g");

    /* Overflow through a run-length count at the very end. */
    memset(raw, 'c', RSP_MAX_PACKET - 2);
    memcpy(raw + RSP_MAX_PACKET - 2, "* ", 2);
    n = make_pkt(raw, RSP_MAX_PACKET, pkt);
    memcpy(pkt + n, "$g#67", 5);
    memset(&c, 0, sizeof(c));
    feed(p, pkt, n + 5, &c);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(c.ev[0], RSP_EV_OVERFLOW);
    CHECK_EQ(c.ev[1], RSP_EV_PACKET);

    /* A bad checksum on an oversized packet is still a reject. */
    memset(raw, 'd', RSP_MAX_PACKET + 100);
    n = make_pkt(raw, RSP_MAX_PACKET + 100, pkt);
    pkt[n - 1] = pkt[n - 1] == '0' ? '1' : '0';
    memset(&c, 0, sizeof(c));
    feed(p, pkt, n, &c);
    CHECK_EQ(c.n, 1);
    CHECK(c.ev[0] == RSP_EV_BAD || c.ev[0] == RSP_EV_OVERFLOW);
out:
    free(raw);
    free(pkt);
    free(p);
}

static void test_interrupt_and_acks(void)
{
    struct collected c;

    feed_str("\x03$g#67\x03+-\x03", &c);
    CHECK_EQ(c.n, 6);
    CHECK_EQ(c.ev[0], RSP_EV_INTERRUPT);
    CHECK_EQ(c.ev[1], RSP_EV_PACKET);
    CHECK_EQ(c.ev[2], RSP_EV_INTERRUPT);
    CHECK_EQ(c.ev[3], RSP_EV_ACK);
    CHECK_EQ(c.ev[4], RSP_EV_NAK);
    CHECK_EQ(c.ev[5], RSP_EV_INTERRUPT);

    /* Inside a packet 0x03, '+' and '-' are data. */
    char buf[32];
    buf[make_pkt("a\x03+-", 4, buf)] = '\0';
    feed_str(buf, &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_STR(c.data[0], "a\x03+-");
}

static void test_garbage_ignored(void)
{
    struct collected c;

    feed_str("xyz\r\n#67}*\x01\xff$g#67 junk 00", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_STR(c.data[0], "g");

    feed_str("hello world", &c);
    CHECK_EQ(c.n, 0);
}

static void test_dollar_restarts(void)
{
    struct collected c;

    feed_str("$m0,10$g#67", &c);
    CHECK_EQ(c.n, 1);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_STR(c.data[0], "g");

    /* Even right after '}' or '*'. */
    feed_str("$a}$g#67$a*$g#67", &c);
    CHECK_EQ(c.n, 2);
    CHECK_EQ(c.ev[0], RSP_EV_PACKET);
    CHECK_EQ(c.ev[1], RSP_EV_PACKET);
    CHECK_STR(c.data[1], "g");
}

static bool same(const struct collected *a, const struct collected *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->ev[i] != b->ev[i] || a->len[i] != b->len[i] ||
            memcmp(a->data[i], b->data[i], a->len[i]) != 0)
            return false;
    }
    return true;
}

static void test_bytewise_same_as_bulk(void)
{
    static const char stream[] = "junk\x03$g#67+$m0,10#2a-$g#68$0* #7a"
                                 "$}]#da$m0,1$g#67\x03$* #4a+$#00";
    size_t n = sizeof(stream) - 1;
    struct collected *bulk = calloc(1, sizeof(*bulk));
    struct collected *bytes = calloc(1, sizeof(*bytes));
    struct collected *chunks = calloc(1, sizeof(*chunks));
    struct rsp_parser *p = new_parser();
    uint64_t seed = 0x9e3779b97f4a7c15u;

    CHECK(bulk && bytes && chunks);
    if (!bulk || !bytes || !chunks)
        goto out;
    feed(p, stream, n, bulk);
    CHECK_EQ(bulk->n, 13);

    rsp_init(p);
    for (size_t i = 0; i < n; i++)
        feed(p, stream + i, 1, bytes);
    CHECK(same(bulk, bytes));

    /* Random chunk boundaries, many times over. */
    for (int iter = 0; iter < 50; iter++) {
        memset(chunks, 0, sizeof(*chunks));
        rsp_init(p);
        for (size_t i = 0; i < n;) {
            size_t k = 1 + next_rand(&seed) % 8;

            if (k > n - i)
                k = n - i;
            feed(p, stream + i, k, chunks);
            i += k;
        }
        CHECK(same(bulk, chunks));
    }
out:
    free(bulk);
    free(bytes);
    free(chunks);
    free(p);
}

/*
 * Checks a frame's shape: "$", a body without raw '$' or '#' whose '*'
 * counts are printable and never '$' or '#', then "#xx" in lower case.
 */
static void check_frame_shape(const uint8_t *f, size_t n)
{
    CHECK(n >= 4);
    if (n < 4)
        return;
    CHECK_EQ(f[0], '$');
    CHECK_EQ(f[n - 3], '#');
    CHECK(rsp_hex_digit(f[n - 2]) >= 0 &&
          !(f[n - 2] >= 'A' && f[n - 2] <= 'F'));
    CHECK(rsp_hex_digit(f[n - 1]) >= 0 &&
          !(f[n - 1] >= 'A' && f[n - 1] <= 'F'));
    for (size_t i = 1; i < n - 3; i++) {
        CHECK(f[i] != '$' && f[i] != '#');
        if (f[i] == '}') {
            i++;
        } else if (f[i] == '*') {
            CHECK(i + 1 < n - 3);
            CHECK(f[i + 1] >= ' ' && f[i + 1] <= '~');
            CHECK(f[i + 1] != 6 + 29 && f[i + 1] != 7 + 29);
            i++;
        }
    }
}

/* Frames payload, checks the shape, parses it back. */
static void round_trip(struct rsp_parser *p, const uint8_t *in, size_t len,
                       uint8_t *frame, size_t cap)
{
    size_t n = rsp_frame(in, len, frame, cap), plen = 0, i;
    enum rsp_event ev = RSP_EV_NONE;
    const char *out;

    CHECK(n > 0 && n <= 2 * len + 4);
    check_frame_shape(frame, n);
    rsp_init(p);
    for (i = 0; i < n; i++) {
        ev = rsp_feed(p, frame[i]);
        if (ev != RSP_EV_NONE)
            break;
    }
    CHECK_EQ(i, n - 1); /* the event comes with the last byte */
    CHECK_EQ(ev, RSP_EV_PACKET);
    out = rsp_payload(p, &plen);
    CHECK_EQ(plen, len);
    if (plen == len)
        CHECK_MEM(out, in, len);
}

static void test_frame_round_trip(void)
{
    enum { MAXLEN = 4096 };
    struct rsp_parser *p = new_parser();
    uint8_t *in = malloc(MAXLEN), *frame = malloc(2 * MAXLEN + 4);
    uint64_t seed = 88172645463325252u;
    int fails = 0;

    CHECK(in && frame);
    if (!in || !frame)
        goto out;

    /* Every byte value, then every byte value in runs of 1..120. */
    for (int i = 0; i < 256; i++)
        in[i] = (uint8_t)i;
    round_trip(p, in, 256, frame, 2 * MAXLEN + 4);
    for (size_t run = 1; run <= 120; run++) {
        for (int b = 0; b < 256; b += 3) {
            memset(in, b, run);
            in[run] = 'x';
            round_trip(p, in, run + 1, frame, 2 * MAXLEN + 4);
        }
    }

    for (int iter = 0; iter < 1000 && fails < 5; iter++) {
        size_t len = next_rand(&seed) % MAXLEN;
        int mode = iter % 4;

        for (size_t i = 0; i < len;) {
            uint8_t b = (uint8_t)next_rand(&seed);
            size_t run = 1;

            if (mode == 1) /* small alphabet: hex text with repeats */
                b = (uint8_t) "0123456789abcdef"[b % 3];
            else if (mode == 2) /* the special characters and friends */
                b = (uint8_t) "$#}*0 \x03"[b % 7];
            else if (mode == 3) /* long runs */
                run = 1 + next_rand(&seed) % 300;
            for (; run > 0 && i < len; run--)
                in[i++] = b;
        }
        int before = test_failures;
        round_trip(p, in, len, frame, 2 * MAXLEN + 4);
        if (test_failures != before) {
            printf("  round trip failed: iteration %d, length %zu\n", iter,
                   len);
            fails++;
        }
    }
out:
    free(in);
    free(frame);
    free(p);
}

static void test_frame_exact(void)
{
    uint8_t f[64];
    size_t n;

    n = rsp_frame("g", 1, f, sizeof(f));
    CHECK_EQ(n, 5);
    CHECK_MEM(f, "$g#67", 5);

    n = rsp_frame("OK", 2, f, sizeof(f));
    CHECK_EQ(n, 6);
    CHECK_MEM(f, "$OK#9a", 6);

    n = rsp_frame("", 0, f, sizeof(f));
    CHECK_EQ(n, 4);
    CHECK_MEM(f, "$#00", 4);

    /* Three in a row stay raw; four become "0* " (gdbserver try_rle). */
    n = rsp_frame("000", 3, f, sizeof(f));
    CHECK_EQ(n, 7);
    CHECK_MEM(f, "$000#90", 7);
    n = rsp_frame("0000", 4, f, sizeof(f));
    CHECK_EQ(n, 7);
    CHECK_MEM(f, "$0* #7a", 7);

    /* 7 and 8 zeros would need counts '#' and '$': use 5 (`"`) instead. */
    n = rsp_frame("0000000", 7, f, sizeof(f));
    CHECK_EQ(n, 8);
    CHECK_MEM(f, "$0*\"0#ac", 8);
    n = rsp_frame("00000000", 8, f, sizeof(f));
    CHECK_EQ(n, 9);
    CHECK_MEM(f, "$0*\"00#dc", 9);

    /* Escapes, and no run-length on escaped bytes. */
    n = rsp_frame("a$b", 3, f, sizeof(f));
    CHECK_EQ(n, 8);
    CHECK_MEM(f,
              "$a}\x04"
              "b#",
              6);
    n = rsp_frame("****", 4, f, sizeof(f));
    CHECK_EQ(n, 12);
    CHECK_MEM(f, "$}\x0a}\x0a}\x0a}\x0a#", 10);
    n = rsp_frame("#}", 2, f, sizeof(f));
    CHECK_EQ(n, 8);
    CHECK_MEM(f, "$}\x03}]#", 6);
}

static void test_frame_cap(void)
{
    static const char *const payloads[] = {"",    "g",        "OK",     "0000",
                                           "a$b", "00000000", "****xyz"};
    uint8_t f[64];

    CHECK_EQ(rsp_frame("", 0, f, 3), 0);
    CHECK_EQ(rsp_frame("g", 1, f, 0), 0);
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        size_t len = strlen(payloads[i]);
        size_t n = rsp_frame(payloads[i], len, f, sizeof(f));
        uint8_t g[64];

        CHECK(n >= 4);
        /* An exact fit works, one byte less does not. */
        CHECK_EQ(rsp_frame(payloads[i], len, g, n), n);
        CHECK_MEM(g, f, n);
        CHECK_EQ(rsp_frame(payloads[i], len, g, n - 1), 0);
    }

    /* RSP_MAX_FRAME holds the worst case: every byte escaped. */
    uint8_t *in = malloc(RSP_MAX_PACKET), *out = malloc(RSP_MAX_FRAME);
    CHECK(in && out);
    if (in && out) {
        memset(in, '}', RSP_MAX_PACKET);
        CHECK_EQ(rsp_frame(in, RSP_MAX_PACKET, out, RSP_MAX_FRAME),
                 RSP_MAX_FRAME);
        CHECK_EQ(rsp_frame(in, RSP_MAX_PACKET, out, RSP_MAX_FRAME - 1), 0);
    }
    free(in);
    free(out);
}

static void test_hex(void)
{
    static const uint8_t bin[] = {0x00, 0xab, 0xff, 0x12, 0x7f};
    char hex[16];
    uint8_t out[8];

    memset(hex, 'Z', sizeof(hex));
    rsp_hex_encode(bin, sizeof(bin), hex);
    CHECK_MEM(hex, "00abff127f", 10);
    CHECK_EQ(hex[10], 'Z'); /* no NUL written */

    memset(out, 0, sizeof(out));
    CHECK_EQ(rsp_hex_decode("00abff127f", 10, out), 0);
    CHECK_MEM(out, bin, sizeof(bin));
    CHECK_EQ(rsp_hex_decode("ABcD", 4, out), 0);
    CHECK_EQ(out[0], 0xab);
    CHECK_EQ(out[1], 0xcd);
    CHECK_EQ(rsp_hex_decode("", 0, out), 0);

    CHECK_EQ(rsp_hex_decode("0g", 2, out), -1);
    CHECK_EQ(rsp_hex_decode("g0", 2, out), -1);
    CHECK_EQ(rsp_hex_decode("12 4", 4, out), -1);
    CHECK_EQ(rsp_hex_decode("123", 3, out), -1); /* half a byte */

    CHECK_EQ(rsp_hex_digit('0'), 0);
    CHECK_EQ(rsp_hex_digit('9'), 9);
    CHECK_EQ(rsp_hex_digit('a'), 10);
    CHECK_EQ(rsp_hex_digit('F'), 15);
    CHECK_EQ(rsp_hex_digit('g'), -1);
    CHECK_EQ(rsp_hex_digit('/'), -1);
    CHECK_EQ(rsp_hex_digit(':'), -1);
    CHECK_EQ(rsp_hex_digit(0), -1);
    CHECK_EQ(rsp_hex_digit(0xff), -1);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_simple_packets),
        TEST(test_bad_checksum),
        TEST(test_escape),
        TEST(test_run_length),
        TEST(test_overflow),
        TEST(test_interrupt_and_acks),
        TEST(test_garbage_ignored),
        TEST(test_dollar_restarts),
        TEST(test_bytewise_same_as_bulk),
        TEST(test_frame_round_trip),
        TEST(test_frame_exact),
        TEST(test_frame_cap),
        TEST(test_hex),
    };

    return test_main(tests, TEST_COUNT(tests));
}
