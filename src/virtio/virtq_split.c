// The split virtqueue (spec 2.7). The driver owns the descriptor table and
// the available ring; the device owns the used ring. Trust ends at the used
// ring: every id, length and index the device writes there is checked
// before it indexes anything, and chains are freed from our own shadow copy
// of the descriptors, never from the table the device can read.
#include "console.h"
#include "errno.h"
#include "hw/barrier.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq_ring.h"

// With EVENT_IDX (spec 2.7.7/2.7.10) each ring has one extra u16 after its
// entries: avail->ring[num] is used_event ("interrupt me when the used index
// passes this"), and the u16 after used->ring[num - 1] is avail_event
// ("notify me when the available index passes this").
#define USED_EVENT(vq)  ((vq)->avail->ring[(vq)->num])
#define AVAIL_EVENT(vq) (*avail_event(vq))

static volatile uint16_t *avail_event(struct virtq *vq)
{
	uint8_t *after_ring = (uint8_t *)vq->used + offsetof(struct virtq_used, ring) +
	                      sizeof(struct virtq_used_elem) * vq->num;
	return (volatile uint16_t *)after_ring;
}

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

// The sizes of the three parts (spec 2.7, the table in 2.7.2): each ring's
// header, its entries, and the event u16 after them.
// the descriptor table comes first, so the available ring starts where it ends
static size_t avail_offset(uint16_t num)
{
	return sizeof(struct virtq_desc) * num;
}

static size_t avail_bytes(uint16_t num)
{
	return offsetof(struct virtq_avail, ring) + sizeof(uint16_t) * num + sizeof(uint16_t);
}

static size_t used_bytes(uint16_t num)
{
	return offsetof(struct virtq_used, ring) + sizeof(struct virtq_used_elem) * num +
	       sizeof(uint16_t);
}

// Legacy layout (spec 2.7.2 and 4.2.4): descriptors, then the available
// ring, then padding up to the next 4096-byte boundary, then the used ring.
// The modern transport takes three separate addresses, so the same layout
// serves both, and satisfies the alignments of spec 2.7 (16, 2 and 4).
static size_t used_offset(uint16_t num)
{
	return align_up(avail_offset(num) + avail_bytes(num), VIRTQ_LEGACY_ALIGN);
}

size_t virtq_ring_bytes(uint16_t num)
{
	return used_offset(num) + align_up(used_bytes(num), VIRTQ_LEGACY_ALIGN);
}

void split_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device)
{
	*desc = virt_to_phys(vq->desc);
	*driver = virt_to_phys(vq->avail);
	*device = virt_to_phys(vq->used);
}

int split_alloc(struct virtq *vq)
{
	uint16_t num = vq->num;

	/* BEGIN LAB 3 SOLUTION */
	size_t ind_bytes =
	    vq->use_indirect ? sizeof(struct virtq_desc) * VIRTQ_INDIRECT_MAX * num : 0;
	vq->ring_bytes = virtq_ring_bytes(num) + ind_bytes;
	vq->ring_mem = dma_alloc(vq->ring_bytes);
	if (!vq->ring_mem)
		return -ENOMEM;
	uint8_t *base = vq->ring_mem;
	vq->desc = (struct virtq_desc *)base;
	vq->avail = (struct virtq_avail *)(base + avail_offset(num));
	vq->used = (struct virtq_used *)(base + used_offset(num));
	vq->indirect = vq->use_indirect ? (struct virtq_desc *)(base + virtq_ring_bytes(num)) : 0;

	// driver-private: the shadow table and per-head bookkeeping
	vq->priv_bytes = sizeof(struct virtq_desc) * num + sizeof(struct virtq_head) * num;
	vq->priv_mem = dma_alloc(vq->priv_bytes);
	if (!vq->priv_mem) {
		dma_free(vq->ring_mem, vq->ring_bytes);
		vq->ring_mem = 0;
		return -ENOMEM;
	}
	vq->shadow = vq->priv_mem;
	vq->heads = (struct virtq_head *)(vq->shadow + num);

	// the free list: every descriptor, chained through .next
	for (uint16_t i = 0; i < num; i++)
		vq->shadow[i].next = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->num_free = num;
	return 0;
	/* END LAB 3 SOLUTION */
	/* BEGIN LAB 3 STUB
	// TODO(lab 3): allocate the rings in the legacy layout and build the
	// free list. Read lab-guides/lab3-virtqueue.md, "Step 1: the rings".
	(void)num, (void)align_up;
	return -ENOSYS;
	END LAB 3 STUB */
}

// Spec 2.7.13: put a chain's head in the next available slot, then
// publish it by moving the index. Both ways of adding a chain end here.
static void split_publish(struct virtq *vq, uint16_t head)
{
	/* BEGIN LAB 4 SOLUTION */
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	// the descriptors and the ring entry must be visible before the
	// index that tells the device they exist (2.7.13.3.1)
	virt_wmb();
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	vq->added++;
	/* END LAB 4 SOLUTION */
	/* BEGIN LAB 4 STUB
	// TODO(lab 4): put head in the available ring and publish it. Read
	// lab-guides/lab4-read.md, "Step 2: adding a chain".
	(void)vq, (void)head;
	END LAB 4 STUB */
}

int split_add(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token, uint32_t writable)
{
	/* BEGIN LAB 4 SOLUTION */
	bool indirect = vq->use_indirect && n > 1 && n <= VIRTQ_INDIRECT_MAX;
	uint16_t need = indirect ? 1 : (uint16_t)n;
	if (vq->num_free < need)
		return -ENOSPC;

	uint16_t head = vq->free_head;
	if (indirect) {
		// the chain lives in this head's own table; the ring holds one
		// descriptor pointing at it (spec 2.7.5.3)
		struct virtq_desc *table = vq->indirect + (size_t)head * VIRTQ_INDIRECT_MAX;
		for (int i = 0; i < n; i++) {
			table[i].addr = bufs[i].addr;
			table[i].len = bufs[i].len;
			table[i].flags =
			    (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			               (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
			table[i].next = (uint16_t)(i + 1);
		}
		struct virtq_desc *d = &vq->shadow[head];
		vq->free_head = d->next;
		d->addr = virt_to_phys(table);
		d->len = (uint32_t)(n * sizeof(struct virtq_desc));
		d->flags = VIRTQ_DESC_F_INDIRECT;
		vq->desc[head] = *d;
	} else {
		uint16_t i = head;
		for (int k = 0; k < n; k++) {
			struct virtq_desc *d = &vq->shadow[i];
			uint16_t next_free = d->next;
			d->addr = bufs[k].addr;
			d->len = bufs[k].len;
			d->flags = (uint16_t)((bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
			                      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
			d->next = k + 1 < n ? next_free : 0;
			vq->desc[i] = *d;
			if (k + 1 < n)
				i = next_free;
			else
				vq->free_head = next_free;
		}
	}
	vq->num_free -= need;
	vq->heads[head] = (struct virtq_head){token, need, 0, writable};
	split_publish(vq, head);
	return 0;
	/* END LAB 4 SOLUTION */
	/* BEGIN LAB 4 STUB
	// TODO(lab 4): take descriptors from the free list, fill them (and
	// their shadow copies), and publish the head with split_publish.
	// Read lab-guides/lab4-read.md, "Step 2: adding a chain".
	(void)vq, (void)bufs, (void)n, (void)token, (void)writable;
	return -ENOSYS;
	END LAB 4 STUB */
}

// Slot mode (virtq.h): slot s's chain is built here once; a request then
// only writes its data descriptors (split_add_slot). With indirect
// descriptors the chain is head descriptor s and its table: header,
// data..., status. Without, it is descriptors s * stride on, linked once:
//   stride 3 (one data buffer), slot 2: desc[6] header -> desc[7] data
//   -> desc[8] status; two data buffers would need stride 4.
void split_slot_set(struct virtq *vq, uint16_t slot)
{
	struct virtq_slot *s = &vq->slots[slot];
	struct virtq_desc *d;
	// inside a table, next counts from the table's start (2.7.5.3.1)
	uint16_t base = 0;

	if (vq->use_indirect) {
		s->id = slot;
		d = vq->indirect + (size_t)slot * VIRTQ_INDIRECT_MAX;
		vq->desc[slot] = (struct virtq_desc){virt_to_phys(d), 0, VIRTQ_DESC_F_INDIRECT, 0};
	} else {
		s->id = base = (uint16_t)(slot * vq->slot_stride);
		d = vq->desc + base;
	}
	s->chain = d;
	s->next = (uint16_t)(base + 2);
	d[0] =
	    (struct virtq_desc){s->head.addr, s->head.len, VIRTQ_DESC_F_NEXT, (uint16_t)(base + 1)};
	// laid out for the usual request, one data buffer (written by the
	// first split_add_slot), so a rebuilt slot is in the state it would
	// be in after such a request: the instruction count of the next one
	// does not depend on whether the slots were just rebuilt
	s->ndata = vq->slot_max_data ? 1 : 0;
	d[1 + s->ndata] = (struct virtq_desc){s->tail.addr, s->tail.len, VIRTQ_DESC_F_WRITE, 0};
	if (vq->use_indirect)
		vq->desc[slot].len = (uint32_t)((s->ndata + 2) * sizeof(struct virtq_desc));
}

// Examples, slot 2 with indirect descriptors (built with the status in
// table[2] and desc[2].len 48), data {A, 4096, writes}:
//   data {A}            -> table[1] = A only, head 2 published
//   then data {B, C}    -> table[1] = B, table[2] = C, table[3] = status,
//                          desc[2].len = 64: the status moved
//   slot 2 in flight    -> -EBUSY
int split_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data, int n,
                   void *token)
{
	uint32_t writable;
	int err = virtq_slot_check(vq, slot, data, n, token, &writable);
	if (err)
		return err;
	struct virtq_slot *s = &vq->slots[slot];
	struct virtq_desc *d = s->chain;
	uint16_t next = s->next;

	for (int i = 0; i < n; i++, next++)
		d[1 + i] = (struct virtq_desc){data[i].addr, data[i].len,
		                               data[i].device_writes
		                                   ? VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE
		                                   : VIRTQ_DESC_F_NEXT,
		                               next};
	if (n != s->ndata) {
		// the status descriptor follows the data, wherever that ends
		d[1 + n] = (struct virtq_desc){s->tail.addr, s->tail.len, VIRTQ_DESC_F_WRITE, 0};
		if (vq->use_indirect)
			vq->desc[s->id].len = (uint32_t)((n + 2) * sizeof(struct virtq_desc));
		s->ndata = (uint16_t)n;
	}
	vq->heads[s->id].token = token;
	vq->heads[s->id].writable = writable;
	split_publish(vq, s->id);
	return 0;
}

void split_kick(struct virtq *vq)
{
	bool notify;

	if (vq->avail_idx == vq->kicked_idx)
		return;
	// our avail->idx store must be visible before we read whether the
	// device wants a notification, or both sides could decide to wait
	// for each other (spec 2.7.13.4)
	virt_mb();
	if (vq->use_event_idx)
		notify = virtq_need_event(AVAIL_EVENT(vq), vq->avail_idx, vq->kicked_idx);
	else
		notify = !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	vq->kicked_idx = vq->avail_idx;
	if (notify) {
		vq->notifies++;
		vdev_notify(vq->dev, vq->index);
	}
}

bool split_has_used(struct virtq *vq)
{
	return READ_ONCE(vq->used->idx) != vq->last_used;
}

// Take the next used entry. Everything in it is the device's word, so each
// field is checked before it is used; any failure stops the queue (the
// driver then resets the device). Examples, for a modern queue of 8 with
// last_used = 10 and three chains in flight at heads 0, 3 and 5, head 3
// with 1 device-writable byte:
//   used->idx 10                      -> 0: nothing new
//   used->idx 12                      -> the entry at ring[10 % 8] is next
//   used->idx 14                      -> broken: 4 entries for 3 chains
//   used->idx 9 (65535 ahead)         -> broken, the same check
//   entry {id 9, len 0}               -> broken: there is no descriptor 9
//   entry {id 4, len 0}               -> broken: 4 heads no chain in flight
//   entry {id 3, len 2}               -> broken: more than its 1 writable byte
//                                        (legacy device: clamped to 1, counted)
//   entry {id 3, len 1}               -> 1: chain 3 returned, freed from the shadow
int split_get_used(struct virtq *vq, void **token, uint32_t *len)
{
	/* BEGIN LAB 4 SOLUTION */
	uint16_t used_idx = READ_ONCE(vq->used->idx);
	if (used_idx == vq->last_used)
		return 0;
	// the device can only have finished chains we gave it
	uint16_t pending = (uint16_t)(used_idx - vq->last_used);
	if (pending > virtq_in_flight(vq))
		return virtq_broken(vq, "used index ran ahead of the chains in flight", pending,
		                    virtq_in_flight(vq));
	// read the entry only after the index that published it (2.7.14)
	virt_rmb();
	struct virtq_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1)];
	uint32_t id = READ_ONCE(e->id), written = READ_ONCE(e->len);
	if (id >= vq->num)
		return virtq_broken(vq, "used id out of range", id, vq->num);
	struct virtq_head *h = &vq->heads[id];
	if (!h->token)
		return virtq_broken(vq, "used id is not the head of a chain in flight", id, 0);
	if (written > h->writable) {
		// spec 2.7.8.1: a legacy device may count the readable part
		// too; what it wrote cannot exceed what it was allowed to
		if (!vq->legacy)
			return virtq_broken(vq,
			                    "used length larger than the chain's writable bytes",
			                    written, h->writable);
		written = h->writable;
		vq->clamped++;
	}

	// return the chain's descriptors to the free list, walking our
	// shadow, so a device that rewrote desc[].next cannot make us free
	// the wrong ones; a slot's chain (slot mode) stays built for its
	// next request
	if (!vq->nslots) {
		uint16_t last = (uint16_t)id;
		for (uint16_t k = 1; k < h->ndesc; k++)
			last = vq->shadow[last].next;
		vq->shadow[last].next = vq->free_head;
		vq->free_head = (uint16_t)id;
		vq->num_free += h->ndesc;
	}

	*token = h->token;
	*len = written;
	h->token = 0;
	vq->last_used++;
	vq->completed++;
	if (vq->use_event_idx && vq->interrupts) {
		// ask for an interrupt when the entry after this one arrives;
		// the store must be visible before the caller looks at used->idx
		// again, or an entry could slip in with no interrupt to tell us
		WRITE_ONCE(USED_EVENT(vq), vq->last_used);
		virt_mb();
	}
	return 1;
	/* END LAB 4 SOLUTION */
	/* BEGIN LAB 4 STUB
	// TODO(lab 4): check the used ring for a new entry, validate it, free
	// its chain. Read lab-guides/lab4-read.md, "Step 4: collecting".
	(void)vq, (void)token, (void)len;
	return 0;
	END LAB 4 STUB */
}

void split_enable_interrupts(struct virtq *vq, bool on)
{
	if (vq->use_event_idx) {
		// with EVENT_IDX the flag is ignored and used_event decides:
		// "interrupt me when the used index passes this". Half the index
		// space away means "not in any window I will wait for".
		WRITE_ONCE(USED_EVENT(vq), on ? vq->last_used : (uint16_t)(vq->last_used + 0x8000));
	} else {
		WRITE_ONCE(vq->avail->flags, on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	// the choice must be visible before we next look at the used ring, or
	// an entry could arrive unseen with its interrupt suppressed
	virt_mb();
}

void split_dump(struct virtq *vq)
{
	kprintf("vq %u: avail idx %u, used idx %u, last used seen %u, last kick at %u\n", vq->index,
	        vq->avail_idx, READ_ONCE(vq->used->idx), vq->last_used, vq->kicked_idx);
	kprintf("vq %u: split ring (spec 2.7)\n", vq->index);
}

// The three rings as the device sees them: descriptors, then the available
// and used ring entries of the same positions.
void split_dump_ring(struct virtq *vq, uint16_t first, uint16_t count)
{
	for (uint16_t i = first; i < first + count; i++) {
		struct virtq_desc d = vq->desc[i];
		kprintf("desc[%u]: addr %p len %u flags 0x%x%s%s%s next %u\n", i, (void *)d.addr,
		        d.len, d.flags, d.flags & VIRTQ_DESC_F_NEXT ? " NEXT" : "",
		        d.flags & VIRTQ_DESC_F_WRITE ? " WRITE" : "",
		        d.flags & VIRTQ_DESC_F_INDIRECT ? " INDIRECT" : "", d.next);
	}
	kprintf("avail: flags 0x%x idx %u\n", READ_ONCE(vq->avail->flags),
	        READ_ONCE(vq->avail->idx));
	for (uint16_t i = first; i < first + count; i++)
		kprintf("avail.ring[%u]: %u\n", i, READ_ONCE(vq->avail->ring[i]));
	kprintf("used: flags 0x%x idx %u\n", READ_ONCE(vq->used->flags), READ_ONCE(vq->used->idx));
	for (uint16_t i = first; i < first + count; i++)
		kprintf("used.ring[%u]: id %u len %u\n", i, READ_ONCE(vq->used->ring[i].id),
		        READ_ONCE(vq->used->ring[i].len));
}
