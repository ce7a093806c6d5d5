// Waiting for something to happen. In the kernel, wfi stops the hart until
// an interrupt is pending (even with interrupts masked, so the caller can
// check what woke it); on the host the fake device gets a turn instead.
#ifndef HW_CPU_H
#define HW_CPU_H

#ifdef HOST_BUILD
void host_cpu_idle(void);
static inline void cpu_idle(void)
{
	host_cpu_idle();
}
#else
static inline void cpu_idle(void)
{
	__asm__ volatile("wfi");
}
#endif

#endif
