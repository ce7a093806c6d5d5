// The legacy virtio-pci interface (spec 4.1.4.8), what a transitional
// device offers with disable-modern=on: one register block in I/O BAR 0,
//
//   0 host_features  4 guest_features  8 queue_address (PFN)
//   12 queue_size    14 queue_select   16 queue_notify
//   18 device_status 19 isr_status     20 device configuration
//
// (the configuration moves to 24 while MSI-X is enabled: two vector
// registers come first). Only 32 feature bits; the queue cannot be
// resized and lies where its page frame number says, in the legacy
// layout with the used ring on the next 4096-byte boundary (2.7.2).
// On QEMU virt the I/O BAR is reached through the host bridge's I/O
// window, so these are memory accesses like any other.
#include "console.h"
#include "errno.h"
#include "hw/mmio.h"
#include "virtio/pci.h"
#include "virtio/pci_regs.h"
#include "virtio/virtio.h"

#include <stddef.h>

#define LEGACY(vp, field) ((vp)->io + offsetof(struct virtio_pci_legacy, field))

static struct virtio_pci *to_pci(struct virtio_dev *d)
{
	return (struct virtio_pci *)d; // vdev is the first member
}

static uint8_t get_status(struct virtio_dev *d)
{
	return mmio_read8(LEGACY(to_pci(d), device_status));
}

static void set_status(struct virtio_dev *d, uint8_t status)
{
	mmio_write8(LEGACY(to_pci(d), device_status), status);
}

static uint64_t get_features(struct virtio_dev *d)
{
	return mmio_read32(LEGACY(to_pci(d), host_features));
}

static void set_features(struct virtio_dev *d, uint64_t f)
{
	mmio_write32(LEGACY(to_pci(d), guest_features), (uint32_t)f);
}

static uint32_t config_generation(struct virtio_dev *d)
{
	(void)d;
	return 0; // legacy devices have none
}

static bool config_ok(struct virtio_pci *vp, uint32_t off, unsigned width)
{
	return (width == 1 || width == 2 || width == 4) && off % width == 0 &&
	       (uint64_t)vp->config_off + off + width <= vp->io_len;
}

static uint32_t config_read(struct virtio_dev *d, uint32_t off, unsigned width)
{
	struct virtio_pci *vp = to_pci(d);
	uintptr_t a = vp->io + vp->config_off + off;

	if (!config_ok(vp, off, width))
		return 0;
	return mmio_read_width(a, width);
}

static void config_write(struct virtio_dev *d, uint32_t off, unsigned width, uint32_t v)
{
	struct virtio_pci *vp = to_pci(d);
	uintptr_t a = vp->io + vp->config_off + off;

	if (!config_ok(vp, off, width))
		return;
	mmio_write_width(a, width, v);
}

// The legacy queue size is fixed by the device: the queue must have
// exactly this many entries (queue_set refuses any other number).
static int queue_max(struct virtio_dev *d, uint16_t q)
{
	struct virtio_pci *vp = to_pci(d);

	mmio_write16(LEGACY(vp, queue_select), q);
	uint16_t size = mmio_read16(LEGACY(vp, queue_size));
	if (size == 0) {
		kprintf("virtio: %s: no queue %u\n", d->name, q);
		return -ENOENT;
	}
	if (mmio_read32(LEGACY(vp, queue_address))) {
		kprintf("virtio: %s: queue %u is already live\n", d->name, q);
		return -EBUSY;
	}
	return size;
}

// 4.1.5.1.3 (legacy): the size is the device's, the rings are one block
// at a page frame number. desc is that block; driver and device must be
// where the legacy layout puts them, or the device would look elsewhere.
static int queue_set(struct virtio_dev *d, uint16_t q, uint16_t num, uint64_t desc, uint64_t driver,
                     uint64_t device)
{
	struct virtio_pci *vp = to_pci(d);

	mmio_write16(LEGACY(vp, queue_select), q);
	uint16_t size = mmio_read16(LEGACY(vp, queue_size));
	if (size == 0)
		return -ENOENT;
	if (num != size) {
		kprintf("virtio: %s: queue %u: a legacy PCI device's queue has exactly %u "
		        "entries (4.1.4.8), not %u\n",
		        d->name, q, size, num);
		return -EINVAL;
	}
	// descriptors 16 bytes each, then the available ring (6 + 2 * num
	// bytes), then the used ring at the next 4096-byte boundary
	uint64_t want_used = (driver + 6 + 2ull * num + VIRTIO_PCI_LEGACY_ALIGN - 1) &
	                     ~(uint64_t)(VIRTIO_PCI_LEGACY_ALIGN - 1);
	if (desc % VIRTIO_PCI_LEGACY_ALIGN || driver != desc + 16ull * num || device != want_used ||
	    desc >> (32 + VIRTIO_PCI_LEGACY_PFN_SHIFT))
		return -EINVAL;
	// writing the PFN makes the queue live: it comes last
	mmio_write32(LEGACY(vp, queue_address), (uint32_t)(desc >> VIRTIO_PCI_LEGACY_PFN_SHIFT));
	return 0;
}

static void notify(struct virtio_dev *d, uint16_t q)
{
	mmio_write16(LEGACY(to_pci(d), queue_notify), q);
}

static uint32_t ack_irq(struct virtio_dev *d)
{
	// reading returns the cause and clears it (deasserting INTx)
	return mmio_read8(LEGACY(to_pci(d), isr_status));
}

const struct virtio_transport_ops virtio_pci_legacy_ops = {
    .kind = "pci",
    .get_status = get_status,
    .set_status = set_status,
    .get_features = get_features,
    .set_features = set_features,
    .config_generation = config_generation,
    .config_read = config_read,
    .config_write = config_write,
    .queue_max = queue_max,
    .queue_set = queue_set,
    .notify = notify,
    .ack_irq = ack_irq,
};
