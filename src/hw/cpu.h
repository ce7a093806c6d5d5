// Waiting for something to happen without missing it.
//
// A waiter checks its condition and then sleeps in wfi. If the interrupt it
// waits for arrives between the check and the wfi, the handler runs first,
// and the wfi sleeps on, waiting for an interrupt that already came. So the
// check and the wfi run with interrupts masked: wfi still wakes up when an
// enabled interrupt is pending, and unmasking afterwards lets its handler run.
//
// On the host, the fake device gets a turn instead, and host_cpu_idle
// refuses to "sleep" unless interrupts were masked first: the host cannot
// race a real interrupt, so it checks the rule itself.
#ifndef HW_CPU_H
#define HW_CPU_H

#include <stdint.h>

#ifdef HOST_BUILD
void host_cpu_idle(void);
extern unsigned long host_intr_masked; // 1 between cpu_intr_off and the restore
static inline void cpu_idle(void)
{
	host_cpu_idle();
}
static inline unsigned long cpu_intr_off(void)
{
	unsigned long was_on = !host_intr_masked;
	host_intr_masked = 1;
	return was_on;
}
static inline void cpu_intr_restore(unsigned long was_on)
{
	if (was_on)
		host_intr_masked = 0;
}
static inline void cpu_wake_at(uint64_t when)
{
	(void)when;
}
#else
#include "riscv.h"
#include "sbi.h"

static inline void cpu_idle(void)
{
	__asm__ volatile("wfi");
}
// Mask interrupts; returns whether they were on.
static inline unsigned long cpu_intr_off(void)
{
	unsigned long s = csr_read(sstatus);
	csr_clear(sstatus, SSTATUS_SIE);
	return s & SSTATUS_SIE;
}
static inline void cpu_intr_restore(unsigned long was_on)
{
	if (was_on)
		csr_set(sstatus, SSTATUS_SIE);
}
// A timer interrupt at `when` (time CSR ticks) ends a wfi in time for a timeout.
// Arm this hart's timer to end a wfi at `when` (~0ULL: never). Its enable
// bit is set here too, since wfi wakes only for an enabled interrupt:
// before lab 7 turns interrupts on nothing else need have set it.
static inline void cpu_wake_at(uint64_t when)
{
	csr_set(sie, SIE_STIE);
	sbi_set_timer(when);
}
#endif

#endif
