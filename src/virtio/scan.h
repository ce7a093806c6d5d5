// Lab 1: find the virtio-mmio devices in QEMU virt's eight fixed slots.
#ifndef VIRTIO_SCAN_H
#define VIRTIO_SCAN_H

#include <stdint.h>

enum slot_state {
	SLOT_EMPTY,      // a transport with device ID 0: nothing plugged in
	SLOT_DEVICE,     // a device we may drive
	SLOT_BAD_MAGIC,  // not a virtio-mmio transport at all
	SLOT_BAD_VERSION // a transport version we do not know: left alone
};

struct virtio_slot {
	int index;      // 0..7
	uintptr_t base; // 0x10001000 + index * 0x1000
	enum slot_state state;
	uint32_t magic, version, device_id, vendor_id;
};

// Read the identification registers of slot i's transport at `base`.
// The base is a parameter so the host tests can point it at a fake.
void virtio_probe_slot(int index, uintptr_t base, struct virtio_slot *out);

// Probe all eight slots, register each device found (virtio_dev.h), and
// print the device map.
void virtio_scan(void);
void virtio_print_map(void);

extern struct virtio_slot virtio_slots[];

#endif
