// Kernel console: output through OpenSBI's console call, which reaches the
// same 16550 UART the shell reads from. kprintf itself is in lib/kprintf.c.
#include "console.h"
#include "power.h"
#include "sbi.h"

void console_putc(char c)
{
	if (c == '\n')
		sbi_console_putchar('\r');
	sbi_console_putchar(c);
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
