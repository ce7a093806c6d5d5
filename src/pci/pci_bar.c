// BARs (PCI 3.0, 6.2.5.1). Nobody has placed them: OpenSBI leaves PCI
// alone, so every BAR reads 0 and every function has decoding off. For
// each BAR we
//   1. write all ones and read back: the bits the device keeps at 0 are
//      the address bits it decodes itself, so size = ~mask + 1
//      (0xffffc00c read back from a 64-bit memory BAR with a 0xffffffff
//      upper half: mask 0xffffffffffffc000, size 16 KiB);
//   2. take the next free address in the window of its kind, aligned to
//      its size (a BAR decodes only naturally aligned addresses);
//   3. write that PCI address into the BAR.
// Then the Command register turns on I/O and memory decoding and bus
// mastering (the device may then read and write our memory: the rings).
#include "console.h"
#include "errno.h"
#include "fdt.h"
#include "pci/pci.h"

static const char *kind_name(const struct pci_bar *b)
{
	switch (b->kind) {
	case PCI_BAR_IO: return "I/O";
	case PCI_BAR_MEM32: return b->prefetch ? "32-bit prefetchable memory" : "32-bit memory";
	case PCI_BAR_MEM64: return b->prefetch ? "64-bit prefetchable memory" : "64-bit memory";
	default: return "none";
	}
}

// "16 KiB", "1 MiB", "32 B": sizes are powers of two by now
static void print_size(uint64_t size)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;

	while (size >= 1024 && u < 4 && size % 1024 == 0) {
		size /= 1024;
		u++;
	}
	kprintf("%lu %s", (unsigned long)size, units[u]);
}

// Step 1. Returns the BAR's size (0: not implemented) and fills b's kind;
// -EIO for a mask that is no power of two. *is64 tells the caller the
// next BAR is this one's upper half.
static int64_t size_bar(const struct pci_func *f, int i, struct pci_bar *b, bool *is64)
{
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t orig = pci_cfg_read32(f, off);
	uint64_t mask;

	*is64 = false;
	pci_cfg_write32(f, off, 0xffffffff);
	uint32_t lo = pci_cfg_read32(f, off);
	pci_cfg_write32(f, off, orig);
	if (lo == 0)
		return 0; // a BAR the device does not implement reads 0
	if (lo & 1) {
		b->kind = PCI_BAR_IO;
		// bits 0-1 are flags; a 16-bit decoder leaves the upper half 0
		mask = lo & ~3u;
		if (!(mask >> 16))
			mask |= 0xffff0000u;
		mask |= 0xffffffff00000000ull;
	} else {
		unsigned type = lo >> 1 & 3;
		b->prefetch = lo >> 3 & 1;
		mask = 0xffffffff00000000ull | (lo & ~0xfu);
		if (type == 2) {
			if (i == 5)
				return -EIO; // the upper half would be past BAR 5
			*is64 = true;
			b->kind = PCI_BAR_MEM64;
			uint32_t orig_hi = pci_cfg_read32(f, off + 4);
			pci_cfg_write32(f, off + 4, 0xffffffff);
			uint32_t hi = pci_cfg_read32(f, off + 4);
			pci_cfg_write32(f, off + 4, orig_hi);
			mask = (uint64_t)hi << 32 | (lo & ~0xfu);
		} else if (type == 0 || type == 1) {
			b->kind = PCI_BAR_MEM32; // type 1 (below 1 MiB) is obsolete
		} else {
			return -EIO; // type 3 is reserved
		}
	}
	uint64_t size = ~mask + 1;
	// the decoded bits must be one contiguous run from the top
	if (size == 0 || (size & (size - 1)))
		return -EIO;
	b->size = size;
	return (int64_t)(size > INT64_MAX ? INT64_MAX : size);
}

// Step 2: the next aligned address in w, or 0 when it does not fit.
static uint64_t take(struct pci_window *w, uint64_t size)
{
	if (w->size == 0 || size > w->size)
		return 0;
	uint64_t addr = (w->next + size - 1) & ~(size - 1);
	if (addr < w->next || addr - w->pci > w->size - size)
		return 0;
	w->next = addr + size;
	return addr;
}

// Which window a BAR goes to: I/O into the I/O window; a 64-bit BAR into
// the 64-bit window if there is one and it fits, else below 4 GiB; a
// 32-bit BAR only below 4 GiB. A prefetchable window takes only
// prefetchable BARs (reads there may be merged or repeated).
// Behind a bridge a 64-bit address is forwarded only by its prefetchable
// window (pci_bridge.c), so a BAR that is not prefetchable, or any BAR
// behind a bridge without a 64-bit window, stays below 4 GiB.
static struct pci_window *place(struct pci_host *h, const struct pci_func *f, struct pci_bar *b)
{
	struct pci_window *order[2] = {0, 0};
	bool below_4g = f->mem32_only || (f->behind && !b->prefetch);

	if (b->kind == PCI_BAR_IO)
		order[0] = &h->io;
	else if (b->kind == PCI_BAR_MEM64 && !below_4g)
		order[0] = &h->mem64, order[1] = &h->mem32;
	else
		order[0] = &h->mem32;
	for (int i = 0; i < 2; i++) {
		struct pci_window *w = order[i];
		if (!w || (w->prefetch && !b->prefetch))
			continue;
		uint64_t addr = take(w, b->size);
		if (addr) {
			b->pci = addr;
			b->cpu = w->cpu + (addr - w->pci);
			return w;
		}
	}
	return NULL;
}

int pci_assign(struct pci_host *h, struct pci_func *f)
{
	uint16_t cmd = pci_cfg_read16(f, PCI_COMMAND);
	bool io = false, mem = false;
	// a bridge's header (type 1) has two BARs, then its bus numbers
	int nbars = pci_is_bridge(f) ? 2 : 6;

	if ((f->header_type & 0x7f) > 1)
		return 0; // a header we do not know: left alone
	// no decoding while a BAR holds all ones: the device would answer at
	// addresses nobody gave it
	pci_cfg_write16(f, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER));
	for (int i = 0; i < nbars; i++) {
		struct pci_bar *b = &f->bar[i];
		bool is64;
		*b = (struct pci_bar){0};
		int64_t size = size_bar(f, i, b, &is64);
		if (size < 0) {
			kprintf("pci %02x:%02x.%x: BAR %d: size mask is not a power of two; "
			        "function left disabled\n",
			        f->bus, f->dev, f->fn, i);
			return -EIO;
		}
		if (size == 0)
			continue;
		if (!place(h, f, b)) {
			kprintf("pci %02x:%02x.%x: BAR %d (%s, ", f->bus, f->dev, f->fn, i,
			        kind_name(b));
			print_size(b->size);
			kprintf(") does not fit any window; function left disabled\n");
			b->cpu = 0;
			return -ENOSPC;
		}
		unsigned off = PCI_BAR0 + 4 * i;
		pci_cfg_write32(f, off, (uint32_t)b->pci);
		if (is64)
			pci_cfg_write32(f, off + 4, (uint32_t)(b->pci >> 32));
		io |= b->kind == PCI_BAR_IO;
		mem |= b->kind != PCI_BAR_IO;
		kprintf("pci %02x:%02x.%x: BAR %d: %s at 0x%lx", f->bus, f->dev, f->fn, i,
		        kind_name(b), (unsigned long)b->cpu);
		if (b->kind == PCI_BAR_IO)
			kprintf(" (port 0x%lx)", (unsigned long)b->pci);
		kprintf(", ");
		print_size(b->size);
		kprintf("\n");
		if (is64)
			i++; // the next BAR was this one's upper half
	}
	// decoding only: bus mastering would let the function read and write
	// our memory, and that waits for a driver to take it (pci_set_master)
	cmd &= ~(PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
	cmd |= (io ? PCI_CMD_IO : 0) | (mem ? PCI_CMD_MEMORY : 0);
	pci_cfg_write16(f, PCI_COMMAND, cmd);
	f->irq = pci_intx_irq(h, f);
	f->enabled = true;
	if (f->pin >= 1 && f->pin <= 4 && f->irq < 0) {
		kprintf("pci %02x:%02x.%x: INT%c -> an interrupt controller this kernel does not "
		        "drive (polled)\n",
		        f->bus, f->dev, f->fn, 'A' + f->pin - 1);
	} else if (f->pin >= 1 && f->pin <= 4) {
		kprintf("pci %02x:%02x.%x: INT%c -> %s source %d", f->bus, f->dev, f->fn,
		        'A' + f->pin - 1, irq_chip_name(), f->irq);
		if (f->behind)
			kprintf(" (INT%c of %02x:%02x.%x on the root bus)", 'A' + f->route_pin - 1,
			        f->route_bus, f->route_dev, f->route_fn);
		kprintf("\n");
	}
	return 0;
}

void pci_set_master(const struct pci_func *f)
{
	pci_cfg_write16(f, PCI_COMMAND, pci_cfg_read16(f, PCI_COMMAND) | PCI_CMD_MASTER);
}
