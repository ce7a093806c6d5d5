// The PCI host bridge from the device tree (devicetree spec 0.4, 2.3.8
// and the PCI bus binding): a node with compatible "pci-host-ecam-generic"
// whose
//   reg                 is the ECAM window (parent address and size cells),
//   bus-range           the buses it decodes,
//   ranges              (phys.hi phys.mid phys.lo, parent address, 2 size
//                       cells) entries; phys.hi bits 24-25 give the space
//                       (1 I/O, 2 32-bit memory, 3 64-bit memory), bit 30
//                       prefetchable,
//   interrupt-map-mask  4 cells ANDed with a child specifier before lookup,
//   interrupt-map       (3 address cells, 1 pin cell, parent phandle,
//                       parent address cells, parent interrupt cells).
// Nothing the tree says is assumed; everything it says is checked.
#include "errno.h"
#include "fdt.h"
#include "lib/string.h"
#include "pci/pci.h"

#define MAX_DEPTH 16

struct prop {
	int node;               // index of the node in tree order
	uint32_t parent_acells; // #address-cells / #size-cells that
	uint32_t parent_scells; // apply to this node's reg and ranges
	const char *name;
	const uint8_t *val;
	uint32_t len;
};

typedef void (*prop_fn)(void *ctx, const struct prop *p);

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t cells(const uint8_t *p, uint32_t n)
{
	return n == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : n == 1 ? be32(p) : 0;
}

// Call fn for every property of every node. Offsets and lengths are checked
// against the header's sizes before use.
static int walk(const void *fdt, prop_fn fn, void *ctx)
{
	const uint8_t *base = fdt;

	if (!fdt || be32(base) != FDT_MAGIC)
		return -EINVAL;
	uint32_t total = be32(base + 4), off_struct = be32(base + 8), off_str = be32(base + 12);
	uint32_t size_str = be32(base + 32), size_struct = be32(base + 36);
	if (total < 40 || off_struct > total || size_struct > total - off_struct ||
	    off_str > total || size_str > total - off_str)
		return -EINVAL;

	const uint8_t *p = base + off_struct, *end = p + size_struct;
	// #address-cells / #size-cells set by the node at each depth, for its
	// children; the defaults are the spec's (2.3.5)
	uint32_t acells[MAX_DEPTH + 1], scells[MAX_DEPTH + 1];
	int depth = 0, node = -1;

	acells[0] = 2;
	scells[0] = 1;
	while (p + 4 <= end) {
		uint32_t tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			size_t len = 0;
			while (p + len < end && p[len])
				len++;
			if (p + len == end || depth == MAX_DEPTH)
				return -EINVAL;
			depth++;
			node++;
			acells[depth] = 2;
			scells[depth] = 1;
			p += (len + 1 + 3) & ~3UL;
		} else if (tok == FDT_END_NODE) {
			if (depth == 0)
				return -EINVAL;
			depth--;
		} else if (tok == FDT_PROP) {
			if (p + 8 > end || depth == 0)
				return -EINVAL;
			struct prop pr = {.node = node, .len = be32(p), .val = p + 8};
			uint32_t nameoff = be32(p + 4);
			if (pr.len > (size_t)(end - pr.val) || nameoff >= size_str)
				return -EINVAL;
			pr.name = (const char *)base + off_str + nameoff;
			// the name must end inside the strings block
			uint32_t n = 0;
			while (nameoff + n < size_str && pr.name[n])
				n++;
			if (nameoff + n == size_str)
				return -EINVAL;
			p = pr.val + ((pr.len + 3) & ~3U);
			if (!strcmp(pr.name, "#address-cells") && pr.len == 4)
				acells[depth] = be32(pr.val);
			else if (!strcmp(pr.name, "#size-cells") && pr.len == 4)
				scells[depth] = be32(pr.val);
			pr.parent_acells = acells[depth - 1];
			pr.parent_scells = scells[depth - 1];
			fn(ctx, &pr);
		} else if (tok == FDT_END) {
			return 0;
		} else if (tok != FDT_NOP) {
			return -EINVAL;
		}
	}
	return 0;
}

// A string list property (compatible) holds want as one of its strings.
static bool strlist_has(const uint8_t *val, uint32_t len, const char *want)
{
	size_t n = strlen(want);

	for (uint32_t i = 0; i < len;) {
		const char *s = (const char *)val + i;
		size_t l = 0;
		while (i + l < len && s[l])
			l++;
		if (l == n && i + l < len && !memcmp(s, want, n))
			return true;
		i += l + 1;
	}
	return false;
}

// Pass 1: which node is the bridge. Pass 2: its properties.
struct host_scan {
	int node; // -1 until found
	uint32_t acells, scells, own_acells, own_scells;
	const uint8_t *reg, *ranges, *bus_range, *map, *map_mask;
	uint32_t reg_len, ranges_len, bus_range_len, map_len, map_mask_len;
};

static void find_host(void *ctx, const struct prop *p)
{
	struct host_scan *s = ctx;

	if (s->node < 0 && !strcmp(p->name, "compatible") &&
	    strlist_has(p->val, p->len, "pci-host-ecam-generic"))
		s->node = p->node;
}

static void read_host(void *ctx, const struct prop *p)
{
	struct host_scan *s = ctx;

	if (p->node != s->node)
		return;
	s->acells = p->parent_acells;
	s->scells = p->parent_scells;
	if (!strcmp(p->name, "reg"))
		s->reg = p->val, s->reg_len = p->len;
	else if (!strcmp(p->name, "ranges"))
		s->ranges = p->val, s->ranges_len = p->len;
	else if (!strcmp(p->name, "bus-range"))
		s->bus_range = p->val, s->bus_range_len = p->len;
	else if (!strcmp(p->name, "interrupt-map"))
		s->map = p->val, s->map_len = p->len;
	else if (!strcmp(p->name, "interrupt-map-mask"))
		s->map_mask = p->val, s->map_mask_len = p->len;
	else if (!strcmp(p->name, "#address-cells") && p->len == 4)
		s->own_acells = be32(p->val);
	else if (!strcmp(p->name, "#size-cells") && p->len == 4)
		s->own_scells = be32(p->val);
}

// The interrupt parent of a map entry: its #address-cells (0 when absent,
// as the interrupt-map binding says) and #interrupt-cells.
struct parent_scan {
	uint32_t phandle;
	int node;
	uint32_t acells, icells;
};

static void find_phandle(void *ctx, const struct prop *p)
{
	struct parent_scan *s = ctx;

	if (s->node < 0 && !strcmp(p->name, "phandle") && p->len == 4 && be32(p->val) == s->phandle)
		s->node = p->node;
}

static void read_parent(void *ctx, const struct prop *p)
{
	struct parent_scan *s = ctx;

	if (p->node != s->node || p->len != 4)
		return;
	if (!strcmp(p->name, "#address-cells"))
		s->acells = be32(p->val);
	else if (!strcmp(p->name, "#interrupt-cells"))
		s->icells = be32(p->val);
}

static int parse_ranges(const struct host_scan *s, struct pci_host *h)
{
	uint32_t entry = 4 * (3 + s->acells + 2);

	if (!s->ranges || s->ranges_len % entry)
		return -EINVAL;
	for (uint32_t i = 0; i < s->ranges_len; i += entry) {
		const uint8_t *e = s->ranges + i;
		uint32_t hi = be32(e);
		struct pci_window w = {
		    .pci = cells(e + 4, 2),
		    .cpu = cells(e + 12, s->acells),
		    .size = cells(e + 12 + 4 * s->acells, 2),
		    .prefetch = hi >> 30 & 1,
		};
		struct pci_window *slot = (hi >> 24 & 3) == 1   ? &h->io
		                          : (hi >> 24 & 3) == 2 ? &h->mem32
		                          : (hi >> 24 & 3) == 3 ? &h->mem64
		                                                : NULL;
		// a window that wraps around is nonsense: ignore it
		if (!slot || w.size == 0 || w.pci + w.size < w.pci || w.cpu + w.size < w.cpu)
			continue;
		// a 32-bit window must lie below 4 GiB in PCI address space
		if (slot == &h->mem32 && w.pci + w.size > (1ULL << 32))
			continue;
		// where the tree gives two windows of one kind, keep the larger
		if (w.size > slot->size) {
			w.next = w.pci;
			// the I/O window starts at PCI address 0; ports below 0x1000
			// are the old ISA range, which we leave unused, as Linux does
			if (slot == &h->io && w.next < 0x1000 && w.pci + w.size > 0x1000)
				w.next = 0x1000;
			*slot = w;
		}
	}
	return 0;
}

static int parse_intx(const void *fdt, const struct host_scan *s, struct pci_host *h)
{
	if (!s->map || !s->map_mask)
		return 0; // no INTx routing: functions get no interrupt
	if (s->map_mask_len != 16)
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		h->intx_mask[i] = be32(s->map_mask + 4 * i);

	struct parent_scan ps = {.phandle = 0, .node = -1};
	for (uint32_t i = 0; i < s->map_len;) {
		if (s->map_len - i < 20)
			return -EINVAL;
		const uint8_t *e = s->map + i;
		uint32_t phandle = be32(e + 16);
		if (phandle != ps.phandle || ps.node < 0) {
			ps = (struct parent_scan){.phandle = phandle, .node = -1};
			walk(fdt, find_phandle, &ps);
			if (ps.node < 0)
				return -EINVAL;
			walk(fdt, read_parent, &ps);
			if (ps.icells == 0 || ps.acells > 3 || ps.icells > 3)
				return -EINVAL;
		}
		uint32_t len = 20 + 4 * (ps.acells + ps.icells);
		if (s->map_len - i < len)
			return -EINVAL;
		if (h->nintx == PCI_MAX_INTX)
			return -EINVAL;
		struct pci_intx_entry *x = &h->intx[h->nintx++];
		for (int c = 0; c < 4; c++)
			x->child[c] = be32(e + 4 * c);
		x->parent = phandle;
		// the first cell of the parent's specifier is the source number
		// (the PLIC has one cell; an APLIC adds the trigger type)
		x->irq = be32(e + 20 + 4 * ps.acells);
		i += len;
	}
	return 0;
}

int pci_host_from_fdt(const void *fdt, struct pci_host *h)
{
	struct host_scan s = {.node = -1};

	memset(h, 0, sizeof(*h));
	if (walk(fdt, find_host, &s) < 0)
		return -EINVAL;
	if (s.node < 0)
		return -ENODEV;
	walk(fdt, read_host, &s);
	// the PCI bus binding fixes the child specifier at 3 address cells
	// and 2 size cells; anything else is not a PCI bus we understand
	if (s.own_acells != 3 || s.own_scells != 2 || s.acells < 1 || s.acells > 2 ||
	    s.scells < 1 || s.scells > 2)
		return -EINVAL;
	if (!s.reg || s.reg_len < 4 * (s.acells + s.scells))
		return -EINVAL;
	h->ecam = cells(s.reg, s.acells);
	h->ecam_size = cells(s.reg + 4 * s.acells, s.scells);

	h->bus_first = 0;
	h->bus_last = 255;
	if (s.bus_range) {
		if (s.bus_range_len != 8)
			return -EINVAL;
		h->bus_first = be32(s.bus_range);
		h->bus_last = be32(s.bus_range + 4);
	}
	// each bus takes 1 MiB of ECAM (32 devices x 8 functions x 4 KiB)
	uint64_t buses = h->ecam_size >> 20;
	if (buses == 0 || h->bus_first > h->bus_last || h->bus_last > 255)
		return -EINVAL;
	if (h->bus_last - h->bus_first + 1 > buses)
		h->bus_last = h->bus_first + buses - 1;
	if (parse_ranges(&s, h) < 0 || parse_intx(fdt, &s, h) < 0)
		return -EINVAL;
	return 0;
}
