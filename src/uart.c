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
// must not do it again. Any write to FCR that enables or clears the FIFO
// makes QEMU drop what is waiting in it, that is, what a script sent
// before the prompt.
//
// One byte is lost before we ever run, and nothing here can bring it
// back: `printf 'help\n' | qemu-system-riscv64 ...` gives QEMU input
// before the firmware starts; the UART, its FIFO still off, takes the
// first byte into its receive register, and OpenSBI's UART set-up then
// turns the FIFO on (FCR = 1), which QEMU treats as a FIFO reset: the
// byte is gone, the rest waits in QEMU's character buffer and arrives
// intact. (Seen with -trace 'serial_*': the FCR write comes first, and
// the first receive-register read already returns the second byte.) A
// script that cannot wait for the prompt should begin with an empty line.
#include "hw/cpu.h"
#include "hw/mmio.h"
#include "hw/time.h"
#include "riscv.h"
#include "uart.h"

// Registers, at byte offsets (reg-shift 0 on QEMU virt)
#define UART_RBR 0    // receive buffer (read)
#define UART_THR 0    // transmit holding register (write)
#define UART_LSR 5    // line status
#define LSR_DR   0x01 // a received byte is waiting in RBR
#define LSR_THRE 0x20 // THR can take a byte

// How long to wait for THRE before sending anyway: a UART that never
// says it is ready must not hang the kernel. QEMU's is ready at once
// unless its host side is backed up.
#define THRE_POLLS 1000000

static uintptr_t uart_base;

void uart_init(uint64_t base)
{
	uart_base = (uintptr_t)base;
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

int uart_getc(void)
{
	if (!uart_base || !(mmio_read8(uart_base + UART_LSR) & LSR_DR))
		return -1;
	return mmio_read8(uart_base + UART_RBR);
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
		// masked, so the tick ends the wfi without running the trap
		// handler (which would count it in `irq`); see hw/cpu.h
		unsigned long was_on = cpu_intr_off();
		csr_set(sie, SIE_STIE);
		cpu_wake_at(time_now() + time_hz / 1000);
		cpu_idle();
		cpu_wake_at(~0ULL); // disarm: clears the pending tick before unmasking
		cpu_intr_restore(was_on);
	}
}
