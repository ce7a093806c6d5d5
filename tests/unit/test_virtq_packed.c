// Lab 11: the packed virtqueue (spec 2.8) against the strict fake device:
// queue setup, chains that wrap around the ring, buffer IDs completed out
// of order, indirect tables, event suppression in both directions, a
// device that lies in its used descriptors, and virtio-blk on a packed
// ring recovering from such a device.
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
#include "virtio/mmio.h"
#include "virtio/scan.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

#define BIT(b)   VIRTIO_BIT(b)
#define INDIRECT BIT(VIRTIO_F_INDIRECT_DESC)
#define EVENTIDX BIT(VIRTIO_F_EVENT_IDX)

static struct fake_virtio *fv;
static struct virtio_dev dev;
static struct virtq vq;
static uint8_t hdr[64][16], data[64][512], status[64];

static void setup(void)
{
	fake_mmio_reset();
	host_log_clear();
	host_time_reset();
	boot_info.bootargs[0] = '\0';
	host_idle_hook = NULL;
	memset(&vq, 0, sizeof(vq));
}

static void teardown(void)
{
	if (vq.ring_mem) {
		vdev_reset(&dev);
		vdev_queue_release(&dev, &vq);
	}
	vblk_remove();
	fake_virtio_free_all();
	dma_fail_nth(0);
	boot_info.bootargs[0] = '\0';
}

TestSuite(packed, .init = setup, .fini = teardown, .timeout = 60);

// A device in slot 0 that offers the packed ring, initialised with `wanted`.
static void plug(uint32_t version, uint64_t wanted)
{
	struct virtio_slot s;

	fv = fake_virtio_new(0, version, VIRTIO_ID_RNG);
	fv->offered |= BIT(VIRTIO_F_RING_PACKED);
	virtio_probe_slot(0, fake_mmio_base(0), &s);
	cr_assert_eq(vmmio_open(&dev, &s), 0);
	cr_assert_eq(vdev_init(&dev, wanted, 0), 0, "%s", host_log());
}

static void plug_queue(uint64_t wanted, uint16_t max)
{
	plug(2, wanted);
	int err = vdev_queue_setup(&dev, &vq, 0, max);
	cr_assert_eq(err, 0, "queue setup: %d\n%s", err, host_log());
	cr_assert(vq.packed, "a modern device offering RING_PACKED gets a packed ring");
	vdev_driver_ok(&dev);
}

static void assert_driver_followed_the_spec(void)
{
	cr_assert_eq(fv->errors, 0,
	             "the fake device saw %d protocol errors, the first: %s\nlog:\n%s", fv->errors,
	             fv->error, host_log());
}

static int add3(int i)
{
	struct virtq_buf b[3] = {
	    {virt_to_phys(hdr[i]), 16, false},
	    {virt_to_phys(data[i]), 512, true},
	    {virt_to_phys(&status[i]), 1, true},
	};
	return virtq_add_chain(&vq, b, 3, data[i]);
}

static int add1(int i)
{
	struct virtq_buf b = {virt_to_phys(data[i]), 512, true};

	return virtq_add_chain(&vq, &b, 1, data[i]);
}

// Take one used buffer and check it is chain i with all it could hold.
static void get_expect(int i, uint32_t want_len)
{
	void *tok = NULL;
	uint32_t len = 0;
	int r = virtq_get_used(&vq, &tok, &len);
	cr_assert_eq(r, 1, "get_used: %d\n%s", r, host_log());
	cr_assert_eq(tok, data[i], "token of chain %d", i);
	cr_assert_eq(len, want_len);
}

// --- setup ----------------------------------------------------------------------------------

Test(packed, lab11_setup_gives_the_device_the_ring_and_both_event_areas)
{
	plug_queue(INDIRECT | EVENTIDX, 64);
	cr_assert_eq(fv->q[0].desc, virt_to_phys(vq.ring));
	cr_assert_eq(fv->q[0].driver, virt_to_phys(vq.driver_event));
	cr_assert_eq(fv->q[0].device, virt_to_phys(vq.device_event));
	uint64_t d, drv, devarea;
	virtq_addrs(&vq, &d, &drv, &devarea);
	cr_assert_eq(d, fv->q[0].desc);
	cr_assert_eq(drv, fv->q[0].driver);
	cr_assert_eq(devarea, fv->q[0].device);
	cr_assert_eq(d % 16, 0);
	cr_assert_eq(drv % 4, 0);
	cr_assert_eq(devarea % 4, 0);
	cr_assert(fv->q[0].live);
	cr_assert_str_eq(virtq_kind(&vq), "packed");
	cr_assert(host_log_has("64 entries (device max 256), packed ring: desc"), "%s", host_log());
	cr_assert(vq.avail_wrap && vq.used_wrap, "both wrap counters start at 1 (2.8.1)");
	assert_driver_followed_the_spec();
}

Test(packed, lab11_packed_off_on_the_boot_line_gives_a_split_ring)
{
	strcpy(boot_info.bootargs, "packed=off");
	plug(2, INDIRECT);
	cr_assert_eq(vdev_queue_setup(&dev, &vq, 0, 16), 0, "%s", host_log());
	cr_assert_not(vq.packed);
	cr_assert_eq(fv->driver_features & BIT(VIRTIO_F_RING_PACKED), 0);
	cr_assert_str_eq(virtq_kind(&vq), "split");
	assert_driver_followed_the_spec();
}

Test(packed, lab11_legacy_device_keeps_the_split_ring)
{
	plug(1, INDIRECT);
	cr_assert_eq(vdev_queue_setup(&dev, &vq, 0, 16), 0, "%s", host_log());
	cr_assert_not(vq.packed, "a legacy device has no feature bits above 31");
	assert_driver_followed_the_spec();
}

Test(packed, lab11_allocation_failure_at_each_step_is_enomem_and_leaks_nothing)
{
	int failed = 0;

	plug(2, INDIRECT | EVENTIDX);
	for (unsigned n = 1; n < 10; n++) {
		dma_fail_nth(n);
		int err = vdev_queue_setup(&dev, &vq, 0, 64);
		dma_fail_nth(0);
		if (err == 0)
			break;
		cr_assert_eq(err, -ENOMEM, "allocation %u failing gave %d", n, err);
		cr_assert_eq(host_dma_outstanding(), 0, "allocation %u failing leaked", n);
		failed++;
	}
	cr_assert_eq(failed, 2, "the queue makes two allocations (ring, private state)");
	cr_assert(fv->q[0].live);
	vdev_reset(&dev);
	vdev_queue_release(&dev, &vq);
	cr_assert_eq(host_dma_outstanding(), 0);
}

// --- chains -----------------------------------------------------------------------------------

Test(packed, lab11_chain_round_trip_returns_token_and_written_length)
{
	plug_queue(0, 16);
	cr_assert_eq(add3(0), 0);
	cr_assert_eq(vq.num_free, 13, "three slots for a direct chain");
	virtq_kick(&vq);
	cr_assert(virtq_has_used(&vq));
	get_expect(0, 513);
	cr_assert_eq(data[0][1], 0xa5 ^ 1, "the device's bytes arrived");
	cr_assert_not(virtq_has_used(&vq));
	void *tok;
	uint32_t len;
	cr_assert_eq(virtq_get_used(&vq, &tok, &len), 0);
	cr_assert_eq(vq.num_free, 16);
	cr_assert_eq(vq.last_used, 3, "the driver skips the chain's three slots");
	assert_driver_followed_the_spec();
}

// Chains of 3 in a 16-slot ring: every lap ends with a chain split across
// the end (slots 15, 0, 1), so both wrap counters flip mid-chain.
Test(packed, lab11_chains_wrap_around_the_ring_for_many_laps)
{
	plug_queue(0, 16);
	for (int round = 0; round < 40; round++) {
		cr_assert_eq(add3(round % 5), 0, "round %d\n%s", round, host_log());
		virtq_kick(&vq);
		get_expect(round % 5, 513);
	}
	cr_assert_eq(vq.avail_idx, 120);
	cr_assert_eq(vq.used_count, 120);
	cr_assert_eq(vq.avail_wrap, (120 / 16) % 2 == 0, "wrap flips once a lap");
	cr_assert_eq(vq.num_free, 16);
	assert_driver_followed_the_spec();
}

Test(packed, lab11_full_ring_is_enospc_and_takes_chains_again_after_completions)
{
	plug_queue(0, 16);
	fv->when = FV_HOLD;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(add3(i), 0, "chain %d", i);
	cr_assert_eq(add3(5), -ENOSPC);
	cr_assert_eq(add1(5), 0, "one slot is still free");
	cr_assert_eq(add1(6), -ENOSPC);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].npending, 6);
	cr_assert_eq(fake_virtio_complete(fv, 0, 0), 0);
	get_expect(0, 513);
	cr_assert_eq(add3(6), 0, "the freed slots are reused: %d free", vq.num_free);
	virtq_kick(&vq);
	fake_virtio_complete_all(fv, 0);
	for (int k = 0; k < 6; k++) {
		void *tok;
		uint32_t len;
		cr_assert_eq(virtq_get_used(&vq, &tok, &len), 1, "%s", host_log());
	}
	cr_assert_eq(vq.num_free, 16);
	assert_driver_followed_the_spec();
}

// The device finishes buffers in its own order and writes each used
// descriptor into the next slot of its sequence, whatever chain sat there.
static void out_of_order(enum fv_order order, uint32_t seed, uint64_t wanted)
{
	plug_queue(wanted, 32);
	fv->when = FV_HOLD;
	fv->order = order;
	fv->seed = seed;
	uint8_t back[64] = {0};
	for (int round = 0; round < 12; round++) {
		int n = 0;
		for (int i = 0; i < 8; i++)
			n += (i % 3 ? add3(i) : add1(i)) == 0;
		cr_assert_eq(n, 8, "round %d: %d chains fit", round, n);
		virtq_kick(&vq);
		cr_assert_eq(fake_virtio_complete_all(fv, 0), 8);
		void *tok;
		uint32_t len;
		for (int k = 0; k < 8; k++) {
			cr_assert_eq(virtq_get_used(&vq, &tok, &len), 1, "%s", host_log());
			int i = (int)(((uint8_t(*)[512])tok) - data);
			cr_assert_eq(len, i % 3 ? 513u : 512u, "chain %d", i);
			back[i]++;
		}
		cr_assert_eq(virtq_get_used(&vq, &tok, &len), 0);
		cr_assert_eq(vq.num_free, 32);
	}
	for (int i = 0; i < 8; i++)
		cr_assert_eq(back[i], 12, "chain %d came back %u times", i, back[i]);
	assert_driver_followed_the_spec();
}

Test(packed, lab11_buffers_completed_in_reverse_come_back_each_once)
{
	out_of_order(FV_REVERSE, 0, 0);
}

Test(packed, lab11_buffers_completed_in_random_order_come_back_each_once)
{
	out_of_order(FV_SHUFFLE, 99, 0);
}

Test(packed, lab11_indirect_buffers_completed_in_random_order_come_back_each_once)
{
	out_of_order(FV_SHUFFLE, 4242, INDIRECT);
}

Test(packed, lab11_indirect_chain_takes_one_slot)
{
	plug_queue(INDIRECT, 16);
	cr_assert_eq(add3(0), 0);
	cr_assert_eq(vq.num_free, 15);
	cr_assert(vq.ring[0].flags & VIRTQ_DESC_F_INDIRECT);
	cr_assert_eq(vq.ring[0].len, 3 * sizeof(struct pvirtq_desc));
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].indirect_chains, 1);
	get_expect(0, 513);
	cr_assert_eq(vq.num_free, 16);
	cr_assert_eq(vq.last_used, 1);
	assert_driver_followed_the_spec();
}

Test(packed, lab11_bad_arguments_are_einval_and_touch_nothing)
{
	plug_queue(0, 16);
	struct virtq_buf wrong_order[2] = {{virt_to_phys(data[0]), 512, true},
	                                   {virt_to_phys(hdr[0]), 16, false}};
	cr_assert_eq(virtq_add_chain(&vq, wrong_order, 2, data[0]), -EINVAL);
	struct virtq_buf zero = {virt_to_phys(data[0]), 0, true};
	cr_assert_eq(virtq_add_chain(&vq, &zero, 1, data[0]), -EINVAL);
	cr_assert_eq(virtq_add_chain(&vq, wrong_order, 0, data[0]), -EINVAL);
	cr_assert_eq(virtq_add_chain(&vq, wrong_order, 1, NULL), -EINVAL);
	cr_assert_eq(vq.avail_idx, 0);
	cr_assert_eq(vq.num_free, 16);
	cr_assert_eq(vq.ring[0].flags, 0, "nothing was made available");
}

// --- a device that lies ----------------------------------------------------------------------

static void lie_and_expect_eproto(enum fv_lie lie, const char *msg)
{
	void *tok = NULL;
	uint32_t len;

	cr_assert_eq(add3(0), 0);
	uint16_t free_before = vq.num_free;
	fv->lie = lie;
	virtq_kick(&vq);
	cr_assert_eq(virtq_get_used(&vq, &tok, &len), -EPROTO, "%s", host_log());
	cr_assert(vq.broken);
	cr_assert_null(tok);
	cr_assert_eq(vq.num_free, free_before, "a lie must not free slots");
	cr_assert(host_log_has(msg), "%s", host_log());
	cr_assert_eq(virtq_get_used(&vq, &tok, &len), -EPROTO, "a broken queue stays broken");
	cr_assert_eq(add3(1), -EPROTO);
}

Test(packed, lab11_used_buffer_id_out_of_range_breaks_the_queue)
{
	plug_queue(0, 16);
	lie_and_expect_eproto(FV_LIE_ID_RANGE, "used buffer ID out of range");
}

Test(packed, lab11_used_buffer_id_not_in_flight_breaks_the_queue)
{
	plug_queue(INDIRECT, 16);
	lie_and_expect_eproto(FV_LIE_ID_NOT_IN_FLIGHT, "used buffer ID is not in flight");
}

Test(packed, lab11_used_length_larger_than_the_chain_breaks_the_queue)
{
	plug_queue(0, 16);
	lie_and_expect_eproto(FV_LIE_LEN_TOO_BIG, "used length larger");
}

Test(packed, lab11_buffer_id_reported_twice_is_not_freed_twice)
{
	void *tok;
	uint32_t len;

	plug_queue(0, 16);
	cr_assert_eq(add3(0), 0);
	cr_assert_eq(add3(1), 0);
	fv->when = FV_HOLD;
	virtq_kick(&vq);
	fv->lie = FV_LIE_ID_TWICE;
	cr_assert_eq(fake_virtio_complete(fv, 0, 0), 0);
	cr_assert_eq(virtq_get_used(&vq, &tok, &len), 1);
	cr_assert_eq(vq.num_free, 13);
	cr_assert_eq(virtq_get_used(&vq, &tok, &len), -EPROTO, "%s", host_log());
	cr_assert(host_log_has("not in flight"), "%s", host_log());
	cr_assert_eq(vq.num_free, 13, "slots freed twice: %u free", vq.num_free);
}

// A used descriptor with the previous lap's bits looks like one the driver
// already took: it is not taken (the request's timeout deals with it), and
// nothing is freed or indexed by what it says.
Test(packed, lab11_used_descriptor_with_the_wrong_wrap_bits_is_not_taken)
{
	void *tok = NULL;
	uint32_t len;

	plug_queue(0, 16);
	cr_assert_eq(add3(0), 0);
	fv->lie = FV_LIE_WRONG_WRAP;
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].completed, 1, "the device did answer");
	cr_assert_not(virtq_has_used(&vq));
	cr_assert_eq(virtq_get_used(&vq, &tok, &len), 0);
	cr_assert_null(tok);
	cr_assert_not(vq.broken);
	cr_assert_eq(vq.num_free, 13);
	cr_assert_eq(virtq_in_flight(&vq), 1);
}

// --- event suppression (2.8.10, 2.8.14) --------------------------------------------------------

static void rounds(int n)
{
	void *tok;
	uint32_t len;

	for (int i = 0; i < n; i++) {
		cr_assert_eq(add1(i), 0);
		virtq_kick(&vq);
		cr_assert_eq(virtq_get_used(&vq, &tok, &len), 1, "%s", host_log());
	}
}

Test(packed, lab11_interrupts_off_and_on_without_event_idx)
{
	plug_queue(0, 16);
	virtq_enable_interrupts(&vq, false);
	cr_assert_eq(vq.driver_event->flags, RING_EVENT_FLAGS_DISABLE);
	rounds(3);
	cr_assert_eq(fv->irqs, 0);
	virtq_enable_interrupts(&vq, true);
	cr_assert_eq(vq.driver_event->flags, RING_EVENT_FLAGS_ENABLE);
	rounds(3);
	cr_assert_eq(fv->irqs, 3);
	assert_driver_followed_the_spec();
}

Test(packed, lab11_event_idx_asks_for_an_interrupt_at_the_next_slot)
{
	plug_queue(EVENTIDX, 16);
	virtq_enable_interrupts(&vq, true);
	cr_assert_eq(vq.driver_event->flags, RING_EVENT_FLAGS_DESC);
	cr_assert_eq(vq.driver_event->off_wrap, 0 | 1 << RING_EVENT_WRAP_SHIFT);
	rounds(20); // past the end of the 16-slot ring
	cr_assert_eq(fv->irqs, 20);
	cr_assert_eq(vq.driver_event->off_wrap, 4, "slot 4 of the lap with wrap 0");
	virtq_enable_interrupts(&vq, false);
	rounds(3);
	cr_assert_eq(fv->irqs, 20);
	assert_driver_followed_the_spec();
}

Test(packed, lab11_device_that_disables_notifications_gets_none)
{
	plug_queue(0, 16);
	fv->q[0].no_notify = true;
	rounds(1); // the first notify happens: the device has not said anything yet
	uint64_t before = fv->q[0].notifies;
	fv->when = FV_ON_IDLE;
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(add1(i), 0);
		virtq_kick(&vq);
	}
	cr_assert_eq(fv->q[0].notifies, before);
	cr_assert_eq(vq.notifies, before);
}

Test(packed, lab11_event_idx_lets_the_device_skip_notifications)
{
	plug_queue(EVENTIDX, 16);
	fv->q[0].avail_event_ahead = 3; // "tell me when slot +3 is made available"
	fv->when = FV_HOLD;
	for (int i = 0; i < 12; i++) {
		cr_assert_eq(add1(i), 0);
		virtq_kick(&vq);
	}
	// slot 0 (nothing asked yet), then each time the driver makes slot
	// last_avail + 3 available: slots 4 and 8
	cr_assert_eq(fv->q[0].notifies, 3, "%lu notifies for 12 kicks",
	             (unsigned long)fv->q[0].notifies);
	cr_assert_eq(fv->q[0].npending, 9, "the device took what it was told about");
	cr_assert_eq(vq.notifies, fv->q[0].notifies);
	assert_driver_followed_the_spec();
}

Test(packed, lab11_kick_without_new_chains_does_not_notify)
{
	plug_queue(0, 16);
	rounds(1);
	uint64_t before = fv->q[0].notifies;
	virtq_kick(&vq);
	virtq_kick(&vq);
	cr_assert_eq(fv->q[0].notifies, before);
}

Test(packed, lab11_vq_dump_says_packed_and_where_both_sides_are)
{
	plug_queue(INDIRECT | EVENTIDX, 16);
	rounds(5);
	host_log_clear();
	virtq_dump(&vq);
	cr_assert(host_log_has("vq 0: avail idx 5, used idx 5, last used seen 5, last kick at 5"),
	          "%s", host_log());
	cr_assert(host_log_has("vq 0: packed ring (spec 2.8): next avail slot 5 wrap 1"), "%s",
	          host_log());
}
