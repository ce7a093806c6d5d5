// Configuration space through ECAM (PCIe 4.0, 7.2.2), the capability list
// and the INTx lookup. ECAM gives every function 4 KiB of configuration
// registers at a fixed address:
//
//   ecam + ((bus - bus_first) << 20 | dev << 15 | fn << 12) + offset
//
// so 00:01.0's vendor ID on QEMU virt is at 0x30000000 + 0x8000 = 0x30008000,
// and 00:02.0's Interrupt Pin at 0x30010000 + 0x3d.
#include "errno.h"
#include "hw/mmio.h"
#include "pci/pci.h"

uintptr_t pci_ecam_addr(const struct pci_host *h, unsigned bus, unsigned dev, unsigned fn)
{
	if (bus < h->bus_first || bus > h->bus_last || dev > 31 || fn > 7)
		return 0;
	return h->ecam + ((uintptr_t)(bus - h->bus_first) << 20 | dev << 15 | fn << 12);
}

// Configuration registers are naturally aligned, so each access uses the
// width of its field: a 16-bit Command register is written with a 16-bit
// store and never disturbs the Status register beside it.
uint8_t pci_cfg_read8(const struct pci_func *f, unsigned off)
{
	return mmio_read8(f->cfg + off);
}

uint16_t pci_cfg_read16(const struct pci_func *f, unsigned off)
{
	return mmio_read16(f->cfg + off);
}

uint32_t pci_cfg_read32(const struct pci_func *f, unsigned off)
{
	return mmio_read32(f->cfg + off);
}

void pci_cfg_write16(const struct pci_func *f, unsigned off, uint16_t v)
{
	mmio_write16(f->cfg + off, v);
}

void pci_cfg_write32(const struct pci_func *f, unsigned off, uint32_t v)
{
	mmio_write32(f->cfg + off, v);
}

// The list lives in the 192 bytes after the 64-byte header; each entry is
// at least 4 bytes (ID, next, two more), so at most 48 of them fit. A
// pointer is dword aligned (PCI 3.0, 6.7: the bottom two bits are
// reserved and masked off). Anything else the device says is refused:
//   next = 0x00                 -> end of the list
//   next = 0x20                 -> -EIO (inside the header)
//   next = 0x40, 0x40's next = 0x40 -> -EIO on the 49th step (a loop)
// *steps counts the calls of one walk (start it at 0).
int pci_cap_next(const struct pci_func *f, int pos, int *steps)
{
	unsigned next;

	if (++*steps > 48)
		return -EIO;
	if (pos == 0) {
		if (!(pci_cfg_read16(f, PCI_STATUS) & PCI_STATUS_CAP_LIST))
			return 0;
		next = pci_cfg_read8(f, PCI_CAP_PTR) & ~3u;
	} else {
		next = pci_cfg_read8(f, pos + 1) & ~3u;
	}
	if (next == 0)
		return 0;
	if (next < 0x40)
		return -EIO;
	return next;
}

// interrupt-map lookup (devicetree PCI binding): the child specifier is
// (phys.hi = bus << 16 | dev << 11 | fn << 8, phys.mid = 0, phys.lo = 0,
// pin), ANDed with interrupt-map-mask, compared with each entry. QEMU's
// mask keeps only the device number's low two bits and the pin, and its
// map rotates the pins by slot, the usual swizzle: device d's INTA goes to
// PLIC source 32 + (d % 4), its INTB to 32 + (d + 1) % 4, and so on.
int pci_intx_irq(const struct pci_host *h, const struct pci_func *f)
{
	if (f->pin < 1 || f->pin > 4)
		return -1;
	// behind bridges: the root-bus bridge's address, and the pin the
	// swizzles made of ours (pci_bridge.c)
	bool routed = f->behind;
	uint32_t bus = routed ? f->route_bus : f->bus, dev = routed ? f->route_dev : f->dev;
	uint32_t fn = routed ? f->route_fn : f->fn, pin = routed ? f->route_pin : f->pin;
	uint32_t spec[4] = {bus << 16 | dev << 11 | fn << 8, 0, 0, pin};

	for (int i = 0; i < h->nintx; i++) {
		int c = 0;
		while (c < 4 && (spec[c] & h->intx_mask[c]) == h->intx[i].child[c])
			c++;
		if (c == 4 && h->irq_parent && h->intx[i].parent != h->irq_parent)
			return -1; // wired to an interrupt controller we do not drive
		if (c == 4)
			return (int)h->intx[i].irq;
	}
	return -1;
}
