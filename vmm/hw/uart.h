#ifndef VMM_HW_UART_H
#define VMM_HW_UART_H

/*
 * A 16550A UART (NS PC16550D datasheet) as the PC has it: 8 ports at a
 * base (COM1 0x3f8, IRQ 4), handled by offset port & 7.
 *
 *   +0 RBR (read) / THR (write); DLL when LCR.DLAB
 *   +1 IER (bits 0-3; 4-7 read 0); DLM when LCR.DLAB
 *   +2 IIR (read) / FCR (write)
 *   +3 LCR  +4 MCR (bits 0-4)  +5 LSR  +6 MSR  +7 SCR
 *
 * Modelled: the divisor latch, scratch, IER/IIR with the 16550 priority
 * (line status > received data or character timeout > THR empty > modem
 * status), FCR (FIFO enable, IIR bits 7-6 = 11 while FIFOs are on, RX/TX
 * FIFO clear, RX trigger level 1/4/8/14), a 16-byte receive FIFO (1 byte
 * with FIFOs off; a byte arriving at a full one is lost and sets LSR.OE),
 * LSR DR/OE/THRE/TEMT, MCR loopback (THR bytes go to the receiver, the
 * serial input is disconnected, and the MSR inputs follow the MCR
 * outputs: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2) and the MSR delta
 * bits (DCTS, DDSR, TERI on RI falling, DDCD; cleared by reading MSR).
 *
 * Transmission is instantaneous: a THR byte goes to the console at once,
 * so THRE and TEMT always read 1 and a THR-empty interrupt is pending
 * again right after each write (as the Linux 8250 driver expects for
 * interrupt-driven output; reading IIR while it is the reported source
 * clears it, as on the 16550).
 *
 * Simplified: the character timeout (IIR 0x0C) is reported whenever the
 * FIFOs are on, IER bit 0 is set and the receive FIFO holds data below
 * the trigger level, with no four-character timer. Line settings (baud,
 * parity, word length, break) are stored and read back but change
 * nothing; LSR BI/FE/PE and bit 7 are always 0. MSR outside loopback
 * reads DCD, DSR and CTS set, RI clear (a modem that is always ready).
 *
 * Interrupt line (PC wiring): level 1 on gsi while an interrupt is
 * pending and MCR.OUT2 is set, 0 otherwise. In loopback mode the OUT2
 * pin is forced inactive (datasheet), so the line stays low, although
 * IIR still reports the pending source. irq_set is only called on a
 * change of level.
 *
 * Accesses: every byte of a wider access goes to the next port (an
 * `outw` to base+0 writes THR, then IER), and string I/O repeats byte
 * accesses at the same port; bytes past base+7 are ignored (reads give
 * 0xff). Not thread-safe: one vCPU thread (or the run loop holding the
 * device) calls all functions.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/hw/irq.h"

#define UART_COM1_BASE 0x3f8
#define UART_COM1_GSI  4
#define UART_NR_PORTS  8
#define UART_FIFO_LEN  16

struct pio_console;

/*
 * Everything a snapshot needs: plain values, no pointers. Fields are
 * private; uart_load checks them.
 */
struct uart_state {
    uint8_t rx[UART_FIFO_LEN]; /* receive FIFO ring */
    uint8_t rx_head;           /* index of the oldest byte */
    uint8_t rx_count;          /* bytes in the FIFO */
    uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
    uint8_t fcr;         /* FIFO enable, DMA mode and trigger bits */
    uint8_t thr_pending; /* THR-empty interrupt pending */
    uint8_t irq_level;   /* level last driven on the line */
};

/* Fields private. */
struct uart {
    struct uart_state s;
    struct pio_console *out; /* not owned; NULL: output is dropped */
    struct irq_line irq;     /* copied at init */
    uint32_t gsi;
    int in_fd;   /* not owned; -1: no input */
    bool in_eof; /* in_fd reached end of file */
};

/*
 * Power-on state (as QEMU's 16550A: divisor 12 = 9600 baud, MCR.OUT2 set
 * so a guest that never touches MCR still interrupts, LSR 0x60, MSR
 * 0xb0), transmitting to out, interrupting on gsi through irq (copied;
 * NULL or a NULL set: no interrupts). No input until uart_set_input.
 * Drives nothing on the line (it is assumed low). Returns 0, or -EINVAL
 * if u is NULL.
 */
int uart_init(struct uart *u, struct pio_console *out,
              const struct irq_line *irq, uint32_t gsi);

/*
 * A machine reset: the registers go back to their power-on values and
 * the FIFO empties; wiring and input are kept. Lowers the line if it was
 * high. Returns 0 or irq_set's -errno.
 */
int uart_reset(struct uart *u);

/*
 * pio_handler for the 8 ports at the base; ctx is a struct uart *.
 * Returns 0, or for THR bytes pio_console_write's result unchanged
 * (-EPIPE: the reader went away; -EINTR: a wake cut a wait short, the
 * bytes are kept and count as sent), or irq_set's -errno. Registers are
 * updated even when an error is returned.
 */
int uart_io(void *ctx, uint16_t port, bool is_write, uint8_t size,
            uint32_t count, uint8_t *data);

/*
 * pio_flush_fn for the UART (register it with pio_set_flush at the base):
 * writes console bytes kept after a THR write returned -EINTR. ctx is a
 * struct uart *. Returns 0 or pio_console_flush's -errno.
 */
int uart_flush(void *ctx);

/*
 * Where received bytes come from: in_fd must be non-blocking; the caller
 * owns it and keeps it open while set. -1: no input. Clears the end of
 * file mark.
 */
void uart_set_input(struct uart *u, int in_fd);

/*
 * Read as many bytes as the receive FIFO has room for from in_fd,
 * without blocking, and update LSR.DR and the interrupt. Call it when
 * in_fd is readable (poll, SIGIO). Nothing is read in loopback mode
 * (the serial input is disconnected). Returns the number of bytes taken
 * (0 if none were waiting, the FIFO is full, or at end of file, which is
 * remembered: uart_wants_input then says false), or -errno for a read
 * error other than EAGAIN/EINTR, or irq_set's -errno.
 */
int uart_poll_input(struct uart *u);

/*
 * Whether the caller should watch in_fd: there is an in_fd, it is not at
 * end of file, the UART is not in loopback and the receive FIFO has room.
 * Changes only through uart_io, uart_poll_input and uart_set_input: ask
 * again after each of them.
 */
bool uart_wants_input(const struct uart *u);

/*
 * Record mode feeds received bytes itself (logged with the instruction
 * count): room in the receive FIFO (0 in loopback), and n bytes put in
 * as if they had arrived on the line (past the room they overrun, as
 * rx_push says), LSR.DR and the interrupt updated. uart_receive returns
 * 0 or irq_set's -errno.
 */
size_t uart_rx_room(const struct uart *u);
int uart_receive(struct uart *u, const uint8_t *buf, size_t n);

/* Copy the device state out for a snapshot. */
void uart_save(const struct uart *u, struct uart_state *st);

/*
 * Replace the device state with a saved one (wiring and input are kept),
 * driving the line to the level the state implies. Returns 0, -EINVAL if
 * st is inconsistent (nothing changed then), or irq_set's -errno.
 */
int uart_load(struct uart *u, const struct uart_state *st);

#endif
