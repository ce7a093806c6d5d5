// libFuzzer harness for the PCI side: the device-tree reader for the host
// bridge, and enumeration, BAR sizing and placement and the virtio
// capability walk against a function whose configuration space, BAR
// sizes and flags are whatever the input says. Nothing may crash, trip a
// sanitizer, loop without end or make an access the fake PCI bus refuses
// (unaligned, wrong width); every BAR the kernel placed must be aligned,
// inside its window, and every virtio structure found inside its BAR.
//
//   make fuzz-pci FUZZ_SECONDS=60
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mmio.h"
#include "fake_pci.h"
#include "host_kernel.h"
#include "pci/pci.h"
#include "virtio/pci.h"

#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz-pci: %s failed at line %d\n", #cond, __LINE__);      \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void fuzz_tree(const uint8_t *data, size_t size)
{
	static uint8_t tree[8192];
	struct pci_host h;

	if (size > sizeof(tree))
		size = sizeof(tree);
	memset(tree, 0, sizeof(tree));
	memcpy(tree, data, size);
	// the header's totalsize is the reader's only bound (the kernel has
	// nothing else either): it must describe memory that is there
	uint32_t total = (uint32_t)tree[4] << 24 | tree[5] << 16 | tree[6] << 8 | tree[7];
	if (total > sizeof(tree))
		return;
	if (pci_host_from_fdt(tree, &h) < 0)
		return;
	check(h.bus_first <= h.bus_last && h.bus_last <= 255);
	check(h.nintx <= PCI_MAX_INTX);
	const struct pci_window *w[3] = {&h.io, &h.mem32, &h.mem64};
	for (int i = 0; i < 3; i++)
		check(w[i]->size == 0 || w[i]->pci + w[i]->size > w[i]->pci);
}

static bool inside(const struct pci_window *w, const struct pci_bar *b)
{
	return w->size && b->pci >= w->pci && b->pci - w->pci <= w->size - b->size;
}

// QEMU virt's host bridge, with or without its 64-bit window, over an
// empty fake bus.
static void qemu_host(struct pci_host *h, bool no_mem64)
{
	static uint8_t tree[4096];
	struct fake_fdt_opts o = {.no_mem64 = no_mem64};

	check(fake_pci_fdt(tree, sizeof(tree), &o) > 0);
	check(pci_host_from_fdt(tree, h) == 0);
	fake_pci_reset();
}

static void fuzz_function(const uint8_t *data, size_t size)
{
	static struct pci_func funcs[4];
	static struct virtio_pci vp;
	struct pci_host h;

	// 6 BAR descriptions (kind, log2 size, prefetch), then the space
	if (size < 12)
		return;
	qemu_host(&h, data[0] & 1);
	struct fake_pci_fn *f = fake_pci_add(1, 0, 0x1af4, 0x1042, 0x01, 0x00);
	for (int i = 0; i < 6; i++) {
		enum fake_bar_kind k = data[2 * i] >> 1 & 3;
		unsigned log2 = data[2 * i + 1] % 40;
		if (k == FAKE_BAR_MEM64 && i == 5)
			k = FAKE_BAR_MEM32;
		if (k == FAKE_BAR_IO && log2 > 16)
			log2 = 16;
		if (k != FAKE_BAR_NONE && (i == 0 || f->kind[i - 1] != FAKE_BAR_MEM64))
			fake_pci_bar(f, i, k, 1ull << (log2 < 4 ? 4 : log2),
			             data[2 * i + 1] & 0x80);
	}
	data += 12, size -= 12;
	// the header's IDs stay, the rest (status, capability pointer and
	// list, interrupt pin) is the input's
	for (size_t i = 0; i < size && 0x34 + i < 256; i++)
		f->cfg[0x34 + i] = data[i];
	f->cfg[PCI_STATUS] = size ? data[0] & PCI_STATUS_CAP_LIST : 0;

	host_log_clear();
	check(pci_enumerate(&h, funcs, 4) == 1);
	if (pci_assign(&h, &funcs[0]) == 0)
		for (int i = 0; i < 6; i++) {
			const struct pci_bar *b = &funcs[0].bar[i];
			if (!b->size)
				continue;
			check(b->pci % b->size == 0);
			check(inside(&h.io, b) || inside(&h.mem32, b) || inside(&h.mem64, b));
		}
	struct virtio_pci_caps c;
	if (virtio_pci_find_caps(&funcs[0], &c) == 0) {
		const struct virtio_pci_region *r[4] = {&c.common, &c.notify, &c.isr, &c.device};
		for (int i = 0; i < 4; i++) {
			if (!r[i]->addr)
				continue;
			const struct pci_bar *b = &funcs[0].bar[r[i]->bar];
			check(r[i]->addr >= b->cpu && r[i]->addr - b->cpu + r[i]->len <= b->size);
		}
	}
	virtio_pci_open(&vp, &funcs[0]);
}

// A tree of bridges from the input: segment s (1..7) behind a bridge in
// an earlier segment, at device 16 + s there, each segment with up to
// three functions of one or two BARs. After enumeration and assignment
// every BAR the kernel placed must answer at its address through the
// fake's bridges, which forward only what their windows and Command say.
static void fuzz_bridges(const uint8_t *data, size_t size)
{
	static struct pci_func funcs[PCI_MAX_FUNCS];
	struct pci_host h;

	if (size < 4)
		return;
	qemu_host(&h, data[0] & 1);
	unsigned nseg = 1 + data[1] % 8;
	for (unsigned s = 1; s < nseg; s++)
		fake_pci_bridge(data[(s + 1) % size] % s, 16 + s, s, data[(s + 2) % size] & 1);
	size_t at = 2;
	for (unsigned s = 0; s < nseg && at + 3 <= size; s++) {
		unsigned nfn = data[at++] % 4;
		for (unsigned d = 0; d < nfn && at + 2 <= size; d++) {
			struct fake_pci_fn *f =
			    fake_pci_add_on(s, d, 0, 0x1af4, 0x1042, 0x01, 0x00);
			f->cfg[PCI_INTERRUPT_PIN] = data[at] % 5;
			for (int i = 0; i < 2; i++, at++) {
				enum fake_bar_kind k = data[at] >> (4 * i) & 3;
				unsigned log2 = 4 + (data[at] >> (4 * i + 2) & 3) * 4;
				if (k == FAKE_BAR_MEM64 && i == 1)
					k = FAKE_BAR_MEM32;
				if (k != FAKE_BAR_NONE && (i == 0 || f->kind[0] != FAKE_BAR_MEM64))
					fake_pci_bar(f, 2 * i, k, 1ull << log2, data[at] & 0x80);
			}
		}
	}
	host_log_clear();
	int n = pci_enumerate(&h, funcs, PCI_MAX_FUNCS);
	pci_assign_below(&h, funcs, n, -1);
	for (int i = 0; i < n; i++) {
		const struct pci_func *f = &funcs[i];
		if (!f->enabled)
			continue;
		check(!f->behind || f->irq < 0 || (f->irq >= 32 && f->irq < 36));
		for (int j = 0; j < 6; j++) {
			const struct pci_bar *b = &f->bar[j];
			if (!b->size)
				continue;
			int bar = -1;
			struct fake_pci_fn *owner = fake_pci_owner(b->cpu, &bar);
			check(owner && owner->dev == f->dev && owner->fn == f->fn && bar == j);
		}
	}
}

// QEMU's tree with bytes changed where the input says (offset, xor
// pairs): near-valid trees, which random bytes almost never are.
static void fuzz_qemu_tree(const uint8_t *data, size_t size)
{
	static uint8_t tree[4096];
	struct fake_fdt_opts o = {0};
	size_t len = fake_pci_fdt(tree, sizeof(tree), &o);

	check(len > 40);
	for (size_t i = 0; i + 2 < size; i += 3)
		tree[(data[i] << 8 | data[i + 1]) % len] ^= data[i + 2];
	fuzz_tree(tree, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0: fuzz_function(data + 1, size - 1); break;
	case 1: fuzz_tree(data + 1, size - 1); break;
	case 2: fuzz_qemu_tree(data + 1, size - 1); break;
	case 3: fuzz_bridges(data + 1, size - 1); break;
	}
	return 0;
}
