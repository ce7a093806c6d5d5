// Kernel console: output through OpenSBI's console call, which reaches the
// same 16550 UART the shell reads from.
#include "console.h"
#include "lib/format.h"
#include "power.h"
#include "sbi.h"

static void console_putc(void *ctx, char c)
{
	(void)ctx;
	if (c == '\n')
		sbi_console_putchar('\r');
	sbi_console_putchar(c);
}

void kvprintf(const char *fmt, va_list ap)
{
	vformat(console_putc, 0, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat_buf(buf, size, fmt, ap);
	va_end(ap);
	return n;
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
