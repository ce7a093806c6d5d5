// Lab 1: discovery. QEMU virt has no enumerable bus for virtio-mmio: the
// device tree lists eight transports at fixed addresses, and each one
// answers with a magic value, a version and a device ID (spec 4.2.2). A
// slot with device ID 0 is a transport with nothing plugged in. QEMU fills
// the slots from the top down, so a single disk lands in slot 7, not 0.
#include "console.h"
#include "hw/mmio.h"
#include "virtio/mmio.h"
#include "virtio/mmio_regs.h"
#include "virtio/scan.h"
#include "virtio/virtio.h"

struct virtio_slot virtio_slots[VIRTIO_MMIO_SLOTS];
// the devices in the slots, as the drivers see them
static struct virtio_dev mmio_devs[VIRTIO_MMIO_SLOTS];

const char *virtio_device_name(uint32_t id)
{
	// device IDs from spec chapter 5
	static const char *const names[] = {
	    [0] = "empty",   [1] = "network", [2] = "block", [3] = "console", [4] = "entropy",
	    [5] = "balloon", [8] = "scsi",    [9] = "9p",    [16] = "gpu",    [18] = "input",
	    [19] = "vsock",  [20] = "crypto", [26] = "fs",   [27] = "pmem",   [41] = "sound",
	};

	if (id < sizeof(names) / sizeof(names[0]) && names[id])
		return names[id];
	return "unknown";
}

void virtio_probe_slot(int index, uintptr_t base, struct virtio_slot *s)
{
	s->index = index;
	s->base = base;
	s->version = s->device_id = s->vendor_id = 0;
	/* BEGIN LAB 1 SOLUTION */
	s->magic = mmio_read32(base + VIRTIO_MMIO_MAGIC_VALUE);
	if (s->magic != VIRTIO_MMIO_MAGIC) {
		s->state = SLOT_BAD_MAGIC;
		return;
	}
	// 1 is the legacy interface (4.2.4), 2 the modern one (4.2.2). A
	// device speaking a version we do not know is not touched further.
	s->version = mmio_read32(base + VIRTIO_MMIO_VERSION);
	if (s->version != 1 && s->version != 2) {
		s->state = SLOT_BAD_VERSION;
		return;
	}
	s->device_id = mmio_read32(base + VIRTIO_MMIO_DEVICE_ID);
	if (s->device_id == VIRTIO_ID_NONE) {
		s->state = SLOT_EMPTY;
		return;
	}
	s->vendor_id = mmio_read32(base + VIRTIO_MMIO_VENDOR_ID);
	s->state = SLOT_DEVICE;
	/* END LAB 1 SOLUTION */
	/* BEGIN LAB 1 STUB
	// TODO(lab 1): read MagicValue, Version, DeviceID and VendorID and set
	// s->state. Read lab-guides/lab1-discover.md, "Step 2: probing a slot".
	s->magic = 0;
	s->state = SLOT_EMPTY;
	END LAB 1 STUB */
}

void virtio_print_map(void)
{
	int devices = 0;

	kprintf("virtio: device map (%d slots at %p, stride 0x%lx)\n", VIRTIO_MMIO_SLOTS,
	        (void *)VIRTIO_MMIO_BASE, VIRTIO_MMIO_STEP);
	for (int i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		const struct virtio_slot *s = &virtio_slots[i];
		switch (s->state) {
		case SLOT_EMPTY: break;
		case SLOT_BAD_MAGIC:
			kprintf("virtio: slot %d @ %p: bad magic 0x%08x, skipped\n", i,
			        (void *)s->base, s->magic);
			break;
		case SLOT_BAD_VERSION:
			kprintf("virtio: slot %d @ %p: unsupported version %u, not touched\n", i,
			        (void *)s->base, s->version);
			break;
		case SLOT_DEVICE:
			devices++;
			kprintf("virtio: slot %d @ %p: version %u (%s), device %u (%s), vendor "
			        "0x%08x\n",
			        i, (void *)s->base, s->version,
			        s->version == 1 ? "legacy" : "modern", s->device_id,
			        virtio_device_name(s->device_id), s->vendor_id);
			break;
		}
	}
	kprintf("virtio: %d device%s found\n", devices, devices == 1 ? "" : "s");
}

void virtio_scan(void)
{
	// the mmio slots come first in discovery order, so the registry
	// starts afresh here (other buses register after this scan)
	virtio_dev_forget_all();
	for (int i = 0; i < VIRTIO_MMIO_SLOTS; i++) {
		virtio_probe_slot(i, VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_STEP, &virtio_slots[i]);
		if (vmmio_open(&mmio_devs[i], &virtio_slots[i]) == 0)
			virtio_dev_register(&mmio_devs[i]);
	}
	virtio_print_map();
}
