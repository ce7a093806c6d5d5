// Kernel glue for PCI: at boot, find the host bridge in the device tree,
// list the functions on its bus and give each its addresses. The virtio
// transport (src/virtio/pci*.c) then takes the virtio functions.
#include "console.h"
#include "errno.h"
#include "fdt.h"
#include "lib/errstr.h"
#include "pci/pci.h"

struct pci_host pci_host;
struct pci_func pci_funcs[PCI_MAX_FUNCS];
int pci_nfuncs;
static bool have_host;

static void print_window(const char *what, const struct pci_window *w)
{
	if (!w->size)
		return;
	kprintf("pci: %s window 0x%lx..0x%lx", what, (unsigned long)w->cpu,
	        (unsigned long)(w->cpu + w->size - 1));
	if (w->pci != w->cpu)
		kprintf(" (PCI 0x%lx)", (unsigned long)w->pci);
	kprintf("%s\n", w->prefetch ? ", prefetchable" : "");
}

void pci_init(const void *fdt)
{
	int err = pci_host_from_fdt(fdt, &pci_host);

	if (err == -ENODEV) {
		kprintf("pci: no pci-host-ecam-generic node in the device tree\n");
		return;
	}
	if (err < 0) {
		kprintf("pci: the host bridge's device-tree node makes no sense (%s); PCI not "
		        "used\n",
		        errstr(err));
		return;
	}
	have_host = true;
	pci_host.irq_parent = boot_info.plic_phandle;
	kprintf("pci: host bridge pci-host-ecam-generic, ECAM at 0x%lx, buses %02x-%02x\n",
	        (unsigned long)pci_host.ecam, pci_host.bus_first, pci_host.bus_last);
	print_window("I/O", &pci_host.io);
	print_window("32-bit memory", &pci_host.mem32);
	print_window("64-bit memory", &pci_host.mem64);
	kprintf("pci: INTx routed by %d interrupt-map entries\n", pci_host.nintx);

	pci_nfuncs = pci_enumerate(&pci_host, pci_funcs, PCI_MAX_FUNCS);
	pci_assign_below(&pci_host, pci_funcs, pci_nfuncs, -1);
	unsigned last_bus = pci_host.bus_first;
	for (int i = 0; i < pci_nfuncs; i++)
		if (pci_funcs[i].subordinate > last_bus)
			last_bus = pci_funcs[i].subordinate;
	kprintf("pci: %d function%s on bus %02x", pci_nfuncs, pci_nfuncs == 1 ? "" : "s",
	        pci_host.bus_first);
	if (last_bus != pci_host.bus_first)
		kprintf(" and the buses behind its bridges, %02x-%02x", pci_host.bus_first + 1,
		        last_bus);
	kprintf("\n");
}

void pci_print_map(void)
{
	if (!have_host) {
		kprintf("pci: no host bridge\n");
		return;
	}
	for (int i = 0; i < pci_nfuncs; i++) {
		const struct pci_func *f = &pci_funcs[i];
		kprintf("pci %02x:%02x.%x: %04x:%04x %s, %s\n", f->bus, f->dev, f->fn, f->vendor,
		        f->device, pci_class_name(f->class, f->subclass),
		        f->claimed                   ? pci_func_use(f)
		        : pci_is_host_bridge(f)      ? "the bridge to the CPU"
		        : f->secondary && f->enabled ? "forwarding to the buses behind it"
		        : f->enabled                 ? "no driver"
		                                     : "disabled");
	}
}
