// Wall-clock time for timeouts and benchmarks. The RISC-V `time` CSR counts
// at the timebase frequency from the device tree (10 MHz on QEMU virt).
// Timeouts are measured in time, never in loop iterations, because a loop
// runs at very different speeds under TCG, KVM and real hardware.
#ifndef HW_TIME_H
#define HW_TIME_H

#include <stdint.h>

#ifdef HOST_BUILD
uint64_t host_time_now(void);
static inline uint64_t time_now(void)
{
	return host_time_now();
}
#else
static inline uint64_t time_now(void)
{
	uint64_t t;

	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}
#endif

extern uint64_t time_hz; // ticks per second, set from the device tree

static inline uint64_t time_us_to_ticks(uint64_t us)
{
	return us * (time_hz / 1000000);
}

static inline uint64_t time_ticks_to_us(uint64_t ticks)
{
	return ticks / (time_hz / 1000000);
}

#endif
