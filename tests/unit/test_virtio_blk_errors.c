// Labs 4, 7 and 8: the virtio-blk driver against a fake disk that fails:
// every error status, a device that never answers or needs a reset, many
// requests in flight completed out of order, interrupts, allocation
// failures and a device lost during probe.
#include <criterion/criterion.h>
#include <string.h>

#include "blk_fixture.h"
#include "virtio/virtio_dev.h"

// a driver that hangs (a wait without a timeout) fails instead of stalling the run
TestSuite(virtio_blk_errors, .init = setup, .fini = teardown, .timeout = 60);

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

Test(virtio_blk_errors, lab4_ioerr_status_is_eio)
{
	failed_sector_gives(1, -EIO, "sector 48: status 1");
}

Test(virtio_blk_errors, lab4_unsupp_status_is_enotsup)
{
	failed_sector_gives(2, -ENOTSUP, "sector 48: status 2");
}

Test(virtio_blk_errors, lab4_garbage_status_is_eproto)
{
	failed_sector_gives(0x7e, -EPROTO, "sector 48: status 126");
}

Test(virtio_blk_errors, lab4_short_written_length_is_eio)
{
	plug_and_probe(1);
	fv->short_by = 1; // the status byte arrives, one data byte is "missing"
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 8, buf, 4096), -EIO);
	cr_assert(host_log_has("4096 bytes written"), "%s", host_log());
	finish();
}

Test(virtio_blk_errors, lab4_device_that_never_completes_times_out_then_recovers)
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
	cr_assert_eq(host_dma_outstanding(), 4, "the old rings were freed, new ones taken");

	fv->when = FV_NOW;
	memset(buf, 0, 512);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 7, buf, 512), 0, "%s", host_log());
	assert_pattern(7, buf, 512);
	finish();
}

Test(virtio_blk_errors, lab4_device_that_needs_reset_is_recovered)
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

Test(virtio_blk_errors, lab4_device_that_does_not_come_back_from_reset_is_dropped)
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

Test(virtio_blk_errors, lab4_protocol_error_fails_the_request_and_recovers)
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

Test(virtio_blk_errors, lab8_many_requests_in_flight_completed_in_reverse_are_all_correct)
{
	plug_and_probe(2);
	fv->order = FV_REVERSE;
	fv->q[0].norder_log = 0;
	run_many(64, 0);
	cr_assert_geq(fv->q[0].max_pending, 32, "the requests were in flight together");
	cr_assert(completed_out_of_order());
	finish();
}

Test(virtio_blk_errors, lab8_many_requests_completed_in_random_order_are_all_correct)
{
	plug_and_probe(1);
	fv->order = FV_SHUFFLE;
	fv->seed = 12345;
	fv->q[0].norder_log = 0;
	run_many(200, 0);
	cr_assert(completed_out_of_order());
	finish();
}

Test(virtio_blk_errors, lab8_full_queue_waits_for_completions_instead_of_failing)
{
	strcpy(boot_info.bootargs, "vq_size=16");
	plug(2);
	probe_ok();
	vblk_irqs_ready(); // what the boot does once the interrupt is wired
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

Test(virtio_blk_errors, lab8_full_queue_without_indirect_waits_for_completions)
{
	strcpy(boot_info.bootargs, "vq_size=16 indirect=off");
	plug(1);
	probe_ok();
	fv->hold_notifies = 0;
	run_many(100, 0);
	cr_assert_leq(fv->q[0].max_pending, 5, "16 descriptors hold five 3-descriptor chains");
	finish();
}

Test(virtio_blk_errors, lab4_indirect_off_sends_direct_chains)
{
	strcpy(boot_info.bootargs, "indirect=off");
	plug(2);
	probe_ok();
	cr_assert_not(fv->driver_features & BIT(VIRTIO_F_INDIRECT_DESC));
	run_many(20, 0);
	cr_assert_eq(fv->q[0].indirect_chains, 0);
	finish();
}

Test(virtio_blk_errors, lab4_indirect_on_sends_indirect_chains)
{
	plug_and_probe(1);
	cr_assert(fv->driver_features & BIT(VIRTIO_F_INDIRECT_DESC));
	run_many(20, 0);
	cr_assert_eq(fv->q[0].indirect_chains, fv->q[0].chains);
	finish();
}

Test(virtio_blk_errors, lab4_event_idx_off_still_works)
{
	strcpy(boot_info.bootargs, "event_idx=off");
	plug(2);
	probe_ok();
	cr_assert_not(fv->driver_features & BIT(VIRTIO_F_EVENT_IDX));
	run_many(40, 0);
	finish();
}

Test(virtio_blk_errors, lab7_event_idx_and_interrupts_work_together)
{
	plug_and_probe(1);
	cr_assert(fv->driver_features & BIT(VIRTIO_F_EVENT_IDX));
	vblk_irqs_ready(); // what the boot does once the interrupt is wired
	vblk_set_polling(false);
	host_idle_hook = fake_virtio_idle;
	fv->when = FV_ON_IDLE;
	uint64_t before = fv->irqs;
	run_many(40, 4);
	cr_assert_gt(fv->irqs, before);
	finish();
}

Test(virtio_blk_errors, lab7_polling_mode_asks_for_no_interrupts)
{
	plug_and_probe(2);
	uint64_t before = fv->irqs;
	run_many(40, 0);
	cr_assert_leq(fv->irqs - before, 1, "%lu interrupts while polling",
	              (unsigned long)(fv->irqs - before));
	finish();
}

Test(virtio_blk_errors, lab8_depth_one_keeps_one_request_in_flight)
{
	plug_and_probe(2);
	fv->q[0].max_pending = 0;
	run_many(10, 1);
	cr_assert_eq(fv->q[0].max_pending, 1);
	finish();
}

Test(virtio_blk_errors, lab7_interrupt_handler_acknowledges_what_the_device_raised)
{
	plug_and_probe(2);
	vblk_irqs_ready(); // what the boot does once the interrupt is wired
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
Test(virtio_blk_errors, lab7_needs_reset_interrupt_resets_without_waiting_for_the_timeout)
{
	plug_and_probe(2);
	vblk_irqs_ready(); // what the boot does once the interrupt is wired
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
Test(virtio_blk_errors, lab7_capacity_change_interrupt_updates_the_disk_size)
{
	plug_and_probe(2);
	struct blkdev *bd = vblk_blkdev(vblk_next(0));
	fake_virtio_config_set(fv, FV_BLK_CONFIG(capacity), SECTORS / 2, 8);
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
	cr_assert_eq(failed, 4,
	             "probe makes four allocations (rings, queue state, request slots, the "
	             "queue's record of each slot's chain)");
}

Test(virtio_blk_errors, lab4_dma_failure_during_probe_at_each_allocation_leaks_nothing)
{
	probe_fails_cleanly_at_each_allocation(2, "");
}

Test(virtio_blk_errors, lab4_dma_failure_during_legacy_probe_without_indirect_leaks_nothing)
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
Test(virtio_blk_errors, lab4_device_lost_during_probe_is_not_registered)
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
// The boot line can no longer ask for such a queue (bootarg.c refuses
// vq_size 1 to 3), so the device's own maximum makes it here.
Test(virtio_blk_errors, lab0_given_queue_smaller_than_a_request_never_gets_one)
{
	strcpy(boot_info.bootargs, "blk_timeout_ms=10");
	plug(2);
	fv->q[0].num_max = 2;
	virtio_scan();
	if (vblk_probe() == 0)
		vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512);
	assert_driver_followed_the_spec();
}

// The same queue refused with the real reason, and the disk said not to
// be used before the caller falls back to the ramdisk.
Test(virtio_blk_errors, lab3_queue_too_small_is_refused_with_the_reason)
{
	plug(2);
	fv->q[0].num_max = 2;
	virtio_scan();
	cr_assert_lt(vblk_probe(), 0);
	cr_assert(host_log_has("virtio-blk: a 2-entry queue cannot hold a 3-descriptor request "
	                       "(spec 2.7.5.3.1: no chain may be longer than the queue, an "
	                       "indirect table's entries included)\n"),
	          "%s", host_log());
	cr_assert(host_log_has("virtio-blk: 1 disk found, none could be started (see above): it "
	                       "is NOT in use\n"),
	          "%s", host_log());
	struct virtio_dev *d = virtio_dev_next(VIRTIO_ID_BLOCK, 0);
	cr_assert_str_eq(vdev_use(d), "virtio-blk failed to start it");
}

// What `devices` says of each device: the disk a driver took by its name,
// a second entropy device as not used, a type with no driver as such;
// boot names the undriven one once (virtio_report_undriven).
Test(virtio_blk_errors, lab10_devices_say_what_drives_each_device)
{
	plug(2);
	fake_virtio_new(BLK_SLOT - 1, 2, 16); // gpu
	fake_virtio_new(BLK_SLOT - 2, 2, VIRTIO_ID_RNG);
	fake_virtio_new(BLK_SLOT - 3, 2, VIRTIO_ID_RNG);
	probe_ok();
	struct virtio_dev *blk = virtio_dev_next(VIRTIO_ID_BLOCK, 0);
	cr_assert_str_eq(vdev_use(blk), "driven by virtio-blk vda");
	struct virtio_dev *first = virtio_claim_first(VIRTIO_ID_RNG, "virtio-rng");
	struct virtio_dev *second = virtio_dev_next(VIRTIO_ID_RNG, first);
	cr_assert_not_null(second);
	cr_assert_str_eq(vdev_use(first), "driven by virtio-rng");
	cr_assert_str_eq(vdev_use(second), "not used: another entropy device");
	struct virtio_dev *gpu = virtio_dev_next(16, 0);
	cr_assert_not_null(gpu);
	cr_assert_str_eq(vdev_use(gpu), "virtio transport, no driver for device type 16 (gpu)");
	host_log_clear();
	virtio_report_undriven();
	cr_assert_str_eq(host_log(),
	                 "virtio: slot 6: gpu device (type 16): no driver in this kernel, "
	                 "left alone\n");
	finish();
}
