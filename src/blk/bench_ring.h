// The split ring's publish and wait steps as the bench's loops take them
// (the bare loop, bench_bare.c, and the floor loop, src/virtio/blk_floor.c):
// inline and the same in both, so neither pays a call the other does not.
#ifndef BLK_BENCH_RING_H
#define BLK_BENCH_RING_H

#include <stddef.h>

#include "hw/barrier.h"
#include "hw/instret.h"
#include "hw/time.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq.h"

// Wait for the used index to move past `seen`, until `deadline`; returns
// it (still `seen`: the device did not answer in time). Waiting is the
// device's cost, not the loop's: its instructions, the look that ends
// the wait included, go to *idle, so every request's share is the same
// however long the device took.
static inline uint16_t bench_wait_used(struct virtq *vq, uint16_t seen, uint64_t deadline,
                                       uint64_t *idle)
{
	uint64_t w = instret_now();
	uint16_t used;

	while ((used = READ_ONCE(vq->used->idx)) == seen && time_now() <= deadline)
		;
	*idle += instret_now() - w;
	return used;
}

/* BEGIN LAB 4 SOLUTION */
// Publish the entries added since `old` and notify if the device wants to
// hear (spec 2.7.13.3 and 2.7.13.4; with EVENT_IDX, 2.7.10).
static inline void bench_publish(struct virtq *vq, uint16_t old)
{
	// descriptors, headers and ring entries before the index
	virt_wmb();
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	// the index before we read whether the device wants a notification
	virt_mb();
	bool notify;
	if (vq->use_event_idx) {
		// avail_event, the u16 after the used ring's entries (2.7.8)
		size_t at =
		    offsetof(struct virtq_used, ring) + sizeof(struct virtq_used_elem) * vq->num;
		uint16_t event = READ_ONCE(*(uint16_t *)((uint8_t *)vq->used + at));
		notify = (uint16_t)(vq->avail_idx - event - 1) < (uint16_t)(vq->avail_idx - old);
	} else {
		notify = !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	}
	if (notify)
		vdev_notify(vq->dev, vq->index);
	vq->kicked_idx = vq->avail_idx;
}
/* END LAB 4 SOLUTION */
/* BEGIN LAB 4 STUB
// The loops that call this come with lab 4's solution.
static inline void bench_publish(struct virtq *vq, uint16_t old)
{
	(void)vq, (void)old;
}
END LAB 4 STUB */

#endif
