// Page allocator: one bit per page of RAM between the end of the kernel
// and the end of memory. Allocation is first-fit over runs of free pages,
// which is slow for huge memories but obviously correct, and gives the
// physically contiguous runs DMA needs.
#include "console.h"
#include "fdt.h"
#include "lib/string.h"
#include "mem.h"

#define MAX_PAGES (1UL << 18) // 1 GiB of RAM at most is managed

extern char __kernel_end[];

static uint64_t pool_base;                 // address of page 0 of the pool
static size_t pool_pages;                  // pages in the pool
static uint64_t unmanaged;                 // RAM past the pool's last page
static size_t free_pages;                  // pages not allocated
static uint64_t used_bits[MAX_PAGES / 64]; // 1 = allocated or reserved
static unsigned fail_countdown;            // see dma_fail_nth

static int page_used(size_t i)
{
	return (used_bits[i / 64] >> (i % 64)) & 1;
}

static void page_mark(size_t i, int used)
{
	if (used)
		used_bits[i / 64] |= 1UL << (i % 64);
	else
		used_bits[i / 64] &= ~(1UL << (i % 64));
}

void mem_init(const struct boot_info *bi)
{
	uint64_t start = (uint64_t)(uintptr_t)__kernel_end;
	uint64_t end = bi->ram_base + bi->ram_size;

	pool_base = start;
	pool_pages = end > start ? (end - start) / PAGE_SIZE : 0;
	if (pool_pages > MAX_PAGES) {
		unmanaged = (pool_pages - MAX_PAGES) * PAGE_SIZE;
		pool_pages = MAX_PAGES;
	}
	free_pages = pool_pages;

	// OpenSBI leaves the device tree somewhere in RAM (0x87e00000 with
	// -bios default, 0x82200000 with fw_jump): never hand its pages out.
	if (bi->fdt_size) {
		uint64_t lo = bi->fdt_addr & ~(PAGE_SIZE - 1);
		uint64_t hi = bi->fdt_addr + bi->fdt_size;
		for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
			if (a < pool_base || a >= pool_base + pool_pages * PAGE_SIZE)
				continue;
			size_t i = (a - pool_base) / PAGE_SIZE;
			if (!page_used(i)) {
				page_mark(i, 1);
				free_pages--;
			}
		}
	}
}

void dma_fail_nth(unsigned n)
{
	fail_countdown = n;
}

void *dma_alloc(size_t size)
{
	size_t want = (size + PAGE_SIZE - 1) / PAGE_SIZE;
	size_t run = 0;

	if (fail_countdown && --fail_countdown == 0)
		return 0;
	if (want == 0)
		want = 1;
	for (size_t i = 0; i < pool_pages; i++) {
		run = page_used(i) ? 0 : run + 1;
		if (run == want) {
			size_t first = i + 1 - want;
			for (size_t j = first; j <= i; j++)
				page_mark(j, 1);
			free_pages -= want;
			void *p = (void *)(uintptr_t)(pool_base + first * PAGE_SIZE);
			memset(p, 0, want * PAGE_SIZE);
			return p;
		}
	}
	return 0;
}

void dma_free(void *p, size_t size)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	size_t n = (size + PAGE_SIZE - 1) / PAGE_SIZE;

	if (!p)
		return;
	if (a < pool_base || (a - pool_base) % PAGE_SIZE ||
	    (a - pool_base) / PAGE_SIZE + n > pool_pages)
		panic("dma_free(%p, %zu): not an allocation", p, size);
	for (size_t i = (a - pool_base) / PAGE_SIZE; n; n--, i++) {
		if (!page_used(i))
			panic("dma_free(%p): page %p freed twice", p,
			      (void *)(uintptr_t)(pool_base + i * PAGE_SIZE));
		page_mark(i, 0);
		free_pages++;
	}
}

uint64_t mem_unmanaged_bytes(void)
{
	return unmanaged;
}

void mem_stats(size_t *free_out, size_t *total_out)
{
	*free_out = free_pages;
	*total_out = pool_pages;
}
