// Traps: interrupts and exceptions in S-mode (lab 7).
#ifndef TRAP_H
#define TRAP_H

#include <stdint.h>

// What trapvec.S saves; the order is the order of the stores there.
struct trap_frame {
	uint64_t ra, gp, tp, t0, t1, t2, s0, s1;
	uint64_t a0, a1, a2, a3, a4, a5, a6, a7;
	uint64_t s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
	uint64_t t3, t4, t5, t6;
	uint64_t sepc, pad;
};

// Install the trap vector. Exceptions are reported from then on;
// interrupts stay off until irq_enable.
void trap_init(void);

// Route a PLIC source to a handler. Returns 0, or -ENOSYS before lab 7.
typedef void (*irq_handler)(void);
int irq_register(unsigned irq, irq_handler fn);
// Turn on S-mode external and timer interrupts (sie.SEIE/STIE, sstatus.SIE).
void irq_enable(void);
int irq_enabled(void);

// Ask for a timer interrupt at `when` (time CSR ticks), so a WFI wakes up
// in time for a timeout even if the device never interrupts.
void timer_wake_at(uint64_t when);

// Counters for `irq`.
struct irq_stats {
	uint64_t external, timer, spurious;
	uint64_t per_irq[16];
};
extern struct irq_stats irq_stats;

#endif
