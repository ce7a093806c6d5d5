// The fake PCI bus: ECAM decoding, configuration registers with their real
// write semantics, and BAR windows. See fake_pci.h.
#include <string.h>

#ifdef FAKE_NO_CRITERION
#include <stdio.h>
#include <stdlib.h>
#define fake_fail(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#else
#include <criterion/criterion.h>
#define fake_fail(...) cr_assert_fail(__VA_ARGS__)
#endif

#include "fake_mmio.h"
#include "fake_pci.h"
#include "pci/pci.h"

static struct fake_pci_fn fns[FAKE_PCI_SEGS][32][8];
// segment s > 0 sits behind this bridge (NULL: no such segment)
static struct fake_pci_fn *bridge_to[FAKE_PCI_SEGS];

static uint32_t get(const uint8_t *p, unsigned width)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void put(uint8_t *p, unsigned width, uint32_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = v >> (8 * i);
}

void fake_pci_set16(struct fake_pci_fn *f, unsigned off, uint16_t v)
{
	put(f->cfg + off, 2, v);
}

void fake_pci_set32(struct fake_pci_fn *f, unsigned off, uint32_t v)
{
	put(f->cfg + off, 4, v);
}

uint16_t fake_pci_command(const struct fake_pci_fn *f)
{
	return (uint16_t)get(f->cfg + PCI_COMMAND, 2);
}

// The BAR's address as programmed: 64 bits for a 64-bit BAR.
static uint64_t bar_value(const struct fake_pci_fn *f, int i)
{
	uint32_t lo = get(f->cfg + PCI_BAR0 + 4 * i, 4);

	if (f->kind[i] == FAKE_BAR_IO)
		return lo & ~3u;
	uint64_t v = lo & ~0xfu;
	if (f->kind[i] == FAKE_BAR_MEM64)
		v |= (uint64_t)get(f->cfg + PCI_BAR0 + 4 * i + 4, 4) << 32;
	return v;
}

uint64_t fake_pci_bar_cpu(const struct fake_pci_fn *f, int i)
{
	uint16_t cmd = fake_pci_command(f);

	if (f->kind[i] == FAKE_BAR_NONE || bar_value(f, i) == 0)
		return 0;
	if (f->kind[i] == FAKE_BAR_IO)
		return cmd & PCI_CMD_IO ? FAKE_IO_CPU + bar_value(f, i) : 0;
	return cmd & PCI_CMD_MEMORY ? bar_value(f, i) : 0;
}

// A write to configuration space: only the registers the kernel may
// change change. BARs keep the bits their size leaves to software.
static void cfg_write(struct fake_pci_fn *f, unsigned off, unsigned width, uint32_t v)
{
	// a bridge's header (type 1) has two BARs; its bus numbers follow
	unsigned nbars = (f->cfg[PCI_HEADER_TYPE] & 0x7f) == 1 ? 2 : 6;
	if (off >= PCI_BAR0 && off < PCI_BAR0 + 4 * nbars) {
		int i = (off - PCI_BAR0) / 4;
		if (width != 4 || off % 4)
			fake_fail("BAR %d written with a %u-byte access", i, width);
		bool upper = i > 0 && f->kind[i - 1] == FAKE_BAR_MEM64;
		if (upper) {
			uint64_t mask = ~(f->size[i - 1] - 1);
			put(f->cfg + off, 4, v & (uint32_t)(mask >> 32));
			return;
		}
		if (f->kind[i] == FAKE_BAR_NONE)
			return;
		uint32_t flags = get(f->cfg + off, 4) & (f->kind[i] == FAKE_BAR_IO ? 3 : 0xf);
		uint32_t mask =
		    f->size_mask_lo[i] ? f->size_mask_lo[i] : (uint32_t) ~(f->size[i] - 1) & ~flags;
		put(f->cfg + off, 4, (v & mask & ~(f->kind[i] == FAKE_BAR_IO ? 3u : 0xfu)) | flags);
		return;
	}
	if ((f->cfg[PCI_HEADER_TYPE] & 0x7f) == 1 && off >= PCI_BRIDGE_BUSES && off < 0x34) {
		// a bridge's bus numbers and windows; the low four bits of the
		// I/O and prefetchable base and limit say their width, read-only
		for (unsigned i = 0; i < width; i++) {
			unsigned o = off + i;
			uint8_t b = (uint8_t)(v >> (8 * i)), keep = 0;
			if (o == 0x1c || o == 0x1d || o == 0x24 || o == 0x26)
				keep = 0x0f;
			if (o == 0x1b || o == 0x1e || o == 0x1f)
				continue; // latency timer, secondary status
			f->cfg[o] = (uint8_t)((b & ~keep) | (f->cfg[o] & keep));
		}
		return;
	}
	if (off == PCI_COMMAND && width == 2) {
		put(f->cfg + off, 2, v & 0x0547);
		return;
	}
	if (off == PCI_INTERRUPT_LINE && width == 1) {
		f->cfg[off] = v;
		return;
	}
	if (off == PCI_COMMAND && width == 4)
		fake_fail("Command written with a 32-bit store: it would also write Status");
	// everything else is read-only to the kernel here
}

// The bus number segment seg answers at, or -1 while the bridges above
// it do not route configuration cycles there.
static int seg_bus(unsigned seg)
{
	if (seg == 0)
		return 0;
	const struct fake_pci_fn *b = bridge_to[seg];
	if (!b)
		return -1;
	int up = seg_bus(b->seg);
	if (up < 0 || b->cfg[0x18] != up)
		return -1;
	int sec = b->cfg[0x19], sub = b->cfg[0x1a];
	if (sec == 0 || sec > sub)
		return -1;
	// the bridges above must forward sec too
	for (const struct fake_pci_fn *a = bridge_to[b->seg]; a; a = bridge_to[a->seg])
		if (sec < a->cfg[0x19] || sec > a->cfg[0x1a])
			return -1;
	return sec;
}

// Whether the bridges above segment seg forward a CPU access at addr.
static bool forwarded(unsigned seg, uintptr_t addr, bool io)
{
	for (const struct fake_pci_fn *b = bridge_to[seg]; b; b = bridge_to[b->seg]) {
		uint16_t cmd = fake_pci_command(b);
		bool in = false;
		if (io) {
			uint64_t port = addr - FAKE_IO_CPU;
			uint64_t base = (uint64_t)(b->cfg[0x1c] & 0xf0) << 8 |
			                (uint64_t)get(b->cfg + 0x30, 2) << 16;
			uint64_t limit = (uint64_t)(b->cfg[0x1d] & 0xf0) << 8 | 0xfff |
			                 (uint64_t)get(b->cfg + 0x32, 2) << 16;
			in = (cmd & PCI_CMD_IO) && port >= base && port <= limit;
		} else {
			uint64_t mb = (uint64_t)(get(b->cfg + 0x20, 2) & 0xfff0) << 16;
			uint64_t ml = (uint64_t)(get(b->cfg + 0x22, 2) & 0xfff0) << 16 | 0xfffff;
			uint64_t pb = (uint64_t)(get(b->cfg + 0x24, 2) & 0xfff0) << 16 |
			              (uint64_t)get(b->cfg + 0x28, 4) << 32;
			uint64_t pl = (uint64_t)(get(b->cfg + 0x26, 2) & 0xfff0) << 16 | 0xfffff |
			              (uint64_t)get(b->cfg + 0x2c, 4) << 32;
			in = (cmd & PCI_CMD_MEMORY) &&
			     ((addr >= mb && addr <= ml) || (addr >= pb && addr <= pl));
		}
		if (!in)
			return false;
	}
	return true;
}

static struct fake_pci_fn *bar_owner(uintptr_t addr, int *bar, uint32_t *off)
{
	for (unsigned seg = 0; seg < FAKE_PCI_SEGS; seg++)
		for (int d = 0; d < 32; d++)
			for (int fn = 0; fn < 8; fn++) {
				struct fake_pci_fn *f = &fns[seg][d][fn];
				if (!f->present)
					continue;
				for (int i = 0; i < 6; i++) {
					uint64_t cpu = fake_pci_bar_cpu(f, i);
					if (cpu && addr >= cpu && addr - cpu < f->size[i] &&
					    forwarded(seg, addr, f->kind[i] == FAKE_BAR_IO)) {
						*bar = i;
						*off = addr - cpu;
						return f;
					}
				}
			}
	return NULL;
}

struct fake_pci_fn *fake_pci_owner(uintptr_t addr, int *bar)
{
	uint32_t off;
	return bar_owner(addr, bar, &off);
}

static int access(uintptr_t addr, unsigned width, int write, uint32_t *val)
{
	if (addr >= FAKE_ECAM && addr < FAKE_ECAM + FAKE_ECAM_SIZE) {
		uintptr_t rel = addr - FAKE_ECAM;
		unsigned bus = rel >> 20, dev = rel >> 15 & 31, fn = rel >> 12 & 7,
		         off = rel & 0xfff;
		if (off % width)
			fake_fail("unaligned %u-byte configuration access at 0x%x", width, off);
		struct fake_pci_fn *f = NULL;
		for (unsigned seg = 0; seg < FAKE_PCI_SEGS && !f; seg++)
			if (seg_bus(seg) == (int)bus)
				f = &fns[seg][dev][fn];
		if (!f || !f->present) {
			// nothing there: reads are all ones, writes vanish
			if (!write)
				*val = width == 4 ? 0xffffffff : width == 2 ? 0xffff : 0xff;
			return 1;
		}
		if (write)
			cfg_write(f, off, width, *val);
		else
			*val = off < 256 ? get(f->cfg + off, width) : 0;
		return 1;
	}
	int bar;
	uint32_t off;
	struct fake_pci_fn *f = bar_owner(addr, &bar, &off);
	if (!f)
		return 0; // not ours: fake_mmio decides
	if (!f->ops) {
		if (!write)
			*val = 0;
		return 1;
	}
	if (write)
		f->ops->write(f, bar, off, width, *val);
	else
		*val = f->ops->read(f, bar, off, width);
	return 1;
}

void fake_pci_reset(void)
{
	memset(fns, 0, sizeof(fns));
	memset(bridge_to, 0, sizeof(bridge_to));
	fake_mmio_other = access;
}

struct fake_pci_fn *fake_pci_add(unsigned dev, unsigned fn, uint16_t vendor, uint16_t device,
                                 uint8_t class, uint8_t subclass)
{
	return fake_pci_add_on(0, dev, fn, vendor, device, class, subclass);
}

struct fake_pci_fn *fake_pci_bridge(unsigned seg, unsigned dev, unsigned behind, bool pref64)
{
	if (behind == 0 || behind >= FAKE_PCI_SEGS || bridge_to[behind])
		fake_fail("fake_pci_bridge: segment %u is taken or out of range", behind);
	struct fake_pci_fn *b = fake_pci_add_on(seg, dev, 0, 0x1b36, 0x0001, 0x06, 0x04);
	b->cfg[PCI_HEADER_TYPE] = 1;
	b->behind = behind;
	b->cfg[0x1c] = b->cfg[0x1d] = 1; // 32-bit I/O addressing
	if (pref64)
		b->cfg[0x24] = b->cfg[0x26] = 1;
	bridge_to[behind] = b;
	return b;
}

struct fake_pci_fn *fake_pci_add_on(unsigned seg, unsigned dev, unsigned fn, uint16_t vendor,
                                    uint16_t device, uint8_t class, uint8_t subclass)
{
	if (seg >= FAKE_PCI_SEGS)
		fake_fail("fake_pci_add_on: no segment %u", seg);
	struct fake_pci_fn *f = &fns[seg][dev][fn];

	memset(f, 0, sizeof(*f));
	f->present = true;
	f->seg = seg;
	f->dev = dev;
	f->fn = fn;
	put(f->cfg + PCI_VENDOR_ID, 2, vendor);
	put(f->cfg + PCI_DEVICE_ID, 2, device);
	f->cfg[PCI_CLASS] = class;
	f->cfg[PCI_SUBCLASS] = subclass;
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->next_cap = 0x40;
	return f;
}

void fake_pci_bar(struct fake_pci_fn *f, int i, enum fake_bar_kind kind, uint64_t size,
                  bool prefetch)
{
	f->kind[i] = kind;
	f->size[i] = size;
	f->prefetch[i] = prefetch;
	uint32_t flags = kind == FAKE_BAR_IO      ? 1
	                 : kind == FAKE_BAR_MEM64 ? 4 | (prefetch ? 8 : 0)
	                                          : (prefetch ? 8 : 0);
	put(f->cfg + PCI_BAR0 + 4 * i, 4, flags);
}

uint8_t fake_pci_cap(struct fake_pci_fn *f, const void *body, uint8_t len)
{
	uint8_t at = f->next_cap;

	if (at + len > 256)
		fake_fail("capabilities overflow the configuration space");
	memcpy(f->cfg + at, body, len);
	f->cfg[at + 1] = 0;
	if (f->last_cap)
		f->cfg[f->last_cap + 1] = at;
	else
		f->cfg[PCI_CAP_PTR] = at;
	f->last_cap = at;
	put(f->cfg + PCI_STATUS, 2, get(f->cfg + PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	f->next_cap = (at + len + 3) & ~3;
	return at;
}
