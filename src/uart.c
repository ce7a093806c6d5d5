// Input from QEMU virt's 16550 UART. Output goes through SBI (console.c);
// we only read here, so no initialisation is needed: OpenSBI has already
// set the line up for its own console. We must not set it up again: any
// write to FCR that enables or clears the FIFO makes QEMU drop what is
// waiting in it, that is, what a script sent before the prompt.
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
#include "hw/mmio.h"
#include "uart.h"

#define UART_BASE 0x10000000UL
#define UART_RBR  0    // receive buffer
#define UART_LSR  5    // line status
#define LSR_DR    0x01 // a received byte is waiting in RBR

int uart_getc(void)
{
	if (!(mmio_read8(UART_BASE + UART_LSR) & LSR_DR))
		return -1;
	return mmio_read8(UART_BASE + UART_RBR);
}
