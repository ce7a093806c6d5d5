// Address decoding for the fake MMIO space: which slot, which register.
// An access outside the eight slots is a bug in the driver: fail loudly,
// as a failed Criterion assertion, or (FAKE_NO_CRITERION, for the libFuzzer
// harnesses) with abort() so the fuzzer reports it.
#include <string.h>

#ifdef FAKE_NO_CRITERION
#include <stdio.h>
#include <stdlib.h>
#define fake_fail(...) (fprintf(stderr, __VA_ARGS__), fputc('\n', stderr), abort())
#else
#include <criterion/criterion.h>
#define fake_fail(...) cr_assert_fail(__VA_ARGS__)
#endif

#include "fake_mmio.h"
#include "hw/mmio.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

struct fake_slot {
	const struct fake_slot_ops *ops; // NULL: a plain register file
	void *dev;
	uint32_t ids[4]; // magic, version, device id, vendor id
};

static struct fake_slot slots[FAKE_SLOTS];
int (*fake_mmio_other)(uintptr_t addr, unsigned width, int write, uint32_t *val);

void fake_mmio_reset(void)
{
	memset(slots, 0, sizeof(slots));
}

void fake_mmio_set_ids(int slot, uint32_t magic, uint32_t version, uint32_t device_id,
                       uint32_t vendor_id)
{
	slots[slot].ops = NULL;
	slots[slot].ids[0] = magic;
	slots[slot].ids[1] = version;
	slots[slot].ids[2] = device_id;
	slots[slot].ids[3] = vendor_id;
}

void fake_mmio_attach(int slot, const struct fake_slot_ops *ops, void *dev)
{
	slots[slot].ops = ops;
	slots[slot].dev = dev;
}

uintptr_t fake_mmio_base(int slot)
{
	return VIRTIO_MMIO_BASE + (uintptr_t)slot * VIRTIO_MMIO_STEP;
}

static struct fake_slot *decode(uintptr_t addr, uint32_t *off)
{
	if (addr < VIRTIO_MMIO_BASE || addr >= VIRTIO_MMIO_BASE + FAKE_SLOTS * VIRTIO_MMIO_STEP)
		fake_fail("driver touched 0x%lx, outside the virtio-mmio slots",
		          (unsigned long)addr);
	*off = (addr - VIRTIO_MMIO_BASE) % VIRTIO_MMIO_STEP;
	return &slots[(addr - VIRTIO_MMIO_BASE) / VIRTIO_MMIO_STEP];
}

uint32_t host_mmio_read32(uintptr_t addr)
{
	uint32_t v;

	if (fake_mmio_other && fake_mmio_other(addr, 4, 0, &v))
		return (uint32_t)v;
	uint32_t off;
	struct fake_slot *s = decode(addr, &off);

	if (off % 4)
		fake_fail("unaligned 32-bit register read at offset 0x%x", off);
	if (s->ops)
		return s->ops->read32(s->dev, off);
	return off < 16 ? s->ids[off / 4] : 0;
}

void host_mmio_write32(uintptr_t addr, uint32_t val)
{
	uint32_t v = val;

	if (fake_mmio_other && fake_mmio_other(addr, 4, 1, &v))
		return;
	uint32_t off;
	struct fake_slot *s = decode(addr, &off);

	if (off % 4)
		fake_fail("unaligned 32-bit register write at offset 0x%x", off);
	if (s->ops)
		s->ops->write32(s->dev, off, val);
}

uint16_t host_mmio_read16(uintptr_t addr)
{
	uint32_t v;

	if (fake_mmio_other && fake_mmio_other(addr, 2, 0, &v))
		return (uint16_t)v;
	uint32_t off;
	struct fake_slot *s = decode(addr, &off);

	if (off % 2)
		fake_fail("unaligned 16-bit register read at offset 0x%x", off);
	if (s->ops && s->ops->read16)
		return s->ops->read16(s->dev, off);
	return (uint16_t)(host_mmio_read8(addr) | host_mmio_read8(addr + 1) << 8);
}

void host_mmio_write16(uintptr_t addr, uint16_t val)
{
	uint32_t v = val;

	if (fake_mmio_other && fake_mmio_other(addr, 2, 1, &v))
		return;
	uint32_t off;
	struct fake_slot *s = decode(addr, &off);

	if (off % 2)
		fake_fail("unaligned 16-bit register write at offset 0x%x", off);
	if (s->ops && s->ops->write16)
		s->ops->write16(s->dev, off, val);
	else if (s->ops && s->ops->write8) {
		s->ops->write8(s->dev, off, (uint8_t)val);
		s->ops->write8(s->dev, off + 1, (uint8_t)(val >> 8));
	}
}

uint8_t host_mmio_read8(uintptr_t addr)
{
	uint32_t v;

	if (fake_mmio_other && fake_mmio_other(addr, 1, 0, &v))
		return (uint8_t)v;
	uint32_t off;
	struct fake_slot *s = decode(addr, &off);

	return s->ops && s->ops->read8 ? s->ops->read8(s->dev, off) : 0;
}

void host_mmio_write8(uintptr_t addr, uint8_t val)
{
	uint32_t v = val;

	if (fake_mmio_other && fake_mmio_other(addr, 1, 1, &v))
		return;
	uint32_t off;
	struct fake_slot *s = decode(addr, &off);

	if (s->ops && s->ops->write8)
		s->ops->write8(s->dev, off, val);
}
