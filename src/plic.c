// The PLIC (platform-level interrupt controller, PLIC spec 1.0), at
// 0x0c000000 on QEMU virt. Each interrupt source has a priority; each
// context (a hart in one privilege mode) has enable bits, a priority
// threshold and a claim/complete register. Where the PLIC is, and which
// context is ours, plic_init takes from the device tree: ours depends on
// the hart OpenSBI started us on (with -smp 4 it may be any of them). On
// QEMU virt hart h has M-mode context 2h (OpenSBI's) and S-mode context
// 2h + 1.
#include "errno.h"
#include "hw/mmio.h"
#include "plic.h"

#define PLIC_PRIORITY(irq)  (plic_base + 4 * (irq))
#define PLIC_ENABLE(ctx)    (plic_base + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (plic_base + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)     (plic_base + 0x200004 + 0x1000 * (ctx))
// the PLIC spec's limit: contexts 0..15871
#define PLIC_MAX_CONTEXTS 15872

// The PLIC's registers and this hart's S-mode context, set by plic_init.
static uintptr_t plic_base;
static unsigned s_context = 1;

int plic_init(uint64_t base, int fdt_context, unsigned long hart)
{
	// no PLIC (QEMU's aia= option puts an APLIC there): nothing may touch
	// its addresses, where a store faults
	if (base == 0)
		return -ENODEV;
	plic_base = (uintptr_t)base;
	if (fdt_context >= 0 && fdt_context < PLIC_MAX_CONTEXTS)
		s_context = (unsigned)fdt_context;
	else if (hart < PLIC_MAX_CONTEXTS / 2)
		s_context = 2 * (unsigned)hart + 1; // QEMU virt's numbering
	return (int)s_context;
}

int plic_enable(unsigned irq)
{
	/* BEGIN LAB 7 SOLUTION */
	uintptr_t word = PLIC_ENABLE(s_context) + 4 * (irq / 32);

	// priority 0 means "never"; anything above the threshold is delivered
	mmio_write32(PLIC_PRIORITY(irq), 1);
	mmio_write32(word, mmio_read32(word) | (1U << (irq % 32)));
	mmio_write32(PLIC_THRESHOLD(s_context), 0);
	return 0;
	/* END LAB 7 SOLUTION */
	/* BEGIN LAB 7 STUB
	// TODO(lab 7): give the source a priority and enable it for s_context.
	// Read lab-guides/lab7-interrupts.md, "Step 2: the PLIC".
	(void)irq;
	return -ENOSYS;
	END LAB 7 STUB */
}

unsigned plic_claim(void)
{
	// reading claims the source: the PLIC will not raise it again until
	// we write the same number back to complete it
	return mmio_read32(PLIC_CLAIM(s_context));
}

void plic_complete(unsigned irq)
{
	mmio_write32(PLIC_CLAIM(s_context), irq);
}
