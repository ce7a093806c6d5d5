// The virtio-mmio transport (spec 4.2): one device behind each of QEMU
// virt's eight fixed slots, legacy (version 1) or modern (version 2).
// Everything else speaks to it through struct virtio_dev (virtio_dev.h).
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include "virtio/virtio_dev.h"

struct virtio_slot;

// Make d the device in a slot the scan found. -ENODEV if it holds none.
int vmmio_open(struct virtio_dev *d, const struct virtio_slot *slot);

#endif
