// The 16550 UART at 0x10000000: keyboard input for the shell.
#ifndef UART_H
#define UART_H

// The next received character, or -1 if none is waiting.
int uart_getc(void);

#endif
