// Virtqueues, independent of the device type: a request is a chain of
// buffers, some the device reads and some it writes; the driver hands
// chains out with virtq_add_chain and gets them back, in whatever order the
// device finishes, with virtq_get_used. Two ring layouts sit behind the one
// API: the split ring (spec 2.7, virtq_split.c: a descriptor table, an
// available ring the driver fills and a used ring the device fills) and the
// packed ring (spec 2.8, virtq_packed.c: one descriptor ring both sides
// write, with wrap counters saying whose turn each slot is). virtq_alloc
// picks the packed ring when VIRTIO_F_RING_PACKED was negotiated. Callers
// never need to know which ring they use.
#ifndef VIRTIO_VIRTQ_H
#define VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"

// --- the split ring's layouts, as the spec draws them (2.7.5, 2.7.6, 2.7.8) ---

struct virtq_desc {
	uint64_t addr;  // guest-physical address of the buffer
	uint32_t len;   // its length in bytes
	uint16_t flags; // VIRTQ_DESC_F_*
	uint16_t next;  // the next descriptor of the chain, if F_NEXT
};

// Descriptor flags; the packed ring uses the same three values (2.8.3,
// 2.8.6, 2.8.7) plus AVAIL and USED below.
#define VIRTQ_DESC_F_NEXT     1 // the chain continues at .next (packed: in the next slot)
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

// --- the packed ring's layouts (2.8.13, 2.8.14) ---------------------------------

// One slot of the descriptor ring. The driver writes it to make a buffer
// available; the device later overwrites a slot with a used descriptor
// (id and len of a finished chain, addr unused).
struct pvirtq_desc {
	uint64_t addr;  // guest-physical address of the buffer
	uint32_t len;   // available: its length; used: bytes written (if F_WRITE)
	uint16_t id;    // buffer ID: which chain, whatever slot it sits in
	uint16_t flags; // VIRTQ_DESC_F_* and the two ownership bits
};

// Ownership of a slot (2.8.1): the driver marks a descriptor available with
// AVAIL equal to its wrap counter and USED the inverse; the device marks it
// used with both equal to its own wrap counter.
#define VIRTQ_DESC_F_AVAIL (1 << 7)
#define VIRTQ_DESC_F_USED  (1 << 15)

// Event suppression (2.8.10, 2.8.14): the driver's structure tells the
// device when to interrupt, the device's tells the driver when to notify.
struct pvirtq_event_suppress {
	uint16_t off_wrap; // bits 0-14: ring offset, bit 15: wrap counter (with F_DESC)
	uint16_t flags;    // RING_EVENT_FLAGS_*
};

#define RING_EVENT_FLAGS_ENABLE  0 // an event for every buffer
#define RING_EVENT_FLAGS_DISABLE 1 // no events
#define RING_EVENT_FLAGS_DESC    2 // an event at off_wrap only (EVENT_IDX)
#define RING_EVENT_WRAP_SHIFT    15

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
	// The memory the device can touch, all of it. Nothing the device
	// writes there is believed until checked, and chains are freed from
	// driver-private state (`shadow`, `heads`), never from the rings.
	bool packed; // which ring: decides which of the two groups below is used
	// split ring: the device reads desc, avail and the indirect tables,
	// and writes used
	struct virtq_desc *desc;     // num descriptors
	struct virtq_avail *avail;   // driver -> device
	struct virtq_used *used;     // device -> driver
	struct virtq_desc *indirect; // VIRTQ_INDIRECT_MAX per head, if used
	// packed ring: both sides write `ring`; each event structure has one
	// writer
	struct pvirtq_desc *ring;                   // num slots
	struct pvirtq_event_suppress *driver_event; // driver -> device ("interrupt me when")
	struct pvirtq_event_suppress *device_event; // device -> driver ("notify me when")
	struct pvirtq_desc *pindirect;              // VIRTQ_INDIRECT_MAX per buffer ID, if used

	// Driver-private state; the device never sees it.
	struct virtio_dev *dev;
	uint16_t index;     // queue number on the device
	uint16_t num;       // entries: a power of two
	uint16_t free_head; // split: first free descriptor; packed: first free buffer ID
	uint16_t num_free;  // free descriptors (ring slots)
	uint16_t avail_idx; // split: our copy of avail->idx; packed: slots made available, mod 2^16
	uint16_t kicked_idx;       // avail_idx at the last notification
	uint16_t last_used;        // split: used entries consumed; packed: next slot to look at
	uint16_t used_count;       // packed: slots consumed, mod 2^16 (for `vq`)
	bool avail_wrap;           // packed: the driver ring wrap counter (2.8.1)
	bool used_wrap;            // packed: the wrap counter of the slot at last_used
	bool use_indirect;         // VIRTIO_F_INDIRECT_DESC negotiated and on
	bool use_event_idx;        // VIRTIO_F_EVENT_IDX negotiated and on
	bool legacy;               // no VERSION_1: used lengths may count the whole chain
	bool interrupts;           // we want an interrupt per completion
	bool broken;               // the device broke the protocol: stop
	struct virtq_desc *shadow; // split: what we wrote into desc, for freeing
	struct virtq_head {
		void *token;       // the caller's cookie; NULL = not in flight
		uint16_t ndesc;    // descriptors (packed: ring slots) the chain holds
		uint16_t next_id;  // packed: the next free buffer ID after this one
		uint32_t writable; // device-writable bytes in the chain
	} * heads;                 // split: by head descriptor; packed: by buffer ID

	// Slot mode (virtq_slots_init): one chain per request slot, kept built.
	uint16_t nslots;        // 0: chains come from virtq_add_chain
	uint16_t slot_stride;   // split, direct: descriptors a slot owns (else 1)
	uint16_t slot_max_data; // data buffers a slot's chain may hold
	struct virtq_slot {
		struct virtq_buf head, tail; // the slot's fixed first and last buffers
		uint64_t fixed_len;          // head.len + tail.len
		void *chain;    // split: its first descriptor (table or ring); packed: its table
		uint16_t id;    // split: its head descriptor; packed: its buffer ID
		uint16_t next;  // split: .next of its first data descriptor
		uint16_t ndata; // data buffers the chain holds as built
	} * slots;
	size_t slot_bytes;

	// Allocations, for virtq_free.
	void *ring_mem;
	size_t ring_bytes;
	void *priv_mem;
	size_t priv_bytes;
	// Counters for `vq` and the benchmarks.
	uint64_t added, completed, notifies, clamped;
};

// Bytes of ring memory for a split queue of num entries in the legacy
// layout, which the modern transport can use too.
size_t virtq_ring_bytes(uint16_t num);
// Feature bits the virtqueue itself uses when a device offers them,
// whatever its driver asked for: VIRTIO_F_RING_PACKED, unless the boot line
// says packed=off. Device initialisation adds them to every driver's list.
uint64_t virtq_ring_features(void);
// Allocate and lay out a queue of num entries (a power of two): a packed
// ring if the device negotiated VIRTIO_F_RING_PACKED, else a split one.
int virtq_alloc(struct virtq *vq, struct virtio_dev *dev, uint16_t index, uint16_t num,
                bool indirect, bool event_idx);
void virtq_free(struct virtq *vq);
// The three physical addresses a transport gives the device (spec 2.6):
// descriptor area, driver area, device area. For a split ring desc is also
// the start of the legacy-layout block (a legacy transport's QueuePFN).
void virtq_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device);
// "split" or "packed", for messages.
const char *virtq_kind(const struct virtq *vq);

// Put a chain of n buffers in the ring. Buffers the device reads come
// first. -ENOSPC: not enough free descriptors now (wait for completions
// and try again); -EINVAL: bad arguments (including a chain of 4 GiB or
// more); -EPROTO: the queue is broken.
int virtq_add_chain(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token);
// Slot mode, for a driver whose every request is one buffer the device
// reads (a header), up to max_data data buffers, and one buffer it writes
// (a status): the queue keeps one chain per request slot, built once, and
// a request rewrites only its data descriptors (and, when their number
// changes, the status descriptor's place), instead of taking descriptors
// from the free list, filling all of them and freeing them again.
// virtq_slots_init reserves nslots such chains (slot s owns head
// descriptor s with indirect descriptors, else the s-th run of max_data + 2
// descriptors; -ENOSPC if they do not fit in the queue); a queue in slot
// mode then takes chains only through virtq_add_slot. virtq_slot_set
// records slot s's header and status buffers (again after anyone else
// wrote the rings, e.g. the bench's bare loop). virtq_add_slot puts slot
// s's chain in the ring with the n data buffers given, checked as
// virtq_add_chain checks a chain (-EINVAL; -EBUSY: the slot is in flight).
// Used chains come back through virtq_get_used, checked the same way.
int virtq_slots_init(struct virtq *vq, uint16_t nslots, uint16_t max_data);
int virtq_slot_set(struct virtq *vq, uint16_t slot, struct virtq_buf head, struct virtq_buf tail);
static inline int virtq_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data,
                                 int n, void *token);
// Tell the device about new chains, unless it said it does not need it.
static inline void virtq_kick(struct virtq *vq);
// For a loop waiting on the device: notify it again each time
// VIRTQ_RENOTIFY_MS pass with the loop still waiting, and say so (true);
// never for chains added since the last virtq_kick, which the driver
// has not notified even once. `now` is the time CSR's reading; *again
// starts at 0 for each wait. A
// lost notification leaves a queue with EVENT_IDX stuck for good: the
// device's avail_event stays behind, so every later kick is suppressed
// too (README, "Lost notifications").
#define VIRTQ_RENOTIFY_MS 20
bool virtq_notify_again(struct virtq *vq, uint64_t now, uint64_t *again);
// Take one finished chain: returns 1 with its token and written length,
// 0 if none is ready, or -EPROTO if the device wrote nonsense (the queue is
// then marked broken and the caller must reset the device).
static inline int virtq_get_used(struct virtq *vq, void **token, uint32_t *len);
// Whether a used entry is waiting (cheap; for the wait loops).
static inline bool virtq_has_used(struct virtq *vq);
// Ask for (or stop asking for) an interrupt when chains complete.
void virtq_enable_interrupts(struct virtq *vq, bool on);
// Chains handed out and not yet returned.
static inline uint16_t virtq_in_flight(const struct virtq *vq)
{
	return (uint16_t)(vq->added - vq->completed);
}

// The four calls every request makes pick the ring here, inline: a call
// less on each of them (virtq_split.c and virtq_packed.c; nothing else
// calls these directly).
int split_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data, int n,
                   void *token);
void split_kick(struct virtq *vq);
int split_get_used(struct virtq *vq, void **token, uint32_t *len);
bool split_has_used(struct virtq *vq);
int packed_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data, int n,
                    void *token);
void packed_kick(struct virtq *vq);
int packed_get_used(struct virtq *vq, void **token, uint32_t *len);
bool packed_has_used(struct virtq *vq);

static inline int virtq_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data,
                                 int n, void *token)
{
	return vq->packed ? packed_add_slot(vq, slot, data, n, token)
	                  : split_add_slot(vq, slot, data, n, token);
}

static inline void virtq_kick(struct virtq *vq)
{
	if (vq->packed)
		packed_kick(vq);
	else
		split_kick(vq);
}

static inline int virtq_get_used(struct virtq *vq, void **token, uint32_t *len)
{
	if (vq->broken)
		return -EPROTO;
	return vq->packed ? packed_get_used(vq, token, len) : split_get_used(vq, token, len);
}

static inline bool virtq_has_used(struct virtq *vq)
{
	return vq->packed ? packed_has_used(vq) : split_has_used(vq);
}

// Print queue state for the `vq` command.
void virtq_dump(struct virtq *vq);
// Print the ring memory as it is, entries first .. first+count-1 (`vqring`).
void virtq_dump_ring(struct virtq *vq, uint16_t first, uint16_t count);
// The n-th queue allocated and not freed (0, 1, ...), or NULL.
struct virtq *virtq_nth(int n);

#endif
