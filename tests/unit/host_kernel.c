// Host stand-ins for the kernel services the portable code calls.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "host_kernel.h"
#include "hw/time.h"
#include "lib/format.h"
#include "fdt.h"
#include "mem.h"

uint64_t time_hz = 10000000;
uint64_t host_time_step = 1000; // 100 us per read of the clock
static uint64_t host_now;

uint64_t host_time_now(void)
{
	host_now += host_time_step;
	return host_now;
}

void host_time_reset(void)
{
	host_now = 0;
	host_time_step = 1000;
}

static char log_buf[1 << 16];
static size_t log_len;

static void log_putc(void *ctx, char c)
{
	(void)ctx;
	if (log_len + 1 < sizeof(log_buf))
		log_buf[log_len++] = c;
	log_buf[log_len] = '\0';
}

void kvprintf(const char *fmt, va_list ap)
{
	vformat(log_putc, 0, fmt, ap);
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

	fprintf(stderr, "panic at %s:%d (%s): ", file, line, func);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

const char *host_log(void)
{
	return log_buf;
}

void host_log_clear(void)
{
	log_len = 0;
	log_buf[0] = '\0';
}

int host_log_has(const char *s)
{
	return strstr(log_buf, s) != NULL;
}

static unsigned fail_countdown;
static long outstanding;

void dma_fail_nth(unsigned n)
{
	fail_countdown = n;
}

void *dma_alloc(size_t size)
{
	if (fail_countdown && --fail_countdown == 0)
		return NULL;
	size_t rounded = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	void *p = aligned_alloc(PAGE_SIZE, rounded ? rounded : PAGE_SIZE);
	if (p) {
		memset(p, 0, rounded ? rounded : PAGE_SIZE);
		outstanding++;
	}
	return p;
}

void dma_free(void *p, size_t size)
{
	(void)size;
	if (p) {
		outstanding--;
		free(p);
	}
}

long host_dma_outstanding(void)
{
	return outstanding;
}

uint64_t virt_to_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

int dma_addressable(const void *p, size_t len)
{
	(void)p, (void)len;
	return 1;
}

// The driver waits for an interrupt; the fake device may act meanwhile.
void (*host_idle_hook)(void);

void host_cpu_idle(void)
{
	if (host_idle_hook)
		host_idle_hook();
}

// What boot arguments the driver sees in a test.
struct boot_info boot_info;
