// A minimal device-tree walker (devicetree spec 0.4, chapter 5). The tree
// is big-endian; every offset and length in it is checked against the
// size in its header before use.
#include "errno.h"
#include "fdt.h"
#include "lib/string.h"

struct boot_info boot_info;

extern char __kernel_start[]; // kernel.ld: where the kernel was loaded

// RAM ranges remembered (QEMU virt: one per NUMA node, at most 8).
#define FDT_MAX_RAM 16
struct ram_range {
	uint64_t base, size;
};

// PLIC nodes remembered (QEMU virt: one per NUMA node).
#define FDT_MAX_PLICS 8
struct plic_node {
	uint32_t phandle;
	uint64_t base;
	const uint8_t *ints; // interrupts-extended, in the tree
	uint32_t ints_len;
};

// The PLIC the kernel drives: the one the virtio-mmio nodes name as their
// interrupt parent, where the disks' interrupts go, else the first. With
// QEMU's -numa each node has a PLIC serving its own harts, and the devices
// are wired to one of them, e.g. with two nodes
//   plic@c000000 (phandle 6): hart 0's contexts; the UART's parent
//   plic@c600000 (phandle 5): hart 1's contexts; the virtio devices' parent
// so the kernel drives plic@c600000, and a kernel on hart 0 polls.
static void choose_plic(const struct plic_node *plics, unsigned n, uint32_t devices_parent,
                        struct boot_info *bi)
{
	const struct plic_node *c = n ? &plics[0] : 0;

	for (unsigned i = 0; i < n; i++)
		if (devices_parent && plics[i].phandle == devices_parent)
			c = &plics[i];
	if (!c)
		return;
	bi->plic_base = c->base;
	bi->plic_phandle = c->phandle;
	bi->plic_ints = c->ints;
	bi->plic_ints_len = c->ints_len;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be_cells(const uint8_t *p, uint32_t cells)
{
	return cells == 2 ? (uint64_t)be32(p) << 32 | be32(p + 4) : be32(p);
}

static size_t bounded_strlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

static int node_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	// "memory@80000000" matches "memory"
	return strncmp(name, want, n) == 0 && (name[n] == '\0' || name[n] == '@');
}

// Whether a stringlist property ("a\0b\0") holds the string want.
static int stringlist_has(const uint8_t *val, uint32_t len, const char *want)
{
	const char *s = (const char *)val, *end = s + len;

	while (s < end) {
		size_t n = bounded_strlen(s, end - s);
		if (n < (size_t)(end - s) && !strcmp(s, want))
			return 1;
		s += n + 1;
	}
	return 0;
}

// The PLIC's interrupts-extended lists its contexts in order, one
// <phandle irq> pair each (a RISC-V hart's interrupt controller has
// #interrupt-cells = 1). On QEMU virt with 2 harts it reads
//   <&cpu0_intc 11  &cpu0_intc 9  &cpu1_intc 11  &cpu1_intc 9>
// so hart 1's S-mode external interrupt (irq 9) is context 3. OpenSBI
// rewrites the M-mode entries' irq to 0xffffffff, which keeps the count.
static int plic_s_context(const uint8_t *ints, uint32_t len, uint32_t intc_phandle)
{
	for (uint32_t i = 0; i + 8 <= len; i += 8)
		if (be32(ints + i) == intc_phandle && be32(ints + i + 4) == 9)
			return (int)(i / 8);
	return -1;
}

int fdt_plic_s_context(const struct boot_info *bi, unsigned long hart)
{
	for (unsigned i = 0; i < bi->nharts; i++)
		if (bi->harts[i].hart == hart && bi->plic_ints)
			return plic_s_context(bi->plic_ints, bi->plic_ints_len,
			                      bi->harts[i].intc_phandle);
	return -1;
}

// The RAM the kernel may use: the range it was loaded into, joined with
// the ranges that continue it without a gap. With QEMU's -numa each node's
// RAM is a memory node of its own, in no promised order, e.g.
//   memory@88000000 <0x88000000 128M>, memory@80000000 <0x80000000 128M>
// gives 0x80000000..0x90000000, as one node of 256 MiB would. A range
// beyond a hole is left out: nothing may be allocated in the hole.
static void ram_around_kernel(struct ram_range *ram, unsigned n, struct boot_info *bi)
{
	uint64_t k = (uint64_t)(uintptr_t)__kernel_start;
	unsigned first = 0;

	for (unsigned i = 0; i < n; i++)
		if (ram[i].base <= k && k - ram[i].base < ram[i].size)
			first = i;
	uint64_t lo = ram[first].base, hi = lo + ram[first].size;
	for (bool grew = true; grew;) {
		grew = false;
		for (unsigned i = 0; i < n; i++) {
			if (ram[i].size && ram[i].base == hi) {
				hi += ram[i].size;
				grew = true;
			} else if (ram[i].size && ram[i].base + ram[i].size == lo) {
				lo = ram[i].base;
				grew = true;
			}
		}
	}
	bi->ram_base = lo;
	bi->ram_size = hi - lo;
}

int fdt_read(const void *fdt, unsigned long hartid, struct boot_info *bi)
{
	struct ram_range ram[FDT_MAX_RAM];
	unsigned nram = 0;

	const uint8_t *base = fdt;

	memset(bi, 0, sizeof(*bi));
	bi->boot_hart = hartid;
	bi->plic_s_context = -1;
	bi->plic_base = 0x0c000000UL;
	bi->ram_base = 0x80000000UL;
	bi->ram_size = 128UL << 20;
	bi->timebase_hz = 10000000;
	if (!fdt || be32(base) != FDT_MAGIC)
		return -EINVAL;

	uint32_t total = be32(base + 4);
	uint32_t off_struct = be32(base + 8), off_strings = be32(base + 12);
	uint32_t size_struct = be32(base + 36), size_strings = be32(base + 32);
	if (total < 40 || off_struct > total || size_struct > total - off_struct ||
	    off_strings > total || size_strings > total - off_strings)
		return -EINVAL;
	bi->fdt_addr = (uintptr_t)fdt;
	bi->fdt_size = total;
	bi->plic_base = 0; // a valid tree says where the PLIC is, or that there is none

	const uint8_t *p = base + off_struct, *end = p + size_struct;
	const char *path[4] = {0}; // node names by depth, enough for /cpus/cpu@0
	int depth = -1;
	uint32_t addr_cells = 2, size_cells = 2;
	// for the PLIC context: the cpu node we are in, the boot hart's
	// interrupt-controller phandle, and the interrupt list of the current
	// depth-2 node, kept if that node turns out to be a PLIC
	uint64_t cpu_reg = ~0ULL;
	int node_is_plic = 0;
	const uint8_t *ints = 0;
	uint32_t ints_len = 0;
	// for the UART: the current depth-2 node's first reg address, kept
	// if its compatible says ns16550a (the two come in either order)
	uint64_t node_reg = 0;
	int node_is_uart = 0;
	// for choosing the PLIC: every PLIC node, and the interrupt parent
	// of the first virtio-mmio node (its own, or the root's)
	struct plic_node plics[FDT_MAX_PLICS];
	unsigned nplics = 0;
	uint32_t node_phandle = 0, node_parent = 0, root_parent = 0, devices_parent = 0;
	int node_is_virtio = 0;

	while (p + 4 <= end) {
		uint32_t tok = be32(p);
		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			const char *name = (const char *)p;
			size_t len = bounded_strlen(name, end - p);
			if (len == (size_t)(end - p))
				return -EINVAL;
			depth++;
			if (depth < 4)
				path[depth] = name;
			if (depth == 2) {
				cpu_reg = ~0ULL;
				ints = 0;
				node_is_plic = 0;
				node_reg = 0;
				node_is_uart = 0;
				node_phandle = node_parent = 0;
				node_is_virtio = 0;
			}
			p += (len + 1 + 3) & ~3UL;
		} else if (tok == FDT_END_NODE) {
			if (depth == 2 && node_is_plic && node_reg && nplics < FDT_MAX_PLICS)
				plics[nplics++] =
				    (struct plic_node){node_phandle, node_reg, ints, ints_len};
			if (depth == 2 && node_is_virtio && !devices_parent)
				devices_parent = node_parent ? node_parent : root_parent;
			if (depth == 2 && node_is_uart && node_reg && !bi->uart_base)
				bi->uart_base = node_reg;
			depth--;
		} else if (tok == FDT_PROP) {
			if (p + 8 > end)
				return -EINVAL;
			uint32_t len = be32(p), nameoff = be32(p + 4);
			const uint8_t *val = p + 8;
			if (len > (size_t)(end - val) || nameoff >= size_strings)
				return -EINVAL;
			const char *prop = (const char *)base + off_strings + nameoff;
			p = val + ((len + 3) & ~3U);

			if (depth == 0 && !strcmp(prop, "compatible"))
				bi->qemu_virt = stringlist_has(val, len, "riscv-virtio");
			else if (depth == 0 && !strcmp(prop, "interrupt-parent") && len == 4)
				root_parent = be32(val);
			else if (depth == 2 && !strcmp(prop, "interrupt-parent") && len == 4)
				node_parent = be32(val);
			else if (depth == 2 && !strcmp(prop, "phandle") && len == 4)
				node_phandle = be32(val);
			else if (depth == 0 && !strcmp(prop, "#address-cells") && len == 4)
				addr_cells = be32(val);
			else if (depth == 0 && !strcmp(prop, "#size-cells") && len == 4)
				size_cells = be32(val);
			else if (depth == 1 && node_is(path[1], "memory") && !strcmp(prop, "reg") &&
			         addr_cells <= 2 && size_cells <= 2 &&
			         len >= 4 * (addr_cells + size_cells)) {
				// every <base size> pair of every memory node
				uint32_t pair = 4 * (addr_cells + size_cells);
				for (uint32_t at = 0; at + pair <= len && nram < FDT_MAX_RAM;
				     at += pair) {
					uint64_t b = be_cells(val + at, addr_cells);
					uint64_t s =
					    be_cells(val + at + 4 * addr_cells, size_cells);
					if (s > 0 && s <= ~0ULL - b) // empty or past 2^64: not RAM
						ram[nram++] = (struct ram_range){b, s};
				}
			} else if (depth == 1 && node_is(path[1], "cpus") &&
			           !strcmp(prop, "timebase-frequency") && len == 4) {
				uint32_t hz = be32(val);
				// below 1 MHz our microsecond arithmetic would divide by zero
				if (hz >= 1000000)
					bi->timebase_hz = hz;
			} else if (depth == 1 && node_is(path[1], "chosen") &&
			           !strcmp(prop, "bootargs") && len > 0) {
				size_t n = len < sizeof(bi->bootargs) ? len : sizeof(bi->bootargs);
				memcpy(bi->bootargs, val, n);
				bi->bootargs[n - 1] = '\0';
				// len counts the terminating NUL
				bi->bootargs_cut = len > sizeof(bi->bootargs);
			} else if (depth == 2 && node_is(path[1], "cpus") &&
			           node_is(path[2], "cpu") && !strcmp(prop, "reg") &&
			           (len == 4 || len == 8)) {
				cpu_reg = be_cells(val, len / 4);
			} else if (depth == 3 && node_is(path[1], "cpus") &&
			           node_is(path[2], "cpu") &&
			           node_is(path[3], "interrupt-controller") &&
			           !strcmp(prop, "phandle") && len == 4 && cpu_reg <= UINT32_MAX &&
			           bi->nharts < FDT_MAX_HARTS) {
				bi->harts[bi->nharts++] =
				    (struct fdt_hart){(uint32_t)cpu_reg, be32(val)};
			} else if (depth == 2 && !strcmp(prop, "interrupts-extended")) {
				ints = val;
				ints_len = len;
			} else if (depth == 2 && !strcmp(prop, "compatible") &&
			           (stringlist_has(val, len, "riscv,plic0") ||
			            stringlist_has(val, len, "sifive,plic-1.0.0"))) {
				node_is_plic = 1;
			} else if (depth == 2 && !strcmp(prop, "compatible") &&
			           stringlist_has(val, len, "riscv,aplic")) {
				bi->aplic = true;
			} else if (depth == 2 && !strcmp(prop, "compatible") &&
			           stringlist_has(val, len, "ns16550a")) {
				node_is_uart = 1;
			} else if (depth == 2 && !strcmp(prop, "compatible") &&
			           stringlist_has(val, len, "virtio,mmio")) {
				node_is_virtio = 1;
			} else if (depth == 2 && !strcmp(prop, "reg") && addr_cells <= 2 &&
			           len >= 4 * addr_cells) {
				// (the cells of /soc, which QEMU gives as the root's)
				node_reg = be_cells(val, addr_cells);
			}
		} else if (tok == FDT_NOP) {
			continue;
		} else if (tok == FDT_END) {
			break;
		} else {
			return -EINVAL;
		}
	}
	choose_plic(plics, nplics, devices_parent, bi);
	bi->plic_s_context = fdt_plic_s_context(bi, hartid);
	if (nram)
		ram_around_kernel(ram, nram, bi);
	return 0;
}
