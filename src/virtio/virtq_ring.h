// The two ring implementations behind virtq.h, for virtq.c only: the split
// ring (virtq_split.c, spec 2.7) and the packed ring (virtq_packed.c, spec
// 2.8). virtq.c checks the caller's arguments and picks one; these do the
// ring work and check everything the device writes.
#ifndef VIRTIO_VIRTQ_RING_H
#define VIRTIO_VIRTQ_RING_H

#include "errno.h"
#include "virtio/virtq.h"

// Both: allocate the rings and the private state (vq's common fields are
// set), add a checked chain (writable = its device-writable bytes), build
// a slot's fixed descriptors, switch interrupts, print state, give the
// three addresses. The calls a request makes (add a slot's chain, notify,
// take a used chain, peek) are declared in virtq.h, whose inline
// functions pick the ring.
int split_alloc(struct virtq *vq);
int split_add(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token,
              uint32_t writable);
void split_slot_set(struct virtq *vq, uint16_t slot);
void split_enable_interrupts(struct virtq *vq, bool on);
void split_dump(struct virtq *vq);
void split_dump_ring(struct virtq *vq, uint16_t first, uint16_t count);
void split_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device);

int packed_alloc(struct virtq *vq);
int packed_add(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token,
               uint32_t writable);
void packed_slot_set(struct virtq *vq, uint16_t slot);
void packed_enable_interrupts(struct virtq *vq, bool on);
void packed_dump(struct virtq *vq);
void packed_dump_ring(struct virtq *vq, uint16_t first, uint16_t count);
void packed_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device);

// Mark the queue broken with a message naming what the device did wrong
// and the two numbers that show it; returns -EPROTO.
int virtq_broken(struct virtq *vq, const char *what, unsigned a, unsigned b);

// Spec 2.7.10.1 (and 2.8.10 with ring offsets): the other side just
// published entries old .. new-1; whether `event`, the entry it asked to
// hear about, is one of them. 16-bit modular arithmetic throughout:
//   need_event(5, 6, 4)         -> true   (4 and 5 published)
//   need_event(4, 6, 4)         -> true
//   need_event(6, 6, 4)         -> false  (6 is the next one, not yet there)
//   need_event(65535, 1, 65534) -> true   (65534, 65535, 0: wraps past 0)
//   need_event(4, 4, 4)         -> false  (nothing published)
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

// The head whose token says slot s is in flight, known before
// virtq_slot_set has described the slot: on the split ring the first of
// the slot's fixed run of slot_stride descriptors, on the packed ring
// buffer ID s. (Once described, slots[s].id names the same head.)
static inline struct virtq_head *virtq_slot_head(struct virtq *vq, uint16_t s)
{
	return &vq->heads[vq->packed ? s : s * vq->slot_stride];
}

// The checks virtq_add_chain makes, for slot mode's data buffers (the
// slot's header and status were checked by virtq_slot_set), and that the
// slot is not in flight: 0 with the chain's device-writable bytes in
// *writable, or -EINVAL, -EBUSY, -EPROTO (the queue is broken). Inline,
// so split_add_slot and packed_add_slot make them without another call
// on every request.
static inline int virtq_slot_check(struct virtq *vq, uint16_t slot, const struct virtq_buf *data,
                                   int n, void *token, uint32_t *writable)
{
	if (vq->broken)
		return -EPROTO;
	if (slot >= vq->nslots || (unsigned)n > vq->slot_max_data || !token)
		return -EINVAL;
	const struct virtq_slot *s = &vq->slots[slot];
	if (!s->chain)
		return -EINVAL; // virtq_slot_set never described this slot
	if (vq->heads[s->id].token)
		return -EBUSY;
	// as in virtq_add_chain, summed in 64 bits: the device reports a
	// used length in 32, so no chain may hold 4 GiB or more
	uint64_t total = s->fixed_len, w = s->tail.len;
	bool writes = false;
	for (int i = 0; i < n; i++) {
		// no empty buffer, no readable one after a writable one
		if (data[i].len == 0 || (writes && !data[i].device_writes))
			return -EINVAL;
		writes = data[i].device_writes;
		total += data[i].len;
		if (writes)
			w += data[i].len;
	}
	if (total > 0xffffffffULL)
		return -EINVAL;
	*writable = (uint32_t)w;
	return 0;
}

#endif
