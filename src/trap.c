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

// One entry per irq_register call. A shared source has several entries;
// a few devices each with one source fill a handful.
#define IRQ_HANDLERS_MAX 32

struct irq_handler {
	unsigned irq;
	void (*fn)(void *arg);
	void *arg;
};

extern char trap_vector[];
struct irq_stats irq_stats;
static struct irq_handler handlers[IRQ_HANDLERS_MAX];
static int nhandlers;
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

int irq_register(unsigned irq, void (*fn)(void *arg), void *arg)
{
	if (irq == 0 || irq >= IRQ_SOURCES || !fn)
		return -EINVAL;
	if (nhandlers == IRQ_HANDLERS_MAX)
		return -ENOMEM;
	int err = plic_enable(irq);
	if (err < 0)
		return err;
	// the entry is complete before nhandlers counts it, so an interrupt
	// already pending on a shared source never calls a half-made entry
	handlers[nhandlers] = (struct irq_handler){irq, fn, arg};
	__asm__ volatile("" ::: "memory"); // compiler barrier: entry before count
	nhandlers++;
	return 0;
}

int irq_dispatch(unsigned irq)
{
	int called = 0;

	for (int i = 0; i < nhandlers; i++) {
		if (handlers[i].irq == irq) {
			handlers[i].fn(handlers[i].arg);
			called++;
		}
	}
	if (called && irq < IRQ_SOURCES)
		irq_stats.per_irq[irq]++;
	return called;
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

// SBI set_timer programs the timer of the hart that calls it (SBI v1.0,
// TIME extension), and the interrupt comes back to that hart. The kernel
// runs on the boot hart alone, whichever that is, so the waiter that arms
// the timer is the one it wakes.
void timer_wake_at(uint64_t when)
{
	sbi_set_timer(when);
}

static void external_interrupt(void)
{
	/* BEGIN LAB 7 SOLUTION */
	// claim every pending source, run its handlers, complete it
	unsigned irq;
	while ((irq = plic_claim()) != 0) {
		irq_stats.external++;
		if (irq_dispatch(irq) == 0)
			irq_stats.spurious++;
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
