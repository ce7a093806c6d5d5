// The state of one virtio-blk device, shared by the files of the driver:
// blk.c (bring-up, recovery, configuration), blk_req.c (the request path)
// and blk_info.c (what `blk` prints). Nothing outside src/virtio/blk*.c
// includes this; everyone else holds a struct vblk * (blk.h).
#ifndef VIRTIO_BLK_STATE_H
#define VIRTIO_BLK_STATE_H

#include "blk/blkdev.h"
#include "virtio/blk.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq.h"

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

// Data descriptors one request may use when the device limits a segment
// (size_max): with the header and the status, a chain of at most
// VIRTQ_INDIRECT_MAX, so it still fits one indirect table.
#define VBLK_MAX_SEGS (VIRTQ_INDIRECT_MAX - 2)

// The device configuration (spec 5.2.4) up to the fields we read, in the
// spec's order; offsetof() names each field's place.
struct virtio_blk_config {
	uint64_t capacity; // in 512-byte sectors, whatever blk_size says
	uint32_t size_max; // largest data segment, with VIRTIO_BLK_F_SIZE_MAX
	uint32_t seg_max;  // most data segments a request, with VIRTIO_BLK_F_SEG_MAX
	struct {
		uint16_t cylinders;
		uint8_t heads;
		uint8_t sectors;
	} geometry;        // with VIRTIO_BLK_F_GEOMETRY (not used)
	uint32_t blk_size; // logical block size, with VIRTIO_BLK_F_BLK_SIZE
} __attribute__((packed));

// The part of each request the device sees besides the data (spec 5.2.6).
struct vblk_slot {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
	uint8_t status;
	uint8_t pad[15]; // 32 bytes a slot: header and status never share a slot
};

// One device. The device can touch only `vq`'s rings, `slots` and the
// callers' data buffers; everything else is the driver's.
struct vblk {
	bool present;
	struct virtio_dev *dev;
	struct virtq vq;
	struct vblk_slot *slots;  // DMA: nslots request headers and statuses
	struct vblk_io **slot_io; // the transfer each busy slot carries, or NULL
	uint16_t *free_slots;     // the slots not in flight: a stack, nfree deep
	void *slot_mem;           // one allocation for the three arrays above
	size_t slot_bytes;
	uint16_t nslots;    // requests that fit in the queue at once
	uint16_t nfree;     // slots not in flight
	uint16_t in_flight; // nslots - nfree: kept, as the loops test it

	uint64_t capacity;     // 512-byte sectors (config, checked)
	uint32_t blk_size;     // logical block size in bytes, >= 512
	uint32_t max_req;      // bytes of data in one request
	uint32_t seg_size;     // bytes of data in one descriptor
	uint16_t max_segs;     // data descriptors a request may use
	bool read_only, flush; // VIRTIO_BLK_F_RO, VIRTIO_BLK_F_FLUSH
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	char id[8];    // "vda": what shell commands call it
	char desc[40]; // "virtio-blk (slot 7)": what messages call it
	struct blkdev bdev;

	uint64_t requests, irqs, irq_completions, errors, timeouts, resets;
	uint64_t renotifies;    // notifications sent again (vblk_wait)
	uint16_t max_in_flight; // the most requests the device held at once
	unsigned lost_irqs;     // completions in a row found without an interrupt
	bool needs_reset;       // the device said DEVICE_NEEDS_RESET
};

// How every device completes requests (`blk mode`, boot arguments).
struct vblk_mode {
	bool polling;    // completions by polling (true) or interrupt
	bool irqs_ready; // every disk's interrupt has its handler, and interrupts are on
	uint64_t timeout_ticks;
	uint64_t spin_ticks; // interrupt mode: spin this long before sleeping
};
extern struct vblk_mode vblk_mode;

// blk_req.c: give the queue (in slot mode) every request slot's header
// and status buffers; again after the bench's bare loop used the rings.
int vblk_slots_build(struct vblk *v);
// blk.c: after a timeout or a protocol error, reset and restart the
// device; what was in flight fails with `why`, which is returned.
int vblk_recover(struct vblk *v, int why);
// blk.c: read the capacity again after a configuration change (5.2.6.1).
void vblk_config_changed(struct vblk *v);

#endif
