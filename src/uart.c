// QEMU virt's 16550 UART: the shell's input, and the console's output
// after boot (console.c prints through SBI until uart_init runs).
//
// Why write the UART ourselves when OpenSBI offers Console Putchar: that
// call traps into M-mode for every byte and runs OpenSBI's own copy of
// this loop there. Measured under QEMU (TCG), a boot that prints a
// 64-sector hexdump (160 KiB of text) took 1.0 s of QEMU's CPU through
// SBI and 0.65 s written here, and the graders print a lot.
//
// We never set the line up: OpenSBI already has, for its banner, and we
// must not do it again. Any write to FCR that turns the FIFO on or off,
// or clears it, makes QEMU drop what is waiting in it, that is, what a
// script sent before the prompt.
//
// The first byte typed before the firmware runs needs one such write, on
// QEMU's virt board only (take_early_input below). `printf 'help\n' |
// qemu-system-riscv64 ...` gives QEMU input before the firmware starts;
// the UART, its FIFO still off, takes the first byte into its receive
// register and QEMU holds the rest back (one byte at a time without a
// FIFO). OpenSBI's UART set-up then turns the FIFO on (FCR = 1), which
// QEMU treats as a FIFO reset: "no data ready", though the byte is still
// in the receive register, where QEMU reads it from only while the FIFO
// is off. The rest arrives intact in the FIFO. (Seen with -trace
// 'serial_*': the FCR write comes first, and the first receive-register
// read returns the second byte.)
#include "hw/cpu.h"
#include "hw/mmio.h"
#include "hw/time.h"
#include "riscv.h"
#include "uart.h"

// Registers, at byte offsets (reg-shift 0 on QEMU virt)
#define UART_RBR 0    // receive buffer (read)
#define UART_THR 0    // transmit holding register (write)
#define UART_FCR 2    // FIFO control (write)
#define UART_MCR 4    // modem control
#define MCR_LOOP 0x10 // loopback: the transmitter feeds the receiver
#define UART_LSR 5    // line status
#define LSR_DR   0x01 // a received byte is waiting in RBR
#define LSR_THRE 0x20 // THR can take a byte

// How long to wait for THRE before sending anyway: a UART that never
// says it is ready must not hang the kernel. QEMU's is ready at once
// unless its host side is backed up.
#define THRE_POLLS 1000000

static uintptr_t uart_base;

// Input taken before the shell asked for it (take_early_input), handed
// out first: what a 16-byte FIFO can hold, the early byte, and a byte
// QEMU may hand over as the FIFO goes off.
#define EARLY_MAX 16
static uint8_t early[EARLY_MAX + 2];
static unsigned early_next, early_len;

// Input taken while a command ran (uart_interrupted looks for Ctrl-C in
// it), handed out after the early bytes and before the UART's next ones,
// so what was typed ahead still runs, in order. Past AHEAD_MAX bytes it is
// left in the UART, where QEMU holds it back.
#define AHEAD_MAX 256
#define CTRL_C    0x03
static uint8_t ahead[AHEAD_MAX];
static unsigned ahead_first, ahead_len;

// Without a FIFO, QEMU passes the next byte only once the last one is
// read, a round trip through its main loop: after a byte, uart_getc_wait
// polls for this long before it sleeps, or a pasted line would arrive a
// byte per timer tick.
#define BURST_US 300
static uint64_t last_rx; // time of the last byte received

static bool rx_ready(void)
{
	return mmio_read8(uart_base + UART_LSR) & LSR_DR;
}

// QEMU virt only: take back the byte typed before OpenSBI turned the
// FIFO on. The FIFO goes off for good: the UART works the same without
// it, and QEMU then loses nothing, as it holds input back until the guest
// has read the last byte. How QEMU feeds its FIFO matters here: it puts
// bytes in as the FIFO has room, and each read of the receive register
// wakes its main loop to do so, except in loopback mode. So, in order:
//   1. loopback on, and read what waits in the FIFO (16 bytes at most):
//      the reads do not ask QEMU for more;
//   2. FIFO off, which empties the (now empty) FIFO, and loopback off;
//      from here on QEMU hands bytes over one at a time, each once the
//      last was read. (A byte its main loop put in on its own between
//      step 1's last look and this would be lost: no boot of 130 with
//      input pending, 100 of them under load, met one.)
//   3. read the receive register: the byte from before the firmware, or
//      0 (QEMU's reset value) when nothing was typed then. If "data
//      ready" is set, a new byte has already replaced it: a real one,
//      read in order, and the early byte is gone, as it always was.
// Worked example, `printf 'echo hi\n' | qemu ...`: step 1 reads "cho hi\n"
// (QEMU holds nothing more), step 3 reads 'e', and the shell gets
// "echo hi\n".
static void take_early_input(void)
{
	mmio_write8(uart_base + UART_MCR, MCR_LOOP);
	while (rx_ready() && early_len < EARLY_MAX)
		early[early_len++] = mmio_read8(uart_base + UART_RBR);
	mmio_write8(uart_base + UART_FCR, 0);
	mmio_write8(uart_base + UART_MCR, 0);
	bool fresh = rx_ready();
	uint8_t b = mmio_read8(uart_base + UART_RBR);
	if (fresh) {
		early[early_len++] = b;
	} else if (b != 0) {
		for (unsigned i = early_len; i > 0; i--)
			early[i] = early[i - 1];
		early[0] = b;
		early_len++;
	}
}

void uart_init(uint64_t base, bool qemu_virt)
{
	uart_base = (uintptr_t)base;
	if (uart_base && qemu_virt)
		take_early_input();
}

bool uart_ready(void)
{
	return uart_base != 0;
}

void uart_putc(char c)
{
	for (int i = 0; i < THRE_POLLS; i++)
		if (mmio_read8(uart_base + UART_LSR) & LSR_THRE)
			break;
	mmio_write8(uart_base + UART_THR, (uint8_t)c);
}

// The next byte from the UART itself, or -1.
static int rx_byte(void)
{
	if (!uart_base || !rx_ready())
		return -1;
	last_rx = time_now();
	return mmio_read8(uart_base + UART_RBR);
}

int uart_getc(void)
{
	if (early_next < early_len)
		return early[early_next++];
	if (ahead_len) {
		uint8_t c = ahead[ahead_first];
		ahead_first = (ahead_first + 1) % AHEAD_MAX;
		ahead_len--;
		return c;
	}
	return rx_byte();
}

// Example: while `ping -c 100 ...` runs, the user types "ls", Ctrl-C,
// "pwd\r". The ping's next look takes all six bytes and returns true: "ls"
// goes with the Ctrl-C, as a terminal's interrupt discards what was typed
// ahead of it, and "pwd\r" stays here. The ping stops; the shell runs pwd.
bool uart_interrupted(void)
{
	bool hit = false;
	int c;

	while (ahead_len < AHEAD_MAX && (c = rx_byte()) >= 0) {
		if (c == CTRL_C) {
			hit = true;
			ahead_len = 0;
		} else {
			ahead[(ahead_first + ahead_len++) % AHEAD_MAX] = (uint8_t)c;
		}
	}
	return hit;
}

// The shell waits here for its next key, and may wait for hours. Polling
// LSR in a loop would keep QEMU's vCPU thread, and so one host core, busy
// all that time: on a 2-core machine running graders side by side, an
// idle prompt took a core from the run that had work to do. Instead the
// hart sleeps in wfi between polls, woken by a timer 1 ms later.
//
// Why a timer and not the UART's receive interrupt: that interrupt goes
// through the PLIC, and until lab 7 is solved nobody claims it; a
// pending, unclaimed source would end every wfi at once. The timer needs
// nothing from the labs. A key waits at most 1 ms to be seen, and the
// UART's FIFO holds what arrives meanwhile.
int uart_getc_wait(void)
{
	for (;;) {
		int c = uart_getc();
		if (c >= 0)
			return c;
		if (time_now() - last_rx < time_us_to_ticks(BURST_US))
			continue; // more of a pasted line is on its way
		// masked, so the tick ends the wfi without running the trap
		// handler (which would count it in `irq`); see hw/cpu.h
		unsigned long was_on = cpu_intr_off();
		cpu_wake_at(time_now() + time_hz / 1000);
		cpu_idle();
		cpu_wake_at(~0ULL); // disarm: clears the pending tick before unmasking
		cpu_intr_restore(was_on);
	}
}
