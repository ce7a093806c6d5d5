// The bare loop behind `bench` and `instret`: the disk driven as fast as
// anything can drive it, so the driver's figures have a yardstick that
// does not move with the host. It keeps only what the protocol needs
// (spec 2.7.13: descriptors, available ring, index, notification; 2.7.14:
// the used ring) and drops what a driver must do for its callers: it
// checks nothing the device writes beyond keeping indexes in range,
// keeps no per-request state and reports no errors per request.
//
// It runs on the driver's own queue, borrowed while idle, and leaves the
// queue's indexes and counters as if the driver had done the work.
#include "blk/bench.h"
#include "blk/bench_ring.h"
#include "errno.h"
#include "hw/barrier.h"
#include "hw/instret.h"
#include "hw/time.h"
#include "hotpath.h"
#include "mem.h"
#include "virtio/blk.h"
#include "virtio/mmio.h"
#include "virtio/virtq.h"

#define BARE_TIMEOUT_US 5000000

/* BEGIN LAB 4 SOLUTION */
// With caller_bufs the request's own buffer goes into the chain's data
// descriptor too: one store more, and the data lands where io[] says.
static inline void put(struct virtq *vq, struct bare_slot *slot, uint16_t head, uint64_t sector,
                       void *buf, bool caller_bufs)
{
	slot[head].sector = sector;
	if (caller_bufs)
		vq->desc[head + 1].addr = virt_to_phys(buf);
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
}

// bare_run and bare_run_bufs. Always inlined into both, so that each is
// compiled with caller_bufs a constant: the bare loop tests no flag per
// request for the variant it is not.
static inline __attribute__((always_inline)) int bare_split(struct vblk *v, struct vblk_io *io,
                                                            int n, int depth,
                                                            struct bench_cost *cost,
                                                            bool caller_bufs)
{
	if (n < 1)
		return -EINVAL; // nothing to time
	struct virtq *vq = vblk_borrow_queue(v);
	if (!vq)
		return -EBUSY;
	if (vq->packed && caller_bufs) {
		vblk_return_queue(v, 0);
		return -ENOTSUP; // the split ring's variant only, like the floor loop
	}
	if (vq->packed)
		return bare_run_packed(v, vq, io, n, depth, cost); // bench_bare_packed.c
	if (depth > vq->num / 3)
		depth = vq->num / 3;
	if (depth > n)
		depth = n;
	size_t slot_bytes = sizeof(struct bare_slot) * vq->num;
	struct bare_slot *slot = dma_alloc(slot_bytes);
	if (!slot || depth < 1) {
		dma_free(slot, slot_bytes);
		vblk_return_queue(v, 0);
		return -ENOMEM;
	}
	// before the clock: one chain per depth slot, heads 0, 3, 6, ...
	for (int k = 0; k < depth; k++) {
		uint16_t h = (uint16_t)(3 * k);
		slot[h].type = VIRTIO_BLK_T_IN;
		slot[h].status = 0xff; // a chain the device never finished shows
		vq->desc[h] = (struct virtq_desc){virt_to_phys(&slot[h]), 16, VIRTQ_DESC_F_NEXT,
		                                  (uint16_t)(h + 1)};
		vq->desc[h + 1] =
		    (struct virtq_desc){virt_to_phys(io[k].buf), io[k].len,
		                        VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, (uint16_t)(h + 2)};
		vq->desc[h + 2] =
		    (struct virtq_desc){virt_to_phys(&slot[h].status), 1, VIRTQ_DESC_F_WRITE, 0};
	}

	uint64_t t0 = time_now(), i0 = instret_now(), idle = 0;
	uint64_t deadline = t0 + time_us_to_ticks(BARE_TIMEOUT_US);
	uint16_t seen = vq->last_used, old = vq->avail_idx;
	int next = 0, done = 0, err = 0;

	for (; next < depth; next++)
		put(vq, slot, (uint16_t)(3 * next), io[next].sector, io[next].buf, caller_bufs);
	bench_publish(vq, old);
	while (done < n) {
		uint16_t used = bench_wait_used(vq, seen, deadline, &idle);
		if (used == seen) {
			err = -ETIMEDOUT;
			break;
		}
		// the used entries after the index that published them (2.7.14)
		virt_rmb();
		old = vq->avail_idx;
		for (; seen != used; seen++, done++) {
			uint16_t head = (uint16_t)vq->used->ring[seen & (vq->num - 1)].id;
			if (next < n) {
				put(vq, slot, head & (vq->num - 1), io[next].sector, io[next].buf,
				    caller_bufs);
				next++;
			}
		}
		if (vq->avail_idx != old)
			bench_publish(vq, old);
	}
	cost->instret = instret_now() - i0 - idle;
	cost->ticks = time_now() - t0;

	// hand the queue back as the driver would have left it
	vq->last_used = seen;
	vq->added += (uint64_t)next;
	vq->completed += (uint64_t)done;
	for (int k = 0; k < depth && !err; k++)
		if (slot[3 * k].status != 0)
			err = -EIO; // checked once, after the clock
	dma_free(slot, slot_bytes);
	vblk_return_queue(v, err == -ETIMEDOUT ? err : 0);
	return err;
}

HOT_LOOP int bare_run(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost)
{
	return bare_split(v, io, n, depth, cost, false);
}

HOT_LOOP int bare_run_bufs(struct vblk *v, struct vblk_io *io, int n, int depth,
                           struct bench_cost *cost)
{
	return bare_split(v, io, n, depth, cost, true);
}
/* END LAB 4 SOLUTION */
/* BEGIN LAB 4 STUB
// The bare loop is lab 4's ring protocol in its smallest form, so it comes
// with lab 4's solution; until then `bench` and `instret` say so.
int bare_run(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost)
{
	(void)v, (void)io, (void)n, (void)depth, (void)cost;
	return -ENOSYS;
}

int bare_run_bufs(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost)
{
	return bare_run(v, io, n, depth, cost);
}
END LAB 4 STUB */
