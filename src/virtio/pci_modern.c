// The modern virtio-pci interface (spec 4.1.4.3-4.1.4.5): the common
// configuration structure holds status, features and the queue registers
// (one queue at a time, through queue_select); each queue is notified at
// its own address in the notify structure; reading the ISR byte returns
// and clears the interrupt cause. Every field is accessed with its own
// width (4.1.3.1), 64-bit ones as two 32-bit halves, low first.
#include "console.h"
#include "errno.h"
#include "hw/mmio.h"
#include "virtio/pci.h"
#include "virtio/pci_regs.h"
#include "virtio/virtio.h"

#include <stddef.h>

#define COMMON(vp, field) ((vp)->caps.common.addr + offsetof(struct virtio_pci_common_cfg, field))

static struct virtio_pci *to_pci(struct virtio_dev *d)
{
	return (struct virtio_pci *)d; // vdev is the first member
}

static uint8_t get_status(struct virtio_dev *d)
{
	return mmio_read8(COMMON(to_pci(d), device_status));
}

static void set_status(struct virtio_dev *d, uint8_t status)
{
	struct virtio_pci *vp = to_pci(d);

	// a reset forgets the queues: no notify until they are set up again
	if (status == 0)
		for (int q = 0; q < VIRTIO_PCI_QUEUES; q++)
			vp->notify_addr[q] = 0;
	mmio_write8(COMMON(vp, device_status), status);
}

// 4.1.4.3: device_feature shows 32 bits at a time, the word chosen by
// device_feature_select
static uint64_t get_features(struct virtio_dev *d)
{
	struct virtio_pci *vp = to_pci(d);
	uint64_t f;

	mmio_write32(COMMON(vp, device_feature_select), 0);
	f = mmio_read32(COMMON(vp, device_feature));
	mmio_write32(COMMON(vp, device_feature_select), 1);
	f |= (uint64_t)mmio_read32(COMMON(vp, device_feature)) << 32;
	return f;
}

static void set_features(struct virtio_dev *d, uint64_t f)
{
	struct virtio_pci *vp = to_pci(d);

	mmio_write32(COMMON(vp, driver_feature_select), 0);
	mmio_write32(COMMON(vp, driver_feature), (uint32_t)f);
	mmio_write32(COMMON(vp, driver_feature_select), 1);
	mmio_write32(COMMON(vp, driver_feature), (uint32_t)(f >> 32));
}

static uint32_t config_generation(struct virtio_dev *d)
{
	return mmio_read8(COMMON(to_pci(d), config_generation));
}

// The device configuration structure is as long as its capability says;
// a read past it returns 0 instead of touching whatever follows.
static bool config_ok(struct virtio_pci *vp, uint32_t off, unsigned width)
{
	return vp->caps.device.addr && (width == 1 || width == 2 || width == 4) &&
	       off % width == 0 && (uint64_t)off + width <= vp->caps.device.len;
}

static uint32_t config_read(struct virtio_dev *d, uint32_t off, unsigned width)
{
	struct virtio_pci *vp = to_pci(d);
	uintptr_t a = vp->caps.device.addr + off;

	if (!config_ok(vp, off, width))
		return 0;
	return mmio_read_width(a, width);
}

static void config_write(struct virtio_dev *d, uint32_t off, unsigned width, uint32_t v)
{
	struct virtio_pci *vp = to_pci(d);
	uintptr_t a = vp->caps.device.addr + off;

	if (!config_ok(vp, off, width))
		return;
	mmio_write_width(a, width, v);
}

static int queue_max(struct virtio_dev *d, uint16_t q)
{
	struct virtio_pci *vp = to_pci(d);

	if (q >= vp->num_queues || q >= VIRTIO_PCI_QUEUES) {
		kprintf("virtio: %s: no queue %u (the device has %u)\n", d->name, q,
		        vp->num_queues);
		return -ENOENT;
	}
	mmio_write16(COMMON(vp, queue_select), q);
	if (mmio_read16(COMMON(vp, queue_enable))) {
		kprintf("virtio: %s: queue %u is already enabled\n", d->name, q);
		return -EBUSY;
	}
	// before the driver writes it, queue_size is the device's maximum;
	// 0 means the queue is not available (4.1.4.3)
	uint16_t max = mmio_read16(COMMON(vp, queue_size));
	if (max == 0) {
		kprintf("virtio: %s: queue %u is not available\n", d->name, q);
		return -ENOENT;
	}
	return max;
}

static void write64(uintptr_t lo, uint64_t v)
{
	mmio_write32(lo, (uint32_t)v);
	mmio_write32(lo + 4, (uint32_t)(v >> 32));
}

// 4.1.5.1.3: select the queue, check and write its size, the three ring
// addresses, find its notify address, and only then queue_enable.
static int queue_set(struct virtio_dev *d, uint16_t q, uint16_t num, uint64_t desc, uint64_t driver,
                     uint64_t device)
{
	struct virtio_pci *vp = to_pci(d);

	if (q >= vp->num_queues || q >= VIRTIO_PCI_QUEUES)
		return -ENOENT;
	mmio_write16(COMMON(vp, queue_select), q);
	uint16_t max = mmio_read16(COMMON(vp, queue_size));
	if (num == 0 || num > max)
		return -EINVAL;
	if (mmio_read16(COMMON(vp, queue_enable)))
		return -EBUSY; // queue_max said so already
	// 4.1.4.4: queue q is notified at
	//   notify.addr + queue_notify_off * notify_off_multiplier
	// (QEMU: notify_off = q, multiplier 4, so queue 1 at +4); the
	// address and the 2 bytes written there must lie inside the structure
	uint64_t off = (uint64_t)mmio_read16(COMMON(vp, queue_notify_off)) * vp->caps.notify_mult;
	if (off + 2 > vp->caps.notify.len) {
		kprintf("virtio: %s: queue %u's notify address (+0x%lx) is outside the notify "
		        "structure (%u bytes)\n",
		        d->name, q, (unsigned long)off, vp->caps.notify.len);
		return -ERANGE;
	}
	vp->notify_addr[q] = vp->caps.notify.addr + off;
	mmio_write16(COMMON(vp, queue_size), num);
	write64(COMMON(vp, queue_desc), desc);
	write64(COMMON(vp, queue_driver), driver);
	write64(COMMON(vp, queue_device), device);
	// the device may start reading the rings now: everything above first
	// (mmio_write16 fences earlier writes before the register write)
	mmio_write16(COMMON(vp, queue_enable), 1);
	return 0;
}

// 4.1.5.2: the queue's index, written at its notify address
static void notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_pci *vp = to_pci(d);

	if (q < VIRTIO_PCI_QUEUES && vp->notify_addr[q])
		mmio_write16(vp->notify_addr[q], q);
}

// 4.1.4.5: reading the ISR status returns the cause and clears it, which
// also deasserts the INTx line
static uint32_t ack_irq(struct virtio_dev *d)
{
	return mmio_read8(to_pci(d)->caps.isr.addr);
}

const struct virtio_transport_ops virtio_pci_modern_ops = {
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
