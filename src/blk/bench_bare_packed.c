// The bare loop on a packed ring (spec 2.8): the same yardstick as the
// split one in bench_bare.c, for a device that negotiated RING_PACKED.
//
// Each depth slot k is buffer ID k, and its three descriptors (header,
// data, status) are written once, before the clock, into ID k's indirect
// table (2.8.7). From then on a request is its header's sector and one
// ring slot pointing at that table, made available with the head's flags
// stored last: the packed counterpart of republishing a head in the split
// ring's available ring. A device without indirect descriptors gets the
// three descriptors written into the ring instead, since there a chain's
// slots move around the ring with every lap.
//
// Like the split loop it checks only what keeps indexes in range (a used
// ID beyond the depth stops the run) and keeps no per-request state:
// every chain holds the same number of slots, so the next used descriptor
// is always that many slots on (2.8.6).
#include "blk/bench.h"
#include "errno.h"
#include "hw/barrier.h"
#include "hw/instret.h"
#include "hw/time.h"
#include "hotpath.h"
#include "mem.h"
#include "virtio/blk.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq.h"

#define BARE_TIMEOUT_US 5000000

/* BEGIN LAB 11 SOLUTION */
#define DEPTH_MAX 64 // chains in flight at most: the deepest `bench` asks for

// The ring as the loop sees it: where the next chain goes (slot and wrap
// counter), where the next used descriptor will be, and how many slots
// have been made available since the last notification.
struct bare_ring {
	struct virtq *vq;
	struct bare_slot *slot;   // header and status of each buffer ID
	struct pvirtq_desc *body; // with indirect: ID k's table at body + 3 * k
	uint16_t per;             // ring slots a chain takes: 1 (indirect) or 3
	uint16_t avail, used;     // next slot to fill, next slot the device writes
	bool avail_wrap, used_wrap;
	uint16_t unkicked;         // slots made available since the last notification
	uint16_t heads[DEPTH_MAX]; // the head slots filled since the last batch ended,
	uint16_t flags[DEPTH_MAX]; // and the flags each gets when it is published
	int pending;               // how many of those there are (at most the depth)
	uint64_t avail_count;      // slots made available in all, for the queue's counter
};

// The flag bits that make a slot available in a lap with wrap counter w
// (2.8.1): AVAIL equal to it, USED the inverse.
static uint16_t lap_bits(bool w)
{
	return w ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

// Whether the device has written a used descriptor where the next one goes:
// AVAIL and USED both equal to the wrap counter of that slot's lap.
static bool used_here(const struct bare_ring *r)
{
	uint16_t f = READ_ONCE(r->vq->ring[r->used].flags);

	return !!(f & VIRTQ_DESC_F_AVAIL) == r->used_wrap &&
	       !!(f & VIRTQ_DESC_F_USED) == r->used_wrap;
}

static void step(struct bare_ring *r, uint16_t *slot, bool *wrap)
{
	if (++*slot == r->vq->num) {
		*slot = 0;
		*wrap = !*wrap;
	}
}

// Write buffer ID id's chain for `sector` into the next slots, all but the
// head's flags, which publish() stores after a barrier.
static void put(struct bare_ring *r, uint16_t id, const struct vblk_io *io, uint64_t sector)
{
	struct pvirtq_desc *ring = r->vq->ring;
	uint16_t head = r->avail;

	// The head's flags keep what the device last wrote there, a used
	// descriptor of the lap before (AVAIL and USED both !wrap), until
	// publish(): neither available to the device nor used in this lap to
	// the loop, which may look at this very slot for its next completion.
	// (Zero flags would read as "used" in a lap whose wrap counter is 0.)
	r->slot[id].sector = sector;
	if (r->per == 1) {
		ring[head].addr = virt_to_phys(r->body + 3 * id);
		ring[head].len = 3 * sizeof(struct pvirtq_desc);
		ring[head].id = id;
		r->flags[r->pending] = (uint16_t)(VIRTQ_DESC_F_INDIRECT | lap_bits(r->avail_wrap));
	} else {
		// 2.8.6: NEXT on all but the last, each slot with its own
		// lap's bits (a chain may run past the end of the ring)
		uint16_t s = head;
		bool w = r->avail_wrap;
		ring[head].addr = virt_to_phys(&r->slot[id]);
		ring[head].len = 16;
		ring[head].id = id;
		r->flags[r->pending] = (uint16_t)(VIRTQ_DESC_F_NEXT | lap_bits(w));
		step(r, &s, &w);
		ring[s] = (struct pvirtq_desc){
		    virt_to_phys(io->buf), io->len, id,
		    (uint16_t)(VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT | lap_bits(w))};
		step(r, &s, &w);
		ring[s] = (struct pvirtq_desc){virt_to_phys(&r->slot[id].status), 1, id,
		                               (uint16_t)(VIRTQ_DESC_F_WRITE | lap_bits(w))};
	}
	r->heads[r->pending++] = head;
	for (int k = 0; k < r->per; k++)
		step(r, &r->avail, &r->avail_wrap);
	r->unkicked = (uint16_t)(r->unkicked + r->per);
	r->avail_count += r->per;
}

// Make the chains put() since the last call available, and notify if the
// device asked to hear about them (2.8.10, 2.8.21.3).
static void publish(struct bare_ring *r)
{
	struct virtq *vq = r->vq;

	// the chains' bodies, headers and tables before the heads' flags:
	// the device reads a chain the moment its head's flags say available
	virt_wmb();
	for (int k = 0; k < r->pending; k++)
		WRITE_ONCE(vq->ring[r->heads[k]].flags, r->flags[k]);
	r->pending = 0;
	// the flags before we read whether the device wants a notification
	virt_mb();
	// one 32-bit read, so the offset and the flags belong together
	struct pvirtq_event_suppress ev;
	uint32_t snap = READ_ONCE(*(uint32_t *)vq->device_event);
	__builtin_memcpy(&ev, &snap, sizeof(ev)); // two moves, not a call
	bool notify = ev.flags != RING_EVENT_FLAGS_DISABLE;
	if (ev.flags == RING_EVENT_FLAGS_DESC && vq->use_event_idx) {
		// the slot it asked about, counted num back when it is in the
		// lap before ours, then the split ring's window test (2.7.10)
		uint16_t off = ev.off_wrap & 0x7fff;
		bool wrap = ev.off_wrap >> RING_EVENT_WRAP_SHIFT;
		uint16_t event = wrap == r->avail_wrap ? off : (uint16_t)(off - vq->num);
		uint16_t old = (uint16_t)(r->avail - r->unkicked);
		notify = (uint16_t)(r->avail - event - 1) < (uint16_t)(r->avail - old);
	}
	r->unkicked = 0;
	if (notify)
		vdev_notify(vq->dev, vq->index);
}

HOT_LOOP int bare_run_packed(struct vblk *v, struct virtq *vq, struct vblk_io *io, int n, int depth,
                             struct bench_cost *cost)
{
	if (depth > vq->num / 3)
		depth = vq->num / 3;
	if (depth > n)
		depth = n;
	if (depth > DEPTH_MAX)
		depth = DEPTH_MAX;
	size_t slot_bytes = sizeof(struct bare_slot) * (size_t)depth;
	size_t body_bytes = vq->use_indirect ? 3 * sizeof(struct pvirtq_desc) * (size_t)depth : 0;
	struct bare_slot *slot = depth > 0 ? dma_alloc(slot_bytes) : 0;
	struct pvirtq_desc *body = body_bytes && slot ? dma_alloc(body_bytes) : 0;
	if (!slot || (body_bytes && !body)) {
		dma_free(body, body_bytes);
		dma_free(slot, slot_bytes);
		vblk_return_queue(v, 0);
		return -ENOMEM;
	}
	// before the clock: each ID's header and status, and with indirect
	// descriptors its table (2.8.7: in a table only WRITE means anything)
	for (int k = 0; k < depth; k++) {
		slot[k].type = VIRTIO_BLK_T_IN;
		slot[k].status = 0xff; // a chain the device never finished shows
		if (body) {
			body[3 * k] = (struct pvirtq_desc){virt_to_phys(&slot[k]), 16, 0, 0};
			body[3 * k + 1] = (struct pvirtq_desc){virt_to_phys(io[k].buf), io[k].len,
			                                       0, VIRTQ_DESC_F_WRITE};
			body[3 * k + 2] = (struct pvirtq_desc){virt_to_phys(&slot[k].status), 1, 0,
			                                       VIRTQ_DESC_F_WRITE};
		}
	}
	// the queue is idle: the device's next used descriptor goes where our
	// next chain does
	struct bare_ring r = {.vq = vq,
	                      .slot = slot,
	                      .body = body,
	                      .per = body ? 1 : 3,
	                      .avail = (uint16_t)(vq->avail_idx & (vq->num - 1)),
	                      .used = vq->last_used,
	                      .avail_wrap = vq->avail_wrap,
	                      .used_wrap = vq->used_wrap};

	uint64_t t0 = time_now(), i0 = instret_now(), idle = 0;
	uint64_t deadline = t0 + time_us_to_ticks(BARE_TIMEOUT_US);
	int next = 0, done = 0, err = 0;

	for (; next < depth; next++)
		put(&r, (uint16_t)next, &io[next], io[next].sector);
	publish(&r);
	while (done < n) {
		// as in the split loop, the wait is not the loop's cost
		uint64_t w = instret_now();
		bool used;
		while (!(used = used_here(&r)) && time_now() <= deadline)
			;
		idle += instret_now() - w;
		if (!used) {
			err = -ETIMEDOUT;
			break;
		}
		// take every used descriptor there is, then publish once
		do {
			// the ID after the flags that say it is written (2.8.22)
			virt_rmb();
			uint16_t id = READ_ONCE(vq->ring[r.used].id);
			if (id >= depth) {
				err = -EPROTO;
				break;
			}
			for (int k = 0; k < r.per; k++)
				step(&r, &r.used, &r.used_wrap);
			done++;
			if (next < n) {
				put(&r, id, &io[id], io[next].sector);
				next++;
			}
		} while (done < n && used_here(&r));
		if (err)
			break;
		if (r.pending)
			publish(&r);
	}
	cost->instret = instret_now() - i0 - idle;
	cost->ticks = time_now() - t0;

	// hand the queue back as the driver would have left it: both sides
	// where the loop left them, the buffer IDs it used free again (the
	// driver's free list never saw them taken)
	vq->avail_idx = (uint16_t)(vq->avail_idx + r.avail_count);
	vq->kicked_idx = vq->avail_idx;
	vq->avail_wrap = r.avail_wrap;
	vq->last_used = r.used;
	vq->used_wrap = r.used_wrap;
	vq->used_count = (uint16_t)(vq->used_count + (uint64_t)done * r.per);
	vq->added += (uint64_t)next;
	vq->completed += (uint64_t)done;
	for (int k = 0; k < depth && !err; k++)
		if (slot[k].status != 0)
			err = -EIO; // checked once, after the clock
	dma_free(body, body_bytes);
	dma_free(slot, slot_bytes);
	// a run that stopped with requests in flight leaves the ring to a reset
	vblk_return_queue(v, err == -ETIMEDOUT || err == -EPROTO ? err : 0);
	return err;
}
/* END LAB 11 SOLUTION */
/* BEGIN LAB 11 STUB
// The packed ring's bare loop needs lab 11's ring; until then `bench` and
// `instret` say a packed-ring device has no bare figures.
int bare_run_packed(struct vblk *v, struct virtq *vq, struct vblk_io *io, int n, int depth,
                    struct bench_cost *cost)
{
	(void)vq, (void)io, (void)n, (void)depth, (void)cost;
	vblk_return_queue(v, 0);
	return -ENOTSUP;
}
END LAB 11 STUB */
