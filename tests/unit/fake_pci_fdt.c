// A flattened device tree (devicetree spec 0.4, chapter 5) shaped like the
// one QEMU's virt board hands the kernel, with the PCI host bridge of
// hw/riscv/virt.c: ECAM at 0x30000000, I/O, 32-bit and 64-bit windows, and
// the 16-entry interrupt map that rotates INTA-D across PLIC 32-35.
#include <string.h>

#include "fake_pci.h"

struct builder {
	uint8_t *out;
	size_t cap;
	uint8_t st[4096];
	size_t slen;
	char strs[512];
	size_t strlen_;
};

static void be32_put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24, p[1] = v >> 16, p[2] = v >> 8, p[3] = v;
}

static void word(struct builder *b, uint32_t v)
{
	be32_put(b->st + b->slen, v);
	b->slen += 4;
}

static void bytes(struct builder *b, const void *p, size_t n)
{
	memcpy(b->st + b->slen, p, n);
	memset(b->st + b->slen + n, 0, (4 - n % 4) % 4);
	b->slen += (n + 3) & ~3UL;
}

static void begin(struct builder *b, const char *name)
{
	word(b, 1);
	bytes(b, name, strlen(name) + 1);
}

static void end(struct builder *b)
{
	word(b, 2);
}

static uint32_t string_off(struct builder *b, const char *name)
{
	for (size_t i = 0; i < b->strlen_; i += strlen(b->strs + i) + 1)
		if (!strcmp(b->strs + i, name))
			return i;
	uint32_t off = b->strlen_;
	strcpy(b->strs + off, name);
	b->strlen_ += strlen(name) + 1;
	return off;
}

static void prop(struct builder *b, const char *name, const void *val, size_t len)
{
	word(b, 3);
	word(b, len);
	word(b, string_off(b, name));
	bytes(b, val, len);
}

static void cells(struct builder *b, const char *name, const uint32_t *c, size_t n)
{
	uint8_t tmp[512];

	for (size_t i = 0; i < n; i++)
		be32_put(tmp + 4 * i, c[i]);
	prop(b, name, tmp, 4 * n);
}

static void cell(struct builder *b, const char *name, uint32_t v)
{
	cells(b, name, &v, 1);
}

static void pci_node(struct builder *b, const struct fake_fdt_opts *o)
{
	static const char compat[] = "pci-host-ecam-generic";
	uint64_t m32 = o->mem32_size ? o->mem32_size : FAKE_MEM32_SIZE;

	begin(b, "pci@30000000");
	cell(b, "#address-cells", 3);
	cell(b, "#size-cells", 2);
	cell(b, "#interrupt-cells", 1);
	prop(b, "compatible", compat, sizeof(compat));
	prop(b, "device_type", "pci", 4);
	uint32_t bus_range[2] = {0, 0xff};
	cells(b, "bus-range", bus_range, 2);
	uint32_t reg[4] = {0, FAKE_ECAM, 0, FAKE_ECAM_SIZE};
	cells(b, "reg", reg, 4);
	uint32_t ranges[21] = {
	    0x01000000,
	    0,
	    0,
	    0,
	    FAKE_IO_CPU,
	    0,
	    FAKE_IO_SIZE,
	    0x02000000,
	    0,
	    FAKE_MEM32,
	    0,
	    FAKE_MEM32,
	    (uint32_t)(m32 >> 32),
	    (uint32_t)m32,
	    0x03000000,
	    4,
	    0,
	    4,
	    0,
	    4,
	    0,
	};
	cells(b, "ranges", ranges, o->bad_ranges ? 20 : o->no_mem64 ? 14 : 21);
	if (!o->no_intx) {
		uint32_t mask[4] = {0x1800, 0, 0, 7};
		cells(b, "interrupt-map-mask", mask, 4);
		uint32_t map[16 * 6];
		for (int dev = 0; dev < 4; dev++)
			for (int pin = 0; pin < 4; pin++) {
				uint32_t *e = map + 6 * (dev * 4 + pin);
				e[0] = dev << 11, e[1] = 0, e[2] = 0, e[3] = pin + 1;
				e[4] = o->bad_phandle ? 99 : 3;
				e[5] = 32 + (dev + pin) % 4;
			}
		cells(b, "interrupt-map", map, 16 * 6);
	}
	end(b);
}

size_t fake_pci_fdt(void *buf, size_t cap, const struct fake_fdt_opts *o)
{
	static struct builder b;
	static const char plic_compat[] = "sifive,plic-1.0.0";

	memset(&b, 0, sizeof(b));
	begin(&b, "");
	cell(&b, "#address-cells", 2);
	cell(&b, "#size-cells", 2);
	begin(&b, "soc");
	cell(&b, "#address-cells", 2);
	cell(&b, "#size-cells", 2);
	begin(&b, "plic@c000000");
	prop(&b, "compatible", plic_compat, sizeof(plic_compat));
	cell(&b, "#address-cells", 0);
	cell(&b, "#interrupt-cells", 1);
	cell(&b, "phandle", 3);
	end(&b);
	if (!o->no_host)
		pci_node(&b, o);
	end(&b);
	end(&b);
	word(&b, 9);

	// header (5.2): magic, totalsize, struct, strings, rsvmap, version 17,
	// last compatible 16, boot cpu, strings size, struct size
	size_t hdr = 40, rsv = 16;
	size_t total = hdr + rsv + b.slen + b.strlen_;
	uint8_t *out = buf;
	if (total > cap)
		return 0;
	memset(out, 0, total);
	uint32_t h[10] = {0xd00dfeed, total, hdr + rsv, hdr + rsv + b.slen, hdr,
	                  17,         16,    0,         b.strlen_,          b.slen};
	for (int i = 0; i < 10; i++)
		be32_put(out + 4 * i, h[i]);
	memcpy(out + hdr + rsv, b.st, b.slen);
	memcpy(out + hdr + rsv + b.slen, b.strs, b.strlen_);
	return total;
}
