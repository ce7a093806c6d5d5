// Slot mode (virtq.h): one chain per request slot, built once, a request
// rewriting only its data descriptors, on the split ring (with and
// without indirect descriptors) and on the packed ring, against the strict
// fake device; every check virtq_add_chain makes on a chain, and every
// check on what the device writes back, holds for slot chains too.
#include "vq_fixture.h"

#include "errno.h"

TestSuite(virtq_slots, .init = vq_setup, .fini = vq_teardown, .timeout = 30);

// Queue 0 with RING_PACKED offered and `wanted` accepted (the fixture's
// plug_queue gives a split ring).
static void plug_packed_queue(uint64_t wanted, uint16_t max)
{
	struct virtio_slot s;

	fv = fake_virtio_new(0, 2, VIRTIO_ID_RNG);
	fv->offered |= BIT(VIRTIO_F_RING_PACKED);
	virtio_probe_slot(0, fake_mmio_base(0), &s);
	cr_assert_eq(vmmio_open(&dev, &s), 0);
	cr_assert_eq(vdev_init(&dev, wanted, 0), 0, "%s", host_log());
	cr_assert_eq(vdev_queue_setup(&dev, &vq, 0, max), 0, "%s", host_log());
	cr_assert(vq.packed);
	vdev_driver_ok(&dev);
}

// nslots slots: slot i reads hdr[i] (16 bytes) and writes status[i].
static int set_slots(uint16_t nslots, uint16_t max_data)
{
	int err = virtq_slots_init(&vq, nslots, max_data);

	for (uint16_t i = 0; i < nslots && err == 0; i++)
		err = virtq_slot_set(&vq, i, (struct virtq_buf){virt_to_phys(hdr[i]), 16, false},
		                     (struct virtq_buf){virt_to_phys(&status[i]), 1, true});
	return err;
}

// Post slot `slot` with data[i] cut into `parts` device-writable pieces.
static int post(uint16_t slot, int i, uint32_t len, int parts)
{
	struct virtq_buf d[4];

	for (int k = 0; k < parts; k++)
		d[k] = (struct virtq_buf){virt_to_phys(data[i] + k * (len / parts)), len / parts,
		                          true};
	return virtq_add_slot(&vq, slot, d, parts, data[i]);
}

static void take(void *want, uint32_t want_len)
{
	void *tok = NULL;
	uint32_t len = 0;

	cr_assert_eq(virtq_get_used(&vq, &tok, &len), 1, "%s", host_log());
	cr_assert_eq(tok, want);
	cr_assert_eq(len, want_len, "written %u, expected %u", len, want_len);
}

// Every slot used many times, so the ring wraps; the number of data
// buffers changes between uses, so the status descriptor moves.
static void round_trips(void)
{
	cr_assert_eq(set_slots(4, 2), 0, "%s", host_log());
	for (int round = 0; round < 12; round++) {
		int parts = round % 3 == 2 ? 2 : 1;
		uint32_t len = round % 2 ? 512 : 256;
		for (uint16_t s = 0; s < 4; s++)
			cr_assert_eq(post(s, s, len, parts), 0, "round %d slot %u", round, s);
		virtq_kick(&vq);
		for (uint16_t s = 0; s < 4; s++)
			take(data[s], len + 1);
	}
	cr_assert_eq(virtq_in_flight(&vq), 0);
	assert_driver_followed_the_spec();
}

Test(virtq_slots, lab4_split_indirect_slot_chains_round_trip)
{
	plug_queue(2, INDIRECT, 16);
	round_trips();
	cr_assert_eq(fv->q[0].indirect_chains, 48);
}

Test(virtq_slots, lab4_split_direct_slot_chains_round_trip)
{
	plug_queue(2, 0, 16); // 4 slots of 4 descriptors: the whole table
	round_trips();
	cr_assert_eq(fv->q[0].indirect_chains, 0);
}

Test(virtq_slots, lab11_packed_slot_chains_round_trip)
{
	plug_packed_queue(INDIRECT, 16);
	round_trips();
}

Test(virtq_slots, lab11_packed_direct_slot_chains_round_trip)
{
	plug_packed_queue(0, 16); // 3 or 4 ring slots a chain: the ring wraps often
	round_trips();
}

Test(virtq_slots, lab4_slot_mode_refuses_what_virtq_add_chain_refuses)
{
	struct virtq_buf hd = {virt_to_phys(hdr[0]), 16, false};
	struct virtq_buf st = {virt_to_phys(&status[0]), 1, true};
	struct virtq_buf d[2] = {{virt_to_phys(data[0]), 512, true},
	                         {virt_to_phys(data[1]), 16, false}};

	plug_queue(2, 0, 16);
	cr_assert_eq(virtq_slots_init(&vq, 6, 1), -ENOSPC, "6 slots of 3 do not fit in 16");
	cr_assert_eq(virtq_slots_init(&vq, 1, VIRTQ_INDIRECT_MAX - 1), -EINVAL);
	cr_assert_eq(virtq_slots_init(&vq, 5, 1), 0);
	cr_assert_eq(virtq_slots_init(&vq, 5, 1), -EINVAL, "only once");
	cr_assert_eq(virtq_add_slot(&vq, 0, d, 1, data[0]), -EINVAL, "slot 0 never described");
	cr_assert_eq(virtq_slot_set(&vq, 0, st, st), -EINVAL, "a header the device writes");
	cr_assert_eq(virtq_slot_set(&vq, 0, hd, hd), -EINVAL, "a status the device reads");
	cr_assert_eq(virtq_slot_set(&vq, 5, hd, st), -EINVAL, "no slot 5");
	cr_assert_eq(virtq_slot_set(&vq, 0, hd, st), 0);
	cr_assert_eq(virtq_add_slot(&vq, 1, d, 1, data[0]), -EINVAL, "slot 1 never described");
	cr_assert_eq(virtq_add_slot(&vq, 5, d, 1, data[0]), -EINVAL, "no slot 5");
	cr_assert_eq(virtq_add_slot(&vq, 0, d, 2, data[0]), -EINVAL, "two data buffers, max 1");
	cr_assert_eq(virtq_add_slot(&vq, 0, d, 1, NULL), -EINVAL, "no token");
	struct virtq_buf empty = {virt_to_phys(data[0]), 0, true};
	cr_assert_eq(virtq_add_slot(&vq, 0, &empty, 1, data[0]), -EINVAL, "a 0-byte buffer");
	struct virtq_buf huge = {virt_to_phys(data[0]), 0xffffffffU, true};
	cr_assert_eq(virtq_add_slot(&vq, 0, &huge, 1, data[0]), -EINVAL, "4 GiB with header");
	cr_assert_eq(virtq_add_chain(&vq, d, 1, data[0]), -EINVAL, "slot mode takes no chains");
	cr_assert_eq(vq.avail_idx, 0, "nothing was published");
	cr_assert_eq(virtq_add_slot(&vq, 0, d, 1, data[0]), 0);
	cr_assert_eq(virtq_add_slot(&vq, 0, d, 1, data[0]), -EBUSY, "slot 0 is in flight");
	cr_assert_eq(virtq_slot_set(&vq, 0, hd, st), -EBUSY, "not while in flight");
	virtq_kick(&vq);
	take(data[0], 513);
	assert_driver_followed_the_spec();
}

Test(virtq_slots, lab4_slot_mode_readable_data_after_writable_is_einval)
{
	struct virtq_buf d[2] = {{virt_to_phys(data[0]), 512, true},
	                         {virt_to_phys(data[1]), 16, false}};

	plug_queue(2, INDIRECT, 16);
	cr_assert_eq(set_slots(2, 2), 0);
	cr_assert_eq(virtq_add_slot(&vq, 0, d, 2, data[0]), -EINVAL);
	struct virtq_buf out[2] = {d[1], d[0]}; // readable, then writable: fine
	cr_assert_eq(virtq_add_slot(&vq, 0, out, 2, data[0]), 0);
	virtq_kick(&vq);
	take(data[0], 513);
	assert_driver_followed_the_spec();
}

// The device's word is checked for a slot chain as for any other.
static void lie(enum fv_lie what, const char *msg)
{
	void *tok = NULL;
	uint32_t len;

	cr_assert_eq(set_slots(2, 1), 0);
	cr_assert_eq(post(0, 0, 512, 1), 0);
	fv->lie = what;
	virtq_kick(&vq);
	cr_assert_eq(virtq_get_used(&vq, &tok, &len), -EPROTO);
	cr_assert(vq.broken);
	cr_assert_null(tok);
	cr_assert(host_log_has(msg), "%s", host_log());
	cr_assert_eq(post(1, 1, 512, 1), -EPROTO, "a broken queue takes nothing");
}

Test(virtq_slots, lab4_slot_chain_used_length_too_big_breaks_the_queue)
{
	plug_queue(2, INDIRECT, 16);
	lie(FV_LIE_LEN_TOO_BIG, "used length larger");
}

Test(virtq_slots, lab4_slot_chain_used_id_not_in_flight_breaks_the_queue)
{
	plug_queue(2, 0, 16);
	lie(FV_LIE_ID_NOT_IN_FLIGHT, "not the head of a chain in flight");
}

Test(virtq_slots, lab11_packed_slot_chain_used_id_not_in_flight_breaks_the_queue)
{
	plug_packed_queue(INDIRECT, 16);
	lie(FV_LIE_ID_NOT_IN_FLIGHT, "not in flight");
}
