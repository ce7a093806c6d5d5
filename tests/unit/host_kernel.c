// Host stand-ins for the kernel services the portable code calls.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

// kprintf (src/lib/kprintf.c) ends up here: into the log the tests search.
void console_putc(char c)
{
	if (log_len + 1 < sizeof(log_buf))
		log_buf[log_len++] = c;
	log_buf[log_len] = '\0';
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

// DMA memory comes from an arena mapped low in the address space, below
// 4 GiB like QEMU virt's RAM: the legacy transport hands the device a
// 32-bit page number (QueuePFN), which cannot name the C heap's addresses
// (0x6xxxxxxxxxxx under ASan). The arena is handed out a page at a time
// like src/mem.c does, each allocation followed by an inaccessible guard
// page, and freed pages become inaccessible again, so a device or driver
// that overruns an allocation or uses it after dma_free faults at once.
#define DMA_ARENA_BASE  0x40000000UL
#define DMA_ARENA_PAGES 65536 // 256 MiB of address space, reserved lazily

static unsigned fail_countdown;
static long outstanding;
static uint8_t *arena;
static uint32_t arena_len[DMA_ARENA_PAGES]; // pages of the allocation starting here, 0 = none
static uint8_t arena_busy[DMA_ARENA_PAGES]; // 0 free, 1 handed out, 2 a guard page
static size_t arena_cursor;                 // next-fit: freed memory is reused late

static void dma_die(const char *what, const void *p, size_t size)
{
	fprintf(stderr, "host dma: %s (%p, %zu bytes)\n", what, p, size);
	abort();
}

static uint8_t *arena_get(void)
{
	if (!arena) {
		void *p =
		    mmap((void *)DMA_ARENA_BASE, DMA_ARENA_PAGES * PAGE_SIZE, PROT_NONE,
		         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != (void *)DMA_ARENA_BASE)
			dma_die("cannot map the DMA arena below 4 GiB", (void *)DMA_ARENA_BASE, 0);
		arena = p;
	}
	return arena;
}

void dma_fail_nth(unsigned n)
{
	fail_countdown = n;
}

void *dma_alloc(size_t size)
{
	if (fail_countdown && --fail_countdown == 0)
		return NULL;
	uint8_t *base = arena_get();
	size_t want = size ? (size + PAGE_SIZE - 1) / PAGE_SIZE : 1;
	// the allocation and its guard page, first fit from the cursor
	for (size_t tried = 0, run = 0, i = arena_cursor; tried < 2 * DMA_ARENA_PAGES;
	     tried++, i++) {
		if (i == DMA_ARENA_PAGES)
			i = run = 0;
		run = arena_busy[i] ? 0 : run + 1;
		if (run < want + 1)
			continue;
		size_t first = i + 1 - run;
		uint8_t *p = base + first * PAGE_SIZE;
		memset(arena_busy + first, 1, want);
		arena_busy[first + want] = 2;
		arena_len[first] = (uint32_t)want;
		arena_cursor = (first + want + 1) % DMA_ARENA_PAGES;
		if (mprotect(p, want * PAGE_SIZE, PROT_READ | PROT_WRITE) != 0)
			dma_die("mprotect failed", p, size);
		memset(p, 0, want * PAGE_SIZE);
		outstanding++;
		return p;
	}
	return NULL;
}

void dma_free(void *p, size_t size)
{
	if (!p)
		return;
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)arena;
	size_t want = size ? (size + PAGE_SIZE - 1) / PAGE_SIZE : 1;
	if (!arena || a < b || (a - b) % PAGE_SIZE || (a - b) / PAGE_SIZE >= DMA_ARENA_PAGES)
		dma_die("dma_free of memory dma_alloc never returned", p, size);
	size_t first = (a - b) / PAGE_SIZE;
	if (!arena_len[first])
		dma_die("dma_free twice, or of the middle of an allocation", p, size);
	if (arena_len[first] != want)
		dma_die("dma_free with a size of another page count than allocated", p, size);
	madvise(p, want * PAGE_SIZE, MADV_DONTNEED);
	mprotect(p, want * PAGE_SIZE, PROT_NONE);
	memset(arena_busy + first, 0, want + 1);
	arena_len[first] = 0;
	outstanding--;
}

void host_dma_release_all(void)
{
	for (size_t i = 0; arena && i < DMA_ARENA_PAGES; i++)
		if (arena_len[i])
			dma_free(arena + i * PAGE_SIZE, (size_t)arena_len[i] * PAGE_SIZE);
}

long host_dma_outstanding(void)
{
	return outstanding;
}

int host_dma_owns(const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)arena;

	if (!arena || a < b || len > DMA_ARENA_PAGES * PAGE_SIZE ||
	    a - b > DMA_ARENA_PAGES * PAGE_SIZE - len)
		return 0;
	for (size_t i = (a - b) / PAGE_SIZE; i <= (a - b + (len ? len - 1 : 0)) / PAGE_SIZE; i++)
		if (arena_busy[i] != 1)
			return 0;
	return 1;
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

unsigned long host_intr_masked;

void host_cpu_idle(void)
{
	// On the real machine an interrupt that came after the driver's last
	// look at the used ring and before this wfi would already have been
	// handled, and the wfi would sleep until the deadline: a lost wake-up.
	if (!host_intr_masked) {
		fprintf(stderr,
		        "host: the driver idles (wfi) with interrupts enabled: a completion "
		        "between its check and the wfi would be lost; mask interrupts "
		        "around the check and the wfi (see src/hw/cpu.h)\n");
		abort();
	}
	if (host_idle_hook)
		host_idle_hook();
}

// What boot arguments the driver sees in a test.
struct boot_info boot_info;
