// Memory barriers for memory shared with a device (the virtqueue rings).
// Register accesses carry their own fences (hw/mmio.h); these order plain
// loads and stores to DMA memory. Each use says what it keeps apart.
#ifndef HW_BARRIER_H
#define HW_BARRIER_H

#ifdef HOST_BUILD
// The host tests' fake device runs only when the driver calls into it, so
// by itself it would never see the rings between two stores. These hooks
// show it what a device on another hart could see: every barrier, and the
// moment each WRITE_ONCE lands (an avail->idx published before its ring
// entry, or with no barrier since the last one, is caught there).
void host_barrier(void);
void host_shared_store(const volatile void *p);
#define virt_wmb() (host_barrier(), __atomic_thread_fence(__ATOMIC_SEQ_CST))
#define virt_rmb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define virt_mb()  (host_barrier(), __atomic_thread_fence(__ATOMIC_SEQ_CST))
#else
// earlier stores become visible before later stores
#define virt_wmb() __asm__ volatile("fence w,w" ::: "memory")
// earlier loads complete before later loads
#define virt_rmb() __asm__ volatile("fence r,r" ::: "memory")
// all earlier loads and stores before all later ones
#define virt_mb()  __asm__ volatile("fence rw,rw" ::: "memory")
#endif

// Read a field the device may change at any time exactly once, so the
// compiler neither caches nor re-reads it behind our back.
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#ifdef HOST_BUILD
#define WRITE_ONCE(x, v)                                                                           \
	do {                                                                                       \
		*(volatile __typeof__(x) *)&(x) = (v);                                             \
		host_shared_store(&(x));                                                           \
	} while (0)
#else
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#endif

#endif
