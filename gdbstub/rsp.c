#include "gdbstub/rsp.h"

#include <string.h>

/*
 * Parser states, after QEMU's gdb_read_byte. ST_BAD is a flag or-ed into
 * the in-packet and checksum states once a packet is known to be malformed
 * (a bad '*' count): the rest of it is still consumed up to "#xx" so that
 * exactly one RSP_EV_BAD is reported, at the end, like a checksum error.
 */
enum {
    ST_IDLE,  /* between packets */
    ST_DATA,  /* after '$' */
    ST_ESC,   /* after '}' */
    ST_RLE,   /* after '*' */
    ST_CSUM1, /* after '#' */
    ST_CSUM2, /* after the first checksum digit */
    ST_BAD = 0x100,
};

/* RSP "Binary Data": '}' escapes the next byte, which is XOR-ed with 0x20. */
#define RSP_ESCAPE     '}'
#define RSP_ESCAPE_XOR 0x20
/* RSP "Run-Length Encoding": '*' then a count char, n repeats as n + 29. */
#define RSP_RLE      '*'
#define RSP_RLE_BIAS 29
/*
 * RSP: the count char must be printable and at most 126 ('~'). Like
 * gdbserver's try_rle we only encode runs that save space (3 or more
 * repeats, count ' '); its cap is 96 repeats, the manual allows 97.
 */
#define RSP_RLE_MIN 3
#define RSP_RLE_MAX (126 - RSP_RLE_BIAS)

static const char hex_digits[] = "0123456789abcdef";

void rsp_init(struct rsp_parser *p)
{
    p->state = ST_IDLE;
    p->csum = 0;
    p->want = 0;
    p->overflow = false;
    p->len = 0;
    p->buf[0] = '\0';
}

int rsp_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void start_packet(struct rsp_parser *p)
{
    p->state = ST_DATA;
    p->csum = 0;
    p->overflow = false;
    p->len = 0;
}

/* Append n copies of c; past RSP_MAX_PACKET only note the overflow. */
static void put_bytes(struct rsp_parser *p, uint8_t c, size_t n)
{
    if (p->overflow || n > RSP_MAX_PACKET - p->len) {
        p->overflow = true;
        return;
    }
    memset(p->buf + p->len, c, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

/* A byte between '$' and '#'; state is ST_DATA, ST_ESC or ST_RLE. */
static void feed_data(struct rsp_parser *p, int base, int bad, uint8_t byte)
{
    /* RSP: the checksum covers the raw bytes, escapes and counts included. */
    p->csum += byte;
    if (bad) {
        p->state = ST_DATA | ST_BAD;
        return;
    }
    switch (base) {
    case ST_ESC:
        put_bytes(p, byte ^ RSP_ESCAPE_XOR, 1);
        p->state = ST_DATA;
        break;
    case ST_RLE: {
        /* "0* " is '0' then ' ' - 29 = 3 more: the previous byte repeats. */
        int n = byte - RSP_RLE_BIAS;

        /* An overflowed packet has len near RSP_MAX_PACKET, so len > 0. */
        if (p->len == 0 || n < RSP_RLE_MIN || n > RSP_RLE_MAX) {
            p->state = ST_DATA | ST_BAD;
            break;
        }
        put_bytes(p, p->buf[p->len - 1], (size_t)n);
        p->state = ST_DATA;
        break;
    }
    default:
        if (byte == RSP_ESCAPE)
            p->state = ST_ESC;
        else if (byte == RSP_RLE)
            p->state = ST_RLE;
        else
            put_bytes(p, byte, 1);
        break;
    }
}

/* The second checksum digit has arrived: report the packet. */
static enum rsp_event end_packet(struct rsp_parser *p, int bad, int digit)
{
    p->state = ST_IDLE;
    if (bad || digit < 0 || (uint8_t)(p->want << 4 | digit) != p->csum)
        return RSP_EV_BAD;
    if (p->overflow)
        return RSP_EV_OVERFLOW;
    p->buf[p->len] = '\0';
    return RSP_EV_PACKET;
}

enum rsp_event rsp_feed(struct rsp_parser *p, uint8_t byte)
{
    int bad = p->state & ST_BAD;
    int base = p->state & ~ST_BAD;
    int digit;

    if (base == ST_IDLE) {
        switch (byte) {
        case '$':
            start_packet(p);
            return RSP_EV_NONE;
        case '+':
            return RSP_EV_ACK;
        case '-':
            return RSP_EV_NAK;
        case 0x03: /* RSP "Interrupts": a bare ^C between packets */
            return RSP_EV_INTERRUPT;
        default:
            return RSP_EV_NONE; /* line noise */
        }
    }
    if (base == ST_CSUM1 || base == ST_CSUM2) {
        if (byte == '$') {
            /* The checksum was cut short by a new packet. */
            start_packet(p);
            return RSP_EV_BAD;
        }
        digit = rsp_hex_digit(byte);
        if (base == ST_CSUM2)
            return end_packet(p, bad, digit);
        if (digit < 0) {
            p->state = ST_IDLE;
            return RSP_EV_BAD;
        }
        p->want = (uint8_t)digit;
        p->state = ST_CSUM2 | bad;
        return RSP_EV_NONE;
    }
    /*
     * In a packet. '$' and '#' are never data (RSP: they must be escaped),
     * not even right after '}' or '*'. A '$' drops the partial packet and
     * starts over: the sender gave up on it, and waiting for its '#' would
     * swallow the next packet too.
     */
    if (byte == '$') {
        start_packet(p);
        return RSP_EV_NONE;
    }
    if (byte == '#') {
        /* A dangling '}' or '*' makes the packet malformed. */
        if (base != ST_DATA)
            bad = ST_BAD;
        p->state = ST_CSUM1 | bad;
        return RSP_EV_NONE;
    }
    feed_data(p, base, bad, byte);
    return RSP_EV_NONE;
}

const char *rsp_payload(const struct rsp_parser *p, size_t *len)
{
    if (len)
        *len = p->len;
    return (const char *)p->buf;
}

/* RSP "Binary Data": bytes that may not appear raw in a stub's reply. */
static bool is_special(uint8_t c)
{
    return c == '$' || c == '#' || c == RSP_ESCAPE || c == RSP_RLE;
}

size_t rsp_frame(const void *payload, size_t len, uint8_t *out, size_t cap)
{
    const uint8_t *in = payload;
    uint8_t csum = 0;
    size_t o = 0, i = 0;

    /* "$" + "#xx" */
    if (cap < 4)
        return 0;
    out[o++] = '$';
    while (i < len) {
        uint8_t c = in[i];
        uint8_t step[3];
        size_t k = 0, n = 0;

        if (is_special(c)) {
            /* Escaped bytes are never run-length encoded. */
            step[k++] = RSP_ESCAPE;
            step[k++] = c ^ RSP_ESCAPE_XOR;
        } else {
            step[k++] = c;
            /* gdbserver try_rle: count the repeats that follow, capped. */
            while (n < RSP_RLE_MAX && i + 1 + n < len && in[i + 1 + n] == c)
                n++;
            /* RSP: the count char must not be '$' (n = 7) or '#' (n = 6). */
            while (n + RSP_RLE_BIAS == '$' || n + RSP_RLE_BIAS == '#')
                n--;
            if (n >= RSP_RLE_MIN) {
                step[k++] = RSP_RLE;
                step[k++] = (uint8_t)(n + RSP_RLE_BIAS);
            } else {
                n = 0; /* RLE would not save space: send the byte raw */
            }
        }
        /* Keep room for "#xx". */
        if (cap - o < k + 3)
            return 0;
        for (size_t j = 0; j < k; j++) {
            out[o++] = step[j];
            csum += step[j];
        }
        i += 1 + n;
    }
    if (cap - o < 3)
        return 0;
    out[o++] = '#';
    out[o++] = (uint8_t)hex_digits[csum >> 4];
    out[o++] = (uint8_t)hex_digits[csum & 0xf];
    return o;
}

void rsp_hex_encode(const void *in, size_t len, char *out)
{
    const uint8_t *b = in;

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digits[b[i] >> 4];
        out[2 * i + 1] = hex_digits[b[i] & 0xf];
    }
}

int rsp_hex_decode(const char *in, size_t nhex, void *out)
{
    uint8_t *b = out;

    if (nhex % 2)
        return -1;
    for (size_t i = 0; i < nhex; i += 2) {
        int hi = rsp_hex_digit((unsigned char)in[i]);
        int lo = rsp_hex_digit((unsigned char)in[i + 1]);

        if (hi < 0 || lo < 0)
            return -1;
        b[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
