// The fake device's side of the packed ring (spec 2.8); see fake_packed.h.
// The device reads the ring in order from last_avail, taking a chain when
// its head's bits say "available in this lap", and writes used descriptors
// in completion order from used_idx, skipping each chain's slots.
#include <stdlib.h>
#include <string.h>

#include "fake_packed.h"
#include "host_kernel.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

static struct pvirtq_desc ld_pdesc(uint64_t table, uint32_t i)
{
	struct pvirtq_desc d;

	// the flags first, as a device that polls them would
	d.flags = __atomic_load_n(
	    (uint16_t *)(uintptr_t)(table + sizeof(d) * i + offsetof(struct pvirtq_desc, flags)),
	    __ATOMIC_ACQUIRE);
	memcpy(&d, (void *)(uintptr_t)(table + sizeof(d) * i), offsetof(struct pvirtq_desc, flags));
	return d;
}

static uint16_t avail_bits(bool w)
{
	return w ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

static struct pvirtq_event_suppress *area(uint64_t a)
{
	return (struct pvirtq_event_suppress *)(uintptr_t)a;
}

bool fp_check_areas(struct fake_virtio *fv, struct fv_queue *q)
{
	if (q->desc_addr % 16 || q->avail_addr % 4 || q->used_addr % 4) {
		driver_bug(fv,
		           "packed queue: alignment wrong: desc 0x%lx driver 0x%lx device 0x%lx",
		           (unsigned long)q->desc_addr, (unsigned long)q->avail_addr,
		           (unsigned long)q->used_addr);
		return false;
	}
	if (!host_dma_owns((void *)(uintptr_t)q->desc_addr, sizeof(struct pvirtq_desc) * q->num) ||
	    !host_dma_owns((void *)(uintptr_t)q->avail_addr,
	                   sizeof(struct pvirtq_event_suppress)) ||
	    !host_dma_owns((void *)(uintptr_t)q->used_addr, sizeof(struct pvirtq_event_suppress))) {
		driver_bug(fv, "packed queue: an area is not in DMA memory");
		return false;
	}
	return true;
}

static void next_slot(const struct fv_queue *q, uint16_t *slot, bool *w)
{
	if (++*slot == q->num) {
		*slot = 0;
		*w = !*w;
	}
}

// An indirect table (2.8.7): sequential descriptors, WRITE the only flag.
static bool parse_indirect(struct fake_virtio *fv, struct fv_req *r, struct pvirtq_desc d,
                           bool *seen_write)
{
	if (!fv_has_feature(fv, VIRTIO_F_INDIRECT_DESC)) {
		driver_bug(fv, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
		return false;
	}
	if (d.flags & VIRTQ_DESC_F_NEXT) {
		driver_bug(fv, "indirect descriptor with NEXT in a packed ring");
		return false;
	}
	if (d.len == 0 || d.len % sizeof(struct pvirtq_desc)) {
		driver_bug(fv, "indirect table of %u bytes", d.len);
		return false;
	}
	if (!host_dma_owns((void *)(uintptr_t)d.addr, d.len)) {
		driver_bug(fv, "indirect table at 0x%lx is not DMA memory", (unsigned long)d.addr);
		return false;
	}
	r->indirect = true;
	for (uint32_t k = 0; k < d.len / sizeof(struct pvirtq_desc); k++) {
		struct pvirtq_desc e = ld_pdesc(d.addr, k);
		if (e.flags & ~VIRTQ_DESC_F_WRITE) {
			driver_bug(fv,
			           "indirect table entry %u has flags 0x%x (only WRITE is valid)",
			           k, e.flags);
			return false;
		}
		if (!add_seg(fv, r, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE, seen_write))
			return false;
	}
	return true;
}

// Read the chain whose head is at q->last_avail into r; on success move
// last_avail past it. False (and a complaint) if the driver wrote
// something no device may accept.
static bool parse_chain(struct fake_virtio *fv, struct fv_queue *q, struct fv_req *r)
{
	const uint16_t known = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT |
	                       VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED;
	uint16_t slot = q->last_avail, head = q->last_avail;
	bool w = q->avail_wrap, seen_write = false;
	struct pvirtq_desc d;

	memset(r, 0, sizeof(*r));
	for (uint32_t k = 0;; k++) {
		if (k == q->num) {
			driver_bug(fv, "chain at slot %u is longer than the ring", head);
			return false;
		}
		d = ld_pdesc(q->desc_addr, slot);
		// 2.8.6: every descriptor of a chain carries the bits of its lap
		if ((d.flags & (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED)) != avail_bits(w)) {
			driver_bug(fv,
			           "slot %u of the chain at slot %u is not marked available "
			           "(flags 0x%x, wrap %d)",
			           slot, head, d.flags, w);
			return false;
		}
		if (d.flags & ~known) {
			driver_bug(fv, "slot %u has unknown flags 0x%x", slot, d.flags);
			return false;
		}
		r->head = d.id;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (k > 0) {
				driver_bug(fv, "indirect descriptor inside a chain at slot %u",
				           head);
				return false;
			}
			if (!parse_indirect(fv, r, d, &seen_write))
				return false;
		} else if (!add_seg(fv, r, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE,
		                    &seen_write)) {
			return false;
		}
		next_slot(q, &slot, &w);
		if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
			r->slots = (uint16_t)(k + 1);
			break;
		}
	}
	// 2.8.6: the buffer ID is the last descriptor's
	if (d.id >= q->num) {
		driver_bug(fv, "buffer ID %u in a ring of %u", d.id, q->num);
		return false;
	}
	for (uint32_t i = 0; i < q->npending; i++)
		if (q->pending[i] == d.id) {
			driver_bug(fv, "buffer ID %u reused while in flight", d.id);
			return false;
		}
	r->head = d.id;
	q->last_avail = slot;
	q->avail_wrap = w;
	return true;
}

// What a device on another hart could see (hw/barrier.h's host hooks).
// The driver publishes its chains in ring order, each by the store that
// makes its head's flags "available": q->published_idx follows that
// order, as the slot of the next head with bit 15 set in the lap whose
// wrap counter is 0 (zero after setup: slot 0, wrap 1). At the moment the
// head's flags land, the device may take the whole chain (2.8.6,
// 2.8.21.1): so every later slot must already carry its bits, and a write
// barrier must have ordered the chain before the flags (with none since
// the last head, a weakly ordered hart could show the flags first).
void fp_shared_store(struct fake_virtio *fv, struct fv_queue *q, const volatile void *p,
                     uint64_t barriers)
{
	uint16_t slot = q->published_idx & 0x7fff;
	bool w = !(q->published_idx & 0x8000);
	uint64_t flags_at = q->desc_addr + sizeof(struct pvirtq_desc) * slot +
	                    offsetof(struct pvirtq_desc, flags);

	if ((uintptr_t)p != flags_at)
		return;
	struct pvirtq_desc d = ld_pdesc(q->desc_addr, slot);
	if ((d.flags & (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED)) != avail_bits(w))
		return; // not a publication (yet)
	// the later slots, as the device would follow them now
	uint16_t s = slot;
	bool sw = w;
	for (uint16_t k = 1; k < q->num && (d.flags & VIRTQ_DESC_F_NEXT); k++) {
		next_slot(q, &s, &sw);
		d = ld_pdesc(q->desc_addr, s);
		if ((d.flags & (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED)) != avail_bits(sw)) {
			driver_bug(fv,
			           "the head at slot %u was made available before slot %u of its "
			           "chain was (flags 0x%x, wrap %d): the head's flags go last "
			           "(2.8.6)",
			           slot, s, d.flags, sw);
			return; // the store that completes it publishes it again
		}
	}
	if (barriers == q->barriers_then)
		driver_bug(fv,
		           "the head at slot %u was made available with no write barrier since the "
		           "last head: the device could see its flags before the chain (2.8.21.1)",
		           slot);
	q->barriers_then = barriers;
	struct fv_queue view = *q;
	struct fv_req r;
	view.last_avail = slot;
	view.avail_wrap = w;
	if (parse_chain(fv, &view, &r))
		q->published_idx = (uint16_t)(view.last_avail | (view.avail_wrap ? 0 : 0x8000));
}

void fp_fetch(struct fake_virtio *fv, struct fv_queue *q)
{
	while (q->npending < q->num) {
		struct pvirtq_desc head = ld_pdesc(q->desc_addr, q->last_avail);
		if ((head.flags & (VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED)) !=
		    avail_bits(q->avail_wrap))
			break; // not (yet) available in this lap
		struct fv_req r;
		if (!parse_chain(fv, q, &r)) {
			queue_broken(fv, q); // until the driver resets the device
			return;
		}
		q->reqs[r.head] = r;
		q->pending[q->npending++] = r.head;
		q->chains++;
		q->indirect_chains += r.indirect;
		if (q->npending > q->max_pending)
			q->max_pending = q->npending;
	}
	// 2.8.10: tell the driver when to notify next (offset before flags)
	struct pvirtq_event_suppress *ev = area(q->used_addr);
	if (fv_has_feature(fv, VIRTIO_F_EVENT_IDX)) {
		uint32_t pos = q->last_avail + q->avail_event_ahead;
		bool w = q->avail_wrap;
		if (pos >= q->num) {
			pos -= q->num;
			w = !w;
		}
		__atomic_store_n(&ev->off_wrap,
		                 (uint16_t)(pos | (uint32_t)w << RING_EVENT_WRAP_SHIFT),
		                 __ATOMIC_RELEASE);
		__atomic_store_n(&ev->flags, RING_EVENT_FLAGS_DESC, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&ev->flags,
		                 q->no_notify ? RING_EVENT_FLAGS_DISABLE : RING_EVENT_FLAGS_ENABLE,
		                 __ATOMIC_RELEASE);
	}
}

// 2.8.10: whether the driver's event suppression asks for an interrupt now
// that used descriptors went into slots old .. new-1 (ring slots; new in
// the lap of q->used_wrap).
static bool want_interrupt(struct fake_virtio *fv, struct fv_queue *q, uint16_t advanced)
{
	struct pvirtq_event_suppress *ev = area(q->avail_addr);
	uint16_t flags = __atomic_load_n(&ev->flags, __ATOMIC_ACQUIRE);

	if (flags == RING_EVENT_FLAGS_DISABLE)
		return false;
	if (flags != RING_EVENT_FLAGS_DESC)
		return true;
	if (!fv_has_feature(fv, VIRTIO_F_EVENT_IDX)) {
		driver_bug(fv, "RING_EVENT_FLAGS_DESC without VIRTIO_F_EVENT_IDX");
		return true;
	}
	uint16_t off_wrap = __atomic_load_n(&ev->off_wrap, __ATOMIC_ACQUIRE);
	uint16_t off = off_wrap & 0x7fff;
	bool wrap = off_wrap >> RING_EVENT_WRAP_SHIFT;
	if (off >= q->num)
		driver_bug(fv, "driver event offset %u in a ring of %u", off, q->num);
	uint16_t event = wrap == q->used_wrap ? off : (uint16_t)(off - q->num);
	return fv_need_event(event, q->used_idx, (uint16_t)(q->used_idx - advanced));
}

void fp_push_used(struct fake_virtio *fv, struct fv_queue *q, uint32_t id, uint32_t len,
                  uint16_t slots)
{
	struct pvirtq_desc *d = (struct pvirtq_desc *)(uintptr_t)q->desc_addr + q->used_idx;
	bool w = q->wrong_wrap ? !q->used_wrap : q->used_wrap;

	q->wrong_wrap = false;
	d->id = (uint16_t)id;
	d->len = len;
	// id and len are visible before the flags that hand the slot back
	__atomic_store_n(&d->flags, (uint16_t)(w ? VIRTQ_DESC_F_AVAIL | VIRTQ_DESC_F_USED : 0),
	                 __ATOMIC_RELEASE);
	retire(q, id);
	uint16_t advanced = slots < q->num ? slots : (uint16_t)q->num;
	q->used_idx = (uint16_t)(q->used_idx + advanced);
	if (q->used_idx >= q->num) {
		q->used_idx = (uint16_t)(q->used_idx - q->num);
		q->used_wrap = !q->used_wrap;
	}
	if (want_interrupt(fv, q, advanced)) {
		fv->int_status |= VIRTIO_ISR_VQ;
		fv->irqs++;
	}
}
