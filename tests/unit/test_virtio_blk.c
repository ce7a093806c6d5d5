// Labs 4, 5, 7 and 8: the virtio-blk driver (spec 5.2) against the fake
// disk, on both transports: byte-exact reads and writes, every error
// status, a device that never answers, many requests in flight completed
// out of order, and allocation failures during probe.
#include <criterion/criterion.h>
#include <string.h>

#include "blk/blkdev.h"
#include "errno.h"
#include "fake_mmio.h"
#include "fake_virtio.h"
#include "fdt.h"
#include "host_kernel.h"
#include "mem.h"
#include "virtio/blk.h"
#include "virtio/scan.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define BIT(b)   VIRTIO_BIT(b)
#define SECTORS  4096 // a 2 MiB disk
#define BLK_SLOT 7    // where QEMU puts a single disk

static struct fake_virtio *fv;
static uint8_t buf[256 * 1024], buf2[256 * 1024];

static void setup(void)
{
	fake_mmio_reset();
	host_log_clear();
	host_time_reset();
	boot_info.bootargs[0] = '\0';
	host_idle_hook = NULL;
}

static void teardown(void)
{
	vblk_remove();
	fake_virtio_free_all();
	dma_fail_nth(0);
}

// a driver that hangs (a wait without a timeout) fails instead of stalling the run
TestSuite(virtio_blk, .init = setup, .fini = teardown, .timeout = 60);

// A disk in slot 7 and empty transports in the others, as QEMU lays them out.
static struct fake_virtio *plug(uint32_t version)
{
	for (int i = 0; i < BLK_SLOT; i++)
		fake_mmio_set_ids(i, VIRTIO_MMIO_MAGIC, version, 0, 0x554d4551);
	fv = fake_virtio_blk(BLK_SLOT, version, SECTORS);
	return fv;
}

static void probe_ok(void)
{
	virtio_scan();
	int err = vblk_probe();
	cr_assert_eq(err, 0, "probe: %d\n%s", err, host_log());
	cr_assert(vblk_present(vblk_next(0)));
}

static struct fake_virtio *plug_and_probe(uint32_t version)
{
	plug(version);
	probe_ok();
	return fv;
}

static void assert_driver_followed_the_spec(void)
{
	cr_assert_eq(fv->errors, 0,
	             "the fake device saw %d protocol errors, the first: %s\nlog:\n%s", fv->errors,
	             fv->error, host_log());
}

// The end of every test: the device is let go, nothing is left allocated.
static void finish(void)
{
	assert_driver_followed_the_spec();
	vblk_remove();
	cr_assert_not(vblk_present(vblk_next(0)));
	cr_assert_eq(fv->status, 0, "vblk_remove resets the device");
	cr_assert_eq(host_dma_outstanding(), 0, "DMA memory leaked");
}

static void assert_disk_is(uint64_t sector, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (fv->disk[sector * 512 + i] != p[i])
			cr_assert_fail("disk byte %zu of sector %lu: 0x%02x, expected 0x%02x", i,
			               (unsigned long)sector, fv->disk[sector * 512 + i], p[i]);
}

static void assert_pattern(uint64_t sector, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != fake_virtio_pattern(sector * 512 + i))
			cr_assert_fail("byte %zu read from sector %lu: 0x%02x, expected 0x%02x", i,
			               (unsigned long)sector, p[i],
			               fake_virtio_pattern(sector * 512 + i));
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
}

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

Test(virtio_blk, lab0_probe_without_a_disk_is_enodev)
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

// --- errors the device reports ------------------------------------------------------------

static void failed_sector_gives(uint8_t status, int err, const char *msg)
{
	plug_and_probe(2);
	fake_virtio_blk_fail_sector(fv, 50, status);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 48, buf, 8 * 512), err, "%s",
	             host_log());
	cr_assert(host_log_has(msg), "%s", host_log());
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 40, buf, 8 * 512), 0,
	             "other sectors still read");
	assert_pattern(40, buf, 8 * 512);
	finish();
}

Test(virtio_blk, lab4_ioerr_status_is_eio)
{
	failed_sector_gives(1, -EIO, "sector 48: status 1");
}

Test(virtio_blk, lab4_unsupp_status_is_enotsup)
{
	failed_sector_gives(2, -ENOTSUP, "sector 48: status 2");
}

Test(virtio_blk, lab4_garbage_status_is_eproto)
{
	failed_sector_gives(0x7e, -EPROTO, "sector 48: status 126");
}

Test(virtio_blk, lab4_short_written_length_is_eio)
{
	plug_and_probe(1);
	fv->short_by = 1; // the status byte arrives, one data byte is "missing"
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 8, buf, 4096), -EIO);
	cr_assert(host_log_has("4096 bytes written"), "%s", host_log());
	finish();
}

Test(virtio_blk, lab4_device_that_never_completes_times_out_then_recovers)
{
	plug_and_probe(2);
	vblk_set_timeout_ms(20);
	fv->when = FV_HOLD;
	uint32_t resets = fv->resets;
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), -ETIMEDOUT);
	cr_assert(host_log_has("no completion in 20 ms"), "%s", host_log());
	cr_assert(host_log_has("resetting the device"), "%s", host_log());
	cr_assert_gt(fv->resets, resets);
	cr_assert(vblk_present(vblk_next(0)), "the device came back after the reset");
	cr_assert_eq(host_dma_outstanding(), 3, "the old rings were freed, new ones taken");

	fv->when = FV_NOW;
	memset(buf, 0, 512);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 7, buf, 512), 0, "%s", host_log());
	assert_pattern(7, buf, 512);
	finish();
}

Test(virtio_blk, lab4_device_that_needs_reset_is_recovered)
{
	plug_and_probe(1);
	vblk_set_timeout_ms(20);
	fv->needs_reset_at_notify = true;
	cr_assert_lt(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), 0);
	cr_assert_not(fv->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET, "the driver reset it");
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 9, buf, 512), 0, "%s", host_log());
	assert_pattern(9, buf, 512);
	finish();
}

Test(virtio_blk, lab4_device_that_does_not_come_back_from_reset_is_dropped)
{
	plug_and_probe(2);
	vblk_set_timeout_ms(20);
	fv->when = FV_HOLD;
	fv->reset_stuck = true;
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), -ETIMEDOUT);
	cr_assert(host_log_has("device did not come back"), "%s", host_log());
	cr_assert_not(vblk_present(vblk_next(0)));
	// the reset never finished, so the device may still write the rings
	// and slots it was given: they stay allocated (spec 2.4)
	cr_assert_gt(host_dma_outstanding(), 0);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), -ENODEV);
	assert_driver_followed_the_spec();
}

Test(virtio_blk, lab4_protocol_error_fails_the_request_and_recovers)
{
	plug_and_probe(2);
	fv->lie = FV_LIE_ID_RANGE;
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), -EPROTO);
	cr_assert(host_log_has("used id out of range"), "%s", host_log());
	cr_assert(vblk_present(vblk_next(0)));
	memset(buf, 0, 512);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 3, buf, 512), 0, "%s", host_log());
	assert_pattern(3, buf, 512);
	finish();
}

// --- many requests ------------------------------------------------------------------------

// n single-sector requests to scattered sectors, half reads, half writes
static void run_many(int n, int depth)
{
	static struct vblk_io io[512];

	cr_assert_leq(n, 512);
	for (int i = 0; i < n; i++) {
		uint64_t sector = (uint64_t)(i * 37) % SECTORS;
		uint8_t *p = buf + (size_t)i * 512;
		if (i % 2)
			fill(p, 512, (uint8_t)i);
		else
			memset(p, 0, 512);
		io[i] =
		    (struct vblk_io){i % 2 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, p, 512, 0};
	}
	cr_assert_eq(vblk_run(vblk_next(0), io, n, depth), 0, "%s", host_log());
	for (int i = 0; i < n; i++) {
		cr_assert_eq(io[i].result, 0, "request %d: %d", i, io[i].result);
		if (i % 2)
			assert_disk_is(io[i].sector, io[i].buf, 512);
		else
			assert_pattern(io[i].sector, io[i].buf, 512);
	}
}

static bool completed_out_of_order(void)
{
	for (uint32_t i = 1; i < fv->q[0].norder_log; i++)
		if (fv->q[0].order_log[i] < fv->q[0].order_log[i - 1])
			return true;
	return false;
}

Test(virtio_blk, lab8_many_requests_in_flight_completed_in_reverse_are_all_correct)
{
	plug_and_probe(2);
	fv->order = FV_REVERSE;
	fv->q[0].norder_log = 0;
	run_many(64, 0);
	cr_assert_geq(fv->q[0].max_pending, 32, "the requests were in flight together");
	cr_assert(completed_out_of_order());
	finish();
}

Test(virtio_blk, lab8_many_requests_completed_in_random_order_are_all_correct)
{
	plug_and_probe(1);
	fv->order = FV_SHUFFLE;
	fv->seed = 12345;
	fv->q[0].norder_log = 0;
	run_many(200, 0);
	cr_assert(completed_out_of_order());
	finish();
}

Test(virtio_blk, lab8_full_queue_waits_for_completions_instead_of_failing)
{
	strcpy(boot_info.bootargs, "vq_size=16");
	plug(2);
	probe_ok();
	vblk_set_polling(false);
	host_idle_hook = fake_virtio_idle;
	fv->when = FV_ON_IDLE;
	fv->idle_wait = 3;
	fv->order = FV_SHUFFLE;
	fv->seed = 7;
	run_many(100, 0);
	cr_assert_eq(fv->q[0].max_pending, 16, "the 16-entry queue was filled");
	cr_assert_gt(fv->irqs, 0, "completions raised interrupts in interrupt mode");
	finish();
}

Test(virtio_blk, lab8_full_queue_without_indirect_waits_for_completions)
{
	strcpy(boot_info.bootargs, "vq_size=16 indirect=off");
	plug(1);
	probe_ok();
	fv->hold_notifies = 0;
	run_many(100, 0);
	cr_assert_leq(fv->q[0].max_pending, 5, "16 descriptors hold five 3-descriptor chains");
	finish();
}

Test(virtio_blk, lab4_indirect_off_sends_direct_chains)
{
	strcpy(boot_info.bootargs, "indirect=off");
	plug(2);
	probe_ok();
	cr_assert_not(fv->driver_features & BIT(VIRTIO_F_INDIRECT_DESC));
	run_many(20, 0);
	cr_assert_eq(fv->q[0].indirect_chains, 0);
	finish();
}

Test(virtio_blk, lab4_indirect_on_sends_indirect_chains)
{
	plug_and_probe(1);
	cr_assert(fv->driver_features & BIT(VIRTIO_F_INDIRECT_DESC));
	run_many(20, 0);
	cr_assert_eq(fv->q[0].indirect_chains, fv->q[0].chains);
	finish();
}

Test(virtio_blk, lab4_event_idx_off_still_works)
{
	strcpy(boot_info.bootargs, "event_idx=off");
	plug(2);
	probe_ok();
	cr_assert_not(fv->driver_features & BIT(VIRTIO_F_EVENT_IDX));
	run_many(40, 0);
	finish();
}

Test(virtio_blk, lab7_event_idx_and_interrupts_work_together)
{
	plug_and_probe(1);
	cr_assert(fv->driver_features & BIT(VIRTIO_F_EVENT_IDX));
	vblk_set_polling(false);
	host_idle_hook = fake_virtio_idle;
	fv->when = FV_ON_IDLE;
	uint64_t before = fv->irqs;
	run_many(40, 4);
	cr_assert_gt(fv->irqs, before);
	finish();
}

Test(virtio_blk, lab7_polling_mode_asks_for_no_interrupts)
{
	plug_and_probe(2);
	uint64_t before = fv->irqs;
	run_many(40, 0);
	cr_assert_leq(fv->irqs - before, 1, "%lu interrupts while polling",
	              (unsigned long)(fv->irqs - before));
	finish();
}

Test(virtio_blk, lab8_depth_one_keeps_one_request_in_flight)
{
	plug_and_probe(2);
	fv->q[0].max_pending = 0;
	run_many(10, 1);
	cr_assert_eq(fv->q[0].max_pending, 1);
	finish();
}

Test(virtio_blk, lab7_interrupt_handler_acknowledges_what_the_device_raised)
{
	plug_and_probe(2);
	vblk_set_polling(false);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), 0, "%s", host_log());
	cr_assert(fv->int_status & VIRTIO_ISR_VQ, "interrupt mode asks for interrupts");
	vblk_interrupt(vblk_next(0));
	cr_assert_eq(fv->int_status, 0, "InterruptACK clears what was raised");
	fake_virtio_set_needs_reset(fv);
	vblk_interrupt(vblk_next(0));
	cr_assert_eq(fv->int_status, 0);
	cr_assert(host_log_has("device set DEVICE_NEEDS_RESET"), "%s", host_log());
	finish();
}

// A device that reports NEEDS_RESET with its configuration interrupt is
// reset at the next wait, without sitting out the request timeout, and
// works afterwards.
Test(virtio_blk, lab7_needs_reset_interrupt_resets_without_waiting_for_the_timeout)
{
	plug_and_probe(2);
	vblk_set_polling(false);
	fake_virtio_set_needs_reset(fv);
	vblk_interrupt(vblk_next(0));
	host_log_clear();
	int err = vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512);
	cr_assert(err == -EIO || err == 0, "first request after NEEDS_RESET: %d", err);
	cr_assert(host_log_has("resetting the device"), "%s", host_log());
	cr_assert_not(host_log_has("no completion in"), "waited for the timeout:\n%s", host_log());
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), 0, "%s", host_log());
	finish();
}

// Spec 5.2.6.1 (via 4.2.2's configuration change notification): the disk
// was resized (QEMU's block_resize); the driver reads the new capacity and
// the block layer refuses what lies beyond it.
Test(virtio_blk, lab7_capacity_change_interrupt_updates_the_disk_size)
{
	plug_and_probe(2);
	struct blkdev *bd = vblk_blkdev(vblk_next(0));
	fake_virtio_config_set(fv, 0, SECTORS / 2, 8);
	fv->disk_bytes = SECTORS / 2 * 512;
	fv->config_gen++;
	fv->int_status |= VIRTIO_ISR_CONFIG;
	vblk_interrupt(vblk_next(0));
	cr_assert(host_log_has("capacity changed from 4096 to 2048 sectors"), "%s", host_log());
	cr_assert_eq(bd->sectors, SECTORS / 2);
	cr_assert_eq(blk_read(bd, SECTORS / 2, buf, 512), -ERANGE);
	cr_assert_eq(blk_read(bd, SECTORS / 2 - 1, buf, 512), 0, "%s", host_log());
	finish();
}

// --- device geometry ------------------------------------------------------------------------

Test(virtio_blk, lab5_logical_block_size_4096)
{
	plug(2);
	fake_virtio_config_set(fv, 20, 4096, 4);
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
	fake_virtio_config_set(fv, 20, 1000, 4);
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
	fake_virtio_config_set(fv, 8, 4096, 4);
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
	fake_virtio_config_set(fv, 8, 4096, 4);
	fake_virtio_config_set(fv, 12, 1, 4);
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
	fake_virtio_config_set(fv, 8, 256, 4);
	fake_virtio_config_set(fv, 12, 2, 4);
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
	fake_virtio_config_set(fv, 8, 256, 4);
	fake_virtio_config_set(fv, 12, 1, 4);
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
	fake_virtio_config_set(fv, 8, 1024, 4);
	probe_ok();
	memset(buf, 0, 100 * 1024);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 2, buf, 100 * 1024), 0, "%s",
	             host_log());
	assert_pattern(2, buf, 100 * 1024);
	finish();
}

// --- running out of memory -------------------------------------------------------------------

static void probe_fails_cleanly_at_each_allocation(uint32_t version, const char *args)
{
	int failed = 0;

	for (unsigned n = 1; n < 20; n++) {
		strcpy(boot_info.bootargs, args);
		plug(version);
		virtio_scan();
		dma_fail_nth(n);
		int err = vblk_probe();
		dma_fail_nth(0);
		if (err == 0) {
			cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), 0);
			finish();
			break;
		}
		cr_assert_eq(err, -ENOMEM, "allocation %u failing: %d\n%s", n, err, host_log());
		cr_assert_not(vblk_present(vblk_next(0)));
		cr_assert(fv->status & VIRTIO_STATUS_FAILED, "the device was told we gave up");
		cr_assert_not(fv->status & VIRTIO_STATUS_DRIVER_OK);
		cr_assert_eq(host_dma_outstanding(), 0, "allocation %u failing leaked", n);
		assert_driver_followed_the_spec();
		failed++;
	}
	cr_assert_eq(failed, 3,
	             "probe makes three allocations (rings, queue state, request slots)");
}

Test(virtio_blk, lab4_dma_failure_during_probe_at_each_allocation_leaks_nothing)
{
	probe_fails_cleanly_at_each_allocation(2, "");
}

Test(virtio_blk, lab4_dma_failure_during_legacy_probe_without_indirect_leaks_nothing)
{
	probe_fails_cleanly_at_each_allocation(1, "indirect=off");
}

// --- a device lost during probe ---------------------------------------------------------

// At the first notify (probe's GET_ID), hold the request and make every
// later reset hang: the timeout's recovery cannot bring the device back.
static void lose_device_at_first_notify(struct fake_virtio *f, int queue, bool idle)
{
	(void)queue, (void)idle;
	f->reset_stuck = true;
}

// Regression test for a driver bug (fixed in 61c4b94): when GET_ID timed
// out and the recovery could not restart the device, vblk_recover set
// vblk.present = false, but vblk_probe went on, registered the dead device
// with blk_root_set() and returned 0.
Test(virtio_blk, lab4_device_lost_during_probe_is_not_registered)
{
	strcpy(boot_info.bootargs, "blk_timeout_ms=10");
	plug(2);
	fv->turn_hook = lose_device_at_first_notify;
	virtio_scan();
	int err = vblk_probe();
	cr_assert(host_log_has("device did not come back"), "%s", host_log());
	cr_assert_not(vblk_present(vblk_next(0)));
	cr_assert_gt(host_dma_outstanding(), 0, "a device whose reset failed keeps its memory");
	cr_assert_lt(err, 0, "probe returned %d for a device it has dropped", err);
	cr_assert_null(vblk_blkdev(vblk_next(0)), "a dropped device must not become the root disk");
}

// Regression test for a driver bug (fixed in 61c4b94): with indirect
// descriptors a queue of 1 or 2 entries got nslots = vq.num, and every
// request went out as a 3-descriptor indirect chain, longer than the
// queue, which spec 2.7.5.3.1 forbids ("A driver MUST NOT create a
// descriptor chain longer than the Queue Size of the device").
Test(virtio_blk, lab0_queue_smaller_than_a_request_never_gets_one)
{
	strcpy(boot_info.bootargs, "vq_size=2 blk_timeout_ms=10");
	plug(2);
	virtio_scan();
	if (vblk_probe() == 0)
		vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512);
	assert_driver_followed_the_spec();
}
