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

// PLIC sources we can route: QEMU virt has 95 (virtio-mmio 1-8, the UART
// 10, PCIe INTA-D 32-35); the table is sized for the PLIC's 127.
#define IRQ_SOURCES 128

// Route PLIC source irq to fn(arg). Several handlers may share a source:
// PCI INTx lines are shared and level-triggered, so every interrupt on the
// source calls every handler registered for it, in the order they were
// registered, and each handler must check (and quiet) its own device.
// Returns 0; -EINVAL for source 0 or one the PLIC does not have; -ENOMEM
// when the handler table is full; -ENOSYS before lab 7.
int irq_register(unsigned irq, void (*fn)(void *arg), void *arg);
// Call every handler of a claimed source; returns how many there were
// (0: nobody asked for this source, a spurious interrupt).
int irq_dispatch(unsigned irq);
// Turn on S-mode external and timer interrupts (sie.SEIE/STIE, sstatus.SIE).
void irq_enable(void);
int irq_enabled(void);

// Ask for a timer interrupt at `when` (time CSR ticks), so a WFI wakes up
// in time for a timeout even if the device never interrupts.
void timer_wake_at(uint64_t when);

// Counters for `irq`.
struct irq_stats {
	uint64_t external, timer, spurious;
	uint64_t per_irq[IRQ_SOURCES];
};
extern struct irq_stats irq_stats;

#endif
