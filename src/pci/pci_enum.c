// Lab 10: enumeration. Every function answers at a fixed ECAM address;
// a Vendor ID of 0xffff means nothing is there. Function 0 of a device
// says in its Header Type whether functions 1-7 exist (bit 7, PCI 3.0
// 6.2.1), and type 1 is a PCI-to-PCI bridge with more buses behind it,
// which pci_bridge.c numbers and this file scans in turn.
#include "console.h"
#include "pci/pci.h"
#include "virtio/pci_regs.h"
#include "virtio/virtio.h"

static void read_ids(struct pci_func *f)
{
	f->vendor = pci_cfg_read16(f, PCI_VENDOR_ID);
	f->device = pci_cfg_read16(f, PCI_DEVICE_ID);
	f->revision = pci_cfg_read8(f, PCI_REVISION_ID);
	f->progif = pci_cfg_read8(f, PCI_PROG_IF);
	f->subclass = pci_cfg_read8(f, PCI_SUBCLASS);
	f->class = pci_cfg_read8(f, PCI_CLASS);
	f->header_type = pci_cfg_read8(f, PCI_HEADER_TYPE);
	if ((f->header_type & 0x7f) == 0) {
		f->subsys_vendor = pci_cfg_read16(f, PCI_SUBSYS_VENDOR);
		f->subsys_id = pci_cfg_read16(f, PCI_SUBSYS_ID);
		f->pin = pci_cfg_read8(f, PCI_INTERRUPT_PIN);
	}
}

// One line per function: where, who, what, and for virtio which device.
static void print_func(const struct pci_func *f)
{
	kprintf("pci %02x:%02x.%x: %04x:%04x class %02x.%02x %s", f->bus, f->dev, f->fn, f->vendor,
	        f->device, f->class, f->subclass, pci_class_name(f->class, f->subclass));
	uint32_t vid = virtio_pci_device_id(f->vendor, f->device, f->subsys_id);
	if (vid)
		kprintf(", virtio %s (%s)", virtio_device_name(vid),
		        f->device >= VIRTIO_PCI_MODERN_BASE ? "modern" : "transitional");
	kprintf("\n");
}

// The functions on one bus, appended to out[n..max): returns the new n.
// parent is the bridge in front of the bus (-1 for the root bus).
static int scan_bus(struct pci_host *h, unsigned bus, int parent, struct pci_func *out, int n,
                    int max)
{
	/* BEGIN LAB 10 SOLUTION */
	for (unsigned dev = 0; dev < 32; dev++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			struct pci_func probe = {
			    .bus = bus, .dev = dev, .fn = fn, .irq = -1, .parent = parent};
			probe.cfg = pci_ecam_addr(h, bus, dev, fn);
			if (!probe.cfg)
				return n; // a bus outside the ECAM window
			if (pci_cfg_read16(&probe, PCI_VENDOR_ID) == PCI_VENDOR_NONE) {
				// no function 0: no device in this slot at all
				if (fn == 0)
					break;
				continue;
			}
			if (n == max) {
				kprintf("pci: more than %d functions; the rest are ignored\n", max);
				return n;
			}
			struct pci_func *f = &out[n++];
			*f = probe;
			read_ids(f);
			print_func(f);
			if ((f->header_type & 0x7f) > 1)
				kprintf("pci %02x:%02x.%x: header type %u unknown, left alone\n",
				        f->bus, f->dev, f->fn, f->header_type & 0x7f);
			// functions 1-7 exist only on a multi-function device
			if (fn == 0 && !(f->header_type & PCI_HEADER_MULTI))
				break;
		}
	}
	/* END LAB 10 SOLUTION */
	/* BEGIN LAB 10 STUB
	// TODO(lab 10): for each device 0-31 and function 0-7 on `bus`, read the
	// Vendor ID through ECAM (pci_ecam_addr, pci_cfg_read16); skip 0xffff,
	// fill out[n] with read_ids() (its parent is `parent`), print it with
	// print_func(). Read lab-guides/lab10-pci.md, "Step 2: enumeration".
	(void)h;
	(void)bus;
	(void)parent;
	(void)max;
	(void)out;
	(void)read_ids;
	(void)print_func;
	END LAB 10 STUB */
	return n;
}

// Behind each bridge among out[first..end): the next bus number, that
// bus's functions, and the buses behind its own bridges, depth first. So
// every bridge's buses are one run, secondary..subordinate, as a bridge
// forwards them. With bridges A and B on bus 0 and C behind A:
//   A gets bus 1 (C, on it, gets bus 2; A's run is 1-2), B gets bus 3.
static int scan_below(struct pci_host *h, struct pci_func *out, int first, int end, int max,
                      unsigned *next_bus, int depth)
{
	int n = end;

	for (int i = first; i < end; i++) {
		if (!pci_is_bridge(&out[i]))
			continue;
		if (pci_bridge_open(h, &out[i], *next_bus, depth) < 0)
			continue;
		int before = n;
		n = scan_bus(h, (*next_bus)++, i, out, n, max);
		for (int j = before; j < n; j++)
			pci_bridge_route(&out[i], &out[j]);
		n = scan_below(h, out, before, n, max, next_bus, depth + 1);
		pci_bridge_close(&out[i], *next_bus - 1);
	}
	return n;
}

int pci_enumerate(struct pci_host *h, struct pci_func *out, int max)
{
	unsigned next_bus = h->bus_first + 1;
	int n = scan_bus(h, h->bus_first, -1, out, 0, max);

	return scan_below(h, out, 0, n, max, &next_bus, 1);
}

const char *pci_class_name(uint8_t class, uint8_t subclass)
{
	// base classes from the PCI Code and ID Assignment specification
	static const char *const names[] = {
	    "unclassified device",
	    "mass storage controller",
	    "network controller",
	    "display controller",
	    "multimedia controller",
	    "memory controller",
	    "bridge",
	    "communication controller",
	    "system peripheral",
	    "input device controller",
	    "docking station",
	    "processor",
	    "serial bus controller",
	    "wireless controller",
	};

	if (class == 0x06 && subclass == 0x00)
		return "host bridge";
	if (class == 0x06 && subclass == 0x04)
		return "PCI-to-PCI bridge";
	if (class == 0xff)
		return "other device";
	if (class < sizeof(names) / sizeof(names[0]))
		return names[class];
	return "unknown class";
}
