// The harts we do not use. The kernel runs on the one hart OpenSBI booted
// it on; the others wait inside OpenSBI, stopped (SBI HSM). Waiting there
// should cost nothing, a wfi, but with the OpenSBI 1.1 that QEMU 7.2
// bundles it does not: each of them keeps a machine software interrupt
// pending from the firmware's own start-up, with interrupts masked in
// M-mode, so its wfi returns at once and it spins. Measured with the
// shell idle at its prompt for 3 s: -smp 1 took 0.3 s of host CPU,
// -smp 2 took 3.2 s and -smp 4 took 5.7 s, a host core per extra hart.
//
// So we start each of them on hart_park (entry.S), a wfi loop with every
// S-mode interrupt off. In S-mode a machine interrupt is always taken, so
// the pending one is delivered to OpenSBI, which clears it, and from
// then on the hart's wfi really waits.
#include "console.h"
#include "fdt.h"
#include "harts.h"
#include "sbi.h"

extern char hart_park[];

void harts_park_others(const struct boot_info *bi)
{
	unsigned parked = 0;

	for (unsigned i = 0; i < bi->nharts; i++) {
		unsigned long h = bi->harts[i].hart;
		if (h == bi->boot_hart)
			continue;
		long err = sbi_hart_start(h, (unsigned long)hart_park, 0);
		if (err == SBI_ERR_NOT_SUPPORTED) { // an SBI before v0.2: once is enough
			kprintf("boot: the firmware has no SBI HSM; the other harts stay in it\n");
			return;
		}
		if (err == 0)
			parked++;
		else if (err == SBI_ERR_ALREADY_AVAILABLE) // it entered the kernel too
			kprintf("boot: hart %lu was already running: it lost entry.S's lottery "
			        "and waits in hart_park\n",
			        h);
		else
			kprintf(
			    "boot: hart %lu not parked (SBI error %ld); it stays in the firmware\n",
			    h, err);
	}
	if (parked)
		kprintf("boot: %u other hart%s parked in wfi; the kernel runs on hart %lu\n",
		        parked, parked == 1 ? "" : "s", (unsigned long)bi->boot_hart);
}
