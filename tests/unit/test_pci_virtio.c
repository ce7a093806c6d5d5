// Lab 10: the virtio-pci transport, modern and legacy, against the fake
// virtio device behind the fake PCI bus: the capability walk and its
// hostile variants, feature negotiation, queue setup, notify addresses,
// the ISR, and whole block reads through the unchanged driver.
#include <criterion/criterion.h>
#include <string.h>

#include "errno.h"
#include "fake_mmio.h"
#include "fake_pci.h"
#include "fake_virtio.h"
#include "host_kernel.h"
#include "pci/pci.h"
#include "virtio/blk.h"
#include "virtio/pci.h"
#include "virtio/pci_regs.h"
#include "virtio/virtio.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq.h"

static uint8_t tree[4096];
static struct pci_host host;
static struct pci_func funcs[4];
static struct virtio_pci vp;
static struct fake_virtio *fv;
static struct fake_pci_fn *fn;

static void setup(void)
{
	fake_mmio_reset();
	fake_pci_reset();
	host_log_clear();
	host_time_reset();
	virtio_dev_forget_all();
	struct fake_fdt_opts o = {0};
	cr_assert(fake_pci_fdt(tree, sizeof(tree), &o) > 0);
	cr_assert_eq(pci_host_from_fdt(tree, &host), 0);
}

static void teardown(void)
{
	vblk_remove();
	fake_virtio_free_all();
}

TestSuite(pci_virtio, .init = setup, .fini = teardown, .timeout = 60);

// The fake function at 00:01.0 enumerated and given its BARs, as at boot.
static struct pci_func *bring_up(void)
{
	cr_assert_eq(pci_enumerate(&host, funcs, 4), 1, "%s", host_log());
	cr_assert_eq(pci_assign(&host, &funcs[0]), 0, "%s", host_log());
	return &funcs[0];
}

static struct pci_func *modern(uint32_t device_id, uint32_t mult)
{
	fv = device_id == VIRTIO_ID_BLOCK ? fake_virtio_blk(0, 2, 64)
	                                  : fake_virtio_new(0, 2, device_id);
	fn = fake_pci_virtio_modern(1, fv, mult);
	return bring_up();
}

static struct pci_func *legacy(void)
{
	fv = fake_virtio_blk(0, 1, 64);
	fn = fake_pci_virtio_legacy(1, fv);
	return bring_up();
}

static void assert_clean(void)
{
	cr_assert_eq(fv->errors, 0, "fake device: %d errors, first: %s\nlog:\n%s", fv->errors,
	             fv->error, host_log());
	cr_assert_eq(fn->errors, 0, "fake PCI function: %d errors, first: %s\nlog:\n%s", fn->errors,
	             fn->error, host_log());
}

Test(pci_virtio, lab10_modern_caps_are_found_where_the_device_put_them)
{
	struct pci_func *f = modern(VIRTIO_ID_BLOCK, 4);
	struct virtio_pci_caps c;

	cr_assert_eq(virtio_pci_find_caps(f, &c), 0);
	uint64_t bar4 = f->bar[4].cpu;
	cr_assert_eq(c.common.addr, bar4 + 0x0000);
	cr_assert_eq(c.isr.addr, bar4 + 0x1000);
	cr_assert_eq(c.device.addr, bar4 + 0x2000);
	cr_assert_eq(c.notify.addr, bar4 + 0x3000);
	cr_assert_eq(c.notify_mult, 4);
	cr_assert(!c.msix_enabled);
}

Test(pci_virtio, lab10_modern_disk_reads_through_the_unchanged_driver)
{
	struct pci_func *f = modern(VIRTIO_ID_BLOCK, 4);
	uint8_t buf[1024];

	cr_assert_eq(fake_pci_command(fn) & PCI_CMD_MASTER, 0, "no DMA before a driver takes it");
	cr_assert_eq(virtio_pci_open(&vp, f), 0, "%s", host_log());
	cr_assert(fake_pci_command(fn) & PCI_CMD_MASTER, "the transport turns bus mastering on");
	cr_assert_eq(vp.vdev.ops, &virtio_pci_modern_ops);
	cr_assert(!vp.vdev.legacy);
	cr_assert_str_eq(vp.vdev.name, "pci 00:01.0");
	cr_assert_eq(vp.vdev.irq, 33);
	cr_assert_eq(virtio_dev_register(&vp.vdev), 0);
	cr_assert_eq(vblk_probe(), 0, "%s", host_log());
	struct vblk *v = vblk_next(NULL);
	cr_assert(v);
	cr_assert(vdev_has(&vp.vdev, VIRTIO_F_VERSION_1));
	cr_assert_eq(vblk_rw(v, 0 /* VIRTIO_BLK_T_IN */, 3, buf, sizeof(buf)), 0, "%s", host_log());
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], fake_virtio_pattern(3 * 512 + i), "byte %zu", i);
	cr_assert_geq(fv->q[0].notifies, 1, "the queue was notified at its notify address");
	assert_clean();
}

Test(pci_virtio, lab10_legacy_disk_reads_through_io_bar_0)
{
	struct pci_func *f = legacy();
	uint8_t buf[512];

	cr_assert_eq(virtio_pci_open(&vp, f), 0, "%s", host_log());
	cr_assert_eq(vp.vdev.ops, &virtio_pci_legacy_ops);
	cr_assert(vp.vdev.legacy);
	cr_assert_eq(vp.config_off, 20, "MSI-X is off: the configuration follows isr_status");
	cr_assert_eq(virtio_dev_register(&vp.vdev), 0);
	cr_assert_eq(vblk_probe(), 0, "%s", host_log());
	struct vblk *v = vblk_next(NULL);
	cr_assert(v);
	cr_assert_eq(vblk_rw(v, 0, 10, buf, sizeof(buf)), 0, "%s", host_log());
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], fake_virtio_pattern(10 * 512 + i), "byte %zu", i);
	cr_assert_eq(fn->legacy_pfn_pages, 1, "one QueueAddress write");
	cr_assert_eq(fv->q[0].pfn * 4096ull, fv->q[0].desc_addr);
	assert_clean();
}

// A legacy PCI device has no register for the queue size (4.1.4.8): the
// queue gets the device's own size, whatever the driver would prefer.
Test(pci_virtio, lab10_legacy_queue_takes_the_devices_size)
{
	struct pci_func *f = legacy();
	struct virtq vq;

	cr_assert_eq(virtio_pci_open(&vp, f), 0);
	cr_assert_eq(vdev_init(&vp.vdev, ~0ull, 0), 0, "%s", host_log());
	// the fake's queue holds 256; the driver asks for at most 16
	cr_assert_eq(vdev_queue_setup(&vp.vdev, &vq, 0, 16), 0, "%s", host_log());
	cr_assert_eq(vq.num, 256);
	cr_assert_neq(fn->legacy_pfn_pages, 0, "QueueAddress written");
	vdev_reset(&vp.vdev);
	vdev_queue_release(&vp.vdev, &vq);
}

Test(pci_virtio, lab10_zero_notify_multiplier_puts_every_queue_at_one_address)
{
	struct pci_func *f = modern(VIRTIO_ID_NET, 0);
	struct virtq q0, q1;

	fv->q[1].num_max = 256;
	cr_assert_eq(virtio_pci_open(&vp, f), 0, "%s", host_log());
	cr_assert_eq(vp.caps.notify_mult, 0);
	cr_assert_eq(vdev_init(&vp.vdev, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0), 0, "%s", host_log());
	cr_assert_eq(vdev_queue_setup(&vp.vdev, &q0, 0, 16), 0, "%s", host_log());
	cr_assert_eq(vdev_queue_setup(&vp.vdev, &q1, 1, 16), 0, "%s", host_log());
	cr_assert_eq(vp.notify_addr[0], vp.caps.notify.addr);
	cr_assert_eq(vp.notify_addr[1], vp.caps.notify.addr);
	vdev_driver_ok(&vp.vdev);
	vdev_notify(&vp.vdev, 1);
	cr_assert_eq(fv->q[1].notifies, 1);
	assert_clean();
	vdev_reset(&vp.vdev);
	vdev_queue_release(&vp.vdev, &q0);
	vdev_queue_release(&vp.vdev, &q1);
}

Test(pci_virtio, lab10_queue_1_is_notified_at_base_plus_its_offset_times_multiplier)
{
	struct pci_func *f = modern(VIRTIO_ID_NET, 4);
	struct virtq q0, q1;

	fv->q[1].num_max = 256;
	cr_assert_eq(virtio_pci_open(&vp, f), 0, "%s", host_log());
	cr_assert_eq(vdev_init(&vp.vdev, VIRTIO_BIT(VIRTIO_F_VERSION_1), 0), 0, "%s", host_log());
	cr_assert_eq(vdev_queue_setup(&vp.vdev, &q0, 0, 16), 0, "%s", host_log());
	cr_assert_eq(vdev_queue_setup(&vp.vdev, &q1, 1, 16), 0, "%s", host_log());
	cr_assert_eq(vp.notify_addr[1], vp.caps.notify.addr + 4);
	vdev_driver_ok(&vp.vdev);
	vdev_notify(&vp.vdev, 1);
	vdev_notify(&vp.vdev, 0);
	cr_assert_eq(fv->q[0].notifies, 1);
	cr_assert_eq(fv->q[1].notifies, 1);
	assert_clean();
	vdev_reset(&vp.vdev);
	vdev_queue_release(&vp.vdev, &q0);
	vdev_queue_release(&vp.vdev, &q1);
}

Test(pci_virtio, lab10_odd_notify_multiplier_is_refused)
{
	struct pci_func *f = modern(VIRTIO_ID_BLOCK, 3);
	struct virtio_pci_caps c;

	cr_assert_eq(virtio_pci_find_caps(f, &c), -ERANGE);
	cr_assert_lt(virtio_pci_open(&vp, f), 0);
	cr_assert(host_log_has("bad virtio capability list"), "%s", host_log());
}

// the byte offset of the capability of this cfg_type in fn's space
static uint8_t cap_of(uint8_t type)
{
	for (uint8_t p = fn->cfg[PCI_CAP_PTR]; p; p = fn->cfg[p + 1])
		if (fn->cfg[p] == PCI_CAP_ID_VNDR && fn->cfg[p + 3] == type)
			return p;
	cr_assert_fail("no capability of type %u", type);
	return 0;
}

Test(pci_virtio, lab10_structure_outside_its_bar_is_refused)
{
	modern(VIRTIO_ID_BLOCK, 4);
	// the ISR structure claims to start 1 byte before the end of the
	// 16 KiB BAR and to be 2 bytes long
	uint8_t isr = cap_of(VIRTIO_PCI_CAP_ISR_CFG);
	fake_pci_set32(fn, isr + 8, 0x3fff);
	fake_pci_set32(fn, isr + 12, 2);
	struct virtio_pci_caps c;
	cr_assert_eq(virtio_pci_find_caps(&funcs[0], &c), -ERANGE);
	// an offset so large that offset + length wraps in 32 bits
	fake_pci_set32(fn, isr + 8, 0xffffffff);
	fake_pci_set32(fn, isr + 12, 2);
	cr_assert_eq(virtio_pci_find_caps(&funcs[0], &c), -ERANGE);
	cr_assert_lt(virtio_pci_open(&vp, &funcs[0]), 0);
}

// QEMU's modern-pio-notify=on adds a second notify structure in an I/O
// BAR, first in the list; a device may also list a structure twice. The
// driver uses the first of each type it supports (4.1.4.1): the memory
// notify structure with its multiplier, and the first common one.
Test(pci_virtio, lab10_first_capability_of_each_type_it_can_use_wins)
{
	fv = fake_virtio_blk(0, 2, 64);
	fn = fake_pci_virtio_modern(1, fv, 4);
	fake_pci_bar(fn, 2, FAKE_BAR_IO, 4, false);
	struct virtio_pci_notify_cap pio = {.cap = {.cap_vndr = PCI_CAP_ID_VNDR,
	                                            .cap_len = sizeof(pio),
	                                            .cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG,
	                                            .bar = 2,
	                                            .length = 4}};
	uint8_t head = fn->cfg[PCI_CAP_PTR], last = fn->last_cap;
	uint8_t at = fake_pci_cap(fn, &pio, sizeof(pio));
	// moved to the front of the list, where QEMU puts it
	fn->cfg[last + 1] = 0;
	fn->cfg[at + 1] = head;
	fn->cfg[PCI_CAP_PTR] = at;
	fn->last_cap = last;
	// and a second common configuration, at the end, pointing elsewhere
	struct virtio_pci_cap dup = {.cap_vndr = PCI_CAP_ID_VNDR,
	                             .cap_len = sizeof(dup),
	                             .cfg_type = VIRTIO_PCI_CAP_COMMON_CFG,
	                             .bar = 4,
	                             .offset = 0x2000,
	                             .length = 0x38};
	fake_pci_cap(fn, &dup, sizeof(dup));
	struct pci_func *f = bring_up();
	struct virtio_pci_caps c;

	cr_assert_eq(virtio_pci_find_caps(f, &c), 0);
	cr_assert_eq(c.common.addr, f->bar[4].cpu, "the first common configuration");
	cr_assert_eq(c.notify.addr, f->bar[4].cpu + 0x3000, "the notify structure in memory");
	cr_assert_eq(c.notify_mult, 4, "the multiplier of the notify structure used");
	uint8_t buf[512];
	cr_assert_eq(virtio_pci_open(&vp, f), 0, "%s", host_log());
	cr_assert_eq(virtio_dev_register(&vp.vdev), 0);
	cr_assert_eq(vblk_probe(), 0, "%s", host_log());
	cr_assert_eq(vblk_rw(vblk_next(NULL), 0, 5, buf, sizeof(buf)), 0, "%s", host_log());
	cr_assert_eq(buf[7], fake_virtio_pattern(5 * 512 + 7));
	assert_clean();
}

Test(pci_virtio, lab10_capability_loop_is_an_error_not_a_hang)
{
	modern(VIRTIO_ID_BLOCK, 4);
	uint8_t common = cap_of(VIRTIO_PCI_CAP_COMMON_CFG);
	fn->cfg[fn->last_cap + 1] = common; // the last points back to the second
	struct virtio_pci_caps c;
	cr_assert_eq(virtio_pci_find_caps(&funcs[0], &c), -EIO);
	cr_assert_lt(virtio_pci_open(&vp, &funcs[0]), 0);
	cr_assert(host_log_has("bad virtio capability list"), "%s", host_log());
}

Test(pci_virtio, lab10_capability_longer_than_the_space_is_an_error)
{
	modern(VIRTIO_ID_BLOCK, 4);
	fn->cfg[cap_of(VIRTIO_PCI_CAP_NOTIFY_CFG) + 2] = 0xf0; // cap_len runs past 256
	struct virtio_pci_caps c;
	cr_assert_eq(virtio_pci_find_caps(&funcs[0], &c), -EIO);
}

Test(pci_virtio, lab10_missing_notify_capability_is_enodev)
{
	modern(VIRTIO_ID_BLOCK, 4);
	fn->cfg[cap_of(VIRTIO_PCI_CAP_NOTIFY_CFG) + 3] = 0x77; // a type nobody knows
	struct virtio_pci_caps c;
	cr_assert_eq(virtio_pci_find_caps(&funcs[0], &c), -ENODEV);
	cr_assert_lt(virtio_pci_open(&vp, &funcs[0]), 0, "a 0x1042 device has no legacy fallback");
	cr_assert(host_log_has("no common, notify and ISR capabilities; not used"), "%s",
	          host_log());
}

Test(pci_virtio, lab10_device_that_drops_features_ok_fails_cleanly)
{
	struct pci_func *f = modern(VIRTIO_ID_BLOCK, 4);

	fv->refuse_features_ok = true;
	cr_assert_eq(virtio_pci_open(&vp, f), 0);
	cr_assert_lt(vdev_init(&vp.vdev, ~0ull, VIRTIO_BIT(VIRTIO_F_VERSION_1)), 0);
	cr_assert(vdev_status(&vp.vdev) & VIRTIO_STATUS_FAILED, "FAILED set after the refusal");
	cr_assert_eq(fv->q[0].notifies, 0);
	assert_clean();
}

Test(pci_virtio, lab10_isr_read_acknowledges_and_config_reads_stay_inside)
{
	struct pci_func *f = modern(VIRTIO_ID_BLOCK, 4);

	cr_assert_eq(virtio_pci_open(&vp, f), 0);
	fv->int_status = VIRTIO_ISR_VQ | VIRTIO_ISR_CONFIG;
	cr_assert_eq(vdev_ack_interrupt(&vp.vdev), VIRTIO_ISR_VQ | VIRTIO_ISR_CONFIG);
	cr_assert_eq(vdev_ack_interrupt(&vp.vdev), 0, "the read cleared it");
	// capacity (64 sectors) at offset 0 of virtio_blk_config
	uint64_t cap = 0;
	cr_assert_eq(vdev_config_read(&vp.vdev, 0, &cap, 8), 0);
	cr_assert_eq(cap, 64);
	// past the 256-byte device structure: 0, and no access at all
	cr_assert_eq(vp.vdev.ops->config_read(&vp.vdev, 0x100, 4), 0);
	assert_clean();
}

Test(pci_virtio, lab10_function_without_addresses_is_not_opened)
{
	struct fake_fdt_opts o = {.no_mem64 = true, .mem32_size = 0x1000};
	cr_assert(fake_pci_fdt(tree, sizeof(tree), &o) > 0);
	cr_assert_eq(pci_host_from_fdt(tree, &host), 0);
	fv = fake_virtio_blk(0, 2, 64);
	fn = fake_pci_virtio_modern(1, fv, 4);
	cr_assert_eq(pci_enumerate(&host, funcs, 4), 1);
	cr_assert_eq(pci_assign(&host, &funcs[0]), -ENOSPC);
	cr_assert_eq(virtio_pci_open(&vp, &funcs[0]), -ENODEV);
	cr_assert(host_log_has("the function has no addresses"), "%s", host_log());
}
