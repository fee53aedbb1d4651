#include "reset.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vmm/hw/power.h"

#define P92_FAST_RESET 0x01
#define P92_A20        0x02

/* 8042 status bits (IBM PC AT technical reference, keyboard controller). */
#define ST_OBF     0x01
#define ST_SYS     0x04
#define ST_CMD     0x08
#define ST_NOT_INH 0x10

/* Command byte bits. */
#define CCB_SYS     0x04
#define CCB_KBD_OFF 0x10
#define CCB_AUX_OFF 0x20

/* Output port bits. */
#define OUT_RESET 0x01 /* 0 holds the CPU in reset */
#define OUT_A20   0x02

enum {
    CMD_READ_CCB = 0x20,
    CMD_WRITE_CCB = 0x60,
    CMD_AUX_OFF = 0xa7,
    CMD_AUX_ON = 0xa8,
    CMD_SELF_TEST = 0xaa,
    CMD_KBD_OFF = 0xad,
    CMD_KBD_ON = 0xae,
    CMD_READ_OUT = 0xd0,
    CMD_WRITE_OUT = 0xd1,
    CMD_PULSE = 0xf0, /* 0xf0-0xff: pulse the lines whose bit is 0 */
};

#define SELF_TEST_OK 0x55

static void power_on(struct reset_state *s)
{
    *s = (struct reset_state){
        .port92 = P92_A20,
        .ccb = 0x45,
        .outport = OUT_RESET | OUT_A20,
    };
}

static void reply(struct reset_state *s, uint8_t v)
{
    s->obuf = v;
    s->obf = 1;
}

static void request_reset(struct reset *r)
{
    power_request(r->power, POWER_RESET, 0);
}

static void kbc_command(struct reset *r, uint8_t cmd)
{
    struct reset_state *s = &r->s;

    s->pending = 0; /* a new command replaces one waiting for data */
    switch (cmd) {
    case CMD_READ_CCB:
        reply(s, s->ccb);
        break;
    case CMD_WRITE_CCB:
    case CMD_WRITE_OUT:
        s->pending = cmd;
        break;
    case CMD_AUX_OFF:
        s->ccb |= CCB_AUX_OFF;
        break;
    case CMD_AUX_ON:
        s->ccb &= (uint8_t)~CCB_AUX_OFF;
        break;
    case CMD_SELF_TEST:
        s->ccb |= CCB_SYS;
        reply(s, SELF_TEST_OK);
        break;
    case CMD_KBD_OFF:
        s->ccb |= CCB_KBD_OFF;
        break;
    case CMD_KBD_ON:
        s->ccb &= (uint8_t)~CCB_KBD_OFF;
        break;
    case CMD_READ_OUT:
        reply(s, s->outport);
        break;
    default:
        if (cmd >= CMD_PULSE && !(cmd & OUT_RESET))
            request_reset(r);
        break;
    }
}

static void kbc_data(struct reset *r, uint8_t val)
{
    struct reset_state *s = &r->s;
    uint8_t cmd = s->pending;

    s->pending = 0;
    if (cmd == CMD_WRITE_CCB) {
        s->ccb = val;
    } else if (cmd == CMD_WRITE_OUT) {
        s->outport = val;
        if (!(val & OUT_RESET))
            request_reset(r);
    }
    /* Otherwise a byte for the keyboard: there is none. */
}

static uint8_t kbc_status(const struct reset_state *s)
{
    return (uint8_t)((s->obf ? ST_OBF : 0) | (s->ccb & CCB_SYS ? ST_SYS : 0) |
                     (s->was_cmd ? ST_CMD : 0) | ST_NOT_INH);
}

int reset_init(struct reset *r, struct power *p)
{
    if (!r)
        return -EINVAL;
    *r = (struct reset){.power = p};
    power_on(&r->s);
    return 0;
}

void reset_reset(struct reset *r)
{
    r->s.port92 &= (uint8_t)~P92_FAST_RESET;
    r->s.outport |= OUT_RESET;
    r->s.pending = 0;
}

int reset_port92_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                    uint32_t count, uint8_t *data)
{
    struct reset *r = ctx;

    for (uint32_t i = 0; i < count; i++) {
        uint8_t *item = data + (size_t)i * size;
        if (size > 1 && !is_write)
            memset(item + 1, 0xff, size - 1u); /* 0x93 and up: not ours */
        if (port != RESET_PORT_92 || size == 0) {
            if (!is_write)
                memset(item, 0xff, size);
            continue;
        }
        if (!is_write) {
            item[0] = r->s.port92;
            continue;
        }
        /* The reset is the bit's rising edge, as on the PS/2. */
        if ((item[0] & P92_FAST_RESET) && !(r->s.port92 & P92_FAST_RESET))
            request_reset(r);
        r->s.port92 = item[0];
    }
    return 0;
}

int reset_kbc_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
                 uint32_t count, uint8_t *data)
{
    struct reset *r = ctx;

    for (uint32_t i = 0; i < count; i++) {
        uint8_t *item = data + (size_t)i * size;
        if (size == 0)
            continue;
        if (size > 1 && !is_write)
            memset(item + 1, 0xff, size - 1u);
        if (port == RESET_KBC_CMD) {
            if (is_write) {
                r->s.was_cmd = 1;
                kbc_command(r, item[0]);
            } else {
                item[0] = kbc_status(&r->s);
            }
        } else if (port == RESET_KBC_DATA) {
            if (is_write) {
                r->s.was_cmd = 0;
                kbc_data(r, item[0]);
            } else {
                item[0] = r->s.obuf;
                r->s.obf = 0;
            }
        } else if (!is_write) {
            item[0] = 0xff;
        }
    }
    return 0;
}

void reset_save(const struct reset *r, struct reset_state *st)
{
    *st = r->s;
}

int reset_load(struct reset *r, const struct reset_state *st)
{
    if (st->obf > 1 || st->was_cmd > 1 ||
        (st->pending != 0 && st->pending != CMD_WRITE_CCB &&
         st->pending != CMD_WRITE_OUT))
        return -EINVAL;
    r->s = *st;
    return 0;
}
