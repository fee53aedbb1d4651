#include "pit.h"

#include <errno.h>
#include <string.h>

#define NS_PER_SEC 1000000000u
/* Port 0x61 bit 4 toggles with each DRAM refresh request: counter 1 at
 * its BIOS count of 18, 15.085 us (IBM PC AT Technical Reference). */
#define REFRESH_NS 15085u

static uint64_t ticks_of(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * PIT_HZ / NS_PER_SEC);
}

/* The first nanosecond at which ticks_of reaches t. */
static uint64_t ns_of(uint64_t t)
{
    unsigned __int128 n = (unsigned __int128)t * NS_PER_SEC + PIT_HZ - 1;

    n /= PIT_HZ;
    return n > UINT64_MAX ? UINT64_MAX : (uint64_t)n;
}

static unsigned bcd_to_bin(uint16_t v)
{
    return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
           ((v >> 12) & 0xf) * 1000;
}

static uint16_t bin_to_bcd(unsigned v)
{
    v %= 10000;
    return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 |
                      (v / 1000) << 12);
}

/* The initial count N: a count of 0 is the largest, 2^16 or 10^4. */
static uint64_t count_of(const struct pit_counter *c)
{
    unsigned v = c->bcd ? bcd_to_bin(c->reload) : c->reload;

    if (!v)
        v = c->bcd ? 10000 : 65536;
    return v;
}

static uint64_t now_of(const struct pit *p)
{
    return p->clock(p->clock_ctx);
}

/* Input clock ticks since the count started. */
static uint64_t elapsed(const struct pit_counter *c, uint64_t now)
{
    return now > c->start_ns ? ticks_of(now - c->start_ns) : 0;
}

/* Rising edges of OUT at ticks 1..t of a counting counter. */
static uint64_t edges(const struct pit_counter *c, uint64_t t)
{
    uint64_t n = count_of(c);

    switch (c->mode) {
    case 2:
    case 3:
        return t / n;
    case 4:
    case 5:
        return t >= n + 1;
    default:
        return t >= n;
    }
}

static int out_of(const struct pit_counter *c, uint64_t now)
{
    if (!c->counting)
        return c->mode != 0; /* mode 0 goes low on the control word */
    uint64_t n = count_of(c), t = elapsed(c, now);
    switch (c->mode) {
    case 2:
        return t % n != n - 1;
    case 3:
        return t % n < (n + 1) / 2;
    case 4:
    case 5:
        return t != n;
    default:
        return t >= n;
    }
}

/* The counting element as a guest reads it (BCD if so programmed). */
static uint16_t value_of(const struct pit_counter *c, uint64_t now)
{
    uint64_t n = count_of(c), m = c->bcd ? 10000 : 65536, v;

    if (!c->counting) {
        v = n;
    } else {
        uint64_t t = elapsed(c, now);
        switch (c->mode) {
        case 2:
            v = n - t % n;
            break;
        case 3: {
            /* Down by two each tick, reloaded for each half period. */
            uint64_t ph = t % n, h = (n + 1) / 2;
            v = ph < h ? n - 2 * ph : n - 2 * (ph - h);
            break;
        }
        default:
            v = (n + m - t % m) % m; /* wraps past terminal count */
            break;
        }
    }
    return c->bcd ? bin_to_bcd((unsigned)(v % m)) : (uint16_t)v;
}

static void load_count(struct pit_counter *c, uint64_t now)
{
    c->start_ns = now;
    c->armed = 1;
    c->null_count = 0;
    c->write_hi = 0;
    if (c->mode == 1 || c->mode == 5)
        c->counting = 0; /* waits for a rising gate */
    else if ((c->mode == 2 || c->mode == 3) && !c->gate)
        c->counting = 0;
    else
        c->counting = 1;
}

int pit_init(struct pit *p, const struct irq_line *irq, pit_clock_fn clock,
             void *ctx)
{
    if (!p || !clock)
        return -EINVAL;
    memset(p, 0, sizeof(*p));
    p->clock = clock;
    p->clock_ctx = ctx;
    if (irq)
        p->irq = *irq;
    p->s.present = 1;
    for (int i = 0; i < 3; i++) {
        p->s.c[i].rw = 3;
        p->s.c[i].gate = i < 2; /* counter 2's gate is port 0x61 bit 0 */
    }
    p->s.irq_ns = now_of(p);
    return 0;
}

static void latch_count(struct pit_counter *c, uint64_t now)
{
    if (c->latched)
        return; /* the first latch holds until read */
    c->latch = value_of(c, now);
    c->latched = c->rw == 3 ? 2 : 1;
    c->latch_hi = c->rw == 2;
}

static void latch_status(struct pit_counter *c, uint64_t now)
{
    if (c->status_latched)
        return;
    c->status = (uint8_t)(out_of(c, now) << 7 | c->null_count << 6 |
                          c->rw << 4 | c->mode << 1 | c->bcd);
    c->status_latched = 1;
}

static void write_control(struct pit *p, uint8_t v, uint64_t now)
{
    unsigned sc = v >> 6, rw = (v >> 4) & 3, mode = (v >> 1) & 7;

    if (sc == 3) {
        /* Read-back: bit 5 low latches counts, bit 4 low statuses. */
        for (int i = 0; i < 3; i++) {
            if (!(v & (2u << i)))
                continue;
            if (!(v & 0x20))
                latch_count(&p->s.c[i], now);
            if (!(v & 0x10))
                latch_status(&p->s.c[i], now);
        }
        return;
    }
    struct pit_counter *c = &p->s.c[sc];
    if (rw == 0) {
        latch_count(c, now);
        return;
    }
    c->mode = (uint8_t)(mode >= 6 ? mode - 4 : mode);
    c->rw = (uint8_t)rw;
    c->bcd = v & 1;
    c->counting = c->armed = 0;
    c->null_count = 1;
    c->write_hi = c->read_hi = 0;
    c->latched = c->status_latched = 0;
}

static void write_data(struct pit_counter *c, uint8_t v, uint64_t now)
{
    switch (c->rw) {
    case 1:
        c->reload = v;
        break;
    case 2:
        c->reload = (uint16_t)(v << 8);
        break;
    default:
        if (!c->write_hi) {
            c->low = v;
            c->write_hi = 1;
            c->null_count = 1;
            if (c->mode == 0)
                c->counting = 0; /* the first byte stops the count */
            return;
        }
        c->reload = (uint16_t)(c->low | v << 8);
        break;
    }
    load_count(c, now);
}

static uint8_t read_data(struct pit_counter *c, uint64_t now)
{
    uint16_t v;
    bool hi;

    if (c->status_latched) {
        c->status_latched = 0;
        return c->status;
    }
    if (c->latched) {
        hi = c->latch_hi;
        v = c->latch;
        c->latch_hi ^= 1;
        c->latched--;
    } else {
        v = value_of(c, now);
        hi = c->rw == 2 || (c->rw == 3 && c->read_hi);
        if (c->rw == 3)
            c->read_hi ^= 1;
    }
    return hi ? (uint8_t)(v >> 8) : (uint8_t)v;
}

static void set_gate2(struct pit *p, int gate, uint64_t now)
{
    struct pit_counter *c = &p->s.c[2];

    if (gate && !c->gate && c->armed) {
        /* A rising gate (re)triggers modes 1, 5 and restarts 2, 3. */
        if (c->mode == 1 || c->mode == 5 || c->mode == 2 || c->mode == 3) {
            c->start_ns = now;
            c->counting = 1;
        }
    } else if (!gate && c->gate && (c->mode == 2 || c->mode == 3)) {
        c->counting = 0; /* OUT held high */
    }
    c->gate = (uint8_t)(gate != 0);
}

/* One byte at port `at`: a counter, the control word, port 0x61 or not ours. */
static void pit_byte(struct pit *p, unsigned at, bool is_write, uint8_t *b,
                     uint64_t now)
{
    if (at == PIT_PORT_61) {
        if (is_write) {
            p->s.port61 = *b & 0x0f;
            set_gate2(p, *b & 1, now);
        } else {
            *b = (uint8_t)(p->s.port61 | ((now / REFRESH_NS) & 1) << 4 |
                           out_of(&p->s.c[2], now) << 5);
        }
    } else if (at < PIT_PORT_BASE || at >= PIT_PORT_BASE + PIT_NR_PORTS) {
        if (!is_write)
            *b = 0xff;
    } else if (at == PIT_PORT_BASE + 3) {
        if (is_write)
            write_control(p, *b, now);
        else
            *b = 0xff; /* the control word is write-only */
    } else if (is_write) {
        write_data(&p->s.c[at - PIT_PORT_BASE], *b, now);
    } else {
        *b = read_data(&p->s.c[at - PIT_PORT_BASE], now);
    }
}

int pit_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
           uint32_t count, uint8_t *data)
{
    struct pit *p = ctx;
    uint64_t now = now_of(p);

    for (uint32_t k = 0; k < count; k++)
        for (unsigned j = 0; j < size; j++)
            pit_byte(p, (unsigned)port + j, is_write,
                     &data[(size_t)k * size + j], now);
    return 0;
}

/* Whether counter 0 has an edge in (irq_ns, now] not yet delivered. */
static bool edge_due(const struct pit *p, uint64_t now)
{
    const struct pit_counter *c = &p->s.c[0];

    if (!c->counting || now <= p->s.irq_ns)
        return false;
    uint64_t before =
        p->s.irq_ns >= c->start_ns ? edges(c, elapsed(c, p->s.irq_ns)) : 0;
    return edges(c, elapsed(c, now)) > before;
}

int pit_advance(struct pit *p)
{
    uint64_t now = now_of(p);
    bool due = edge_due(p, now);
    int e;

    if (now > p->s.irq_ns)
        p->s.irq_ns = now;
    if (!due)
        return 0;
    if ((e = irq_set(&p->irq, PIT_GSI, 1)) < 0 ||
        (e = irq_set(&p->irq, PIT_GSI, 0)) < 0)
        return e;
    return 1;
}

int pit_next_event_ns(const struct pit *p, uint64_t *ns)
{
    const struct pit_counter *c = &p->s.c[0];
    uint64_t now = now_of(p), n, t, next;

    if (!c->counting)
        return 0;
    if (edge_due(p, now)) {
        *ns = 0;
        return 1;
    }
    n = count_of(c);
    t = elapsed(c, now);
    switch (c->mode) {
    case 2:
    case 3:
        next = (t / n + 1) * n;
        break;
    case 4:
    case 5:
        if (t >= n + 1)
            return 0;
        next = n + 1;
        break;
    default:
        if (t >= n)
            return 0;
        next = n;
        break;
    }
    uint64_t at = c->start_ns + ns_of(next);
    *ns = at > now ? at - now : 0;
    return 1;
}

void pit_save(const struct pit *p, struct pit_state *st)
{
    *st = p->s;
}

int pit_load(struct pit *p, const struct pit_state *st)
{
    if (st->present > 1 || st->port61 > 0x0f)
        return -EINVAL;
    for (int i = 0; i < 3; i++) {
        const struct pit_counter *c = &st->c[i];
        if (c->mode > 5 || c->rw < 1 || c->rw > 3 || c->bcd > 1 ||
            c->gate > 1 || c->counting > 1 || c->armed > 1 ||
            c->null_count > 1 || c->write_hi > 1 || c->read_hi > 1 ||
            c->latched > 2 || c->latch_hi > 1 || c->status_latched > 1)
            return -EINVAL;
    }
    p->s = *st;
    return 0;
}
