// kprintf and friends over console_putc, which the platform provides: the
// SBI console in the kernel (console.c), a log buffer in the host tests.
#include "console.h"
#include "lib/format.h"

static void putc_to_console(void *ctx, char c)
{
	(void)ctx;
	console_putc(c);
}

void kvprintf(const char *fmt, va_list ap)
{
	vformat(putc_to_console, 0, fmt, ap);
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
