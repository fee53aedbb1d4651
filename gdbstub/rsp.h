#ifndef GDBSTUB_RSP_H
#define GDBSTUB_RSP_H

/*
 * GDB Remote Serial Protocol packet codec. No I/O: bytes go in one at a
 * time, decoded packets and the bytes to send come out in buffers the
 * caller owns. Two parsers can coexist (no globals).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Largest decoded packet payload we accept, and the PacketSize we
 * advertise in qSupported. Large so that gdb reads memory in 64 KiB
 * chunks (an `m` reply is two hex digits per byte).
 */
#define RSP_MAX_PACKET 0x20000

/* Worst case framed size of a payload of RSP_MAX_PACKET bytes. */
#define RSP_MAX_FRAME (2 * RSP_MAX_PACKET + 4)

enum rsp_event {
    RSP_EV_NONE,      /* byte consumed, nothing complete yet */
    RSP_EV_PACKET,    /* a packet with a good checksum: see rsp_payload() */
    RSP_EV_INTERRUPT, /* 0x03 between packets */
    RSP_EV_ACK,       /* '+' */
    RSP_EV_NAK,       /* '-': resend the last reply */
    RSP_EV_BAD,       /* bad checksum or malformed: reply '-' (ack mode) */
    RSP_EV_OVERFLOW,  /* packet longer than RSP_MAX_PACKET: reply '-' */
};

/* A push parser. Fields private. */
struct rsp_parser {
    int state;
    uint8_t csum;  /* running checksum of the raw bytes */
    uint8_t want;  /* checksum read from the two hex digits */
    bool overflow; /* payload grew past the buffer: reject at '#' */
    size_t len;    /* decoded payload bytes in buf */
    uint8_t buf[RSP_MAX_PACKET + 1]; /* +1 for a terminating NUL */
};

/* Reset to "between packets". */
void rsp_init(struct rsp_parser *p);

/*
 * Feed one received byte. Expands `}` escapes and `*` run-length counts.
 * Bytes outside a packet other than '+', '-', 0x03 and '$' are ignored.
 */
enum rsp_event rsp_feed(struct rsp_parser *p, uint8_t byte);

/*
 * The payload of the packet just completed (valid until the next
 * rsp_feed). It is NUL-terminated for convenience; *len excludes the NUL
 * and the payload may itself contain NULs (binary X packets).
 */
const char *rsp_payload(const struct rsp_parser *p, size_t *len);

/*
 * Frame payload as $payload#xx into out, escaping '$', '#', '}' and '*'
 * and run-length encoding repeats (never producing a count that encodes to
 * '$' or '#'). Returns the frame length, or 0 if cap is too small
 * (RSP_MAX_FRAME always suffices for len <= RSP_MAX_PACKET).
 */
size_t rsp_frame(const void *payload, size_t len, uint8_t *out, size_t cap);

/* Lower-case hex helpers. rsp_hex_decode returns -1 on a non-hex digit. */
void rsp_hex_encode(const void *in, size_t len, char *out);
int rsp_hex_decode(const char *in, size_t nhex, void *out);
int rsp_hex_digit(int c); /* -1 if not a hex digit */

#endif
