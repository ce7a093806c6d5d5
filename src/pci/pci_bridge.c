// PCI-to-PCI bridges (PCI-to-PCI Bridge Architecture 1.2; a PCIe root
// port or a QEMU pci-bridge looks the same to software). Nobody has set
// one up, so a bridge forwards nothing until we give it
//   - bus numbers: primary (its own bus), secondary (the bus behind it)
//     and subordinate (the last bus behind it): configuration cycles for
//     buses secondary..subordinate go through;
//   - windows: one I/O range (4 KiB units), one memory range below 4 GiB
//     (1 MiB units) and one prefetchable range, 64-bit when the bridge
//     says so. A memory access goes down through the bridge only inside a
//     window, so everything behind it is placed inside them;
//   - the Command register's I/O, memory and bus-master bits: the last
//     lets the devices behind it reach our memory (their DMA goes up
//     through the bridge).
// Interrupts: a device behind a bridge raises INTx on the bridge's pin
// rotated by its device number, ((pin - 1 + dev) % 4) + 1, the swizzle,
// bridge after bridge up to the root bus, where the device tree's
// interrupt-map takes the root-bus bridge's address and the final pin.
#include "console.h"
#include "errno.h"
#include "pci/pci.h"

#define IO_GRAIN  0x1000UL
#define MEM_GRAIN 0x100000UL

static unsigned swizzle(unsigned pin, unsigned dev)
{
	return (pin - 1 + dev) % 4 + 1;
}

int pci_bridge_open(const struct pci_host *h, struct pci_func *b, unsigned bus, int depth)
{
	if (bus > h->bus_last || !pci_ecam_addr(h, bus, 0, 0)) {
		kprintf("pci %02x:%02x.%x: PCI-to-PCI bridge: no bus number left for it (buses "
		        "%02x-%02x); not scanned\n",
		        b->bus, b->dev, b->fn, h->bus_first, h->bus_last);
		return -ENOSPC;
	}
	if (depth > PCI_MAX_DEPTH) {
		kprintf("pci %02x:%02x.%x: PCI-to-PCI bridge %d deep, more than %d; not scanned\n",
		        b->bus, b->dev, b->fn, depth, PCI_MAX_DEPTH);
		return -ELOOP;
	}
	b->secondary = (uint8_t)bus;
	// subordinate 0xff while the buses behind are scanned, so that the
	// configuration cycles of any bridge further down still get through;
	// pci_bridge_close narrows it
	pci_cfg_write32(b, PCI_BRIDGE_BUSES, 0xffU << 16 | bus << 8 | b->bus);
	if (!b->behind) {
		// on the root bus: its own pins are the ones the map knows
		b->route_bus = b->bus, b->route_dev = b->dev, b->route_fn = b->fn;
		for (unsigned p = 1; p <= 4; p++)
			b->pinmap[p] = (uint8_t)p;
	}
	// bits 0-3 of the prefetchable base say 64-bit (1) or 32-bit (0)
	b->pref64 = (pci_cfg_read16(b, PCI_BRIDGE_PREF) & 0xf) == 1;
	return 0;
}

void pci_bridge_route(const struct pci_func *b, struct pci_func *c)
{
	c->behind = true;
	c->route_bus = b->route_bus, c->route_dev = b->route_dev, c->route_fn = b->route_fn;
	c->route_pin = c->pin >= 1 && c->pin <= 4 ? b->pinmap[swizzle(c->pin, c->dev)] : 0;
	for (unsigned p = 1; p <= 4; p++)
		c->pinmap[p] = b->pinmap[swizzle(p, c->dev)];
	// a 64-bit address is forwarded only by a 64-bit prefetchable window
	c->mem32_only = b->mem32_only || !b->pref64;
}

void pci_bridge_close(struct pci_func *b, unsigned last_bus)
{
	b->subordinate = (uint8_t)last_bus;
	pci_cfg_write32(b, PCI_BRIDGE_BUSES, last_bus << 16 | (unsigned)b->secondary << 8 | b->bus);
	kprintf("pci %02x:%02x.%x: PCI-to-PCI bridge to bus%s %02x", b->bus, b->dev, b->fn,
	        last_bus == b->secondary ? "" : "es", b->secondary);
	if (last_bus != b->secondary)
		kprintf("-%02x", last_bus);
	kprintf("\n");
}

static void align_window(struct pci_window *w, uint64_t grain)
{
	if (w->size)
		w->next = (w->next + grain - 1) & ~(grain - 1);
}

// Program one window of b from what was placed behind it, [from, to) in
// PCI addresses; an empty one is closed (base above limit).
static void set_io(struct pci_func *b, uint64_t from, uint64_t to)
{
	bool io32 = (pci_cfg_read16(b, PCI_BRIDGE_IO_BASE) & 0xf) == 1;
	uint64_t base = to > from ? from : 0xf000, limit = to > from ? to - 1 : 0;

	pci_cfg_write16(b, PCI_BRIDGE_IO_BASE,
	                (uint16_t)((limit >> 8 & 0xf0) << 8 | (base >> 8 & 0xf0)));
	if (io32)
		pci_cfg_write32(b, PCI_BRIDGE_IO_UPPER,
		                (uint32_t)((limit >> 16) << 16 | base >> 16));
}

static void set_mem(struct pci_func *b, unsigned off, uint64_t from, uint64_t to)
{
	uint64_t base = to > from ? from : 0xfff00000, limit = to > from ? to - 1 : 0;

	pci_cfg_write32(b, off, (uint32_t)((limit >> 16 & 0xfff0) << 16 | (base >> 16 & 0xfff0)));
	if (off == PCI_BRIDGE_PREF && b->pref64) {
		pci_cfg_write32(b, PCI_BRIDGE_PREF + 4, (uint32_t)(base >> 32));
		pci_cfg_write32(b, PCI_BRIDGE_PREF + 8, (uint32_t)(limit >> 32));
	}
}

static void print_window(const char *what, uint64_t from, uint64_t to)
{
	if (to > from)
		kprintf(", %s 0x%lx-0x%lx", what, (unsigned long)from, (unsigned long)(to - 1));
}

// b's own BARs (on its primary bus, so outside its windows), then
// everything behind it, each window starting and ending on its grain so
// that nothing else lands inside, then the windows and forwarding.
static void assign_bridge(struct pci_host *h, struct pci_func *out, int n, int i)
{
	struct pci_func *b = &out[i];

	if (pci_assign(h, b) < 0)
		return; // its message is out; nothing behind it is reachable
	uint16_t cmd = pci_cfg_read16(b, PCI_COMMAND);
	pci_cfg_write16(b, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER));
	align_window(&h->io, IO_GRAIN);
	align_window(&h->mem32, MEM_GRAIN);
	align_window(&h->mem64, MEM_GRAIN);
	uint64_t io0 = h->io.next, mem0 = h->mem32.next, pref0 = h->mem64.next;
	pci_assign_below(h, out, n, i);
	align_window(&h->io, IO_GRAIN);
	align_window(&h->mem32, MEM_GRAIN);
	align_window(&h->mem64, MEM_GRAIN);
	uint64_t io1 = h->io.next, mem1 = h->mem32.next, pref1 = h->mem64.next;
	set_io(b, io0, io1);
	set_mem(b, PCI_BRIDGE_MEM_BASE, mem0, mem1);
	set_mem(b, PCI_BRIDGE_PREF, pref0, pref1);
	pci_cfg_write16(b, PCI_COMMAND, cmd | PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER);
	kprintf("pci %02x:%02x.%x: bridge forwards", b->bus, b->dev, b->fn);
	print_window("I/O", io0, io1);
	print_window("memory", h->mem32.cpu + (mem0 - h->mem32.pci),
	             h->mem32.cpu + (mem1 - h->mem32.pci));
	print_window("64-bit memory", h->mem64.cpu + (pref0 - h->mem64.pci),
	             h->mem64.cpu + (pref1 - h->mem64.pci));
	if (io1 == io0 && mem1 == mem0 && pref1 == pref0)
		kprintf(" nothing (no BAR behind it)");
	kprintf("\n");
}

void pci_assign_below(struct pci_host *h, struct pci_func *out, int n, int parent)
{
	for (int i = 0; i < n; i++) {
		struct pci_func *f = &out[i];
		if (f->parent != parent)
			continue;
		// the host bridge itself has nothing for us to place
		if (pci_is_host_bridge(f))
			continue;
		if (pci_is_bridge(f) && f->secondary)
			assign_bridge(h, out, n, i);
		else
			pci_assign(h, f);
	}
}
