// VirtIO 1.2 constants: the virtio-mmio register map (spec 4.2.2), device
// status bits (2.1), feature bits (6) and device IDs (5).
#ifndef VIRTIO_VIRTIO_H
#define VIRTIO_VIRTIO_H

#include <stdint.h>

// The fixed virtio-mmio slots of QEMU's virt board, one device each.
#define VIRTIO_MMIO_BASE      0x10001000UL
#define VIRTIO_MMIO_STEP      0x1000UL
#define VIRTIO_MMIO_SLOTS     8
#define VIRTIO_MMIO_IRQ(slot) (1 + (slot)) // PLIC source of slot i

#define VIRTIO_MMIO_MAGIC 0x74726976 // "virt", little-endian

// Register offsets (4.2.2; legacy-only ones from 4.2.4).
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_GUEST_PAGE_SIZE     0x028 // legacy
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_ALIGN         0x03c // legacy
#define VIRTIO_MMIO_QUEUE_PFN           0x040 // legacy
#define VIRTIO_MMIO_QUEUE_READY         0x044 // modern
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080 // modern
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc // modern
#define VIRTIO_MMIO_CONFIG              0x100

// InterruptStatus bits (4.2.2)
#define VIRTIO_MMIO_INT_VRING  0x1 // a used buffer was added
#define VIRTIO_MMIO_INT_CONFIG 0x2 // the configuration changed

// Device status bits (2.1)
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

// Device-independent feature bits (6)
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
