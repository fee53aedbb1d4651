/* The 16550A UART driven through its port handler, byte by byte. */
#include "tests/test.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "vmm/hw/uart.h"
#include "vmm/pio.h"

#define BASE 0x3f8

struct irq_rec {
    int level;
    int calls;
    uint32_t gsi;
};

static int rec_set(void *ctx, uint32_t gsi, int level)
{
    struct irq_rec *r = ctx;

    r->level = level;
    r->gsi = gsi;
    r->calls++;
    return 0;
}

static struct pio_console con; /* large: not on the stack */
static struct irq_rec rec;
static struct irq_line line = {.set = rec_set, .ctx = &rec};
static int pipe_out[2] = {-1, -1};

/* A UART whose output goes to a pipe we read back. */
static void setup(struct uart *u)
{
    if (pipe_out[0] >= 0) {
        close(pipe_out[0]);
        close(pipe_out[1]);
    }
    CHECK_OK(pipe2(pipe_out, O_NONBLOCK));
    con = (struct pio_console){.fd = pipe_out[1], .wake_fd = {-1, -1}};
    rec = (struct irq_rec){0};
    CHECK_OK(uart_init(u, &con, &line, 4));
}

static uint8_t in8(struct uart *u, unsigned off)
{
    uint8_t v = 0x5a;

    CHECK_OK(uart_io(u, (uint16_t)(BASE + off), false, 1, 1, &v));
    return v;
}

static void out8(struct uart *u, unsigned off, uint8_t v)
{
    CHECK_OK(uart_io(u, (uint16_t)(BASE + off), true, 1, 1, &v));
}

static size_t drain(char *buf, size_t len)
{
    ssize_t n = read(pipe_out[0], buf, len);
    return n < 0 ? 0 : (size_t)n;
}

static void test_power_on(void)
{
    struct uart u;

    setup(&u);
    CHECK_EQ(in8(&u, 1), 0x00); /* IER */
    CHECK_EQ(in8(&u, 2), 0x01); /* IIR: nothing pending, no FIFO */
    CHECK_EQ(in8(&u, 3), 0x00); /* LCR */
    CHECK_EQ(in8(&u, 4), 0x08); /* MCR: OUT2 */
    CHECK_EQ(in8(&u, 5), 0x60); /* LSR: THRE | TEMT */
    CHECK_EQ(in8(&u, 6), 0xb0); /* MSR: DCD DSR CTS, no deltas */
    CHECK_EQ(in8(&u, 7), 0x00); /* SCR */
    out8(&u, 3, 0x80);          /* DLAB */
    CHECK_EQ(in8(&u, 0), 12);   /* 9600 baud */
    CHECK_EQ(in8(&u, 1), 0);
    CHECK_EQ(rec.calls, 0); /* init drives nothing */
    CHECK_EQ(uart_init(NULL, NULL, NULL, 0), -EINVAL);
}

static void test_divisor_and_scratch(void)
{
    struct uart u;
    char buf[8];

    setup(&u);
    out8(&u, 3, 0x83); /* DLAB, 8N1 */
    out8(&u, 0, 0x01); /* DLL: 115200 */
    out8(&u, 1, 0x02); /* DLM */
    CHECK_EQ(in8(&u, 0), 0x01);
    CHECK_EQ(in8(&u, 1), 0x02);
    out8(&u, 3, 0x03);
    CHECK_EQ(in8(&u, 3), 0x03);
    CHECK_EQ(in8(&u, 1), 0x00);           /* IER untouched by the DLM write */
    CHECK_EQ(drain(buf, sizeof(buf)), 0); /* DLL write sent nothing */
    out8(&u, 7, 0xa5);
    CHECK_EQ(in8(&u, 7), 0xa5);
    out8(&u, 7, 0x5a);
    CHECK_EQ(in8(&u, 7), 0x5a);
    out8(&u, 3, 0x80);
    CHECK_EQ(in8(&u, 0), 0x01); /* the latch kept its value */
}

/* What Linux's 8250 autoconfig() and autoconfig_16550a() look at. */
static void test_linux_probe(void)
{
    struct uart u;

    setup(&u);
    /* IER exists: 0 and 0x0f read back; bits 4-7 (UUE) do not stick */
    out8(&u, 1, 0x00);
    CHECK_EQ(in8(&u, 1) & 0x0f, 0x00);
    out8(&u, 1, 0x0f);
    CHECK_EQ(in8(&u, 1) & 0x0f, 0x0f);
    out8(&u, 1, 0xff);
    CHECK_EQ(in8(&u, 1), 0x0f);
    out8(&u, 1, 0x00);
    /* loopback with RTS and OUT2: MSR & 0xf0 == CTS | DCD */
    out8(&u, 4, 0x1a);
    CHECK_EQ(in8(&u, 6) & 0xf0, 0x90);
    out8(&u, 4, 0x08);
    /* FIFO enable: IIR bits 7-6 are 11 (a 16550A) */
    out8(&u, 2, 0x01);
    CHECK_EQ(in8(&u, 2) >> 6, 3);
    /* no EFR behind LCR 0xbf or DLAB: port 2 does not read 0 */
    out8(&u, 3, 0xbf);
    CHECK(in8(&u, 2) != 0);
    out8(&u, 3, 0x80);
    CHECK(in8(&u, 2) != 0);
    out8(&u, 3, 0x00);
    /* not a 16750: the 64-byte FIFO bit never shows in IIR bit 5 */
    out8(&u, 2, 0x21);
    CHECK_EQ(in8(&u, 2) & 0x20, 0);
    out8(&u, 3, 0x80);
    out8(&u, 2, 0x21);
    CHECK_EQ(in8(&u, 2) & 0x20, 0);
    out8(&u, 3, 0x00);
    /* NatSemi test: port 2 with LCR 0xe0 has no MCR loop bit echo */
    out8(&u, 3, 0xe0);
    CHECK_EQ(in8(&u, 2) & 0x10, 0);
    out8(&u, 3, 0x00);
}

/* size_fifo(): loopback, 256 bytes out, count the bytes that come back. */
static void test_fifo_size_in_loopback(void)
{
    struct uart u;
    char buf[8];
    int n = 0;

    setup(&u);
    out8(&u, 2, 0x07); /* enable, clear both */
    out8(&u, 4, 0x10); /* loopback */
    for (int i = 0; i < 256; i++)
        out8(&u, 0, (uint8_t)i);
    CHECK_EQ(drain(buf, sizeof(buf)), 0); /* nothing left the UART */
    CHECK_EQ(in8(&u, 5) & 0x03, 0x03);    /* DR and OE */
    CHECK_EQ(in8(&u, 5) & 0x02, 0);       /* OE cleared by the read */
    while ((in8(&u, 5) & 0x01) && n < 256) {
        CHECK_EQ(in8(&u, 0), n); /* the first 16 kept, in order */
        n++;
    }
    CHECK_EQ(n, 16);
    CHECK_EQ(in8(&u, 0), 15); /* empty RBR reads the last byte again */
    /* with FIFOs off, one byte, overwritten on overrun */
    out8(&u, 2, 0x00);
    out8(&u, 0, 'a');
    out8(&u, 0, 'b');
    CHECK_EQ(in8(&u, 5) & 0x03, 0x03);
    CHECK_EQ(in8(&u, 0), 'b');
    CHECK_EQ(in8(&u, 5) & 0x01, 0);
}

static void test_transmit(void)
{
    struct uart u;
    char buf[16] = {0};
    uint8_t msg[] = "Hello";
    uint8_t w[2] = {'X', 0x00};

    setup(&u);
    CHECK_OK(uart_io(&u, BASE, true, 1, 5, msg)); /* rep outsb */
    CHECK_EQ(drain(buf, sizeof(buf)), 5);
    CHECK_MEM(buf, "Hello", 5);
    CHECK_EQ(in8(&u, 5) & 0x60, 0x60); /* THRE, TEMT at once */
    /* outw to base: THR gets the low byte, IER the high byte */
    w[1] = 0x02;
    CHECK_OK(uart_io(&u, BASE, true, 2, 1, w));
    CHECK_EQ(drain(buf, sizeof(buf)), 1);
    CHECK_EQ(buf[0], 'X');
    CHECK_EQ(in8(&u, 1), 0x02);
    /* inw from base+6: MSR, then SCR */
    out8(&u, 7, 0x77);
    CHECK_OK(uart_io(&u, BASE + 6, false, 2, 1, w));
    CHECK_EQ(w[0], 0xb0);
    CHECK_EQ(w[1], 0x77);
    /* inw from base+7: the byte past the UART reads as an open bus */
    CHECK_OK(uart_io(&u, BASE + 7, false, 2, 1, w));
    CHECK_EQ(w[0], 0x77);
    CHECK_EQ(w[1], 0xff);
}

static void test_transmit_errors_pass_up(void)
{
    struct uart u;
    uint8_t b = 'x';

    setup(&u);
    signal(SIGPIPE, SIG_IGN);
    close(pipe_out[0]);
    pipe_out[0] = open("/dev/null", O_RDONLY);
    CHECK_EQ(uart_io(&u, BASE, true, 1, 1, &b), -EPIPE);
    CHECK_EQ(in8(&u, 5) & 0x60, 0x60);
    CHECK_EQ(uart_flush(&u), 0); /* nothing kept */
    /* a UART with nowhere to send drops bytes quietly */
    CHECK_OK(uart_init(&u, NULL, NULL, 4));
    CHECK_OK(uart_io(&u, BASE, true, 1, 1, &b));
    CHECK_OK(uart_flush(&u));
}

/* A full stdout and a wake: -EINTR up, the byte kept, flushed later. */
static void test_transmit_eintr_kept(void)
{
    struct uart u;
    static char junk[1 << 16];
    char buf[64];
    uint8_t b = '!';
    int wake[2];
    size_t got = 0;
    ssize_t n;

    setup(&u);
    CHECK_OK(pipe(wake));
    while (write(pipe_out[1], junk, sizeof(junk)) > 0)
        ;
    CHECK_EQ(write(wake[1], "w", 1), 1);
    con.wake_fd[0] = wake[0];
    CHECK_EQ(uart_io(&u, BASE, true, 1, 1, &b), -EINTR);
    CHECK_EQ(in8(&u, 5) & 0x60, 0x60); /* sent, as far as the UART knows */
    while ((n = read(pipe_out[0], junk, sizeof(junk))) > 0)
        ;
    CHECK_OK(uart_flush(&u));
    while ((n = read(pipe_out[0], buf, sizeof(buf))) > 0)
        got += (size_t)n;
    CHECK_EQ(got, 1);
    CHECK_EQ(buf[0], '!');
    con.wake_fd[0] = -1;
    close(wake[0]);
    close(wake[1]);
}

/* THRE interrupts as serial8250_do_startup() tests them. */
static void test_thre_interrupt(void)
{
    struct uart u;
    uint8_t b = 'z';
    char buf[4];

    setup(&u);
    out8(&u, 1, 0x02); /* ETBEI with THR empty: pending at once */
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(rec.gsi, 4);
    CHECK_EQ(in8(&u, 2), 0x02); /* IIR: THRE; the read clears it */
    CHECK_EQ(rec.level, 0);
    CHECK_EQ(in8(&u, 2), 0x01);
    out8(&u, 1, 0x00);
    out8(&u, 1, 0x02); /* re-enabling re-asserts (no UART_BUG_THRE) */
    CHECK_EQ(in8(&u, 2) & 0x01, 0);
    CHECK_EQ(in8(&u, 2), 0x01);
    /* each THR write leaves THR empty again: pending again */
    CHECK_OK(uart_io(&u, BASE, true, 1, 1, &b));
    CHECK_EQ(rec.level, 1);
    out8(&u, 2, 0x01);
    CHECK_EQ(in8(&u, 2), 0xc2); /* FIFO bits with the source */
    CHECK_EQ(rec.calls, 6);     /* up, down, up, down, up (THR), down */
    (void)drain(buf, sizeof(buf));
}

static void test_out2_gates_line(void)
{
    struct uart u;
    int calls;

    setup(&u);
    out8(&u, 4, 0x00); /* OUT2 off */
    out8(&u, 1, 0x02);
    CHECK_EQ(rec.calls, 0); /* pending, but the PC's gate is shut */
    CHECK_EQ(in8(&u, 2) & 0x01, 0);
    out8(&u, 1, 0x00);
    out8(&u, 1, 0x02);
    out8(&u, 4, 0x08);
    CHECK_EQ(rec.level, 1);
    calls = rec.calls;
    out8(&u, 7, 1); /* no change of level: no call */
    (void)in8(&u, 5);
    CHECK_EQ(rec.calls, calls);
    out8(&u, 4, 0x00);
    CHECK_EQ(rec.level, 0);
}

static void test_receive_from_fd(void)
{
    struct uart u;
    int in[2];

    setup(&u);
    CHECK_OK(pipe2(in, O_NONBLOCK));
    CHECK(!uart_wants_input(&u));
    CHECK_EQ(uart_poll_input(&u), 0);
    uart_set_input(&u, in[0]);
    CHECK(uart_wants_input(&u));
    CHECK_EQ(uart_poll_input(&u), 0); /* nothing waiting: no block */
    out8(&u, 2, 0xc1);                /* FIFO on, trigger 14 */
    out8(&u, 1, 0x01);                /* ERBFI */
    CHECK_EQ(write(in[1], "abcde", 5), 5);
    CHECK_EQ(uart_poll_input(&u), 5);
    CHECK_EQ(in8(&u, 5) & 0x01, 0x01);
    CHECK_EQ(in8(&u, 2), 0xcc); /* below trigger: character timeout */
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(write(in[1], "fghijklmnopqrstuvwxyz", 21), 21);
    CHECK_EQ(uart_poll_input(&u), 11); /* only what fits in 16 */
    CHECK(!uart_wants_input(&u));
    CHECK_EQ(uart_poll_input(&u), 0);
    CHECK_EQ(in8(&u, 2), 0xc4);     /* at the trigger level: data available */
    CHECK_EQ(in8(&u, 5) & 0x02, 0); /* no overrun: the fd waited */
    for (int i = 0; i < 16; i++)
        CHECK_EQ(in8(&u, 0), 'a' + i);
    CHECK_EQ(in8(&u, 5) & 0x01, 0);
    CHECK_EQ(rec.level, 0);
    CHECK_EQ(in8(&u, 2), 0xc1);
    CHECK(uart_wants_input(&u));
    CHECK_EQ(uart_poll_input(&u), 10);
    /* clearing the receive FIFO drops them */
    out8(&u, 2, 0xc3);
    CHECK_EQ(in8(&u, 5) & 0x01, 0);
    /* FIFOs off: one byte at a time */
    out8(&u, 2, 0x00);
    CHECK_EQ(write(in[1], "12", 2), 2);
    CHECK_EQ(uart_poll_input(&u), 1);
    CHECK(!uart_wants_input(&u));
    CHECK_EQ(in8(&u, 2), 0x04); /* data available, no FIFO bits */
    CHECK_EQ(in8(&u, 0), '1');
    CHECK_EQ(uart_poll_input(&u), 1);
    CHECK_EQ(in8(&u, 0), '2');
    /* loopback disconnects the input */
    out8(&u, 4, 0x18);
    CHECK_EQ(write(in[1], "3", 1), 1);
    CHECK(!uart_wants_input(&u));
    CHECK_EQ(uart_poll_input(&u), 0);
    out8(&u, 4, 0x08);
    CHECK_EQ(uart_poll_input(&u), 1);
    CHECK_EQ(in8(&u, 0), '3');
    /* end of file is noted and stops the watching */
    close(in[1]);
    CHECK_EQ(uart_poll_input(&u), 0);
    CHECK(!uart_wants_input(&u));
    close(in[0]);
    /* a real error is reported */
    uart_set_input(&u, in[0]);
    CHECK_EQ(uart_poll_input(&u), -EBADF);
}

static void test_loopback(void)
{
    struct uart u;
    char buf[8];

    setup(&u);
    out8(&u, 4, 0x10);          /* loop, all outputs off */
    CHECK_EQ(in8(&u, 6), 0x0b); /* DCD, DSR, CTS fell: deltas; RI no */
    CHECK_EQ(in8(&u, 6), 0x00); /* deltas cleared by the read */
    out8(&u, 4, 0x1f);          /* DTR RTS OUT1 OUT2 */
    CHECK_EQ(in8(&u, 6), 0xfb); /* all up; TERI only on RI falling */
    out8(&u, 4, 0x1b);          /* OUT1 off: RI falls */
    CHECK_EQ(in8(&u, 6), 0xb4);
    out8(&u, 4, 0x11); /* only DTR: DSR */
    CHECK_EQ(in8(&u, 6) & 0xf0, 0x20);
    out8(&u, 4, 0x12); /* only RTS: CTS */
    CHECK_EQ(in8(&u, 6) & 0xf0, 0x10);
    /* data loops back, none reaches the console */
    out8(&u, 0, 'Q');
    CHECK_EQ(drain(buf, sizeof(buf)), 0);
    CHECK_EQ(in8(&u, 5) & 0x01, 0x01);
    CHECK_EQ(in8(&u, 0), 'Q');
    /* interrupts stay internal in loopback: OUT2 pin forced inactive */
    out8(&u, 4, 0x1a);
    out8(&u, 1, 0x0f);
    out8(&u, 0, 'R');
    CHECK(in8(&u, 2) != 0x01);
    CHECK_EQ(rec.calls, 0);
    out8(&u, 4, 0x0a); /* out of loopback, OUT2 on: now it shows */
    CHECK_EQ(rec.level, 1);
    /* and leaving loopback restores the modem inputs with deltas */
    CHECK_EQ(in8(&u, 6) & 0xf0, 0xb0);
}

static void test_priorities(void)
{
    struct uart u;

    setup(&u);
    out8(&u, 2, 0x01); /* FIFO, trigger 1 */
    out8(&u, 1, 0x0f);
    CHECK_EQ(in8(&u, 2), 0xc2); /* THRE */
    out8(&u, 4, 0x18);          /* loopback: modem deltas too */
    out8(&u, 0, 1);             /* data (and THRE again) */
    CHECK_EQ(in8(&u, 2), 0xc4); /* data beats THRE */
    for (int i = 0; i < 16; i++)
        out8(&u, 0, 2);         /* overrun */
    CHECK_EQ(in8(&u, 2), 0xc6); /* line status beats data */
    CHECK_EQ(in8(&u, 5) & 0x02, 0x02);
    CHECK_EQ(in8(&u, 2), 0xc4);
    while (in8(&u, 5) & 0x01)
        (void)in8(&u, 0);
    CHECK_EQ(in8(&u, 2), 0xc2); /* THRE: cleared by this read */
    CHECK_EQ(in8(&u, 2), 0xc0); /* modem status (the loopback deltas) */
    (void)in8(&u, 6);
    CHECK_EQ(in8(&u, 2), 0xc1);
    out8(&u, 1, 0x00);
    out8(&u, 4, 0x08);
}

static void test_reset_and_snapshot(void)
{
    struct uart u, v;
    struct uart_state st, bad;
    int in[2];

    setup(&u);
    CHECK_OK(pipe2(in, O_NONBLOCK));
    out8(&u, 2, 0x81);
    out8(&u, 7, 0x42);
    out8(&u, 1, 0x01);
    uart_set_input(&u, in[0]);
    CHECK_EQ(write(in[1], "xyz", 3), 3);
    CHECK_EQ(uart_poll_input(&u), 3);
    CHECK_EQ(rec.level, 1);
    uart_save(&u, &st);
    /* a second UART loads it and behaves the same */
    CHECK_OK(uart_init(&v, NULL, &line, 4));
    rec.level = 0;
    CHECK_OK(uart_load(&v, &st));
    CHECK_EQ(rec.level, 1);
    CHECK_EQ(in8(&v, 7), 0x42);
    CHECK_EQ(in8(&v, 2), 0xcc);
    CHECK_EQ(in8(&v, 0), 'x');
    CHECK_EQ(in8(&v, 0), 'y');
    CHECK_EQ(in8(&v, 0), 'z');
    bad = st;
    bad.rx_count = 17;
    CHECK_EQ(uart_load(&v, &bad), -EINVAL);
    bad = st;
    bad.rx_head = 16;
    CHECK_EQ(uart_load(&v, &bad), -EINVAL);
    bad = st;
    bad.ier = 0x10;
    CHECK_EQ(uart_load(&v, &bad), -EINVAL);
    bad = st;
    bad.fcr = 0;
    bad.rx_count = 2; /* two bytes in a 1-byte receiver */
    CHECK_EQ(uart_load(&v, &bad), -EINVAL);
    /* reset: power-on registers, the line goes down, input kept */
    rec.level = 1;
    CHECK_OK(uart_reset(&u));
    CHECK_EQ(rec.level, 0);
    CHECK_EQ(in8(&u, 7), 0);
    CHECK_EQ(in8(&u, 2), 0x01);
    CHECK(uart_wants_input(&u));
    close(in[0]);
    close(in[1]);
}

/*
 * Random accesses of every size and count: the state stays one that
 * uart_load accepts, and the line always shows what IIR and MCR say.
 */
static void test_random_accesses(void)
{
    struct uart u, v;
    struct uart_state st;
    uint32_t seed = 42;
    uint8_t buf[64], iir, mcr;
    int in[2];

    setup(&u);
    CHECK_OK(pipe2(in, O_NONBLOCK));
    uart_set_input(&u, in[0]);
    CHECK_OK(uart_init(&v, NULL, NULL, 4));
    for (int n = 0; n < 20000; n++) {
        seed = seed * 1103515245u + 12345u;
        uint16_t port = (uint16_t)(BASE + (seed >> 8) % 8);
        uint8_t size = (uint8_t)(1u << ((seed >> 12) % 3));
        uint32_t count = 1 + (seed >> 16) % 4;
        bool w = (seed >> 20) & 1;
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)(seed >> (i % 24));
        if (port == BASE + 4 && w)
            buf[0] &= 0x1b; /* keep out of loopback now and then */
        CHECK_OK(uart_io(&u, port, w, size, count, buf));
        if (n % 97 == 0) {
            CHECK_EQ(write(in[1], buf, 1 + n % 20), 1 + n % 20);
            CHECK_OK(uart_poll_input(&u));
        }
        if (n % 100 == 0)
            while (drain((char *)buf, sizeof(buf)) > 0)
                ;
        uart_save(&u, &st);
        CHECK_OK(uart_load(&v, &st));
        CHECK(u.s.rx_count <= UART_FIFO_LEN);
        iir = in8(&v, 2); /* on the copy: reads have side effects */
        mcr = in8(&v, 4);
        CHECK_EQ(rec.level, (iir & 1) == 0 && (mcr & 0x18) == 0x08);
    }
    close(in[0]);
    close(in[1]);
}

int main(void)
{
    static const struct test_case tests[] = {
        TEST(test_power_on),
        TEST(test_divisor_and_scratch),
        TEST(test_linux_probe),
        TEST(test_fifo_size_in_loopback),
        TEST(test_transmit),
        TEST(test_transmit_errors_pass_up),
        TEST(test_transmit_eintr_kept),
        TEST(test_thre_interrupt),
        TEST(test_out2_gates_line),
        TEST(test_receive_from_fd),
        TEST(test_loopback),
        TEST(test_priorities),
        TEST(test_reset_and_snapshot),
        TEST(test_random_accesses),
    };
    return test_main(tests, TEST_COUNT(tests));
}
