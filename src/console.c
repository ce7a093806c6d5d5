// Kernel console: output through OpenSBI's console call from the first
// instruction, and straight to the 16550 UART once the device tree has
// named it (uart.c says why). Both reach the same serial line, so the
// switch shows nowhere. kprintf itself is in lib/kprintf.c.
#include "console.h"
#include "power.h"
#include "sbi.h"
#include "uart.h"

static void put_byte(char c)
{
	if (uart_ready())
		uart_putc(c);
	else
		sbi_console_putchar(c);
}

void console_putc(char c)
{
	if (c == '\n')
		put_byte('\r');
	put_byte(c);
}

void panic_at(const char *file, int line, const char *func, const char *fmt, ...)
{
	va_list ap;

	kprintf("\npanic: ");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	kprintf("\n  in %s() at %s:%d, called from %p\n", func, file, line,
	        __builtin_return_address(0));
	power_exit(1);
}
