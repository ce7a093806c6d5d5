// The split virtqueue (spec 2.7) of the fake virtio device, as a device
// sees it: fake_virtio_queue.c hands a queue here when the driver did not
// negotiate VIRTIO_F_RING_PACKED. The device takes chains from the
// available ring, checking every descriptor before it believes it, writes
// used entries, and decides by EVENT_IDX or the flags whether to interrupt.
// It also watches the driver's stores to avail->idx (host_shared_store) for
// what a device on another hart could see: an index published before its
// ring entries, or with no barrier between them (a packed ring's stores go
// to fake_packed.c's fp_shared_store).
#include <stdint.h>
#include <string.h>

#include "fake_packed.h"
#include "fake_virtio.h"
#include "fake_virtio_internal.h"
#include "host_kernel.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

uint64_t fv_host_barriers;

// --- memory the driver shares with us ----------------------------------------

static uint16_t ld16(uint64_t a)
{
	return __atomic_load_n((uint16_t *)(uintptr_t)a, __ATOMIC_ACQUIRE);
}

static void st16(uint64_t a, uint16_t v)
{
	__atomic_store_n((uint16_t *)(uintptr_t)a, v, __ATOMIC_RELEASE);
}

static void st32(uint64_t a, uint32_t v)
{
	__atomic_store_n((uint32_t *)(uintptr_t)a, v, __ATOMIC_RELEASE);
}

static struct virtq_desc ld_desc(uint64_t table, uint32_t i)
{
	struct virtq_desc d;

	memcpy(&d, (void *)(uintptr_t)(table + 16ULL * i), sizeof(d));
	return d;
}

// Field addresses in the driver's rings, from the spec's layouts (2.7.6,
// 2.7.8): avail is flags, idx, ring[num], then used_event; used is flags,
// idx, ring[num] of struct virtq_used_elem, then avail_event.
static uint64_t avail_ring(const struct fv_queue *q, uint32_t i)
{
	return q->avail_addr + offsetof(struct virtq_avail, ring) + sizeof(uint16_t) * (i % q->num);
}

static uint64_t used_event_addr(const struct fv_queue *q)
{
	return q->avail_addr + offsetof(struct virtq_avail, ring) + sizeof(uint16_t) * q->num;
}

static uint64_t used_elem_addr(const struct fv_queue *q, uint32_t i)
{
	return q->used_addr + offsetof(struct virtq_used, ring) +
	       sizeof(struct virtq_used_elem) * (i % q->num);
}

static uint64_t avail_event_addr(const struct fv_queue *q)
{
	return q->used_addr + offsetof(struct virtq_used, ring) +
	       sizeof(struct virtq_used_elem) * q->num;
}

// --- the driver's areas (spec 2.7, 2.7.2) ----------------------------------------

bool split_check_areas(struct fake_virtio *fv, struct fv_queue *q)
{
	uint32_t n = q->num;

	if (n == 0 || n > q->num_max || (n & (n - 1))) {
		driver_bug(fv,
		           "queue %u: QueueNum %u (QueueNumMax %u) is not a power of two within "
		           "the maximum",
		           fv->queue_sel, n, q->num_max);
		return false;
	}
	if (q->desc_addr % 16 || q->avail_addr % 2 || q->used_addr % 4) {
		driver_bug(fv, "queue %u: ring alignment wrong: desc 0x%lx avail 0x%lx used 0x%lx",
		           fv->queue_sel, (unsigned long)q->desc_addr, (unsigned long)q->avail_addr,
		           (unsigned long)q->used_addr);
		return false;
	}
	if (!host_dma_owns((void *)(uintptr_t)q->desc_addr, 16UL * n) ||
	    !host_dma_owns((void *)(uintptr_t)q->avail_addr, 6 + 2UL * n) ||
	    !host_dma_owns((void *)(uintptr_t)q->used_addr, 6 + 8UL * n)) {
		driver_bug(
		    fv, "queue %u: a ring is not in DMA memory: desc 0x%lx avail 0x%lx used 0x%lx",
		    fv->queue_sel, (unsigned long)q->desc_addr, (unsigned long)q->avail_addr,
		    (unsigned long)q->used_addr);
		return false;
	}
	return true;
}

// --- taking chains from the available ring (spec 2.7.5, 2.7.13) ----------------

bool add_seg(struct fake_virtio *fv, struct fv_req *r, uint64_t addr, uint32_t len, bool write,
             bool *seen_write)
{
	if (len == 0) {
		driver_bug(fv, "chain %u: a zero-length buffer", r->head);
		return false;
	}
	if (!write && *seen_write) {
		driver_bug(fv, "chain %u: a device-readable buffer after a device-writable one",
		           r->head);
		return false;
	}
	if (addr == 0) {
		driver_bug(fv, "chain %u: a buffer at address 0", r->head);
		return false;
	}
	if (r->nseg == FV_MAX_SEGS) {
		driver_bug(fv, "chain %u: more than %d buffers", r->head, FV_MAX_SEGS);
		return false;
	}
	*seen_write |= write;
	r->seg[r->nseg++] = (struct fv_seg){addr, len, write};
	if (write)
		r->writable += len;
	else
		r->readable += len;
	return true;
}

// Walk the chain at `head` into r, claiming its descriptors. False (and a
// complaint) if the driver wrote something no device may accept.
static bool parse_chain(struct fake_virtio *fv, struct fv_queue *q, uint16_t head, struct fv_req *r)
{
	bool seen_write = false;
	uint32_t i = head, steps = 0;

	memset(r, 0, sizeof(*r));
	r->head = head;
	if (head >= q->num) {
		driver_bug(fv, "available ring names descriptor %u of %u", head, q->num);
		return false;
	}
	for (;;) {
		if (q->owner[i] == head + 1 || ++steps > q->num) {
			driver_bug(fv, "chain %u loops back to descriptor %u", head, i);
			return false;
		}
		if (q->owner[i]) {
			driver_bug(fv, "descriptor %u is already part of chain %u in flight", i,
			           q->owner[i] - 1);
			return false;
		}
		q->owner[i] = (uint16_t)(head + 1);
		struct virtq_desc d = ld_desc(q->desc_addr, i);
		if (d.flags & ~(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT)) {
			driver_bug(fv, "descriptor %u has unknown flags 0x%x", i, d.flags);
			return false;
		}
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			// spec 2.7.5.3: only with the feature, never with NEXT (so
			// it ends the chain), a whole number of descriptors, no
			// indirect inside, and the whole chain no longer than the
			// queue (2.7.5.3.1); the WRITE flag here is ignored
			if (!fv_has_feature(fv, VIRTIO_F_INDIRECT_DESC)) {
				driver_bug(fv,
				           "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
				return false;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				driver_bug(fv, "indirect descriptor %u with NEXT", i);
				return false;
			}
			if (d.len == 0 || d.len % 16) {
				driver_bug(fv, "indirect table of %u bytes", d.len);
				return false;
			}
			if (steps - 1 + d.len / 16 > q->num) {
				driver_bug(
				    fv, "chain %u of %u descriptors is longer than the queue (%u)",
				    head, steps - 1 + d.len / 16, q->num);
				return false;
			}
			if (!host_dma_owns((void *)(uintptr_t)d.addr, d.len)) {
				driver_bug(fv, "indirect table at 0x%lx is not DMA memory",
				           (unsigned long)d.addr);
				return false;
			}
			r->indirect = true;
			uint32_t n = d.len / 16, j = 0;
			for (uint32_t k = 0;; k++) {
				if (k >= n) {
					driver_bug(fv,
					           "indirect chain %u loops or runs off its table",
					           head);
					return false;
				}
				struct virtq_desc e = ld_desc(d.addr, j);
				if (e.flags & VIRTQ_DESC_F_INDIRECT) {
					driver_bug(fv,
					           "indirect descriptor inside an indirect table");
					return false;
				}
				if (!add_seg(fv, r, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE,
				             &seen_write))
					return false;
				if (!(e.flags & VIRTQ_DESC_F_NEXT))
					break;
				if (e.next >= n) {
					driver_bug(fv, "indirect next %u outside a %u-entry table",
					           e.next, n);
					return false;
				}
				j = e.next;
			}
			return true;
		}
		if (!add_seg(fv, r, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE, &seen_write))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= q->num) {
			driver_bug(fv, "descriptor %u: next %u outside the table", i, d.next);
			return false;
		}
		i = d.next;
	}
}

void split_fetch(struct fake_virtio *fv, struct fv_queue *q)
{
	uint16_t avail_idx = ld16(q->avail_addr + offsetof(struct virtq_avail, idx));
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		driver_bug(fv, "available index %u is more than %u ahead of %u", avail_idx, q->num,
		           q->last_avail);
		queue_broken(fv, q);
		return;
	}
	while (q->last_avail != avail_idx) {
		uint16_t head = ld16(avail_ring(q, q->last_avail));
		if ((uint16_t)(q->published_idx - q->last_avail - 1) < q->num &&
		    q->published[q->last_avail % q->num] != head) {
			driver_bug(
			    fv,
			    "available ring entry %u held %u when avail->idx published it and %u "
			    "later: the entry must be written before the index (spec 2.7.13)",
			    q->last_avail, q->published[q->last_avail % q->num], head);
			queue_broken(fv, q);
			return;
		}
		q->last_avail++;
		struct fv_req r;
		if (!parse_chain(fv, q, head, &r)) {
			queue_broken(fv, q); // until the driver resets the device
			return;
		}
		q->reqs[head] = r;
		q->pending[q->npending++] = head;
		q->chains++;
		q->indirect_chains += r.indirect;
		if (q->npending > q->max_pending)
			q->max_pending = q->npending;
	}
	// spec 2.7.10: with EVENT_IDX, tell the driver when to notify next
	if (fv_has_feature(fv, VIRTIO_F_EVENT_IDX))
		st16(avail_event_addr(q), (uint16_t)(q->last_avail + q->avail_event_ahead));
	else
		st16(q->used_addr, q->no_notify ? VIRTQ_USED_F_NO_NOTIFY : 0);
}

// --- what a device on another hart could see (hw/barrier.h's host hooks) -------

void host_barrier(void)
{
	fv_host_barriers++;
}

// A WRITE_ONCE landed at p. If it is a live queue's avail->idx, remember
// the ring entries it publishes as they are at this moment: a concurrent
// device may read them now, so fake_virtio_fetch checks that they have not
// changed since. The descriptors and entries must also have been ordered
// before the index by a barrier (spec 2.7.13.3.1): with none since the
// queue's last publication, a weakly ordered hart could show the index first.
void host_shared_store(const volatile void *p)
{
	for (int s = 0; s < FAKE_SLOTS; s++) {
		struct fake_virtio *fv = fv_devs[s];
		for (int qi = 0; fv && qi < FV_QUEUES; qi++) {
			struct fv_queue *q = &fv->q[qi];
			// (a packed ring has no avail->idx: its driver area is the
			// event suppression structure)
			if (q->live && q->packed)
				fp_shared_store(fv, q, p, fv_host_barriers);
			if (!q->live || q->packed || (uintptr_t)p != q->avail_addr + 2)
				continue;
			uint16_t idx = ld16(q->avail_addr + 2);
			if (idx == q->published_idx)
				continue;
			if (fv_host_barriers == q->barriers_then)
				driver_bug(
				    fv,
				    "queue %d: avail->idx %u published with no write barrier "
				    "since the last one: the device could see the index before "
				    "the ring entry (spec 2.7.13.3.1)",
				    qi, idx);
			q->barriers_then = fv_host_barriers;
			for (uint16_t i = q->published_idx; i != idx; i++)
				q->published[i % q->num] = ld16(avail_ring(q, i));
			q->published_idx = idx;
		}
	}
}

// --- completing chains (spec 2.7.8, 2.7.10) --------------------------------------

bool fv_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

static void maybe_interrupt(struct fake_virtio *fv, struct fv_queue *q)
{
	bool raise;

	if (fv_has_feature(fv, VIRTIO_F_EVENT_IDX)) {
		bool valid = q->signalled_valid;
		uint16_t old = q->signalled_used;
		q->signalled_valid = true;
		q->signalled_used = q->used_idx;
		raise = !valid || fv_need_event(ld16(used_event_addr(q)), q->used_idx, old);
	} else {
		raise = !(ld16(q->avail_addr) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	if (raise) {
		fv->int_status |= VIRTIO_ISR_VQ;
		fv->irqs++;
	}
}

void split_push_used(struct fake_virtio *fv, struct fv_queue *q, uint32_t id, uint32_t len,
                     uint16_t step)
{
	uint64_t e = used_elem_addr(q, q->used_idx);

	st32(e + offsetof(struct virtq_used_elem, id), id);
	st32(e + offsetof(struct virtq_used_elem, len), len);
	retire(q, id);
	// a jump publishes the stale entries it skips as well
	for (uint32_t i = 1; i < step && i <= q->num; i++)
		retire(q, *(uint32_t *)(uintptr_t)(used_elem_addr(q, (uint16_t)(q->used_idx + i)) +
		                                   offsetof(struct virtq_used_elem, id)));
	// the entry is visible before the index that publishes it
	q->used_idx = (uint16_t)(q->used_idx + (step ? step : 1));
	st16(q->used_addr + offsetof(struct virtq_used, idx), q->used_idx);
	maybe_interrupt(fv, q);
}
