// QEMU virt's PLIC at 0x0c000000. Each interrupt source has a priority;
// each context (a hart in one privilege mode) has enable bits, a priority
// threshold and a claim/complete register. Hart 0's S-mode is context 1
// (context 0 is its M-mode, which OpenSBI owns).
#include "errno.h"
#include "hw/mmio.h"
#include "plic.h"

#define PLIC_BASE           0x0c000000UL
#define PLIC_PRIORITY(irq)  (PLIC_BASE + 4 * (irq))
#define PLIC_ENABLE(ctx)    (PLIC_BASE + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)     (PLIC_BASE + 0x200004 + 0x1000 * (ctx))
#define PLIC_S_CONTEXT      1 // hart 0, S-mode

int plic_enable(unsigned irq)
{
	/* BEGIN LAB 7 SOLUTION */
	uintptr_t word = PLIC_ENABLE(PLIC_S_CONTEXT) + 4 * (irq / 32);

	// priority 0 means "never"; anything above the threshold is delivered
	mmio_write32(PLIC_PRIORITY(irq), 1);
	mmio_write32(word, mmio_read32(word) | (1U << (irq % 32)));
	mmio_write32(PLIC_THRESHOLD(PLIC_S_CONTEXT), 0);
	return 0;
	/* END LAB 7 SOLUTION */
	/* BEGIN LAB 7 STUB
	// TODO(lab 7): give the source a priority and enable it for context 1.
	// Read lab-guides/lab7-interrupts.md, "Step 2: the PLIC".
	(void)irq;
	return -ENOSYS;
	END LAB 7 STUB */
}

unsigned plic_claim(void)
{
	// reading claims the source: the PLIC will not raise it again until
	// we write the same number back to complete it
	return mmio_read32(PLIC_CLAIM(PLIC_S_CONTEXT));
}

void plic_complete(unsigned irq)
{
	mmio_write32(PLIC_CLAIM(PLIC_S_CONTEXT), irq);
}
