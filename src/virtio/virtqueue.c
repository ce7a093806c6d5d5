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
#include "virtio/virtqueue.h"

// With EVENT_IDX (spec 2.7.7/2.7.10) each ring has one extra u16 after its
// entries: avail->ring[num] is used_event ("interrupt me when the used index
// passes this"), used->ring[num] is avail_event ("notify me when the
// available index passes this").
#define USED_EVENT(vq)  ((vq)->avail->ring[(vq)->num])
#define AVAIL_EVENT(vq) (*(volatile uint16_t *)((uint8_t *)(vq)->used + 4 + 8 * (size_t)(vq)->num))

static size_t align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

// Legacy layout (spec 2.7.2 and 4.2.4): descriptors, then the available
// ring, then padding up to the next 4096-byte boundary, then the used ring.
// The modern transport takes three separate addresses, so the same layout
// serves both, and satisfies the alignments of spec 2.7 (16, 2 and 4).
static size_t avail_offset(uint16_t num)
{
	return 16UL * num;
}

static size_t used_offset(uint16_t num)
{
	return align_up(avail_offset(num) + 6 + 2UL * num, VIRTQ_LEGACY_ALIGN);
}

size_t virtq_ring_bytes(uint16_t num)
{
	return used_offset(num) + align_up(6 + 8UL * num, VIRTQ_LEGACY_ALIGN);
}

int virtq_alloc(struct virtq *vq, struct virtio_dev *dev, uint16_t index, uint16_t num,
                bool indirect, bool event_idx)
{
	if (num == 0 || (num & (num - 1)))
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->index = index;
	vq->num = num;
	vq->use_indirect = indirect;
	vq->use_event_idx = event_idx;

	/* BEGIN LAB 3 SOLUTION */
	size_t ind_bytes = indirect ? sizeof(struct virtq_desc) * VIRTQ_INDIRECT_MAX * num : 0;
	vq->ring_bytes = virtq_ring_bytes(num) + ind_bytes;
	vq->ring_mem = dma_alloc(vq->ring_bytes);
	if (!vq->ring_mem)
		return -ENOMEM;
	uint8_t *base = vq->ring_mem;
	vq->desc = (struct virtq_desc *)base;
	vq->avail = (struct virtq_avail *)(base + avail_offset(num));
	vq->used = (struct virtq_used *)(base + used_offset(num));
	vq->indirect = indirect ? (struct virtq_desc *)(base + virtq_ring_bytes(num)) : 0;

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
	return -ENOSYS;
	END LAB 3 STUB */
}

void virtq_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device)
{
	// desc is also the start of the legacy-layout block (spec 2.7.2)
	*desc = virt_to_phys(vq->desc);
	*driver = virt_to_phys(vq->avail);
	*device = virt_to_phys(vq->used);
}

void virtq_free(struct virtq *vq)
{
	dma_free(vq->ring_mem, vq->ring_bytes);
	dma_free(vq->priv_mem, vq->priv_bytes);
	memset(vq, 0, sizeof(*vq));
}

int virtq_add_chain(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token)
{
	if (vq->broken)
		return -EPROTO;
	// no chain may be longer than the queue, indirect or not (2.7.5.3.1)
	if (n <= 0 || n > vq->num || !token)
		return -EINVAL;
	uint32_t writable = 0;
	for (int i = 0; i < n; i++) {
		// a zero-length buffer makes QEMU mark the whole device broken;
		// device-readable buffers must come before device-writable ones
		if (bufs[i].len == 0 ||
		    (i > 0 && bufs[i - 1].device_writes && !bufs[i].device_writes))
			return -EINVAL;
		if (bufs[i].device_writes)
			writable += bufs[i].len;
	}

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
	vq->heads[head] = (struct virtq_head){token, need, writable};

	// spec 2.7.13: put the head in the next available slot, then publish
	// it by moving the index
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	vq->avail_idx++;
	// the descriptors and the ring entry must be visible before the
	// index that tells the device they exist (2.7.13.3.1)
	virt_wmb();
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	vq->added++;
	return 0;
	/* END LAB 4 SOLUTION */
	/* BEGIN LAB 4 STUB
	// TODO(lab 4): take descriptors from the free list, fill them (and
	// their shadow copies), and publish the head in the available ring.
	// Read lab-guides/lab4-read.md, "Step 2: adding a chain".
	(void)writable;
	return -ENOSYS;
	END LAB 4 STUB */
}

// spec 2.7.10.1: with EVENT_IDX, notify only if the device asked to hear
// about an index in (old, new]
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

void virtq_kick(struct virtq *vq)
{
	bool notify;

	if (vq->avail_idx == vq->kicked_idx)
		return;
	// our avail->idx store must be visible before we read whether the
	// device wants a notification, or both sides could decide to wait
	// for each other (spec 2.7.13.4)
	virt_mb();
	if (vq->use_event_idx)
		notify = need_event(AVAIL_EVENT(vq), vq->avail_idx, vq->kicked_idx);
	else
		notify = !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	vq->kicked_idx = vq->avail_idx;
	if (notify) {
		vq->notifies++;
		vdev_notify(vq->dev, vq->index);
	}
}

bool virtq_has_used(struct virtq *vq)
{
	return READ_ONCE(vq->used->idx) != vq->last_used;
}

static int broken(struct virtq *vq, const char *what, unsigned a, unsigned b)
{
	vq->broken = true;
	kprintf("virtq %u: device error: %s (%u, %u); queue stopped\n", vq->index, what, a, b);
	return -EPROTO;
}

int virtq_get_used(struct virtq *vq, void **token, uint32_t *len)
{
	if (vq->broken)
		return -EPROTO;
	/* BEGIN LAB 4 SOLUTION */
	uint16_t used_idx = READ_ONCE(vq->used->idx);
	if (used_idx == vq->last_used)
		return 0;
	// the device can only have finished chains we gave it
	uint16_t pending = (uint16_t)(used_idx - vq->last_used);
	if (pending > virtq_in_flight(vq))
		return broken(vq, "used index ran ahead of the chains in flight", pending,
		              virtq_in_flight(vq));
	// read the entry only after the index that published it (2.7.14)
	virt_rmb();
	struct virtq_used_elem *e = &vq->used->ring[vq->last_used & (vq->num - 1)];
	uint32_t id = READ_ONCE(e->id), written = READ_ONCE(e->len);
	if (id >= vq->num)
		return broken(vq, "used id out of range", id, vq->num);
	struct virtq_head *h = &vq->heads[id];
	if (!h->token)
		return broken(vq, "used id is not the head of a chain in flight", id, 0);
	if (written > h->writable)
		return broken(vq, "used length larger than the chain's writable bytes", written,
		              h->writable);

	// return the chain's descriptors to the free list, walking our
	// shadow, so a device that rewrote desc[].next cannot make us free
	// the wrong ones
	uint16_t last = (uint16_t)id;
	for (uint16_t k = 1; k < h->ndesc; k++)
		last = vq->shadow[last].next;
	vq->shadow[last].next = vq->free_head;
	vq->free_head = (uint16_t)id;
	vq->num_free += h->ndesc;

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
	(void)token, (void)len, (void)broken;
	return 0;
	END LAB 4 STUB */
}

void virtq_enable_interrupts(struct virtq *vq, bool on)
{
	vq->interrupts = on;
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

void virtq_dump(struct virtq *vq)
{
	kprintf("vq %u: size %u, free descriptors %u, in flight %u\n", vq->index, vq->num,
	        vq->num_free, virtq_in_flight(vq));
	kprintf("vq %u: avail idx %u, used idx %u, last used seen %u, last kick at %u\n", vq->index,
	        vq->avail_idx, READ_ONCE(vq->used->idx), vq->last_used, vq->kicked_idx);
	kprintf("vq %u: indirect %s, event_idx %s, %lu added, %lu completed, %lu notifies%s\n",
	        vq->index, vq->use_indirect ? "on" : "off", vq->use_event_idx ? "on" : "off",
	        (unsigned long)vq->added, (unsigned long)vq->completed, (unsigned long)vq->notifies,
	        vq->broken ? ", BROKEN" : "");
}
