// Input from QEMU virt's 16550 UART. Output goes through SBI (console.c);
// we only read here, so no initialisation is needed: OpenSBI has already
// set the line up for its own console.
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
