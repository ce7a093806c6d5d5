// VirtIO 1.2 constants every transport and driver shares: interrupt status
// bits, device status bits (2.1), feature bits (6) and device IDs (5).
// Register maps live with their transports (mmio_regs.h, pci_regs.h).
#ifndef VIRTIO_VIRTIO_H
#define VIRTIO_VIRTIO_H

#include <stdint.h>

// Interrupt status bits, the same on every transport (2.3, 4.1.4.5, 4.2.2)
#define VIRTIO_ISR_VQ     0x1 // a used buffer was added
#define VIRTIO_ISR_CONFIG 0x2 // the configuration changed
#define VIRTIO_ISR_MASK   0x3 // the bits the spec defines

// Device status bits (2.1)
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

// Device-independent feature bits (6)
#define VIRTIO_F_ANY_LAYOUT        27 // legacy only (6.3): framing is free
#define VIRTIO_F_INDIRECT_DESC     28
#define VIRTIO_F_EVENT_IDX         29
#define VIRTIO_F_VERSION_1         32
#define VIRTIO_F_ACCESS_PLATFORM   33
#define VIRTIO_F_RING_PACKED       34
#define VIRTIO_F_IN_ORDER          35
#define VIRTIO_F_ORDER_PLATFORM    36
#define VIRTIO_F_SR_IOV            37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_NOTIF_CONFIG_DATA 39
#define VIRTIO_F_RING_RESET        40

#define VIRTIO_BIT(b) (1ULL << (b))

// Device IDs (5)
#define VIRTIO_ID_NONE    0
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4

const char *virtio_device_name(uint32_t device_id);

#endif
