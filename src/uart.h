// The 16550 UART the device tree names (QEMU virt: 0x10000000): the
// shell's keyboard, and the console's output once uart_init has run.
#ifndef UART_H
#define UART_H

#include <stdbool.h>
#include <stdint.h>

// Use the UART at base (from the device tree; 0 leaves it unused). On
// QEMU's virt board (qemu_virt), also take back what was typed before
// the firmware set the UART up (uart.c says how).
void uart_init(uint64_t base, bool qemu_virt);

// Whether uart_init found one: until then output goes through SBI.
bool uart_ready(void);

// Send one byte, once the transmitter can take it.
void uart_putc(char c);

// The next received character, or -1 if none is waiting (or no UART).
int uart_getc(void);

// The next received character, sleeping until one comes (the shell's
// wait at the prompt; it uses no host CPU meanwhile).
int uart_getc_wait(void);

// Whether Ctrl-C was typed since the last look: for a command that may
// run long (ping, bench, cat), to stop early. What was typed meanwhile
// after the last Ctrl-C is kept for the shell, in order; what came before
// it goes with it, as a terminal's interrupt discards typed-ahead input.
bool uart_interrupted(void);

#endif
