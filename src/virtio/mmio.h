// One virtio-mmio transport (spec 4.2): device status, feature negotiation,
// configuration space and queue registers, for both the legacy (version 1)
// and the modern (version 2) register layout. Nothing here knows what kind
// of device it is talking to; nothing above it touches a register.
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct virtio_slot;
struct virtq;

struct virtio_dev {
	uintptr_t base;     // the transport's registers
	int slot;           // 0..7, for messages; its PLIC IRQ is 1 + slot
	uint32_t version;   // 1 = legacy, 2 = modern
	uint32_t device_id; // VIRTIO_ID_*
	uint64_t offered;   // what the device offered (DeviceFeatures)
	uint64_t features;  // what both sides agreed on
};

// Take a device found by the scan. -ENODEV if the slot holds no device.
int vdev_open(struct virtio_dev *d, const struct virtio_slot *slot);

// Spec 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, negotiate `wanted`
// (the driver's whitelist) and, on modern devices, FEATURES_OK. A feature
// in `required` that the device does not offer fails the device. On error
// the device is left with FAILED set.
int vdev_init(struct virtio_dev *d, uint64_t wanted, uint64_t required);

// Spec 3.1.1 step 8: the device is live.
void vdev_driver_ok(struct virtio_dev *d);
// Tell the device we gave up on it (spec 2.1.1).
void vdev_fail(struct virtio_dev *d);
// Write 0 to Status and wait (bounded) for the device to finish resetting.
int vdev_reset(struct virtio_dev *d);
uint32_t vdev_status(struct virtio_dev *d);
// -EIO, with a message, if the device has set DEVICE_NEEDS_RESET.
int vdev_check_needs_reset(struct virtio_dev *d);

static inline bool vdev_has(const struct virtio_dev *d, unsigned bit)
{
	return (d->features >> bit) & 1;
}

// Read len bytes of device-specific configuration at offset off, with the
// ConfigGeneration retry loop on modern devices (spec 4.2.2.2).
int vdev_config_read(struct virtio_dev *d, uint32_t off, void *buf, size_t len);

// Spec 4.2.3.2 (modern) / 4.2.4 (legacy): set up queue `index` with at most
// `max_size` entries (a power of two), allocating its rings. -ENOENT if
// the device has no such queue.
int vdev_queue_setup(struct virtio_dev *d, struct virtq *vq, uint16_t index, uint16_t max_size);
// Undo vdev_queue_setup after a reset: free the rings.
void vdev_queue_release(struct virtio_dev *d, struct virtq *vq);
void vdev_notify(struct virtio_dev *d, uint16_t queue);
// Read and acknowledge InterruptStatus; returns the bits that were set.
uint32_t vdev_ack_interrupt(struct virtio_dev *d);

// Print a feature set by name: "VERSION_1 FLUSH ...".
void vdev_print_features(const char *label, uint64_t features, uint32_t device_id);

#endif
