// Lab 10: PCI-to-PCI bridges (src/pci/pci_bridge.c) against fake_pci.c's
// bridges, which forward nothing until programmed, as real ones do: bus
// numbers depth first, BARs behind a bridge inside the windows it is then
// given, and INTx swizzled bridge after bridge up to the interrupt map.
#include <criterion/criterion.h>
#include <string.h>

#include "errno.h"
#include "fake_mmio.h"
#include "fake_pci.h"
#include "host_kernel.h"
#include "pci/pci.h"

static uint8_t tree[4096];
static struct pci_host host;
static struct pci_func funcs[PCI_MAX_FUNCS];

static void setup(void)
{
	struct fake_fdt_opts o = {0};

	fake_mmio_reset();
	fake_pci_reset();
	host_log_clear();
	memset(&host, 0, sizeof(host));
	memset(funcs, 0, sizeof(funcs));
	cr_assert(fake_pci_fdt(tree, sizeof(tree), &o) > 0);
	cr_assert_eq(pci_host_from_fdt(tree, &host), 0);
}

TestSuite(pci_bridge, .init = setup);

static struct pci_func *find(int n, unsigned bus, unsigned dev)
{
	for (int i = 0; i < n; i++)
		if (funcs[i].bus == bus && funcs[i].dev == dev)
			return &funcs[i];
	cr_assert_fail("no function %02x:%02x.0 among %d\n%s", bus, dev, n, host_log());
	return NULL;
}

// Bridges A (00:01) and B (00:02) on the root bus, C (behind A, at 01:03)
// with a disk behind it at 02:06, and a network card behind B at 03:00:
// depth first, A gets bus 1 and C bus 2 (A's run is 1-2), then B bus 3.
static int tree_of_bridges(struct fake_pci_fn **disk, struct fake_pci_fn **nic)
{
	fake_pci_add(0, 0, 0x1b36, 0x0008, 0x06, 0x00);
	fake_pci_bridge(0, 1, 1, true);
	fake_pci_bridge(0, 2, 3, true);
	fake_pci_bridge(1, 3, 2, true);
	*disk = fake_pci_add_on(2, 6, 0, 0x1af4, 0x1001, 0x01, 0x00);
	fake_pci_bar(*disk, 0, FAKE_BAR_IO, 0x80, false);
	fake_pci_bar(*disk, 1, FAKE_BAR_MEM32, 0x1000, false);
	fake_pci_bar(*disk, 4, FAKE_BAR_MEM64, 0x4000, true);
	*nic = fake_pci_add_on(3, 0, 0, 0x8086, 0x100e, 0x02, 0x00);
	// not prefetchable: behind a bridge it must stay below 4 GiB
	fake_pci_bar(*nic, 0, FAKE_BAR_MEM64, 0x20000, false);
	return pci_enumerate(&host, funcs, PCI_MAX_FUNCS);
}

Test(pci_bridge, lab10_buses_behind_bridges_are_numbered_depth_first)
{
	struct fake_pci_fn *disk, *nic;
	int n = tree_of_bridges(&disk, &nic);

	cr_assert_eq(n, 6, "found %d functions\n%s", n, host_log());
	struct pci_func *a = find(n, 0, 1), *b = find(n, 0, 2), *c = find(n, 1, 3);
	cr_assert_eq(a->secondary, 1);
	cr_assert_eq(a->subordinate, 2, "A's buses must include C's");
	cr_assert_eq(c->secondary, 2);
	cr_assert_eq(c->subordinate, 2);
	cr_assert_eq(b->secondary, 3);
	cr_assert_eq(b->subordinate, 3);
	find(n, 2, 6);
	find(n, 3, 0);
	cr_assert(host_log_has("pci 00:01.0: PCI-to-PCI bridge to buses 01-02\n"), "%s",
	          host_log());
	cr_assert(host_log_has("pci 02:06.0: 1af4:1001 class 01.00 mass storage controller"), "%s",
	          host_log());
}

Test(pci_bridge, lab10_bars_behind_bridges_are_reached_through_their_windows)
{
	struct fake_pci_fn *disk, *nic;
	int n = tree_of_bridges(&disk, &nic);

	pci_assign_below(&host, funcs, n, -1);
	struct pci_func *d = find(n, 2, 6), *e = find(n, 3, 0);
	cr_assert(d->enabled && e->enabled, "%s", host_log());
	// every BAR answers at the address the kernel gave it: the bridges
	// above forward it (the fake drops what no window covers)
	for (int i = 0; i < 6; i++) {
		if (!d->bar[i].size)
			continue;
		int bar = -1;
		cr_assert_eq(fake_pci_owner(d->bar[i].cpu, &bar), disk,
		             "the disk's BAR %d at 0x%lx is not forwarded\n%s", i,
		             (unsigned long)d->bar[i].cpu, host_log());
		cr_assert_eq(bar, i);
	}
	int bar = -1;
	cr_assert_eq(fake_pci_owner(e->bar[0].cpu, &bar), nic, "%s", host_log());
	cr_assert(e->bar[0].cpu < 0x100000000ULL,
	          "a non-prefetchable BAR behind a bridge must be below 4 GiB, got 0x%lx",
	          (unsigned long)e->bar[0].cpu);
	cr_assert(d->bar[4].cpu >= FAKE_MEM64,
	          "a prefetchable 64-bit BAR may use the 64-bit window");
	// forwarding and bus mastering on every bridge on the way (the disk's
	// DMA goes up through them)
	for (int i = 0; i < n; i++)
		if (funcs[i].secondary)
			cr_assert_eq(pci_cfg_read16(&funcs[i], PCI_COMMAND) & 7,
			             PCI_CMD_IO | PCI_CMD_MEMORY | PCI_CMD_MASTER);
}

Test(pci_bridge, lab10_a_bridge_without_64_bit_window_keeps_bars_below_4g)
{
	fake_pci_bridge(0, 1, 1, false);
	struct fake_pci_fn *disk = fake_pci_add_on(1, 0, 0, 0x1af4, 0x1042, 0x01, 0x00);
	fake_pci_bar(disk, 4, FAKE_BAR_MEM64, 0x4000, true);
	int n = pci_enumerate(&host, funcs, PCI_MAX_FUNCS);

	pci_assign_below(&host, funcs, n, -1);
	struct pci_func *d = find(n, 1, 0);
	cr_assert(d->bar[4].cpu && d->bar[4].cpu < 0x100000000ULL, "got 0x%lx",
	          (unsigned long)d->bar[4].cpu);
	int bar;
	cr_assert_eq(fake_pci_owner(d->bar[4].cpu, &bar), disk, "%s", host_log());
}

// Device d's pin p behind a bridge comes out as the bridge's pin
// ((p - 1 + d) % 4) + 1; QEMU's map then gives root-bus device D's pin P
// source 32 + (D + P - 1) % 4.
Test(pci_bridge, lab10_intx_is_swizzled_through_every_bridge)
{
	struct fake_pci_fn *disk, *nic;
	int n = tree_of_bridges(&disk, &nic);

	pci_assign_below(&host, funcs, n, -1);
	// the disk at 02:06 INTA: C (01:03) pin (0 + 6) % 4 + 1 = 3, then A
	// (00:01) pin (3 - 1 + 3) % 4 + 1 = 2: A's INTB, source 32 + 2
	// (without the swizzles, A's INTA: source 33)
	struct pci_func *d = find(n, 2, 6), *e = find(n, 3, 0);
	cr_assert_eq(d->route_dev, 1);
	cr_assert_eq(d->route_pin, 2);
	cr_assert_eq(d->irq, 34, "got %d\n%s", d->irq, host_log());
	// the card at 03:00 INTA: B (00:02) pin 1, source 32 + 2
	cr_assert_eq(e->irq, 34);
	cr_assert(host_log_has("pci 02:06.0: INTA -> PLIC source 34 (INTB of 00:01.0 on the root "
	                       "bus)"),
	          "%s", host_log());
}

Test(pci_bridge, lab10_bridges_nested_too_deep_are_reported_not_followed)
{
	// a chain of PCI_MAX_DEPTH + 2 bridges: the last two are not scanned
	for (unsigned s = 0; s < PCI_MAX_DEPTH + 2 && s + 1 < FAKE_PCI_SEGS; s++)
		fake_pci_bridge(s, 1, s + 1, true);
	int n = pci_enumerate(&host, funcs, PCI_MAX_FUNCS);

	cr_assert_eq(n, PCI_MAX_DEPTH + 1, "found %d\n%s", n, host_log());
	cr_assert(host_log_has("PCI-to-PCI bridge 9 deep, more than 8; not scanned"), "%s",
	          host_log());
	pci_assign_below(&host, funcs, n, -1); // and nothing breaks after it
}

Test(pci_bridge, lab10_a_bridge_with_no_bus_number_left_is_reported_not_scanned)
{
	// a host bridge whose bus-range is 00-00: nothing to give the bridge
	host.bus_last = host.bus_first;
	fake_pci_bridge(0, 1, 1, true);
	fake_pci_add_on(1, 0, 0, 0x1af4, 0x1042, 0x01, 0x00);
	int n = pci_enumerate(&host, funcs, PCI_MAX_FUNCS);

	cr_assert_eq(n, 1, "found %d\n%s", n, host_log());
	cr_assert(host_log_has("pci 00:01.0: PCI-to-PCI bridge: no bus number left for it (buses "
	                       "00-00); not scanned\n"),
	          "%s", host_log());
	cr_assert_eq(funcs[0].secondary, 0);
	pci_assign_below(&host, funcs, n, -1); // its own BARs, no windows
	cr_assert(funcs[0].enabled);
}
