#include "rtc.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "vmm/boot/memmap.h"

/* Register indexes (MC146818A datasheet, Figure 4 "Address Map"). */
enum {
    REG_SEC = 0x00,
    REG_SEC_ALARM = 0x01,
    REG_MIN = 0x02,
    REG_MIN_ALARM = 0x03,
    REG_HOUR = 0x04,
    REG_HOUR_ALARM = 0x05,
    REG_DOW = 0x06,
    REG_MDAY = 0x07,
    REG_MONTH = 0x08,
    REG_YEAR = 0x09,
    REG_A = 0x0a,
    REG_B = 0x0b,
    REG_C = 0x0c,
    REG_D = 0x0d,
    /* PC CMOS layout (IBM AT technical reference; QEMU, SeaBIOS). */
    CMOS_FLOPPY = 0x10,
    CMOS_DISK = 0x12,
    CMOS_EQUIPMENT = 0x14,
    CMOS_BASE_LO = 0x15,
    CMOS_EXT_LO = 0x17,
    CMOS_CSUM_HI = 0x2e,
    CMOS_EXT2_LO = 0x30,
    CMOS_CENTURY = 0x32,
    CMOS_MEM16_LO = 0x34,
    CMOS_HIGH_LO = 0x5b,
};

#define A_UIP       0x80
#define A_DIV_MASK  0x60 /* 11x: divider chain held in reset */
#define A_RATE_MASK 0x0f
#define B_SET       0x80
#define B_PIE       0x40
#define B_AIE       0x20
#define B_UIE       0x10
#define B_SQWE      0x08
#define B_DM_BINARY 0x04
#define B_24H       0x02
#define C_IRQF      0x80
#define C_PF        0x40
#define C_AF        0x20
#define C_UF        0x10
#define C_FLAGS     (C_PF | C_AF | C_UF)
#define D_VRT       0x80

#define NS_PER_SEC 1000000000ll
#define RTC_HZ     32768
/* UIP is set 244 us before the update (datasheet, "Update Cycle"). */
#define UIP_NS (8 * NS_PER_SEC / RTC_HZ)

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    if (m <= 2)
        y--;
    era = floor_div(y, 400);
    yoe = y - era * 400;                                   /* 0..399 */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* from March 1 */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t host_clock(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return 0;
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t now_ns(const struct rtc *r)
{
    return r->clock(r->clock_ctx);
}

static bool is_running(const struct rtc_state *s)
{
    return !(s->cmos[REG_B] & B_SET) &&
           (s->cmos[REG_A] & A_DIV_MASK) != A_DIV_MASK;
}

static bool divider_on(const struct rtc_state *s)
{
    return (s->cmos[REG_A] & A_DIV_MASK) != A_DIV_MASK;
}

/* The guest's RTC time at host time host: whole seconds and the rest. */
static void guest_time(const struct rtc_state *s, int64_t host, int64_t *sec,
                       int64_t *nsec)
{
    *sec = floor_div(host, NS_PER_SEC) + s->off_sec;
    *nsec = floor_mod(host, NS_PER_SEC) + s->off_nsec;
    if (*nsec >= NS_PER_SEC) {
        *nsec -= NS_PER_SEC;
        (*sec)++;
    }
}

/* Make the guest time at host time host be sec + nsec. */
static void set_guest_time(struct rtc_state *s, int64_t host, int64_t sec,
                           int64_t nsec)
{
    int64_t off_nsec = nsec - floor_mod(host, NS_PER_SEC);

    s->off_sec = sec - floor_div(host, NS_PER_SEC);
    if (off_nsec < 0) {
        off_nsec += NS_PER_SEC;
        s->off_sec--;
    }
    s->off_nsec = (int32_t)off_nsec;
}

static uint8_t to_reg(const struct rtc_state *s, int64_t v)
{
    if (s->cmos[REG_B] & B_DM_BINARY)
        return (uint8_t)v;
    v %= 100;
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int from_reg(const struct rtc_state *s, uint8_t b)
{
    if (s->cmos[REG_B] & B_DM_BINARY)
        return b;
    return (b >> 4) * 10 + (b & 0x0f);
}

static uint8_t hour_to_reg(const struct rtc_state *s, int h)
{
    int h12 = h % 12 ? h % 12 : 12;

    if (s->cmos[REG_B] & B_24H)
        return to_reg(s, h);
    return (uint8_t)(to_reg(s, h12) | (h >= 12 ? 0x80 : 0));
}

static int hour_from_reg(const struct rtc_state *s, uint8_t b)
{
    if (s->cmos[REG_B] & B_24H)
        return from_reg(s, b);
    return from_reg(s, b & 0x7f) % 12 + ((b & 0x80) ? 12 : 0);
}

/* The time and date bytes for guest second sec, into cmos. */
static void encode_time(const struct rtc_state *s, int64_t sec, uint8_t *cmos)
{
    int64_t days = floor_div(sec, 86400), sod = floor_mod(sec, 86400), y;
    int m, d;

    civil_from_days(days, &y, &m, &d);
    cmos[REG_SEC] = to_reg(s, sod % 60);
    cmos[REG_MIN] = to_reg(s, sod / 60 % 60);
    cmos[REG_HOUR] = hour_to_reg(s, (int)(sod / 3600));
    cmos[REG_DOW] = to_reg(s, floor_mod(days + 4, 7) + 1); /* 1970: Thu */
    cmos[REG_MDAY] = to_reg(s, d);
    cmos[REG_MONTH] = to_reg(s, m);
    cmos[REG_YEAR] = to_reg(s, floor_mod(y, 100));
    cmos[CMOS_CENTURY] = to_reg(s, floor_div(y, 100));
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The guest second the time bytes in s->cmos stand for. */
static int64_t decode_time(const struct rtc_state *s)
{
    const uint8_t *c = s->cmos;
    int64_t y =
        (int64_t)from_reg(s, c[CMOS_CENTURY]) * 100 + from_reg(s, c[REG_YEAR]);
    int m = clamp(from_reg(s, c[REG_MONTH]), 1, 12);
    int d = clamp(from_reg(s, c[REG_MDAY]), 1, 31);

    return days_from_civil(y, m, d) * 86400 +
           (int64_t)hour_from_reg(s, c[REG_HOUR]) * 3600 +
           (int64_t)from_reg(s, c[REG_MIN]) * 60 + from_reg(s, c[REG_SEC]);
}

static bool is_time_reg(unsigned idx)
{
    switch (idx) {
    case REG_SEC:
    case REG_MIN:
    case REG_HOUR:
    case REG_DOW:
    case REG_MDAY:
    case REG_MONTH:
    case REG_YEAR:
    case CMOS_CENTURY:
        return true;
    default:
        return false;
    }
}

/* An alarm byte as a value, or -1 for "don't care" (0xc0-0xff). */
static int alarm_field(const struct rtc_state *s, unsigned idx)
{
    uint8_t b = s->cmos[idx];

    if ((b & 0xc0) == 0xc0)
        return -1;
    return idx == REG_HOUR_ALARM ? hour_from_reg(s, b) : from_reg(s, b);
}

/*
 * The first guest second after `after` whose hour, minute and second
 * match the alarm, skipping whole hours and minutes that cannot match.
 * False if none can (an alarm byte out of range).
 */
static bool next_alarm(const struct rtc_state *s, int64_t after, int64_t *when)
{
    int ah = alarm_field(s, REG_HOUR_ALARM);
    int am = alarm_field(s, REG_MIN_ALARM);
    int as = alarm_field(s, REG_SEC_ALARM);
    int64_t t = after + 1;

    for (int i = 0; i < 256; i++) {
        int64_t sod = floor_mod(t, 86400);
        int h = (int)(sod / 3600), m = (int)(sod / 60 % 60);
        int sec = (int)(sod % 60);
        if (ah >= 0 && h != ah) {
            t += 3600 - sod % 3600;
        } else if (am >= 0 && m != am) {
            t += 60 - sec;
        } else if (as >= 0 && sec != as) {
            t += sec < as ? as - sec : 60 - sec;
        } else {
            *when = t;
            return true;
        }
    }
    return false;
}

/* Periodic interrupt period in 32.768 kHz ticks, 0 if off (Table 5). */
static int64_t pf_period(const struct rtc_state *s)
{
    int rs = s->cmos[REG_A] & A_RATE_MASK;

    if (rs == 0)
        return 0;
    if (rs <= 2)
        rs += 7;
    return 1ll << (rs - 1);
}

static int64_t tick_of(int64_t nsec)
{
    return nsec * RTC_HZ / NS_PER_SEC;
}

/* Set the register C flags for what happened from last_ns to now. */
static void flush(struct rtc_state *s, int64_t now)
{
    int64_t ls, ln, ns, nn, p, a;

    if (now > s->last_ns && divider_on(s)) {
        guest_time(s, s->last_ns, &ls, &ln);
        guest_time(s, now, &ns, &nn);
        /* Every period divides a second: each second starts one. */
        p = pf_period(s);
        if (p && (ns > ls || tick_of(nn) / p > tick_of(ln) / p))
            s->cmos[REG_C] |= C_PF;
        if (!(s->cmos[REG_B] & B_SET) && ns > ls) {
            s->cmos[REG_C] |= C_UF;
            if (next_alarm(s, ls, &a) && a <= ns)
                s->cmos[REG_C] |= C_AF;
        }
    }
    s->last_ns = now; /* a clock stepping back just restarts from here */
}

static uint8_t irqf(const struct rtc_state *s)
{
    return (s->cmos[REG_C] & s->cmos[REG_B] & C_FLAGS) ? C_IRQF : 0;
}

static int update_irq(struct rtc *r)
{
    uint8_t level = irqf(&r->s) ? 1 : 0;
    int e;

    if (level == r->s.irq_level)
        return 0;
    e = irq_set(&r->irq, r->gsi, level);
    if (e < 0)
        return e;
    r->s.irq_level = level;
    return 0;
}

/*
 * After a change to A or B: stopping latches the time into the bytes,
 * starting again runs from the bytes (half a second before the first
 * update when the divider comes out of reset, datasheet "Divider
 * Control"; otherwise keeping the sub-second phase).
 */
static void clock_transition(struct rtc_state *s, bool was_running,
                             bool was_divider_on, int64_t now)
{
    int64_t sec, nsec;

    guest_time(s, now, &sec, &nsec);
    if (was_running && !is_running(s))
        encode_time(s, sec, s->cmos);
    if (!was_running && is_running(s))
        set_guest_time(s, now, decode_time(s),
                       was_divider_on ? nsec : NS_PER_SEC / 2);
}

static uint8_t read_data(struct rtc *r)
{
    struct rtc_state *s = &r->s;
    unsigned idx = s->index;
    uint8_t tmp[RTC_CMOS_SIZE], v;
    int64_t now, sec, nsec;

    if (is_time_reg(idx)) {
        if (!is_running(s))
            return s->cmos[idx];
        guest_time(s, now_ns(r), &sec, &nsec);
        encode_time(s, sec, tmp);
        return tmp[idx];
    }
    switch (idx) {
    case REG_A:
        v = s->cmos[REG_A] & (uint8_t)~A_UIP;
        if (is_running(s)) {
            guest_time(s, now_ns(r), &sec, &nsec);
            if (nsec >= NS_PER_SEC - UIP_NS)
                v |= A_UIP;
        }
        return v;
    case REG_C:
        now = now_ns(r);
        flush(s, now);
        v = s->cmos[REG_C] | irqf(s);
        s->cmos[REG_C] = 0;
        return v;
    case REG_D:
        return D_VRT;
    default:
        return s->cmos[idx];
    }
}

static void write_data(struct rtc *r, uint8_t val)
{
    struct rtc_state *s = &r->s;
    unsigned idx = s->index;
    int64_t now, sec, nsec;
    bool was_running, was_div;

    if (is_time_reg(idx)) {
        if (!is_running(s)) {
            s->cmos[idx] = val;
            return;
        }
        /* Running: the byte changes the time from now on. */
        now = now_ns(r);
        flush(s, now);
        guest_time(s, now, &sec, &nsec);
        encode_time(s, sec, s->cmos);
        s->cmos[idx] = val;
        set_guest_time(s, now, decode_time(s), nsec);
        return;
    }
    switch (idx) {
    case REG_SEC_ALARM:
    case REG_MIN_ALARM:
    case REG_HOUR_ALARM:
        flush(s, now_ns(r));
        s->cmos[idx] = val;
        return;
    case REG_A:
    case REG_B:
        now = now_ns(r);
        flush(s, now);
        was_running = is_running(s);
        was_div = divider_on(s);
        if (idx == REG_A) {
            s->cmos[REG_A] = val & (uint8_t)~A_UIP; /* UIP is read-only */
        } else {
            if (val & B_SET)
                val &= (uint8_t)~B_UIE;
            s->cmos[REG_B] = val;
        }
        clock_transition(s, was_running, was_div, now);
        return;
    case REG_C:
    case REG_D:
        return; /* read-only */
    default:
        s->cmos[idx] = val;
        return;
    }
}

static void put16(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void memory_bytes(uint8_t *c, const struct memmap *mm)
{
    uint64_t ext = 0, mem16 = 0, high = 0;
    unsigned sum = 0;

    if (mm) {
        ext = memmap_ram_between(mm, 1ull << 20,
                                 (1ull << 20) + 0xffffull * 1024) /
              1024;
        mem16 = memmap_ram_between(mm, 16ull << 20, 4ull << 30) >> 16;
        high = memmap_ram_between(mm, 4ull << 30, UINT64_MAX) >> 16;
    }
    if (mem16 > 0xffff)
        mem16 = 0xffff;
    if (high > 0xffffff)
        high = 0xffffff;
    c[CMOS_FLOPPY] = 0x00;
    c[CMOS_DISK] = 0x00;
    c[CMOS_EQUIPMENT] = 0x02; /* math coprocessor; no floppy; EGA/VGA */
    put16(&c[CMOS_BASE_LO], 640);
    put16(&c[CMOS_EXT_LO], ext);
    put16(&c[CMOS_EXT2_LO], ext);
    put16(&c[CMOS_MEM16_LO], mem16);
    c[CMOS_HIGH_LO] = (uint8_t)high;
    c[CMOS_HIGH_LO + 1] = (uint8_t)(high >> 8);
    c[CMOS_HIGH_LO + 2] = (uint8_t)(high >> 16);
    for (unsigned i = 0x10; i <= 0x2d; i++)
        sum += c[i];
    c[CMOS_CSUM_HI] = (uint8_t)(sum >> 8);
    c[CMOS_CSUM_HI + 1] = (uint8_t)sum;
}

int rtc_init(struct rtc *r, const struct memmap *mm, const struct irq_line *irq,
             uint32_t gsi)
{
    if (!r)
        return -EINVAL;
    *r = (struct rtc){.gsi = gsi, .clock = host_clock};
    if (irq)
        r->irq = *irq;
    r->s.cmos[REG_A] = 0x26;
    r->s.cmos[REG_B] = B_24H;
    r->s.cmos[REG_D] = D_VRT;
    memory_bytes(r->s.cmos, mm);
    r->s.last_ns = now_ns(r);
    return 0;
}

void rtc_set_clock(struct rtc *r, rtc_clock_fn clock, void *ctx)
{
    r->clock = clock;
    r->clock_ctx = ctx;
    r->s.last_ns = now_ns(r);
}

int rtc_reset(struct rtc *r)
{
    flush(&r->s, now_ns(r));
    r->s.cmos[REG_B] &= (uint8_t) ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    r->s.cmos[REG_C] = 0;
    return update_irq(r);
}

int rtc_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
           uint32_t count, uint8_t *data)
{
    struct rtc *r = ctx;

    for (uint32_t i = 0; i < count; i++) {
        uint8_t *item = data + (size_t)i * size;
        for (unsigned j = 0; j < size; j++) {
            unsigned p = port + j;
            if (p == RTC_PORT_BASE && is_write) {
                r->s.index = item[j] & 0x7f;
                r->s.nmi_mask = item[j] & 0x80;
            } else if (p == RTC_PORT_BASE + 1 && is_write) {
                write_data(r, item[j]);
            } else if (p == RTC_PORT_BASE + 1) {
                item[j] = read_data(r);
            } else if (!is_write) {
                item[j] = 0xff; /* the index port, or not ours */
            }
        }
    }
    return update_irq(r);
}

/* Keep the earlier of (*bs, *bn) and (sec, nsec). */
static void earliest(bool *any, int64_t *bs, int64_t *bn, int64_t sec,
                     int64_t nsec)
{
    if (!*any || sec < *bs || (sec == *bs && nsec < *bn)) {
        *bs = sec;
        *bn = nsec;
    }
    *any = true;
}

int rtc_next_event_ns(const struct rtc *r, int64_t *ns)
{
    const struct rtc_state *s = &r->s;
    uint8_t want = s->cmos[REG_B] & C_FLAGS & (uint8_t)~s->cmos[REG_C];
    int64_t ls, ln, gs, gn, bs = 0, bn = 0, p, t, a;
    bool any = false;

    if (irqf(s) || !divider_on(s))
        return 0;
    if (s->cmos[REG_B] & B_SET)
        want &= C_PF; /* no updates, so no UF or AF */
    /* Events are counted from last_ns: any since then are due now. */
    guest_time(s, s->last_ns, &ls, &ln);
    p = pf_period(s);
    if ((want & C_PF) && p) {
        t = (tick_of(ln) / p + 1) * p; /* the next period boundary */
        if (t >= RTC_HZ)
            earliest(&any, &bs, &bn, ls + 1, 0);
        else
            earliest(&any, &bs, &bn, ls,
                     (t * NS_PER_SEC + RTC_HZ - 1) / RTC_HZ);
    }
    if (want & C_UF)
        earliest(&any, &bs, &bn, ls + 1, 0);
    if ((want & C_AF) && next_alarm(s, ls, &a))
        earliest(&any, &bs, &bn, a, 0);
    if (!any)
        return 0;
    guest_time(s, now_ns(r), &gs, &gn);
    t = (bs - gs) * NS_PER_SEC + (bn - gn);
    *ns = t > 0 ? t : 0;
    return 1;
}

int rtc_tick(struct rtc *r)
{
    flush(&r->s, now_ns(r));
    return update_irq(r);
}

void rtc_save(const struct rtc *r, struct rtc_state *st)
{
    *st = r->s;
}

int rtc_load(struct rtc *r, const struct rtc_state *st)
{
    uint8_t level = r->s.irq_level;

    if (st->index >= RTC_CMOS_SIZE || (st->nmi_mask & 0x7f) ||
        st->off_nsec < 0 || st->off_nsec >= NS_PER_SEC || st->irq_level > 1 ||
        (st->cmos[REG_C] & ~C_FLAGS))
        return -EINVAL;
    r->s = *st;
    r->s.irq_level = level;
    r->s.last_ns = now_ns(r);
    return update_irq(r);
}
