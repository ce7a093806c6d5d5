// VirtIO over PCI (spec 4.1): how a virtio function identifies itself, the
// capabilities that locate its register blocks, and the register layouts
// of the modern (4.1.4.3) and the legacy (4.1.4.8) interface, as structs
// in the spec's order so code names a field by offsetof.
#ifndef VIRTIO_PCI_REGS_H
#define VIRTIO_PCI_REGS_H

#include <stdint.h>

// 4.1.2: vendor 0x1af4; device 0x1040 + virtio ID (modern only), or
// 0x1000-0x103f (transitional) with the virtio ID in the Subsystem ID.
#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_TRANS_FIRST 0x1000
#define VIRTIO_PCI_TRANS_LAST  0x103f
#define VIRTIO_PCI_MODERN_BASE 0x1040
#define VIRTIO_PCI_MODERN_LAST 0x107f

// The virtio device ID of a PCI function, 0 when it is not virtio.
static inline uint32_t virtio_pci_device_id(uint16_t vendor, uint16_t device, uint16_t subsys)
{
	if (vendor != VIRTIO_PCI_VENDOR)
		return 0;
	if (device >= VIRTIO_PCI_MODERN_BASE && device <= VIRTIO_PCI_MODERN_LAST)
		return device - VIRTIO_PCI_MODERN_BASE;
	if (device >= VIRTIO_PCI_TRANS_FIRST && device <= VIRTIO_PCI_TRANS_LAST)
		return subsys;
	return 0;
}

// 4.1.4: a vendor-specific capability (ID 0x09) per register block.
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11

struct virtio_pci_cap {
	uint8_t cap_vndr; // PCI_CAP_ID_VNDR
	uint8_t cap_next; // next capability's offset
	uint8_t cap_len;  // length of this capability, with its extra fields
	uint8_t cfg_type; // VIRTIO_PCI_CAP_*
	uint8_t bar;      // 0..5
	uint8_t id;       // several of a type: which one
	uint8_t padding[2];
	uint32_t offset; // within the BAR
	uint32_t length; // bytes
};

// 4.1.4.4: the notify capability adds the multiplier
struct virtio_pci_notify_cap {
	struct virtio_pci_cap cap;
	uint32_t notify_off_multiplier;
};

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG    5

// 4.1.4.3: the common configuration structure
struct virtio_pci_common_cfg {
	uint32_t device_feature_select; // read-write
	uint32_t device_feature;        // read-only for driver
	uint32_t driver_feature_select; // read-write
	uint32_t driver_feature;        // read-write
	uint16_t config_msix_vector;    // read-write
	uint16_t num_queues;            // read-only for driver
	uint8_t device_status;          // read-write
	uint8_t config_generation;      // read-only for driver
	// about a specific virtqueue
	uint16_t queue_select;      // read-write
	uint16_t queue_size;        // read-write
	uint16_t queue_msix_vector; // read-write
	uint16_t queue_enable;      // read-write
	uint16_t queue_notify_off;  // read-only for driver
	uint64_t queue_desc;        // read-write
	uint64_t queue_driver;      // read-write
	uint64_t queue_device;      // read-write
} __attribute__((packed));

// 4.1.4.8: the legacy interface, in I/O BAR 0. With MSI-X enabled two
// more 16-bit fields follow (config and queue vector) and the
// device-specific configuration starts after them.
struct virtio_pci_legacy {
	uint32_t host_features;  // device features, bits 0-31 only
	uint32_t guest_features; // driver features
	uint32_t queue_address;  // the PFN of the queue, in 4096-byte units
	uint16_t queue_size;     // read-only: the device's size
	uint16_t queue_select;
	uint16_t queue_notify;
	uint8_t device_status;
	uint8_t isr_status;
} __attribute__((packed));

struct virtio_pci_legacy_msix {
	struct virtio_pci_legacy common;
	uint16_t config_msix_vector;
	uint16_t queue_msix_vector;
} __attribute__((packed));

#define VIRTIO_PCI_LEGACY_PFN_SHIFT 12 // QueueAddress is in 4096-byte pages
#define VIRTIO_PCI_LEGACY_ALIGN     4096

#endif
