// Lab 10: the host bridge from the device tree, enumeration, BAR placement
// and the capability walk, against the fake ECAM space of fake_pci.c.
#include <criterion/criterion.h>
#include <string.h>

#include "errno.h"
#include "fake_mmio.h"
#include "fake_pci.h"
#include "fdt.h"
#include "host_kernel.h"
#include "pci/pci.h"

static uint8_t tree[4096];
static struct pci_host host;
static struct pci_func funcs[PCI_MAX_FUNCS];

static void setup(void)
{
	fake_mmio_reset();
	fake_pci_reset();
	host_log_clear();
	memset(&host, 0, sizeof(host));
	boot_info.aplic = false;
}

TestSuite(pci, .init = setup);

static int read_tree(const struct fake_fdt_opts *o)
{
	cr_assert(fake_pci_fdt(tree, sizeof(tree), o) > 0);
	return pci_host_from_fdt(tree, &host);
}

static int qemu_host(void)
{
	struct fake_fdt_opts o = {0};
	return read_tree(&o);
}

Test(pci, lab10_host_bridge_windows_come_from_the_tree)
{
	cr_assert_eq(qemu_host(), 0);
	cr_assert_eq(host.ecam, FAKE_ECAM);
	cr_assert_eq(host.ecam_size, FAKE_ECAM_SIZE);
	cr_assert_eq(host.bus_first, 0);
	cr_assert_eq(host.bus_last, 255);
	cr_assert_eq(host.io.cpu, FAKE_IO_CPU);
	cr_assert_eq(host.io.pci, 0);
	cr_assert_eq(host.io.size, FAKE_IO_SIZE);
	cr_assert_eq(host.mem32.cpu, FAKE_MEM32);
	cr_assert_eq(host.mem32.size, FAKE_MEM32_SIZE);
	cr_assert_eq(host.mem64.cpu, FAKE_MEM64);
	cr_assert_eq(host.mem64.size, FAKE_MEM64_SIZE);
	cr_assert_eq(host.nintx, 16);
}

Test(pci, lab10_tree_without_a_host_bridge_is_enodev)
{
	struct fake_fdt_opts o = {.no_host = true};
	cr_assert_eq(read_tree(&o), -ENODEV);
}

Test(pci, lab10_malformed_ranges_and_dangling_phandle_are_einval)
{
	struct fake_fdt_opts a = {.bad_ranges = true}, b = {.bad_phandle = true};
	cr_assert_eq(read_tree(&a), -EINVAL);
	cr_assert_eq(read_tree(&b), -EINVAL);
}

Test(pci, lab10_garbage_instead_of_a_tree_is_einval)
{
	// a header whose structure block holds token 0x77, which no tree has
	uint8_t junk[64] = {0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 64, 0, 0, 0, 40, 0, 0, 0, 48};
	junk[39] = 8; // size_dt_struct
	junk[43] = 0x77;
	cr_assert_eq(pci_host_from_fdt(junk, &host), -EINVAL);
	junk[0] = 0; // no magic
	cr_assert_eq(pci_host_from_fdt(junk, &host), -EINVAL);
	cr_assert_eq(pci_host_from_fdt(NULL, &host), -EINVAL);
}

static struct pci_func at(unsigned dev, unsigned fn, uint8_t pin)
{
	struct pci_func f = {.bus = 0, .dev = dev, .fn = fn, .pin = pin};
	f.cfg = pci_ecam_addr(&host, 0, dev, fn);
	return f;
}

Test(pci, lab10_intx_follows_the_interrupt_map_swizzle)
{
	cr_assert_eq(qemu_host(), 0);
	struct pci_func a = at(1, 0, 1), b = at(2, 0, 2), c = at(4, 0, 1), d = at(7, 3, 4),
	                none = at(1, 0, 0);
	// QEMU: device d, pin p (1-4) -> 32 + (d + p - 1) % 4
	cr_assert_eq(pci_intx_irq(&host, &a), 33);
	cr_assert_eq(pci_intx_irq(&host, &b), 35);
	cr_assert_eq(pci_intx_irq(&host, &c), 32);
	cr_assert_eq(pci_intx_irq(&host, &d), 32 + (7 + 3) % 4);
	cr_assert_eq(pci_intx_irq(&host, &none), -1);
}

Test(pci, lab10_ecam_address_formula)
{
	cr_assert_eq(qemu_host(), 0);
	cr_assert_eq(pci_ecam_addr(&host, 0, 1, 0), FAKE_ECAM + 0x8000);
	cr_assert_eq(pci_ecam_addr(&host, 2, 3, 4), FAKE_ECAM + (2 << 20) + (3 << 15) + (4 << 12));
	cr_assert_eq(pci_ecam_addr(&host, 0, 32, 0), 0);
	cr_assert_eq(pci_ecam_addr(&host, 0, 0, 8), 0);
}

Test(pci, lab10_enumeration_finds_functions_bridges_and_multifunction)
{
	cr_assert_eq(qemu_host(), 0);
	fake_pci_add(0, 0, 0x1b36, 0x0008, 0x06, 0x00);
	fake_pci_add(1, 0, 0x1af4, 0x1042, 0x01, 0x00);
	struct fake_pci_fn *m = fake_pci_add(3, 0, 0x8086, 0x100e, 0x02, 0x00);
	m->cfg[PCI_HEADER_TYPE] = PCI_HEADER_MULTI;
	// transitional: the virtio ID is in the Subsystem ID (spec 4.1.2.1)
	fake_pci_set16(fake_pci_add(3, 2, 0x1af4, 0x1005, 0x00, 0xff), PCI_SUBSYS_ID, 4);
	// function 1 of a single-function device is not looked at
	fake_pci_add(5, 0, 0x1af4, 0x1044, 0xff, 0x00);
	fake_pci_add(5, 1, 0x1234, 0x5678, 0x02, 0x00);
	struct fake_pci_fn *br = fake_pci_add(6, 0, 0x1b36, 0x0001, 0x06, 0x04);
	br->cfg[PCI_HEADER_TYPE] = 1;

	int n = pci_enumerate(&host, funcs, PCI_MAX_FUNCS);
	cr_assert_eq(n, 6, "found %d functions", n);
	cr_assert_eq(funcs[3].dev, 3);
	cr_assert_eq(funcs[3].fn, 2);
	cr_assert(host_log_has("pci 00:01.0: 1af4:1042 class 01.00 mass storage controller, "
	                       "virtio block (modern)"),
	          "%s", host_log());
	cr_assert(host_log_has("pci 00:03.2: 1af4:1005"), "%s", host_log());
	cr_assert(host_log_has("virtio entropy (transitional)"), "%s", host_log());
	cr_assert(host_log_has("pci 00:03.0: 8086:100e class 02.00 network controller\n"));
	// nothing answers behind this one, but it gets its bus all the same
	cr_assert(host_log_has("pci 00:06.0: PCI-to-PCI bridge to bus 01\n"), "%s", host_log());
	cr_assert(!host_log_has("1234:5678"));
}

// More functions than the caller's array holds: it is filled, not
// overrun, and the boot log says the rest were ignored.
Test(pci, lab10_enumeration_stops_at_the_array_size)
{
	cr_assert_eq(qemu_host(), 0);
	for (unsigned d = 0; d < 5; d++)
		fake_pci_add(d, 0, 0x1af4, (uint16_t)(0x1041 + d), 0xff, 0x00);
	memset(funcs, 0x5a, sizeof(funcs));
	int n = pci_enumerate(&host, funcs, 3);
	cr_assert_eq(n, 3, "found %d functions", n);
	cr_assert_eq(funcs[2].dev, 2);
	cr_assert_eq(funcs[3].dev, 0x5a, "the fourth entry is past the array and was written");
	cr_assert(host_log_has("pci: more than 3 functions; the rest are ignored"), "%s",
	          host_log());
}

Test(pci, lab10_bars_are_sized_placed_aligned_and_decoding_enabled)
{
	cr_assert_eq(qemu_host(), 0);
	struct fake_pci_fn *a = fake_pci_add(1, 0, 0x1af4, 0x1001, 0x01, 0x00);
	fake_pci_bar(a, 0, FAKE_BAR_IO, 0x80, false);
	fake_pci_bar(a, 1, FAKE_BAR_MEM32, 0x1000, false);
	fake_pci_bar(a, 4, FAKE_BAR_MEM64, 0x4000, true);
	struct fake_pci_fn *b = fake_pci_add(2, 0, 0x8086, 0x100e, 0x02, 0x00);
	fake_pci_bar(b, 0, FAKE_BAR_MEM32, 0x20000, false);
	fake_pci_bar(b, 1, FAKE_BAR_IO, 0x40, false);

	cr_assert_eq(pci_enumerate(&host, funcs, PCI_MAX_FUNCS), 2);
	cr_assert_eq(pci_assign(&host, &funcs[0]), 0);
	cr_assert_eq(pci_assign(&host, &funcs[1]), 0);

	// I/O ports start at 0x1000; the CPU reaches them through the window
	cr_assert_eq(funcs[0].bar[0].pci, 0x1000);
	cr_assert_eq(funcs[0].bar[0].cpu, FAKE_IO_CPU + 0x1000);
	cr_assert_eq(fake_pci_bar_cpu(a, 0), FAKE_IO_CPU + 0x1000);
	cr_assert_eq(funcs[0].bar[1].cpu, FAKE_MEM32);
	cr_assert_eq(funcs[0].bar[4].cpu, FAKE_MEM64, "64-bit BARs go to the 64-bit window");
	cr_assert_eq(funcs[0].bar[4].size, 0x4000);
	cr_assert_eq(fake_pci_bar_cpu(a, 4), FAKE_MEM64);
	// b's 128 KiB BAR is aligned to 128 KiB, after a's 4 KiB one
	cr_assert_eq(funcs[1].bar[0].cpu, FAKE_MEM32 + 0x20000);
	cr_assert_eq(funcs[1].bar[1].pci, 0x1080, "after a's 128 ports, got 0x%lx",
	             (unsigned long)funcs[1].bar[1].pci);
	for (int i = 0; i < 2; i++) {
		uint16_t cmd = fake_pci_command(i ? b : a);
		// decoding, but no DMA until a driver takes the function
		cr_assert_eq(cmd & 7, PCI_CMD_IO | PCI_CMD_MEMORY);
		cr_assert(funcs[i].enabled);
	}
	cr_assert_eq(funcs[0].irq, 33);
	cr_assert_eq(funcs[1].irq, 34);
	cr_assert(host_log_has("pci 00:01.0: BAR 4: 64-bit prefetchable memory at 0x400000000, "
	                       "16 KiB"),
	          "%s", host_log());
}

// The numbers the interrupt-map gives are the interrupt controller's
// sources: with QEMU's aia=aplic, an APLIC's, and the messages say so.
Test(pci, lab10_intx_lines_name_the_interrupt_controller)
{
	for (int aplic = 0; aplic < 2; aplic++) {
		setup();
		boot_info.aplic = aplic;
		cr_assert_eq(qemu_host(), 0);
		fake_pci_bar(fake_pci_add(1, 0, 0x1af4, 0x1001, 0x01, 0x00), 1, FAKE_BAR_MEM32,
		             0x1000, false);
		cr_assert_eq(pci_enumerate(&host, funcs, PCI_MAX_FUNCS), 1);
		cr_assert_eq(pci_assign(&host, &funcs[0]), 0);
		cr_assert(host_log_has(aplic ? "pci 00:01.0: INTA -> APLIC source 33\n"
		                             : "pci 00:01.0: INTA -> PLIC source 33\n"),
		          "%s", host_log());
	}
	boot_info.aplic = false;
}

Test(pci, lab10_sixty_four_bit_bar_falls_back_below_4g_without_a_64_bit_window)
{
	struct fake_fdt_opts o = {.no_mem64 = true};
	cr_assert_eq(read_tree(&o), 0);
	cr_assert_eq(host.mem64.size, 0);
	struct fake_pci_fn *a = fake_pci_add(1, 0, 0x1af4, 0x1042, 0x01, 0x00);
	fake_pci_bar(a, 4, FAKE_BAR_MEM64, 0x4000, true);
	cr_assert_eq(pci_enumerate(&host, funcs, PCI_MAX_FUNCS), 1);
	cr_assert_eq(pci_assign(&host, &funcs[0]), 0);
	cr_assert_eq(funcs[0].bar[4].cpu, FAKE_MEM32);
	cr_assert_eq(fake_pci_bar_cpu(a, 4), FAKE_MEM32);
}

Test(pci, lab10_bar_larger_than_the_window_leaves_the_function_disabled)
{
	struct fake_fdt_opts o = {.no_mem64 = true, .mem32_size = 0x100000};
	cr_assert_eq(read_tree(&o), 0);
	struct fake_pci_fn *a = fake_pci_add(5, 0, 0x1af4, 0x1042, 0x01, 0x00);
	fake_pci_bar(a, 2, FAKE_BAR_MEM32, 0x200000, false);
	cr_assert_eq(pci_enumerate(&host, funcs, PCI_MAX_FUNCS), 1);
	cr_assert_eq(pci_assign(&host, &funcs[0]), -ENOSPC);
	cr_assert(host_log_has("pci 00:05.0: BAR 2 (32-bit memory, 2 MiB) does not fit any "
	                       "window; function left disabled"),
	          "%s", host_log());
	cr_assert(!funcs[0].enabled);
	cr_assert_eq(fake_pci_command(a) & 7, 0, "no decoding, no bus mastering");
}

Test(pci, lab10_bar_with_a_broken_size_mask_is_refused)
{
	cr_assert_eq(qemu_host(), 0);
	struct fake_pci_fn *a = fake_pci_add(1, 0, 0x1af4, 0x1042, 0x01, 0x00);
	fake_pci_bar(a, 0, FAKE_BAR_MEM32, 0x1000, false);
	a->size_mask_lo[0] = 0xfff0f000; // a hole in the decoded bits
	cr_assert_eq(pci_enumerate(&host, funcs, PCI_MAX_FUNCS), 1);
	cr_assert_eq(pci_assign(&host, &funcs[0]), -EIO);
	cr_assert(host_log_has("BAR 0: size mask is not a power of two"), "%s", host_log());
	cr_assert_eq(fake_pci_command(a) & 7, 0);
}

Test(pci, lab10_capability_walk_visits_each_once)
{
	cr_assert_eq(qemu_host(), 0);
	struct fake_pci_fn *a = fake_pci_add(1, 0, 0x1af4, 0x1042, 0x01, 0x00);
	uint8_t c1[16] = {0x09}, c2[12] = {0x11}, c3[4] = {0x05};
	uint8_t o1 = fake_pci_cap(a, c1, sizeof(c1)), o2 = fake_pci_cap(a, c2, sizeof(c2)),
	        o3 = fake_pci_cap(a, c3, sizeof(c3));
	struct pci_func f = at(1, 0, 1);
	int steps = 0, pos = 0, seen[3], n = 0;
	while ((pos = pci_cap_next(&f, pos, &steps)) > 0 && n < 3)
		seen[n++] = pos;
	cr_assert_eq(pos, 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(seen[0], o1);
	cr_assert_eq(seen[1], o2);
	cr_assert_eq(seen[2], o3);
}

Test(pci, lab10_capability_loop_and_pointer_into_the_header_end_the_walk)
{
	cr_assert_eq(qemu_host(), 0);
	struct fake_pci_fn *a = fake_pci_add(1, 0, 0x1af4, 0x1042, 0x01, 0x00);
	uint8_t c[8] = {0x09};
	uint8_t o1 = fake_pci_cap(a, c, sizeof(c)), o2 = fake_pci_cap(a, c, sizeof(c));
	a->cfg[o2 + 1] = o1; // o2 -> o1 -> o2 -> ...
	struct pci_func f = at(1, 0, 1);
	int steps = 0, pos = 0, visits = 0;
	while ((pos = pci_cap_next(&f, pos, &steps)) > 0)
		visits++;
	cr_assert_eq(pos, -EIO);
	cr_assert_leq(visits, 48);

	a->cfg[o2 + 1] = 0x10; // into the BARs
	steps = 0, pos = 0;
	while ((pos = pci_cap_next(&f, pos, &steps)) > 0)
		;
	cr_assert_eq(pos, -EIO);
}
