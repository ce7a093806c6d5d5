// Physical memory: a page allocator over the RAM the kernel does not use,
// and the DMA interface drivers use to get memory a device can reach.
#ifndef MEM_H
#define MEM_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096UL

struct boot_info;
void mem_init(const struct boot_info *bi);
// Bytes of RAM past the kernel that mem_init left out of the pool: the
// pool holds at most MAX_PAGES pages (1 GiB), so `-m 2G` leaves some.
uint64_t mem_unmanaged_bytes(void);

// Zeroed, page-aligned, physically contiguous memory of at least `size`
// bytes, or NULL. Every caller must handle NULL.
void *dma_alloc(size_t size);
void dma_free(void *p, size_t size);

// The address a device must be given for a kernel pointer. Translation is
// off (satp = 0), so this is the identity today; drivers call it anyway so
// that turning on paging later changes only this function.
// Inline: four calls a request on the block hot path (tools/bench.py).
#ifdef HOST_BUILD
uint64_t virt_to_phys(const void *p);
#else
static inline uint64_t virt_to_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}
#endif
// Whether the device can reach p: inside RAM. Buffers elsewhere (none yet,
// but a caller could pass a device address) need a bounce buffer. Inline
// for the same reason as virt_to_phys: once a request on the hot path.
#ifdef HOST_BUILD
int dma_addressable(const void *p, size_t len);
#else
#include "fdt.h"
static inline int dma_addressable(const void *p, size_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)p;

	return a >= boot_info.ram_base && len <= boot_info.ram_size &&
	       a - boot_info.ram_base <= boot_info.ram_size - len;
}
#endif

// Fault injection for tests: the nth dma_alloc from now (1 = the next one)
// returns NULL. 0 turns it off.
void dma_fail_nth(unsigned n);

// Pages free and in all, for `mem` and the benchmarks.
void mem_stats(size_t *free_pages, size_t *total_pages);

#endif
