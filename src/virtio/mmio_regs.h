// The virtio-mmio register map (spec 4.2.2; the legacy-only registers from
// 4.2.4) and where QEMU's virt board puts its eight transports.
#ifndef VIRTIO_MMIO_REGS_H
#define VIRTIO_MMIO_REGS_H

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

#endif
