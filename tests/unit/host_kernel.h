// What the kernel normally provides, for the host build of the driver code:
// kprintf into a buffer the tests can search, DMA memory from the C heap
// with fault injection, and a clock the tests control.
#ifndef HOST_KERNEL_H
#define HOST_KERNEL_H

#include <stddef.h>
#include <stdint.h>

// Everything kprintf printed since the last host_log_clear().
const char *host_log(void);
void host_log_clear(void);
// Whether the log contains s.
int host_log_has(const char *s);

// The clock: each read of time_now() advances it by host_time_step ticks,
// so a polling loop that waits for a device that never answers ends.
// Set by a test: runs whenever the driver idles waiting for the device.
extern void (*host_idle_hook)(void);

extern uint64_t host_time_step;
void host_time_reset(void);

// DMA allocations still outstanding (a leak check for tests).
long host_dma_outstanding(void);
// Free every DMA allocation still outstanding: the memory of a device the
// driver gave up on is kept on purpose, and a fuzz run ends here.
void host_dma_release_all(void);
// Whether [p, p + len) lies in memory dma_alloc handed out and not freed
// (DMA memory sits below 4 GiB, in an arena of its own).
int host_dma_owns(const void *p, size_t len);

#endif
