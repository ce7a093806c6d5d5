// The fake side of src/hw/mmio.h for the host build: eight virtio-mmio
// slots at the real addresses. A slot is either a plain register file (for
// the lab 1 scan tests) or a fake virtio device (fake_virtio.c) that
// answers like QEMU would, and misbehaves when a test asks it to.
#ifndef FAKE_MMIO_H
#define FAKE_MMIO_H

#include <stdint.h>

#define FAKE_SLOTS 8

struct fake_slot_ops {
	uint32_t (*read32)(void *dev, uint32_t off);
	void (*write32)(void *dev, uint32_t off, uint32_t val);
	uint16_t (*read16)(void *dev, uint32_t off); // NULL: two 8-bit reads
	void (*write16)(void *dev, uint32_t off, uint16_t val);
	uint8_t (*read8)(void *dev, uint32_t off);
	void (*write8)(void *dev, uint32_t off, uint8_t val);
};

// Empty all slots: every register reads 0 (no magic: "not a transport").
void fake_mmio_reset(void);
// Make slot i a register file with these identification values.
void fake_mmio_set_ids(int slot, uint32_t magic, uint32_t version, uint32_t device_id,
                       uint32_t vendor_id);
// Make slot i a device model.
void fake_mmio_attach(int slot, const struct fake_slot_ops *ops, void *dev);
uintptr_t fake_mmio_base(int slot);
// Another fake (fake_pci.c) claims the accesses outside the slots: it
// returns 1 and reads into or writes from *val when addr is its own, 0
// otherwise. NULL: only the slots exist.
extern int (*fake_mmio_other)(uintptr_t addr, unsigned width, int write, uint32_t *val);

#endif
