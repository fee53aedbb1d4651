#include "uart.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "vmm/pio.h"

/* Register offsets (PC16550D datasheet, Table II). */
enum {
    REG_RBR = 0, /* THR on write; DLL with DLAB */
    REG_IER = 1, /* DLM with DLAB */
    REG_IIR = 2, /* FCR on write */
    REG_LCR = 3,
    REG_MCR = 4,
    REG_LSR = 5,
    REG_MSR = 6,
    REG_SCR = 7,
};

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* transmitter holding register empty */
#define IER_ELSI  0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK  0x0f

#define IIR_NONE 0x01
#define IIR_MSR  0x00
#define IIR_THRE 0x02
#define IIR_RDA  0x04
#define IIR_RLS  0x06
#define IIR_CTI  0x0c /* character timeout, FIFO mode only */
#define IIR_FIFO 0xc0 /* FIFOs enabled */

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_DMA      0x08
#define FCR_TRIGGER  0xc0
#define FCR_STICKY   (FCR_ENABLE | FCR_DMA | FCR_TRIGGER)

#define LCR_DLAB 0x80

#define MCR_DTR  0x01
#define MCR_RTS  0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DELTA 0x0f
#define MSR_TERI  0x04
#define MSR_CTS   0x10
#define MSR_DSR   0x20
#define MSR_RI    0x40
#define MSR_DCD   0x80

static unsigned rx_capacity(const struct uart_state *s)
{
    return (s->fcr & FCR_ENABLE) ? UART_FIFO_LEN : 1;
}

/* FCR bits 7-6: 1, 4, 8 or 14 bytes (datasheet, FCR description). */
static unsigned rx_trigger(const struct uart_state *s)
{
    static const uint8_t level[4] = {1, 4, 8, 14};
    return level[s->fcr >> 6];
}

static void rx_clear(struct uart_state *s)
{
    s->rx_count = 0;
}

/*
 * A character arrives. In FIFO mode a full FIFO keeps its contents and
 * the new character is lost; with FIFOs off it overwrites RBR. Either
 * way that is an overrun.
 */
static void rx_push(struct uart_state *s, uint8_t b)
{
    if (s->rx_count < rx_capacity(s)) {
        s->rx[(s->rx_head + s->rx_count) % UART_FIFO_LEN] = b;
        s->rx_count++;
        return;
    }
    if (!(s->fcr & FCR_ENABLE))
        s->rx[s->rx_head] = b;
    s->lsr |= LSR_OE;
}

/* Reading an empty RBR gives the last character again, as the latch. */
static uint8_t rx_pop(struct uart_state *s)
{
    uint8_t b;

    if (!s->rx_count)
        return s->rx[(s->rx_head + UART_FIFO_LEN - 1) % UART_FIFO_LEN];
    b = s->rx[s->rx_head];
    s->rx_head = (s->rx_head + 1) % UART_FIFO_LEN;
    s->rx_count--;
    return b;
}

/* The highest-priority pending source (datasheet, Table IV). */
static uint8_t iir_id(const struct uart_state *s)
{
    if ((s->ier & IER_ELSI) && (s->lsr & LSR_OE))
        return IIR_RLS;
    if ((s->ier & IER_ERBFI) && s->rx_count) {
        if (!(s->fcr & FCR_ENABLE) || s->rx_count >= rx_trigger(s))
            return IIR_RDA;
        return IIR_CTI;
    }
    if ((s->ier & IER_ETBEI) && s->thr_pending)
        return IIR_THRE;
    if ((s->ier & IER_EDSSI) && (s->msr & MSR_DELTA))
        return IIR_MSR;
    return IIR_NONE;
}

static uint8_t line_level(const struct uart_state *s)
{
    return iir_id(s) != IIR_NONE && (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);
}

static int update_irq(struct uart *u)
{
    uint8_t level = line_level(&u->s);
    int e;

    if (level == u->s.irq_level)
        return 0;
    e = irq_set(&u->irq, u->gsi, level);
    if (e < 0)
        return e;
    u->s.irq_level = level;
    return 0;
}

/* The modem inputs: in loopback the outputs wired back, else all ready. */
static uint8_t msr_inputs(uint8_t mcr)
{
    if (!(mcr & MCR_LOOP))
        return MSR_DCD | MSR_DSR | MSR_CTS;
    return (uint8_t)(((mcr & MCR_RTS) << 3) | ((mcr & MCR_DTR) << 5) |
                     ((mcr & MCR_OUT1) << 4) | ((mcr & MCR_OUT2) << 4));
}

/* New inputs; each change sets its delta bit, RI only on a falling edge. */
static void msr_set_inputs(struct uart_state *s, uint8_t in)
{
    uint8_t changed = (uint8_t)((s->msr ^ in) & 0xf0);
    uint8_t delta = changed >> 4;

    if ((changed & MSR_RI) && (in & MSR_RI))
        delta &= (uint8_t)~MSR_TERI;
    s->msr = (uint8_t)(in | (s->msr & MSR_DELTA) | delta);
}

static void power_on(struct uart_state *s)
{
    memset(s, 0, sizeof(*s));
    s->dll = 12; /* 115200 / 12 = 9600 baud */
    s->mcr = MCR_OUT2;
    s->msr = msr_inputs(s->mcr);
}

/* THR: to the console (or the receiver in loopback), gone at once. */
static int transmit(struct uart *u, const uint8_t *buf, size_t len)
{
    int e = 0;

    if (u->s.mcr & MCR_LOOP) {
        for (size_t i = 0; i < len; i++)
            rx_push(&u->s, buf[i]);
    } else if (u->out) {
        e = pio_console_write(u->out, buf, len);
    }
    /* The holding register emptied again: THRE interrupt pending. */
    u->s.thr_pending = 1;
    return e;
}

static void write_fcr(struct uart_state *s, uint8_t val)
{
    /* Switching between FIFO and 16450 mode empties the FIFOs. */
    if ((val ^ s->fcr) & FCR_ENABLE)
        rx_clear(s);
    /* The other bits only take when bit 0 is written as 1. */
    if (!(val & FCR_ENABLE)) {
        s->fcr = 0;
        return;
    }
    if (val & FCR_CLEAR_RX)
        rx_clear(s);
    /* FCR_CLEAR_TX: the transmit side never holds anything. */
    s->fcr = val & FCR_STICKY;
}

static int write_reg(struct uart *u, unsigned off, uint8_t val)
{
    struct uart_state *s = &u->s;

    switch (off) {
    case REG_RBR: /* THR, or DLL */
        if (s->lcr & LCR_DLAB) {
            s->dll = val;
            return 0;
        }
        return transmit(u, &val, 1);
    case REG_IER: /* IER, or DLM */
        if (s->lcr & LCR_DLAB) {
            s->dlm = val;
        } else {
            /* Enabling THRE interrupts with THR empty interrupts at once. */
            if (!(s->ier & IER_ETBEI) && (val & IER_ETBEI))
                s->thr_pending = 1;
            s->ier = val & IER_MASK;
        }
        return 0;
    case REG_IIR: /* FCR */
        write_fcr(s, val);
        return 0;
    case REG_LCR:
        s->lcr = val;
        return 0;
    case REG_MCR:
        s->mcr = val & MCR_MASK;
        msr_set_inputs(s, msr_inputs(s->mcr));
        return 0;
    case REG_SCR:
        s->scr = val;
        return 0;
    default: /* LSR, MSR: factory test writes, ignored */
        return 0;
    }
}

static uint8_t read_reg(struct uart *u, unsigned off)
{
    struct uart_state *s = &u->s;
    uint8_t v, id;

    switch (off) {
    case REG_RBR:
        return (s->lcr & LCR_DLAB) ? s->dll : rx_pop(s);
    case REG_IER:
        return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
    case REG_IIR:
        id = iir_id(s);
        /* Reading IIR with THRE the reported source clears it. */
        if (id == IIR_THRE)
            s->thr_pending = 0;
        return (uint8_t)(id | ((s->fcr & FCR_ENABLE) ? IIR_FIFO : 0));
    case REG_LCR:
        return s->lcr;
    case REG_MCR:
        return s->mcr;
    case REG_LSR:
        v = (uint8_t)((s->rx_count ? LSR_DR : 0) | (s->lsr & LSR_OE) |
                      LSR_THRE | LSR_TEMT);
        s->lsr &= (uint8_t)~LSR_OE; /* errors clear on read */
        return v;
    case REG_MSR:
        v = s->msr;
        s->msr &= (uint8_t)~MSR_DELTA;
        return v;
    default:
        return s->scr;
    }
}

int uart_init(struct uart *u, struct pio_console *out,
              const struct irq_line *irq, uint32_t gsi)
{
    if (!u)
        return -EINVAL;
    *u = (struct uart){.out = out, .gsi = gsi, .in_fd = -1};
    if (irq)
        u->irq = *irq;
    power_on(&u->s);
    return 0;
}

int uart_reset(struct uart *u)
{
    uint8_t level = u->s.irq_level;

    power_on(&u->s);
    u->s.irq_level = level;
    return update_irq(u);
}

int uart_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
            uint32_t count, uint8_t *data)
{
    struct uart *u = ctx;
    unsigned base_off = port & 7;
    int err = 0, e;

    if (is_write && size == 1 && base_off == REG_RBR &&
        !(u->s.lcr & LCR_DLAB)) {
        /* A byte or `rep outsb` to THR: one console write for all. */
        err = transmit(u, data, count);
    } else {
        for (uint32_t i = 0; i < count; i++) {
            uint8_t *item = data + (size_t)i * size;
            for (unsigned j = 0; j < size; j++) {
                unsigned off = base_off + j;
                if (off >= UART_NR_PORTS) {
                    if (!is_write)
                        item[j] = 0xff; /* not ours: open bus */
                    continue;
                }
                if (!is_write) {
                    item[j] = read_reg(u, off);
                    continue;
                }
                e = write_reg(u, off, item[j]);
                if (e < 0 && !err)
                    err = e;
            }
        }
    }
    e = update_irq(u);
    return err ? err : e;
}

int uart_flush(void *ctx)
{
    struct uart *u = ctx;

    return u->out ? pio_console_flush(u->out) : 0;
}

void uart_set_input(struct uart *u, int in_fd)
{
    u->in_fd = in_fd;
    u->in_eof = false;
}

bool uart_wants_input(const struct uart *u)
{
    return u->in_fd >= 0 && !u->in_eof && !(u->s.mcr & MCR_LOOP) &&
           u->s.rx_count < rx_capacity(&u->s);
}

int uart_poll_input(struct uart *u)
{
    uint8_t buf[UART_FIFO_LEN];
    size_t room;
    ssize_t n;
    int e;

    if (!uart_wants_input(u))
        return 0;
    room = rx_capacity(&u->s) - u->s.rx_count;
    do {
        n = read(u->in_fd, buf, room);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    if (n == 0) {
        u->in_eof = true;
        return 0;
    }
    for (ssize_t i = 0; i < n; i++)
        rx_push(&u->s, buf[i]);
    e = update_irq(u);
    return e < 0 ? e : (int)n;
}

size_t uart_rx_room(const struct uart *u)
{
    if (u->s.mcr & MCR_LOOP)
        return 0;
    return rx_capacity(&u->s) - u->s.rx_count;
}

int uart_receive(struct uart *u, const uint8_t *buf, size_t n)
{
    if (!n || (u->s.mcr & MCR_LOOP))
        return 0;
    for (size_t i = 0; i < n; i++)
        rx_push(&u->s, buf[i]);
    return update_irq(u);
}

void uart_save(const struct uart *u, struct uart_state *st)
{
    *st = u->s;
}

int uart_load(struct uart *u, const struct uart_state *st)
{
    uint8_t level = u->s.irq_level;

    if (st->rx_head >= UART_FIFO_LEN || st->rx_count > rx_capacity(st) ||
        (st->ier & ~IER_MASK) || (st->mcr & ~MCR_MASK) ||
        (st->fcr & ~FCR_STICKY) || (st->lsr & ~LSR_OE) ||
        (st->msr & 0xf0) != msr_inputs(st->mcr) || st->thr_pending > 1 ||
        st->irq_level > 1)
        return -EINVAL;
    u->s = *st;
    u->s.irq_level = level; /* what the line really is now */
    return update_irq(u);
}
