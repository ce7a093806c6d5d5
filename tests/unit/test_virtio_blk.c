// Labs 3-5: the virtio-blk driver (spec 5.2) against the fake disk, on
// both transports: probing, byte-exact reads and writes, requests the
// driver refuses, and the device's geometry and limits. The errors, many
// requests in flight and failures are in test_virtio_blk_errors.c.
#include <criterion/criterion.h>
#include <string.h>

#include "blk_fixture.h"

static uint8_t buf2[256 * 1024]; // a second buffer, for reading back what was written

// a driver that hangs (a wait without a timeout) fails instead of stalling the run
TestSuite(virtio_blk, .init = setup, .fini = teardown, .timeout = 60);

// --- probe --------------------------------------------------------------------------

static void probe_on(uint32_t version)
{
	plug_and_probe(version);
	cr_assert(host_log_has(version == 1 ? "virtio-blk: slot 7, mmio-legacy transport"
	                                    : "virtio-blk: slot 7, mmio-modern transport"),
	          "%s", host_log());
	cr_assert(host_log_has("capacity 4096 sectors (2048 KiB), block size 512"), "%s",
	          host_log());
	uint32_t want = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK |
	                (version == 2 ? VIRTIO_STATUS_FEATURES_OK : 0);
	cr_assert_eq(fv->status, want, "status 0x%x", fv->status);
	struct blkdev *bd = vblk_blkdev(vblk_next(0));
	cr_assert_not_null(bd);
	cr_assert_str_eq(bd->name, "virtio-blk (slot 7)");
	cr_assert_eq(bd->sectors, SECTORS);
	cr_assert_eq(bd->block_size, 512);
	cr_assert_not(bd->read_only);
	finish();
}

Test(virtio_blk, lab3_probe_finds_a_legacy_disk)
{
	probe_on(1);
}

Test(virtio_blk, lab3_probe_finds_a_modern_disk)
{
	probe_on(2);
}

Test(virtio_blk, lab0_given_probe_without_a_disk_is_enodev)
{
	fake_virtio_new(3, 2, VIRTIO_ID_RNG);
	virtio_scan();
	cr_assert_eq(vblk_probe(), -ENODEV);
	cr_assert(host_log_has("no block device found"));
	cr_assert_not(vblk_present(vblk_next(0)));
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), -ENODEV);
}

Test(virtio_blk, lab4_probe_reads_the_serial_number_with_get_id)
{
	plug(2);
	strcpy(fv->serial, "SN-1234\x01");
	probe_ok();
	cr_assert_eq(fv->blk_get_ids, 1);
	cr_assert(host_log_has("virtio-blk: serial \"SN-1234?\""), "%s", host_log());
	finish();
}

Test(virtio_blk, lab3_device_without_get_id_has_no_serial)
{
	plug(1);
	fv->no_get_id = true;
	probe_ok();
	cr_assert(host_log_has("virtio-blk: serial \"(none)\""), "%s", host_log());
	finish();
}

Test(virtio_blk, lab2_features_refused_at_probe_fail_cleanly)
{
	plug(2);
	fv->refuse_features_ok = true;
	virtio_scan();
	cr_assert_eq(vblk_probe(), -ENOTSUP);
	cr_assert_not(vblk_present(vblk_next(0)));
	cr_assert(fv->status & VIRTIO_STATUS_FAILED);
	cr_assert_eq(host_dma_outstanding(), 0);
	assert_driver_followed_the_spec();
}

Test(virtio_blk, lab3_needs_reset_at_driver_ok_fails_probe_cleanly)
{
	plug(2);
	fv->needs_reset_on_status = VIRTIO_STATUS_DRIVER_OK;
	virtio_scan();
	cr_assert_eq(vblk_probe(), -EIO);
	cr_assert_not(vblk_present(vblk_next(0)));
	cr_assert_eq(host_dma_outstanding(), 0);
}

// --- reading and writing --------------------------------------------------------------

static void read_on(uint32_t version)
{
	plug_and_probe(version);
	memset(buf, 0, 8 * 512);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 100, buf, 8 * 512), 0, "%s",
	             host_log());
	assert_pattern(100, buf, 8 * 512);
	// and through the block layer
	memset(buf, 0, 512);
	cr_assert_eq(blk_read(vblk_blkdev(vblk_next(0)), SECTORS - 1, buf, 512), 0);
	assert_pattern(SECTORS - 1, buf, 512);
	finish();
}

Test(virtio_blk, lab4_read_is_byte_exact_on_legacy)
{
	read_on(1);
}

Test(virtio_blk, lab4_read_is_byte_exact_on_modern)
{
	read_on(2);
}

static void write_on(uint32_t version)
{
	plug_and_probe(version);
	fill(buf, 16 * 512, 3);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_OUT, 200, buf, 16 * 512), 0, "%s",
	             host_log());
	assert_disk_is(200, buf, 16 * 512);
	assert_pattern(199, fv->disk + 199 * 512, 512); // neighbours untouched
	assert_pattern(216, fv->disk + 216 * 512, 512);
	memset(buf2, 0, 16 * 512);
	cr_assert_eq(blk_read(vblk_blkdev(vblk_next(0)), 200, buf2, 16 * 512), 0);
	cr_assert_arr_eq(buf, buf2, 16 * 512);
	fill(buf, 512, 9);
	cr_assert_eq(blk_write(vblk_blkdev(vblk_next(0)), 0, buf, 512), 0);
	assert_disk_is(0, buf, 512);
	finish();
}

Test(virtio_blk, lab5_write_is_byte_exact_on_legacy)
{
	write_on(1);
}

Test(virtio_blk, lab5_write_is_byte_exact_on_modern)
{
	write_on(2);
}

Test(virtio_blk, lab5_flush_reaches_a_device_with_a_write_cache)
{
	plug_and_probe(2);
	cr_assert_eq(blk_flush(vblk_blkdev(vblk_next(0))), 0);
	cr_assert_eq(fv->blk_flushes, 1);
	finish();
}

Test(virtio_blk, lab5_flush_is_not_sent_to_a_device_without_flush)
{
	plug(1);
	fv->offered &= ~BIT(VIRTIO_BLK_F_FLUSH);
	probe_ok();
	cr_assert_eq(blk_flush(vblk_blkdev(vblk_next(0))), 0);
	cr_assert_eq(fv->blk_flushes, 0);
	finish();
}

// --- requests the driver refuses ---------------------------------------------------------

Test(virtio_blk, lab3_read_past_the_end_is_erange)
{
	plug_and_probe(2);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, SECTORS - 1, buf, 1024), -ERANGE);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, SECTORS, buf, 512), -ERANGE);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_OUT, ~0ULL - 1, buf, 1024), -ERANGE);
	cr_assert_eq(fv->blk_reads + fv->blk_writes, 0, "nothing reached the device");
	cr_assert_eq(blk_read(vblk_blkdev(vblk_next(0)), SECTORS, buf, 512), -ERANGE);
	finish();
}

Test(virtio_blk, lab3_length_not_a_multiple_of_512_is_einval)
{
	plug_and_probe(1);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 700), -EINVAL);
	struct vblk_io io = {VIRTIO_BLK_T_OUT, 0, buf, 513, 0};
	cr_assert_eq(vblk_run(vblk_next(0), &io, 1, 1), -EINVAL);
	cr_assert_eq(io.result, -EINVAL);
	cr_assert_eq(blk_read(vblk_blkdev(vblk_next(0)), 0, buf, 100), -EINVAL);
	cr_assert_eq(fv->blk_reads + fv->blk_writes, 0);
	finish();
}

Test(virtio_blk, lab4_read_only_device_refuses_writes)
{
	plug(2);
	fv->offered |= BIT(VIRTIO_BLK_F_RO);
	probe_ok();
	cr_assert(vblk_blkdev(vblk_next(0))->read_only);
	cr_assert(host_log_has(", read-only"), "%s", host_log());
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_OUT, 0, buf, 512), -EROFS);
	cr_assert_eq(blk_write(vblk_blkdev(vblk_next(0)), 0, buf, 512), -EROFS);
	cr_assert_eq(fv->blk_writes, 0);
	assert_pattern(0, fv->disk, 512);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), 0, "reads still work");
	finish();
}

// --- device geometry ------------------------------------------------------------------------

Test(virtio_blk, lab5_logical_block_size_4096)
{
	plug(2);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(blk_size), 4096, 4);
	probe_ok();
	cr_assert_eq(vblk_blkdev(vblk_next(0))->block_size, 4096);
	memset(buf, 0, 8192);
	cr_assert_eq(blk_read(vblk_blkdev(vblk_next(0)), 8, buf, 8192), 0, "%s", host_log());
	assert_pattern(8, buf, 8192);
	cr_assert_eq(blk_read(vblk_blkdev(vblk_next(0)), 8, buf, 512), -EINVAL,
	             "less than a block");
	cr_assert_eq(blk_read(vblk_blkdev(vblk_next(0)), 4, buf, 4096), -EINVAL,
	             "not on a block boundary");
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 8, buf, 512), -EINVAL);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 12, buf, 4096), -EINVAL);
	fill(buf, 4096, 1);
	cr_assert_eq(blk_write(vblk_blkdev(vblk_next(0)), 16, buf, 4096), 0);
	assert_disk_is(16, buf, 4096);
	finish();
}

Test(virtio_blk, lab3_block_size_that_is_not_a_power_of_two_is_ignored)
{
	plug(1);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(blk_size), 1000, 4);
	probe_ok();
	cr_assert(host_log_has("ignoring block size 1000"), "%s", host_log());
	cr_assert_eq(vblk_blkdev(vblk_next(0))->block_size, 512);
	finish();
}

// size_max bounds each data descriptor, seg_max how many a request has
// (spec 5.2.4); the fake device checks both on every request.
Test(virtio_blk, lab4_size_max_splits_large_transfers)
{
	plug(2);
	fv->offered |= BIT(VIRTIO_BLK_F_SIZE_MAX);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(size_max), 4096, 4);
	probe_ok();
	// seg_max is 126, of which a request uses at most 6 (an indirect table)
	cr_assert(host_log_has("max request 24576 bytes"), "%s", host_log());
	memset(buf, 0, 65536);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 64, buf, 65536), 0, "%s", host_log());
	assert_pattern(64, buf, 65536);
	cr_assert_eq(fv->blk_max_data, 24576);
	fill(buf, 40960, 5);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_OUT, 1000, buf, 40960), 0, "%s",
	             host_log());
	assert_disk_is(1000, buf, 40960);
	finish();
}

Test(virtio_blk, lab4_seg_max_of_one_keeps_requests_within_size_max)
{
	plug(1);
	fv->offered |= BIT(VIRTIO_BLK_F_SIZE_MAX);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(size_max), 4096, 4);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(seg_max), 1, 4);
	probe_ok();
	cr_assert(host_log_has("max request 4096 bytes"), "%s", host_log());
	memset(buf, 0, 65536);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 64, buf, 65536), 0, "%s", host_log());
	assert_pattern(64, buf, 65536);
	cr_assert_eq(fv->blk_max_data, 4096);
	finish();
}

// A segment smaller than a block: one block takes several descriptors.
Test(virtio_blk, lab4_size_max_smaller_than_a_block_uses_several_segments)
{
	plug(2);
	fv->offered |= BIT(VIRTIO_BLK_F_SIZE_MAX);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(size_max), 256, 4);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(seg_max), 2, 4);
	probe_ok();
	cr_assert(host_log_has("max request 512 bytes"), "%s", host_log());
	memset(buf, 0, 4096);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 8, buf, 4096), 0, "%s", host_log());
	assert_pattern(8, buf, 4096);
	finish();
}

Test(virtio_blk, lab4_limits_that_cannot_carry_a_block_refuse_the_device)
{
	plug(2);
	fv->offered |= BIT(VIRTIO_BLK_F_SIZE_MAX);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(size_max), 256, 4);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(seg_max), 1, 4);
	virtio_scan();
	cr_assert_eq(vblk_probe(), -ENOTSUP);
	cr_assert(host_log_has("size_max 256 and seg_max 1 cannot carry one 512-byte block"), "%s",
	          host_log());
	cr_assert(fv->status & VIRTIO_STATUS_FAILED);
}

Test(virtio_blk, lab4_transfer_of_more_than_32_requests_is_split_into_batches)
{
	plug(1);
	fv->offered |= BIT(VIRTIO_BLK_F_SIZE_MAX);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(size_max), 1024, 4);
	probe_ok();
	memset(buf, 0, 100 * 1024);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 2, buf, 100 * 1024), 0, "%s",
	             host_log());
	assert_pattern(2, buf, 100 * 1024);
	finish();
}

// vq_size is a 64-bit number on the boot line: 65540 must not wrap to a
// 4-entry queue (it is past the split ring's 32768, so the default, 256)
Test(virtio_blk, lab3_vq_size_beyond_16_bits_does_not_wrap)
{
	strcpy(boot_info.bootargs, "vq_size=65540");
	plug_and_probe(2);
	cr_assert(host_log_has("queue 0: 256 entries (device max 256)"), "%s", host_log());
	finish();
}
