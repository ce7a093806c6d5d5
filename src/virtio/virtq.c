// The one virtqueue API (virtq.h). Each call checks what the caller passed
// and hands the ring work to the split (virtq_split.c) or the packed
// (virtq_packed.c) implementation; blk, rng and net never know which.
#include "console.h"
#include "errno.h"
#include "fdt.h"
#include "hw/time.h"
#include "mem.h"
#include "lib/string.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtio.h"
#include "virtio/virtq_ring.h"

// A chain's lengths are summed in 64 bits: 32-bit sums of a few buffers
// near 4 GiB would wrap around and pass. The device reports a used length
// in 32 bits, so no chain may hold 4 GiB or more.
#define VIRTQ_CHAIN_MAX 0xffffffffULL

// Every queue allocated and not yet freed, for the `vqring` command.
#define VIRTQ_LIVE_MAX 16
static struct virtq *live[VIRTQ_LIVE_MAX];

static void track(struct virtq *vq, struct virtq *old)
{
	for (int i = 0; i < VIRTQ_LIVE_MAX; i++)
		if (live[i] == old) {
			live[i] = vq;
			return;
		}
}

struct virtq *virtq_nth(int n)
{
	for (int i = 0; i < VIRTQ_LIVE_MAX; i++)
		if (live[i] && n-- == 0)
			return live[i];
	return 0;
}

uint64_t virtq_ring_features(void)
{
	/* BEGIN LAB 11 SOLUTION */
	return bootarg_is_off("packed") ? 0 : VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* END LAB 11 SOLUTION */
	/* BEGIN LAB 11 STUB
	// TODO(lab 11): once virtq_packed.c drives a packed ring, ask for
	// VIRTIO_F_RING_PACKED here, unless packed=off is on the boot line.
	// Until then a device that offers it gets the split ring, which it
	// must drive as well (the feature is the driver's to take). Read
	// lab-guides/lab11-packed.md, "Step 3: taking used buffers".
	return 0;
	END LAB 11 STUB */
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
	// the ring is the one the feature negotiation chose (spec 6: a
	// driver that accepted RING_PACKED must use the packed layout)
	vq->packed = dev && vdev_has(dev, VIRTIO_F_RING_PACKED);
	// spec 2.7.8.1 note: a legacy device may report the length of the
	// whole chain, readable part included
	vq->legacy = dev && !vdev_has(dev, VIRTIO_F_VERSION_1);
	int err = vq->packed ? packed_alloc(vq) : split_alloc(vq);
	if (err == 0)
		track(vq, 0);
	return err;
}

void virtq_free(struct virtq *vq)
{
	dma_free(vq->slots, vq->slot_bytes);
	dma_free(vq->ring_mem, vq->ring_bytes);
	dma_free(vq->priv_mem, vq->priv_bytes);
	track(0, vq);
	memset(vq, 0, sizeof(*vq));
}

void virtq_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device)
{
	if (vq->packed)
		packed_addrs(vq, desc, driver, device);
	else
		split_addrs(vq, desc, driver, device);
}

const char *virtq_kind(const struct virtq *vq)
{
	return vq->packed ? "packed" : "split";
}

int virtq_add_chain(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token)
{
	uint64_t total = 0, writable = 0;

	if (vq->broken)
		return -EPROTO;
	// no chain may be longer than the queue, indirect or not (2.7.5.3.1,
	// 2.8.5)
	if (n <= 0 || n > vq->num || !token)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		// a zero-length buffer makes QEMU mark the whole device broken;
		// device-readable buffers must come before device-writable ones
		if (bufs[i].len == 0 ||
		    (i > 0 && bufs[i - 1].device_writes && !bufs[i].device_writes))
			return -EINVAL;
		total += bufs[i].len;
		if (bufs[i].device_writes)
			writable += bufs[i].len;
	}
	if (total > VIRTQ_CHAIN_MAX || vq->nslots)
		return -EINVAL; // a queue in slot mode has no free descriptors to give
	if (vq->packed)
		return packed_add(vq, bufs, n, token, (uint32_t)writable);
	return split_add(vq, bufs, n, token, (uint32_t)writable);
}

int virtq_slots_init(struct virtq *vq, uint16_t nslots, uint16_t max_data)
{
	uint16_t per = vq->use_indirect ? 1 : (uint16_t)(max_data + 2);

	if (vq->nslots || virtq_in_flight(vq) || nslots == 0 || max_data > VIRTQ_INDIRECT_MAX - 2)
		return -EINVAL;
	if ((uint32_t)nslots * per > vq->num)
		return -ENOSPC;
	vq->slot_bytes = sizeof(struct virtq_slot) * nslots;
	vq->slots = dma_alloc(vq->slot_bytes);
	if (!vq->slots)
		return -ENOMEM;
	vq->nslots = nslots;
	vq->slot_stride = per;
	vq->slot_max_data = max_data;
	return 0;
}

int virtq_slot_set(struct virtq *vq, uint16_t slot, struct virtq_buf head, struct virtq_buf tail)
{
	// the header first and readable, the status last and writable, so
	// any data between them is in a valid order if its own order is
	if (slot >= vq->nslots || head.len == 0 || head.device_writes || tail.len == 0 ||
	    !tail.device_writes)
		return -EINVAL;
	if (virtq_slot_head(vq, slot)->token)
		return -EBUSY;
	// the ring fills in where the chain lives and builds it
	vq->slots[slot] =
	    (struct virtq_slot){head, tail, (uint64_t)head.len + tail.len, 0, 0, 0, 0xffff};
	if (vq->packed)
		packed_slot_set(vq, slot);
	else
		split_slot_set(vq, slot);
	return 0;
}

bool virtq_notify_again(struct virtq *vq, uint64_t now, uint64_t *again)
{
	// only a notification the driver made can have been lost: chains it
	// never kicked are its own mistake, and notifying for them would
	// hide it (a driver that never kicks would still work, 20 ms late)
	bool due = *again && now >= *again && vq->kicked_idx == vq->avail_idx;

	if (due) {
		// whether or not the device asked: a repeated notification is
		// harmless, the device finds what it missed or nothing
		vq->notifies++;
		vdev_notify(vq->dev, vq->index);
	}
	if (!*again || due)
		*again = now + time_us_to_ticks(VIRTQ_RENOTIFY_MS * 1000);
	return due;
}

void virtq_enable_interrupts(struct virtq *vq, bool on)
{
	vq->interrupts = on;
	if (vq->packed)
		packed_enable_interrupts(vq, on);
	else
		split_enable_interrupts(vq, on);
}

int virtq_broken(struct virtq *vq, const char *what, unsigned a, unsigned b)
{
	vq->broken = true;
	kprintf("virtq %u: device error: %s (%u, %u); queue stopped\n", vq->index, what, a, b);
	return -EPROTO;
}

void virtq_dump(struct virtq *vq)
{
	kprintf("vq %u: size %u, free descriptors %u, in flight %u\n", vq->index, vq->num,
	        vq->num_free, virtq_in_flight(vq));
	if (vq->nslots) {
		// slot mode keeps its chains out of the free list, so the line
		// above cannot show one that never came back: this one can
		unsigned busy = 0;
		for (uint16_t s = 0; s < vq->nslots; s++)
			busy += virtq_slot_head(vq, s)->token != NULL;
		kprintf("vq %u: %u request slots, %u busy\n", vq->index, vq->nslots, busy);
	}
	if (vq->packed)
		packed_dump(vq);
	else
		split_dump(vq);
	kprintf("vq %u: indirect %s, event_idx %s, %lu added, %lu completed, %lu notifies%s\n",
	        vq->index, vq->use_indirect ? "on" : "off", vq->use_event_idx ? "on" : "off",
	        (unsigned long)vq->added, (unsigned long)vq->completed, (unsigned long)vq->notifies,
	        vq->broken ? ", BROKEN" : "");
	if (vq->clamped)
		kprintf("vq %u: %lu used lengths clamped to the writable bytes (legacy device)\n",
		        vq->index, (unsigned long)vq->clamped);
}

void virtq_dump_ring(struct virtq *vq, uint16_t first, uint16_t count)
{
	if (first >= vq->num)
		return;
	if (count > vq->num - first)
		count = (uint16_t)(vq->num - first);
	if (vq->packed)
		packed_dump_ring(vq, first, count);
	else
		split_dump_ring(vq, first, count);
}
