// The split virtqueue (spec 2.7), independent of the device type: a
// descriptor table, an available ring the driver fills and a used ring the
// device fills. A request is a chain of buffers, some the device reads and
// some it writes; the driver hands chains out with virtq_add_chain and gets
// them back, in whatever order the device finishes, with virtq_get_used.
#ifndef VIRTIO_VIRTQUEUE_H
#define VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Ring layouts as the spec draws them (2.7.5, 2.7.6, 2.7.8).
struct virtq_desc {
	uint64_t addr;  // guest-physical address of the buffer
	uint32_t len;   // its length in bytes
	uint16_t flags; // VIRTQ_DESC_F_*
	uint16_t next;  // the next descriptor of the chain, if F_NEXT
};

#define VIRTQ_DESC_F_NEXT     1 // the chain continues at .next
#define VIRTQ_DESC_F_WRITE    2 // the device writes this buffer
#define VIRTQ_DESC_F_INDIRECT 4 // the buffer is a table of descriptors

struct virtq_avail {
	uint16_t flags;  // VIRTQ_AVAIL_F_NO_INTERRUPT
	uint16_t idx;    // where the driver will put the next entry
	uint16_t ring[]; // num entries, then used_event (with EVENT_IDX)
};

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_used_elem {
	uint32_t id;  // head of the finished chain
	uint32_t len; // bytes the device wrote into it
};

struct virtq_used {
	uint16_t flags;                // VIRTQ_USED_F_NO_NOTIFY
	uint16_t idx;                  // where the device will put the next entry
	struct virtq_used_elem ring[]; // num entries, then avail_event
};

#define VIRTQ_USED_F_NO_NOTIFY 1

// Chains longer than this never go indirect; blk needs 3.
#define VIRTQ_INDIRECT_MAX 8
// The legacy interface puts the used ring on the next 4096-byte boundary.
#define VIRTQ_LEGACY_ALIGN 4096

// One buffer of a chain.
struct virtq_buf {
	uint64_t addr;      // device address (virt_to_phys)
	uint32_t len;       // bytes; never 0 (QEMU marks the device broken)
	bool device_writes; // true: device-writable (VIRTQ_DESC_F_WRITE)
};

struct virtio_dev;

struct virtq {
	// The memory the device can touch, all of it. The device reads desc,
	// avail and the indirect tables, and writes used: nothing in `used`
	// is believed until checked, and chains are freed from `shadow`,
	// never from `desc`.
	struct virtq_desc *desc;     // num descriptors
	struct virtq_avail *avail;   // driver -> device
	struct virtq_used *used;     // device -> driver
	struct virtq_desc *indirect; // VIRTQ_INDIRECT_MAX per head, if used

	// Driver-private state; the device never sees it.
	struct virtio_dev *dev;
	uint16_t index;            // queue number on the device
	uint16_t num;              // entries: a power of two
	uint16_t free_head;        // first free descriptor, chained by shadow .next
	uint16_t num_free;         // free descriptors
	uint16_t avail_idx;        // our copy of avail->idx
	uint16_t kicked_idx;       // avail_idx at the last notification
	uint16_t last_used;        // used entries consumed so far
	bool use_indirect;         // VIRTIO_F_INDIRECT_DESC negotiated and on
	bool use_event_idx;        // VIRTIO_F_EVENT_IDX negotiated and on
	bool interrupts;           // we want an interrupt per completion
	bool broken;               // the device broke the protocol: stop
	struct virtq_desc *shadow; // what we wrote into desc, for freeing
	struct virtq_head {
		void *token;       // the caller's cookie; NULL = not in flight
		uint16_t ndesc;    // descriptors the chain holds in the table
		uint32_t writable; // device-writable bytes in the chain
	} * heads;                 // indexed by head descriptor

	// Allocations, for virtq_free.
	void *ring_mem;
	size_t ring_bytes;
	void *priv_mem;
	size_t priv_bytes;
	// Counters for `vq` and the benchmarks.
	uint64_t added, completed, notifies;
};

// Bytes of ring memory for a queue of num entries in the legacy layout,
// which the modern transport can use too.
size_t virtq_ring_bytes(uint16_t num);
// Allocate and lay out a queue of num entries (a power of two).
int virtq_alloc(struct virtq *vq, struct virtio_dev *dev, uint16_t index, uint16_t num,
                bool indirect, bool event_idx);
void virtq_free(struct virtq *vq);
// The guest-physical addresses of the descriptor area, the driver area
// and the device area (spec 2.6), for the transport. For a split ring the
// descriptor area starts the legacy-layout block, so a legacy transport
// derives its page number from it.
void virtq_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device);

// Put a chain of n buffers in the descriptor table and the available ring.
// Buffers the device reads come first. -ENOSPC: not enough free
// descriptors now (wait for completions and try again); -EINVAL: bad
// arguments; -EPROTO: the queue is broken.
int virtq_add_chain(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token);
// Tell the device about new chains, unless it said it does not need it.
void virtq_kick(struct virtq *vq);
// Take one finished chain: returns 1 with its token and written length,
// 0 if none is ready, or -EPROTO if the device wrote nonsense (the queue is
// then marked broken and the caller must reset the device).
int virtq_get_used(struct virtq *vq, void **token, uint32_t *len);
// Whether a used entry is waiting (cheap; for the wait loops).
bool virtq_has_used(struct virtq *vq);
// Ask for (or stop asking for) an interrupt when chains complete.
void virtq_enable_interrupts(struct virtq *vq, bool on);
// Chains handed out and not yet returned.
static inline uint16_t virtq_in_flight(const struct virtq *vq)
{
	return (uint16_t)(vq->added - vq->completed);
}

// Print queue state for the `vq` command.
void virtq_dump(struct virtq *vq);

#endif
