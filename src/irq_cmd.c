// `irq`: what the trap handler has seen (lab 7).
#include "console.h"
#include "fdt.h"
#include "riscv.h"
#include "shell.h"
#include "trap.h"

static int cmd_irq(int argc, char **argv)
{
	if (!shell_args_ok(argc, argv, 0, 0))
		return 1;
	kprintf("irq: interrupts %s; %lu external, %lu timer, %lu spurious\n",
	        irq_enabled() ? "on" : "off", (unsigned long)irq_stats.external,
	        (unsigned long)irq_stats.timer, (unsigned long)irq_stats.spurious);
	// what the hart itself says, not the driver's flag: a handler that
	// never runs is often a bit that was never set
	unsigned long sstatus = csr_read(sstatus), sie = csr_read(sie);
	kprintf("irq: sstatus.SIE %d, sie.SEIE %d, sie.STIE %d\n", !!(sstatus & SSTATUS_SIE),
	        !!(sie & SIE_SEIE), !!(sie & SIE_STIE));
	for (unsigned i = 1; i < IRQ_SOURCES; i++)
		if (irq_stats.per_irq[i])
			kprintf("irq: source %u: %lu\n", i, (unsigned long)irq_stats.per_irq[i]);
	// what the device tree says about every hart, ours marked
	if (!boot_info.plic_base) {
		kprintf("irq: no PLIC in the device tree%s\n",
		        boot_info.aplic ? " (an APLIC instead, from QEMU's aia= option)" : "");
		return 0;
	}
	for (unsigned i = 0; i < boot_info.nharts; i++) {
		int ctx = fdt_plic_s_context(&boot_info, boot_info.harts[i].hart);
		kprintf("irq: hart %u: S-mode PLIC context %d%s\n", boot_info.harts[i].hart, ctx,
		        boot_info.harts[i].hart == boot_info.boot_hart ? " (this hart)" : "");
	}
	return 0;
}
SHELL_COMMAND("irq", "", "interrupt counters", cmd_irq);
