// Lab 1: probing the eight virtio-mmio slots against a fake register file.
#include <criterion/criterion.h>

#include "fake_mmio.h"
#include "host_kernel.h"
#include "virtio/scan.h"
#include "virtio/virtio_dev.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define QEMU_VENDOR 0x554d4551

static void setup(void)
{
	fake_mmio_reset();
	host_log_clear();
}

TestSuite(scan, .init = setup);

Test(scan, lab0_given_empty_slot_has_device_id_zero)
{
	struct virtio_slot s;

	fake_mmio_set_ids(0, VIRTIO_MMIO_MAGIC, 2, 0, QEMU_VENDOR);
	virtio_probe_slot(0, fake_mmio_base(0), &s);
	cr_assert_eq(s.state, SLOT_EMPTY);
}

Test(scan, lab1_bad_magic_is_reported_and_skipped)
{
	struct virtio_slot s;

	fake_mmio_set_ids(2, 0x12345678, 2, 2, QEMU_VENDOR);
	virtio_probe_slot(2, fake_mmio_base(2), &s);
	cr_assert_eq(s.state, SLOT_BAD_MAGIC);
	cr_assert_eq(s.magic, 0x12345678);
	cr_assert_eq(s.device_id, 0, "a slot with a bad magic is not read further");
}

Test(scan, lab1_version_3_is_not_touched)
{
	struct virtio_slot s;

	fake_mmio_set_ids(1, VIRTIO_MMIO_MAGIC, 3, 2, QEMU_VENDOR);
	virtio_probe_slot(1, fake_mmio_base(1), &s);
	cr_assert_eq(s.state, SLOT_BAD_VERSION);
	cr_assert_eq(s.version, 3);
	cr_assert_eq(s.device_id, 0, "an unknown version's device id is not read");
}

Test(scan, lab1_legacy_and_modern_devices_are_found)
{
	struct virtio_slot a, b;

	fake_mmio_set_ids(0, VIRTIO_MMIO_MAGIC, 1, VIRTIO_ID_BLOCK, QEMU_VENDOR);
	fake_mmio_set_ids(1, VIRTIO_MMIO_MAGIC, 2, VIRTIO_ID_RNG, QEMU_VENDOR);
	virtio_probe_slot(0, fake_mmio_base(0), &a);
	virtio_probe_slot(1, fake_mmio_base(1), &b);
	cr_assert_eq(a.state, SLOT_DEVICE);
	cr_assert_eq(a.version, 1);
	cr_assert_eq(a.device_id, VIRTIO_ID_BLOCK);
	cr_assert_eq(a.vendor_id, QEMU_VENDOR);
	cr_assert_eq(b.state, SLOT_DEVICE);
	cr_assert_eq(b.version, 2);
	cr_assert_eq(b.device_id, VIRTIO_ID_RNG);
}

Test(scan, lab1_full_scan_finds_two_devices_including_the_last_slot)
{
	fake_mmio_set_ids(3, VIRTIO_MMIO_MAGIC, 2, VIRTIO_ID_RNG, QEMU_VENDOR);
	fake_mmio_set_ids(7, VIRTIO_MMIO_MAGIC, 1, VIRTIO_ID_BLOCK, QEMU_VENDOR);
	for (int i = 0; i < 7; i++)
		if (i != 3)
			fake_mmio_set_ids(i, VIRTIO_MMIO_MAGIC, 1, 0, QEMU_VENDOR);
	virtio_scan();
	cr_assert(
	    host_log_has("virtio: slot 3 @ 0x10004000: version 2 (modern), device 4 (entropy)"),
	    "log was:\n%s", host_log());
	cr_assert(host_log_has("virtio: slot 7 @ 0x10008000: version 1 (legacy), device 2 (block)"),
	          "log was:\n%s", host_log());
	cr_assert(host_log_has("virtio: 2 devices found"));
	// both are registered for the drivers, in slot order, with their IRQs
	struct virtio_dev *blk = virtio_dev_next(VIRTIO_ID_BLOCK, NULL);
	struct virtio_dev *rng = virtio_dev_next(VIRTIO_ID_RNG, NULL);
	cr_assert_not_null(blk);
	cr_assert_not_null(rng);
	cr_assert_str_eq(blk->name, "slot 7");
	cr_assert_eq(blk->irq, 8);
	cr_assert(blk->legacy);
	cr_assert_str_eq(rng->name, "slot 3");
	cr_assert_not(rng->legacy);
	cr_assert_eq(virtio_dev_at(0), rng, "slot 3 is discovered before slot 7");
	cr_assert_null(virtio_dev_next(VIRTIO_ID_BLOCK, blk));
	cr_assert_null(virtio_dev_next(VIRTIO_ID_NET, NULL));
}

Test(scan, lab0_given_device_names_cover_the_common_ids)
{
	cr_assert_str_eq(virtio_device_name(VIRTIO_ID_BLOCK), "block");
	cr_assert_str_eq(virtio_device_name(VIRTIO_ID_NET), "network");
	cr_assert_str_eq(virtio_device_name(16), "gpu");
	cr_assert_str_eq(virtio_device_name(999), "unknown");
}
