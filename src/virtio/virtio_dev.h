// One virtio device, whatever transport carries it. A transport (mmio.c,
// and the PCI ones) fills in an ops table of register-level steps; this
// file's functions build the spec's procedures from them (3.1.1 device
// initialisation, 2.4 reset, 4.x configuration reads, queue setup), so a
// device driver (blk.c, rng.c, net.c) and the virtqueue never name a
// transport. Transports register the devices they find here, in discovery
// order, and drivers ask for them by device type.
#ifndef VIRTIO_VIRTIO_DEV_H
#define VIRTIO_VIRTIO_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/virtio.h"

struct virtio_dev;
struct virtq;

// What a transport does, in register terms. Every method may be called
// only as the spec's procedures allow; virtio_dev.c is their one caller.
struct virtio_transport_ops {
	const char *kind; // "mmio", "pci": with d->legacy, "mmio-legacy" and so on
	uint8_t (*get_status)(struct virtio_dev *d);
	// 0 starts a reset (spec 2.4); any other value is the whole new status
	void (*set_status)(struct virtio_dev *d, uint8_t status);
	uint64_t (*get_features)(struct virtio_dev *d); // a legacy device has 32
	void (*set_features)(struct virtio_dev *d, uint64_t features);
	// ConfigGeneration (spec 2.5.1); a transport without one returns 0
	uint32_t (*config_generation)(struct virtio_dev *d);
	// One access of `width` bytes (1, 2 or 4) at offset `off` of the
	// device-specific configuration; the caller has checked alignment.
	uint32_t (*config_read)(struct virtio_dev *d, uint32_t off, unsigned width);
	void (*config_write)(struct virtio_dev *d, uint32_t off, unsigned width, uint32_t val);
	// The most entries queue q may have (at most 32768); -ENOENT if there
	// is no such queue, -EBUSY if it is live already (each with a message).
	int (*queue_max)(struct virtio_dev *d, uint16_t q);
	// Give queue q its size and ring addresses (guest-physical) and
	// enable it. A legacy transport takes only `desc`, the start of one
	// block in the legacy layout (spec 2.7.2).
	int (*queue_set)(struct virtio_dev *d, uint16_t q, uint16_t num, uint64_t desc,
	                 uint64_t driver, uint64_t device);
	void (*notify)(struct virtio_dev *d, uint16_t q);
	// Read and acknowledge the interrupt status: VIRTIO_ISR_* bits.
	uint32_t (*ack_irq)(struct virtio_dev *d);
};

struct virtio_dev {
	const struct virtio_transport_ops *ops;
	uintptr_t base;          // the transport's register window (its own meaning)
	void *transport;         // the transport's private state, if it needs more
	char name[24];           // for messages: "slot 7", "pci 00:02.0"
	char transport_name[16]; // vdev_transport() fills it on first use
	uint32_t device_id;      // VIRTIO_ID_*
	bool legacy;             // the legacy interface: no VERSION_1, legacy ring layout
	bool fixed_queue_size;   // queues have exactly the device's size (legacy PCI, 4.1.4.8)
	int irq;                 // PLIC source, or -1 if none is known
	uint64_t offered;        // what the device offered
	uint64_t features;       // what both sides agreed on
	// A reset that never finished (spec 2.4): the device may still write
	// the rings and buffers we gave it, so they are never freed or reused,
	// and the device is never touched again.
	bool dead;
	bool claimed; // a driver has taken it
	// what became of it, for `devices`: "driven by virtio-blk vda",
	// "not used: ...", set by the driver; empty: no driver looked at it
	char use[40];
};

// The devices found, in discovery order (mmio slots, then PCI).
#define VIRTIO_MAX_DEVICES 32
int virtio_dev_register(struct virtio_dev *d);
// Forget every registered device (the mmio scan starts afresh with this).
void virtio_dev_forget_all(void);
// The next device of this type after `prev` (NULL: the first), or NULL.
struct virtio_dev *virtio_dev_next(uint32_t device_id, struct virtio_dev *prev);
// For drivers of one device at a time (rng, net): the first device of
// this type, marked claimed; each further one is listed as not used.
struct virtio_dev *virtio_claim_first(uint32_t device_id, const char *driver);
// The i-th registered device of any type, or NULL.
struct virtio_dev *virtio_dev_at(int i);
// What uses the device, in words, for `devices`: d->use, or, for a device
// no driver's probe looked at, "virtio transport, no driver for device
// type 16 (gpu)".
const char *vdev_use(const struct virtio_dev *d);
// One boot line for each registered device no driver's probe looked at
// (call it after every probe).
void virtio_report_undriven(void);

static inline bool vdev_has(const struct virtio_dev *d, unsigned bit)
{
	return (d->features >> bit) & 1;
}

// Spec 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, negotiate `wanted`
// (the driver's whitelist) and, on modern devices, FEATURES_OK. A feature
// in `required` that the device does not offer fails the device. On error
// the device is left with FAILED set.
int vdev_init(struct virtio_dev *d, uint64_t wanted, uint64_t required);
// Spec 3.1.1 step 8: the device is live.
void vdev_driver_ok(struct virtio_dev *d);
// Tell the device we gave up on it (spec 2.1.1).
void vdev_fail(struct virtio_dev *d);
// Write 0 to the status and wait (bounded) for the device to finish
// resetting. If it never does, the device is marked dead (see above),
// FAILED is set, and -ETIMEDOUT returned: the caller must then keep every
// ring and buffer the device was given.
int vdev_reset(struct virtio_dev *d);
uint8_t vdev_status(struct virtio_dev *d);
// -EIO, with a message, if the device has set DEVICE_NEEDS_RESET.
int vdev_check_needs_reset(struct virtio_dev *d);

// Read a configuration field of len bytes at `off` with accesses of the
// field's own width (1, 2 or 4 bytes in one access, 8 as two 4-byte
// halves, anything else byte by byte), and again until the value is
// stable: the generation counter on modern devices (spec 2.5.1), two equal
// reads on legacy ones, which have none. -EPROTO if it never settles.
int vdev_config_read(struct virtio_dev *d, uint32_t off, void *buf, size_t len);

// Set up queue `index` with at most `max_size` entries, allocating its
// rings: the size is the largest power of two within both limits. -ENOENT
// if the device has no such queue, -EBUSY if it is already live.
int vdev_queue_setup(struct virtio_dev *d, struct virtq *vq, uint16_t index, uint16_t max_size);
// Undo vdev_queue_setup after a reset: free the rings. On a dead device
// (a reset that never finished) the rings are kept: the device may still
// write them.
void vdev_queue_release(struct virtio_dev *d, struct virtq *vq);
// Free DMA memory the device was given, unless the device is dead.
void vdev_dma_free(struct virtio_dev *d, void *p, size_t bytes);

// Tell the device that queue `queue` has new buffers. Inline, as is the
// acknowledgement below: both run once a request or a batch, and a
// wrapper function around the transport's method cost 8 instructions a
// call (its own stack frame) on top of the method.
static inline void vdev_notify(struct virtio_dev *d, uint16_t queue)
{
	d->ops->notify(d, queue);
}

// Tests only (lost_notify.c): the nth notification of d from now (1 = the
// next) is not sent; 0 takes a pending one off.
void vdev_lose_notify(struct virtio_dev *d, unsigned nth);

// Bench only (notify_timing.c, `benchloop`): from now on, time each
// notification of d into *t, and send none sooner than pause_us after the
// previous one returned (0: as soon as asked); t NULL stops. The times are
// time CSR ticks, summed; `between` counts from the second notification on,
// `inside` all of them.
struct vdev_notify_timing {
	uint64_t count;   // notifications sent
	uint64_t between; // from one's return to the next one's call: the loop's own time
	uint64_t inside;  // from the call to the return: on mmio, the device's work
};
void vdev_time_notify(struct virtio_dev *d, uint32_t pause_us, struct vdev_notify_timing *t);

// Read and acknowledge the interrupt status; returns the VIRTIO_ISR_*
// bits the spec defines, nothing else.
static inline uint32_t vdev_ack_interrupt(struct virtio_dev *d)
{
	return d->ops->ack_irq(d) & VIRTIO_ISR_MASK;
}

// "mmio-legacy", "pci-modern", ...: the transport and its interface.
const char *vdev_transport(struct virtio_dev *d);

// Print a feature set by name: "VERSION_1 FLUSH ...".
void vdev_print_features(const char *label, uint64_t features, uint32_t device_id);

#endif
