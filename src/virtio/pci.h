// The virtio-pci transport (spec 4.1), modern and legacy, behind the same
// ops table as virtio-mmio. A virtio function found on the PCI bus becomes
// a struct virtio_pci; drivers see only its struct virtio_dev.
#ifndef VIRTIO_PCI_H
#define VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "pci/pci.h"
#include "virtio/virtio_dev.h"

#define VIRTIO_PCI_QUEUES 8 // queues whose notify address we remember

// Where one capability's structure lies, found by the walk.
struct virtio_pci_region {
	uintptr_t addr; // CPU address; 0 = the device has no such structure
	uint32_t len;
	uint8_t bar;  // where the capability said it is, for messages
	uint32_t off; // within that BAR
};

// What the capability walk found (spec 4.1.4), checked: each structure
// lies inside an assigned memory BAR.
struct virtio_pci_caps {
	struct virtio_pci_region common, notify, isr, device;
	uint32_t notify_mult;
	bool msix_enabled; // legacy: the device configuration moves by 4 bytes
};

struct virtio_pci {
	struct virtio_dev vdev; // first: container_of is a cast
	struct pci_func *func;
	struct virtio_pci_caps caps; // modern
	uintptr_t io;                // legacy: the I/O BAR 0's CPU address
	uint32_t io_len;
	uint32_t config_off; // legacy: 20, or 24 with MSI-X enabled
	uint16_t num_queues; // modern: from the common configuration
	uintptr_t notify_addr[VIRTIO_PCI_QUEUES];
};

extern const struct virtio_transport_ops virtio_pci_modern_ops, virtio_pci_legacy_ops;

// Lab 10: walk f's capability list for the virtio structures (4.1.4).
// -EIO for a list that loops or points outside the space, -ERANGE for a
// structure that is not inside its BAR, -ENODEV when a required one
// (common, notify, ISR) is missing.
int virtio_pci_find_caps(const struct pci_func *f, struct virtio_pci_caps *caps);

// Take a virtio function: modern when it has the capabilities (device IDs
// 0x1040+, or transitional with them), legacy through I/O BAR 0 otherwise.
// Fills vp (not yet registered). Errors are printed with the function's
// name; the function is left alone.
int virtio_pci_open(struct virtio_pci *vp, struct pci_func *f);

// Kernel glue: open and register every enabled virtio function; list the
// ones nobody drives.
void virtio_pci_attach_all(void);

#endif
