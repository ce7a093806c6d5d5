// Trap handling: S-mode external interrupts come from the PLIC, timer
// interrupts from the SBI timer we arm for timeouts, and anything else is
// a bug in the kernel: report it and end QEMU with a failure status.
#include "console.h"
#include "errno.h"
#include "plic.h"
#include "power.h"
#include "riscv.h"
#include "sbi.h"
#include "trap.h"

#define MAX_IRQ 16

extern char trap_vector[];
struct irq_stats irq_stats;
static irq_handler handlers[MAX_IRQ];
static int enabled;

static const char *exception_name(unsigned long cause)
{
	static const char *const names[] = {
	    "instruction address misaligned",
	    "instruction access fault",
	    "illegal instruction",
	    "breakpoint",
	    "load address misaligned",
	    "load access fault",
	    "store address misaligned",
	    "store access fault",
	    "environment call from U-mode",
	    "environment call from S-mode",
	    "reserved",
	    "reserved",
	    "instruction page fault",
	    "load page fault",
	    "reserved",
	    "store page fault",
	};
	return cause < 16 ? names[cause] : "unknown";
}

void trap_init(void)
{
	// direct mode: every trap goes to trap_vector (low bits 0)
	csr_write(stvec, (uintptr_t)trap_vector);
}

int irq_register(unsigned irq, irq_handler fn)
{
	if (irq == 0 || irq >= MAX_IRQ)
		return -EINVAL;
	int err = plic_enable(irq);
	if (err == 0)
		handlers[irq] = fn;
	return err;
}

void irq_enable(void)
{
	csr_set(sie, SIE_SEIE | SIE_STIE);
	intr_on();
	enabled = 1;
}

int irq_enabled(void)
{
	return enabled;
}

void timer_wake_at(uint64_t when)
{
	sbi_set_timer(when);
}

static void external_interrupt(void)
{
	/* BEGIN LAB 7 SOLUTION */
	// claim every pending source, run its handler, complete it
	unsigned irq;
	while ((irq = plic_claim()) != 0) {
		irq_stats.external++;
		if (irq < MAX_IRQ && handlers[irq]) {
			irq_stats.per_irq[irq]++;
			handlers[irq]();
		} else {
			irq_stats.spurious++;
		}
		plic_complete(irq);
	}
	/* END LAB 7 SOLUTION */
	/* BEGIN LAB 7 STUB
	// TODO(lab 7): claim the source from the PLIC, call its handler and
	// complete it. Read lab-guides/lab7-interrupts.md, "Step 3: claim and complete".
	irq_stats.spurious++;
	END LAB 7 STUB */
}

void trap_handler(struct trap_frame *f)
{
	unsigned long cause = csr_read(scause);

	if (cause & SCAUSE_INTERRUPT) {
		unsigned long code = cause & ~SCAUSE_INTERRUPT;
		if (code == IRQ_S_EXTERNAL) {
			external_interrupt();
		} else if (code == IRQ_S_TIMER) {
			// the timeout the waiter armed has passed: disarm it, the
			// waiter sees the time and gives up
			irq_stats.timer++;
			sbi_set_timer(~0UL);
		} else {
			irq_stats.spurious++;
		}
		return;
	}
	static int reporting;
	if (reporting++) {
		// a fault while reporting a fault (say, in power_exit itself):
		// do not loop; SBI shutdown at least ends QEMU
		kprintf("trap: exception %lu while reporting another; shutting down\n", cause);
		sbi_shutdown();
		for (;;)
			__asm__ volatile("wfi");
	}
	kprintf("\ntrap: unexpected exception %lu (%s)\n", cause, exception_name(cause));
	kprintf("trap: sepc %p stval %p ra %p sp %p\n", (void *)f->sepc, (void *)csr_read(stval),
	        (void *)f->ra, (void *)((uintptr_t)f + sizeof(*f)));
	power_exit(3);
}
