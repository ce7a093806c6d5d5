// The packed virtqueue (spec 2.8). One ring of descriptors carries both
// directions: the driver writes a chain into the next free slots and marks
// it available; the device, when it finishes a chain (in any order),
// writes one used descriptor naming the chain's buffer ID into the next
// slot in its own sequence and skips the rest of the chain's slots. Whose
// turn a slot is follows from two bits per descriptor and one wrap counter
// on each side, which flips every time that side passes the end of the ring:
//
//   slot holds, seen by a driver at wrap W     AVAIL   USED
//   a chain head or part, made available        W       !W
//   a used descriptor: id and len are valid      W       W
//   a used descriptor from the lap before        !W      !W
//   a chain's later slot from the lap before,
//     which the device skipped (2.8.6)           !W      W
//
// Only the second row is "used", so a device that writes the wrong wrap
// bits has written nothing the driver will take: its request times out
// and the device driver resets the device (as for any lost completion).
//
// Trust ends at the ring: a used descriptor's ID, length and both flag
// bits are checked before anything is indexed by them, and how many slots
// a chain holds comes from our own record of that buffer ID, never from the
// ring.
#include "console.h"
#include "errno.h"
#include "hw/barrier.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq_ring.h"

// The flag bits that make a slot available in a lap with wrap counter w.
static uint16_t avail_bits(bool w)
{
	return w ? VIRTQ_DESC_F_AVAIL : VIRTQ_DESC_F_USED;
}

// Layout (2.8.10.1): the ring (alignment 16), the driver's then the
// device's event suppression structure (alignment 4 each), then, with
// indirect descriptors, one table per buffer ID.
static size_t ring_part(uint16_t num)
{
	return sizeof(struct pvirtq_desc) * num;
}

static size_t indirect_offset(uint16_t num)
{
	size_t end = ring_part(num) + 2 * sizeof(struct pvirtq_event_suppress);
	return (end + sizeof(struct pvirtq_desc) - 1) & ~(sizeof(struct pvirtq_desc) - 1);
}

void packed_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device)
{
	*desc = virt_to_phys(vq->ring);
	*driver = virt_to_phys(vq->driver_event);
	*device = virt_to_phys(vq->device_event);
}

int packed_alloc(struct virtq *vq)
{
	uint16_t num = vq->num;
	size_t ind_bytes =
	    vq->use_indirect ? sizeof(struct pvirtq_desc) * VIRTQ_INDIRECT_MAX * num : 0;

	vq->ring_bytes = indirect_offset(num) + ind_bytes;
	vq->ring_mem = dma_alloc(vq->ring_bytes);
	if (!vq->ring_mem)
		return -ENOMEM;
	uint8_t *base = vq->ring_mem;
	vq->ring = (struct pvirtq_desc *)base;
	vq->driver_event = (struct pvirtq_event_suppress *)(base + ring_part(num));
	vq->device_event = vq->driver_event + 1;
	vq->pindirect = vq->use_indirect ? (struct pvirtq_desc *)(base + indirect_offset(num)) : 0;

	// driver-private: per buffer ID, the chain it names
	vq->priv_bytes = sizeof(struct virtq_head) * num;
	vq->priv_mem = dma_alloc(vq->priv_bytes);
	if (!vq->priv_mem) {
		dma_free(vq->ring_mem, vq->ring_bytes);
		vq->ring_mem = 0;
		return -ENOMEM;
	}
	vq->heads = vq->priv_mem;
	// free buffer IDs, chained through next_id; a chain takes one ID
	// whatever its length, so there are never fewer IDs than slots
	for (uint16_t i = 0; i < num; i++)
		vq->heads[i].next_id = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->num_free = num;
	// 2.8.1: both wrap counters start at 1 (zeroed memory is then
	// "left from a lap" everywhere: nothing is used)
	vq->avail_wrap = vq->used_wrap = true;
	return 0;
}

// Make the chain whose `need` slots start at ring slot `head` available,
// by storing the head's flags, and move past it. Both ways of adding a
// chain end here.
static void packed_publish(struct virtq *vq, uint16_t head, uint16_t head_flags, uint16_t need)
{
	/* BEGIN LAB 11 SOLUTION */
	// Everything written before (the later slots, their flags, the head's
	// address, length and ID, the indirect table) must be visible before
	// the head's flags: the device polls only the head's flags, and the
	// moment they read "available" it may fetch the whole chain (2.8.6,
	// 2.8.21.1). Written in any other order, it could see a half-written
	// chain.
	virt_wmb();
	WRITE_ONCE(vq->ring[head].flags, head_flags);
	// the driver's wrap counter flips each time it passes the last slot
	if ((vq->avail_idx & (vq->num - 1)) + need >= vq->num)
		vq->avail_wrap = !vq->avail_wrap;
	vq->avail_idx = (uint16_t)(vq->avail_idx + need);
	vq->num_free -= need;
	vq->added++;
	/* END LAB 11 SOLUTION */
	/* BEGIN LAB 11 STUB
	// TODO(lab 11): store the head's flags after a write barrier, then
	// move avail_idx and the wrap counter on. Read
	// lab-guides/lab11-packed.md, "Step 2: making a chain available".
	(void)vq, (void)head, (void)head_flags, (void)need;
	END LAB 11 STUB */
}

// Write a checked chain of n buffers into the ring under buffer ID id and
// make it available. packed_add takes a free ID; slot mode (virtq.h) uses
// the slot's number.
static int packed_post(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token,
                       uint32_t writable, uint16_t id)
{
	/* BEGIN LAB 11 SOLUTION */
	bool indirect = vq->use_indirect && n > 1 && n <= VIRTQ_INDIRECT_MAX;
	uint16_t need = indirect ? 1 : (uint16_t)n;
	uint16_t head = (uint16_t)(vq->avail_idx & (vq->num - 1)), head_flags;
	if (indirect) {
		// 2.8.7: the table's descriptors follow each other; only WRITE
		// means anything there. The ring holds one descriptor for it.
		struct pvirtq_desc *table = vq->pindirect + (size_t)id * VIRTQ_INDIRECT_MAX;
		for (int i = 0; i < n; i++)
			table[i] = (struct pvirtq_desc){
			    bufs[i].addr, bufs[i].len, 0,
			    (uint16_t)(bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0)};
		vq->ring[head].addr = virt_to_phys(table);
		vq->ring[head].len = (uint32_t)(n * sizeof(struct pvirtq_desc));
		vq->ring[head].id = id;
		head_flags = (uint16_t)(VIRTQ_DESC_F_INDIRECT | avail_bits(vq->avail_wrap));
	} else {
		// 2.8.6: one slot per buffer, NEXT on all but the last; each
		// slot gets the ownership bits of its own lap, so a chain that
		// runs past the end of the ring flips them where it wraps
		uint16_t slot = head;
		bool w = vq->avail_wrap;
		head_flags = 0;
		for (int k = 0; k < n; k++) {
			struct pvirtq_desc *d = &vq->ring[slot];
			uint16_t f =
			    (uint16_t)((bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			               (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | avail_bits(w));
			d->addr = bufs[k].addr;
			d->len = bufs[k].len;
			d->id = id;
			if (k == 0)
				head_flags = f; // written last, below
			else
				WRITE_ONCE(d->flags, f);
			if (++slot == vq->num) {
				slot = 0;
				w = !w;
			}
		}
	}
	packed_publish(vq, head, head_flags, need);
	vq->heads[id] = (struct virtq_head){token, need, 0, writable};
	return 0;
	/* END LAB 11 SOLUTION */
	/* BEGIN LAB 11 STUB
	// TODO(lab 11): write the chain into the ring from slot
	// avail_idx % num on with the ownership bits of each slot's lap, then
	// make it available with packed_publish. Read lab-guides/lab11-packed.md, "Step 2: making a chain
	// available".
	(void)vq, (void)bufs, (void)n, (void)token, (void)writable, (void)id, (void)avail_bits;
	return -ENOSYS;
	END LAB 11 STUB */
}

int packed_add(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token,
               uint32_t writable)
{
	/* BEGIN LAB 11 SOLUTION */
	bool indirect = vq->use_indirect && n > 1 && n <= VIRTQ_INDIRECT_MAX;
	uint16_t need = indirect ? 1 : (uint16_t)n;
	if (vq->num_free < need)
		return -ENOSPC;
	uint16_t id = vq->free_head;
	vq->free_head = vq->heads[id].next_id;
	return packed_post(vq, bufs, n, token, writable, id);
	/* END LAB 11 SOLUTION */
	/* BEGIN LAB 11 STUB
	// TODO(lab 11): take a free buffer ID (if the ring has room for the
	// chain) and hand the chain to packed_post. Read
	// lab-guides/lab11-packed.md, "Step 2: making a chain available".
	(void)vq, (void)bufs, (void)n, (void)token, (void)writable;
	return -ENOSYS;
	END LAB 11 STUB */
}

// Slot mode (virtq.h). With indirect descriptors slot s is buffer ID s
// and its table, whose header descriptor is written here once; a request
// writes its data descriptors and one ring slot. Without, the whole chain
// goes into the ring each time (ring slots move on with every chain), as
// packed_add writes it, under buffer ID s.
void packed_slot_set(struct virtq *vq, uint16_t slot)
{
	struct virtq_slot *s = &vq->slots[slot];

	s->id = slot;
	if (vq->use_indirect) {
		struct pvirtq_desc *table = vq->pindirect + (size_t)slot * VIRTQ_INDIRECT_MAX;
		table[0] = (struct pvirtq_desc){s->head.addr, s->head.len, 0, 0};
		// laid out for one data buffer, as split_slot_set does (why: there)
		s->ndata = vq->slot_max_data ? 1 : 0;
		table[1 + s->ndata] =
		    (struct pvirtq_desc){s->tail.addr, s->tail.len, 0, VIRTQ_DESC_F_WRITE};
		s->chain = table;
	} else {
		s->chain = vq->ring; // only marks the slot described
	}
}

int packed_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data, int n,
                    void *token)
{
	uint32_t writable;
	int err = virtq_slot_check(vq, slot, data, n, token, &writable);
	if (err)
		return err;
	struct virtq_slot *s = &vq->slots[slot];

	if (!vq->use_indirect) {
		struct virtq_buf bufs[VIRTQ_INDIRECT_MAX];
		bufs[0] = s->head;
		for (int i = 0; i < n; i++)
			bufs[1 + i] = data[i];
		bufs[1 + n] = s->tail;
		if (vq->num_free < n + 2)
			return -ENOSPC;
		return packed_post(vq, bufs, n + 2, token, writable, slot);
	}
	if (vq->num_free < 1)
		return -ENOSPC;
	struct pvirtq_desc *table = s->chain;
	for (int i = 0; i < n; i++)
		table[1 + i] = (struct pvirtq_desc){
		    data[i].addr, data[i].len, 0,
		    (uint16_t)(data[i].device_writes ? VIRTQ_DESC_F_WRITE : 0)};
	if (n != s->ndata) {
		// the status descriptor follows the data, wherever that ends
		table[1 + n] =
		    (struct pvirtq_desc){s->tail.addr, s->tail.len, 0, VIRTQ_DESC_F_WRITE};
		s->ndata = (uint16_t)n;
	}
	uint16_t head = (uint16_t)(vq->avail_idx & (vq->num - 1));
	vq->ring[head].addr = virt_to_phys(table);
	vq->ring[head].len = (uint32_t)((n + 2) * sizeof(struct pvirtq_desc));
	vq->ring[head].id = slot;
	vq->heads[slot] = (struct virtq_head){token, 1, 0, writable};
	packed_publish(vq, head, (uint16_t)(VIRTQ_DESC_F_INDIRECT | avail_bits(vq->avail_wrap)), 1);
	return 0;
}

void packed_kick(struct virtq *vq)
{
	struct pvirtq_event_suppress ev;
	uint16_t added = (uint16_t)(vq->avail_idx - vq->kicked_idx);
	bool notify;

	if (added == 0)
		return;
	// our head-flag stores must be visible before we read whether the
	// device wants a notification, or both sides could wait for each
	// other (2.8.21.3)
	virt_mb();
	// one 32-bit read, so the offset and the flags belong together (the
	// builtin copy is two register moves; the kernel's memcpy, a call and
	// a byte loop, was 32 instructions of every notification)
	uint32_t snap = READ_ONCE(*(uint32_t *)vq->device_event);
	__builtin_memcpy(&ev, &snap, sizeof(ev));
	if (ev.flags == RING_EVENT_FLAGS_DESC && vq->use_event_idx && added < vq->num) {
		// the device asked to hear about one slot of one lap. A slot
		// of the lap before ours counts num slots back, so one modular
		// window test covers both laps: new is the next slot to fill,
		// old where it was at the last notification.
		uint16_t off = ev.off_wrap & 0x7fff;
		bool wrap = ev.off_wrap >> RING_EVENT_WRAP_SHIFT;
		uint16_t new_slot = (uint16_t)(vq->avail_idx & (vq->num - 1));
		uint16_t event = wrap == vq->avail_wrap ? off : (uint16_t)(off - vq->num);
		notify = virtq_need_event(event, new_slot, (uint16_t)(new_slot - added));
	} else {
		notify = ev.flags != RING_EVENT_FLAGS_DISABLE;
	}
	vq->kicked_idx = vq->avail_idx;
	if (notify) {
		vq->notifies++;
		vdev_notify(vq->dev, vq->index);
	}
}

// Whether a slot's flags mark it used in the lap with wrap counter w.
static bool is_used(uint16_t flags, bool w)
{
	return !!(flags & VIRTQ_DESC_F_USED) == w && !!(flags & VIRTQ_DESC_F_AVAIL) == w;
}

// Whether the slot the device will write next now holds a used descriptor.
bool packed_has_used(struct virtq *vq)
{
	return is_used(READ_ONCE(vq->ring[vq->last_used].flags), vq->used_wrap);
}

// Ask for an interrupt when the device writes a used descriptor into the
// slot we will look at next (EVENT_IDX, 2.8.10), with its lap.
static void want_event_at_last_used(struct virtq *vq)
{
	WRITE_ONCE(vq->driver_event->off_wrap,
	           (uint16_t)(vq->last_used | (uint16_t)vq->used_wrap << RING_EVENT_WRAP_SHIFT));
}

// Take the used descriptor in the next slot, if there is one. Examples,
// for a queue of 8 at last_used = 6 with used_wrap 1, and buffer IDs 2
// (3 slots, 512 writable bytes) and 5 in flight:
//   flags AVAIL 1 USED 0              -> 0: made available, not finished
//   flags AVAIL 0 USED 0              -> 0: used in the previous lap
//   flags AVAIL 0 USED 1              -> 0: skipped in the previous lap
//   used, id 8                        -> broken: no buffer ID 8
//   used, id 4                        -> broken: ID 4 is not in flight
//   used, id 2, WRITE, len 513        -> broken: more than its 512 bytes
//   used, id 2, WRITE, len 512        -> 1: ID 2 freed; the next used
//                                        descriptor is at slot (6 + 3) % 8
//                                        = 1, wrap 0
int packed_get_used(struct virtq *vq, void **token, uint32_t *len)
{
	/* BEGIN LAB 11 SOLUTION */
	struct pvirtq_desc *d = &vq->ring[vq->last_used];
	uint16_t flags = READ_ONCE(d->flags);
	if (!is_used(flags, vq->used_wrap))
		return 0;
	// read the ID and length only after the flags that say they are
	// written (2.8.22)
	virt_rmb();
	uint16_t id = READ_ONCE(d->id);
	// 2.8.4 makes len meaningful only with WRITE set in the used
	// descriptor, but QEMU 7.2 never sets it (nor reads it, as Linux
	// does not): take len as the bytes written, checked like any other
	uint32_t written = READ_ONCE(d->len);
	if (id >= vq->num)
		return virtq_broken(vq, "used buffer ID out of range", id, vq->num);
	struct virtq_head *h = &vq->heads[id];
	if (!h->token)
		return virtq_broken(vq, "used buffer ID is not in flight", id, 0);
	if (written > h->writable)
		return virtq_broken(vq, "used length larger than the chain's writable bytes",
		                    written, h->writable);
	// the device skips the rest of the chain's slots (2.8.6): so do we,
	// by the count we recorded, crossing into the next lap if we pass
	// the end
	uint16_t next = (uint16_t)(vq->last_used + h->ndesc);
	if (next >= vq->num) {
		next = (uint16_t)(next - vq->num);
		vq->used_wrap = !vq->used_wrap;
	}
	vq->last_used = next;

	vq->used_count = (uint16_t)(vq->used_count + h->ndesc);
	vq->num_free += h->ndesc;
	if (!vq->nslots) {
		// a slot's buffer ID is its own, never on the free list
		h->next_id = vq->free_head;
		vq->free_head = id;
	}
	*token = h->token;
	*len = written;
	h->token = 0;
	vq->completed++;
	if (vq->use_event_idx && vq->interrupts) {
		// the next interrupt is for the next slot; visible before the
		// caller looks at the ring again, or a used descriptor could
		// slip in with no interrupt to tell us
		want_event_at_last_used(vq);
		virt_mb();
	}
	return 1;
	/* END LAB 11 SOLUTION */
	/* BEGIN LAB 11 STUB
	// TODO(lab 11): is the descriptor at last_used used in this lap?
	// Check its bits, ID and length, skip the chain's slots, free the ID.
	// Read lab-guides/lab11-packed.md, "Step 3: taking used buffers".
	(void)vq, (void)token, (void)len;
	return 0;
	END LAB 11 STUB */
}

void packed_enable_interrupts(struct virtq *vq, bool on)
{
	if (!on) {
		WRITE_ONCE(vq->driver_event->flags, RING_EVENT_FLAGS_DISABLE);
	} else if (vq->use_event_idx) {
		// the offset must be visible before the flag that tells the
		// device to read it
		want_event_at_last_used(vq);
		virt_wmb();
		WRITE_ONCE(vq->driver_event->flags, RING_EVENT_FLAGS_DESC);
	} else {
		WRITE_ONCE(vq->driver_event->flags, RING_EVENT_FLAGS_ENABLE);
	}
	// the choice must be visible before we next look at the ring, or a
	// used descriptor could arrive unseen with its interrupt suppressed
	virt_mb();
}

// How many slots the device has visibly finished, counting from what we
// consumed: walk the used descriptors waiting at last_used (only for `vq`;
// nothing is taken or trusted beyond the walk).
static uint16_t peek_used_count(struct virtq *vq)
{
	uint16_t slot = vq->last_used, count = vq->used_count;
	bool w = vq->used_wrap;

	for (uint16_t seen = 0; seen < vq->num;) {
		struct pvirtq_desc *d = &vq->ring[slot];
		uint16_t flags = READ_ONCE(d->flags), id = READ_ONCE(d->id);
		if (!is_used(flags, w) || id >= vq->num || !vq->heads[id].token)
			break;
		uint16_t n = vq->heads[id].ndesc;
		count = (uint16_t)(count + n);
		seen = (uint16_t)(seen + n);
		if (slot + n >= vq->num)
			w = !w;
		slot = (uint16_t)((slot + n) & (vq->num - 1));
	}
	return count;
}

void packed_dump(struct virtq *vq)
{
	static const char *const ev[] = {"enable", "disable", "desc", "reserved"};

	kprintf("vq %u: avail idx %u, used idx %u, last used seen %u, last kick at %u\n", vq->index,
	        vq->avail_idx, peek_used_count(vq), vq->used_count, vq->kicked_idx);
	kprintf("vq %u: packed ring (spec 2.8): next avail slot %u wrap %u, next used slot %u wrap "
	        "%u, driver events %s, device events %s\n",
	        vq->index, vq->avail_idx & (vq->num - 1), vq->avail_wrap, vq->last_used,
	        vq->used_wrap, ev[READ_ONCE(vq->driver_event->flags) & 3],
	        ev[READ_ONCE(vq->device_event->flags) & 3]);
}

// The ring as both sides see it, slot by slot, then both event structures.
void packed_dump_ring(struct virtq *vq, uint16_t first, uint16_t count)
{
	for (uint16_t i = first; i < first + count; i++) {
		struct pvirtq_desc d = vq->ring[i];
		kprintf("ring[%u]: addr %p len %u id %u flags 0x%x%s%s%s%s%s\n", i, (void *)d.addr,
		        d.len, d.id, d.flags, d.flags & VIRTQ_DESC_F_AVAIL ? " AVAIL" : "",
		        d.flags & VIRTQ_DESC_F_USED ? " USED" : "",
		        d.flags & VIRTQ_DESC_F_NEXT ? " NEXT" : "",
		        d.flags & VIRTQ_DESC_F_WRITE ? " WRITE" : "",
		        d.flags & VIRTQ_DESC_F_INDIRECT ? " INDIRECT" : "");
	}
	kprintf("driver event: off_wrap 0x%x flags %u\n", READ_ONCE(vq->driver_event->off_wrap),
	        READ_ONCE(vq->driver_event->flags));
	kprintf("device event: off_wrap 0x%x flags %u\n", READ_ONCE(vq->device_event->off_wrap),
	        READ_ONCE(vq->device_event->flags));
}
