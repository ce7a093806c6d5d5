// Lab 4, 7 and 8: the split virtqueue's notification suppression (spec
// 2.7.7, 2.7.10: NO_NOTIFY, NO_INTERRUPT and the EVENT_IDX indices) and its
// allocation failures, against the strict fake device.
#include "errno.h"
#include "hw/time.h"
#include "vq_fixture.h"

TestSuite(virtqueue_notify, .init = vq_setup, .fini = vq_teardown, .timeout = 60);

// --- notification suppression (spec 2.7.7, 2.7.10) ---------------------------------------

Test(virtqueue_notify, lab4_event_idx_lets_the_device_skip_notifications)
{
	plug_queue(2, EVENTIDX, 16);
	cr_assert(vq.use_event_idx);
	fv->when = FV_HOLD;
	fv->q[0].avail_event_ahead = 3; // "notify me when the 4th chain from now arrives"
	cr_assert_eq(add1(0), 0);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, 1, "the first chain is always announced");
	for (int i = 1; i <= 3; i++) {
		cr_assert_eq(add1(i), 0);
		virtq_kick(&vq);
	}
	cr_assert_eq(fv->q[0].notifies, 1, "the device asked not to hear of these three");
	cr_assert_eq(add1(4), 0);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, 2);
	cr_assert_eq(fv->q[0].npending, 5);
	cr_assert_eq(vq.notifies, 2);
	assert_driver_followed_the_spec();
}

Test(virtqueue_notify, lab4_no_notify_flag_suppresses_notifications_without_event_idx)
{
	plug_queue(1, 0, 16);
	fv->when = FV_HOLD;
	fv->q[0].no_notify = true;
	cr_assert_eq(add1(0), 0);
	virtq_kick(&vq);
	cr_assert_eq(add1(1), 0);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, 1);
	fv->q[0].no_notify = false;
	fake_virtio_fetch(fv, 0); // the device polls the ring and clears the flag
	cr_assert_eq(add1(2), 0);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, 2);
	assert_driver_followed_the_spec();
}

Test(virtqueue_notify, lab4_kick_without_new_chains_does_not_notify)
{
	plug_queue(2, EVENTIDX, 16);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, 0);
	cr_assert_eq(add1(0), 0);
	virtq_kick(&vq);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, 1);
}

// n rounds of one chain each, completed by the device, collected by us
static void rounds(int n)
{
	void *tok;
	uint32_t len;

	for (int i = 0; i < n; i++) {
		cr_assert_eq(add1(i), 0);
		virtq_kick(&vq);
		cr_assert_eq(virtq_get_used(&vq, &tok, &len), 1);
	}
}

Test(virtqueue_notify, lab4_event_idx_used_event_asks_for_each_interrupt)
{
	plug_queue(2, EVENTIDX, 16);
	virtq_enable_interrupts(&vq, true);
	rounds(4);
	cr_assert_eq(fv->irqs, 4);
	assert_driver_followed_the_spec();
}

Test(virtqueue_notify, lab4_event_idx_used_event_turns_interrupts_off)
{
	plug_queue(1, EVENTIDX, 16);
	virtq_enable_interrupts(&vq, false);
	rounds(4);
	// the device signals its first completion unconditionally (as QEMU
	// does); after that, used_event keeps it quiet
	cr_assert_leq(fv->irqs, 1, "%lu interrupts", (unsigned long)fv->irqs);
	virtq_enable_interrupts(&vq, true);
	uint64_t before = fv->irqs;
	rounds(2);
	cr_assert_eq(fv->irqs, before + 2);
}

Test(virtqueue_notify, lab4_no_interrupt_flag_turns_interrupts_off_without_event_idx)
{
	plug_queue(2, 0, 16);
	virtq_enable_interrupts(&vq, false);
	rounds(3);
	cr_assert_eq(fv->irqs, 0);
	virtq_enable_interrupts(&vq, true);
	rounds(3);
	cr_assert_eq(fv->irqs, 3);
}

// --- allocation failures -------------------------------------------------------------

static void setup_fails_at_each_allocation(uint32_t version, uint64_t wanted)
{
	int failed = 0;

	plug(version, wanted);
	for (unsigned n = 1; n < 10; n++) {
		dma_fail_nth(n);
		int err = vdev_queue_setup(&dev, &vq, 0, 64);
		dma_fail_nth(0);
		if (err == 0)
			break;
		cr_assert_eq(err, -ENOMEM, "allocation %u failing gave %d", n, err);
		cr_assert_eq(host_dma_outstanding(), 0, "allocation %u failing leaked", n);
		cr_assert_not(fv->q[0].live);
		failed++;
	}
	cr_assert_eq(failed, 2, "the queue makes two allocations (rings, private state)");
	cr_assert(fv->q[0].live);
	assert_driver_followed_the_spec();
}

Test(virtqueue_notify, lab3_allocation_failure_at_each_step_is_enomem_and_leaks_nothing)
{
	setup_fails_at_each_allocation(2, INDIRECT | EVENTIDX);
}

Test(virtqueue_notify, lab3_allocation_failure_on_legacy_without_indirect_leaks_nothing)
{
	setup_fails_at_each_allocation(1, 0);
}

Test(virtqueue_notify, lab3_freeing_the_queue_returns_all_memory)
{
	plug_queue(2, INDIRECT, 256);
	cr_assert_gt(host_dma_outstanding(), 0);
	vdev_reset(&dev);
	vdev_queue_release(&dev, &vq);
	cr_assert_eq(host_dma_outstanding(), 0);
	cr_assert_null(vq.ring_mem);
}

// A loop waiting on the device notifies it again every 20 ms (a lost
// notification would otherwise stall an EVENT_IDX queue for good).
Test(virtqueue_notify, lab4_notify_again_only_after_20_ms_of_waiting)
{
	plug_queue(2, EVENTIDX, 16);
	fv->when = FV_HOLD;
	cr_assert_eq(add1(0), 0);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, 1);
	uint64_t again = 0, ms = time_hz / 1000, t = 1000;
	cr_assert(!virtq_notify_again(&vq, t, &again), "the first look of a wait starts the clock");
	cr_assert(!virtq_notify_again(&vq, t + 19 * ms, &again));
	cr_assert_eq(fv->q[0].notifies, 1, "not before 20 ms");
	cr_assert(virtq_notify_again(&vq, t + 20 * ms, &again));
	cr_assert_eq(fv->q[0].notifies, 2, "after 20 ms the device hears of its queue again");
	cr_assert(!virtq_notify_again(&vq, t + 39 * ms, &again));
	cr_assert(virtq_notify_again(&vq, t + 40 * ms, &again), "and every 20 ms after that");
	cr_assert_eq(fv->q[0].notifies, 3);
	cr_assert_eq(vq.notifies, 3, "the queue counts them with its kicks");
	// a chain the driver never kicked is its own mistake, not a lost
	// notification: sending one for it would hide the missing kick
	cr_assert_eq(add1(1), 0);
	cr_assert(!virtq_notify_again(&vq, t + 60 * ms, &again));
	cr_assert(!virtq_notify_again(&vq, t + 80 * ms, &again));
	cr_assert_eq(fv->q[0].notifies, 3, "no notification for a chain never kicked");
}
