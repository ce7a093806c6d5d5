// The virtio-mmio transport, legacy (version 1, spec 4.2.4) and modern
// (version 2, spec 4.2.2/4.2.3). Every register access goes through
// vm_read/vm_write, which go through hw/mmio.h: nothing else in the kernel
// knows these offsets.
#include "console.h"
#include "errno.h"
#include "fdt.h"
#include "hw/mmio.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/mmio.h"
#include "virtio/scan.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

#define RESET_TIMEOUT_US 100000 // a reset that takes longer than 100 ms is a broken device
#define CONFIG_RETRIES   64     // ConfigGeneration changes this often: give up

static uint32_t vm_read(struct virtio_dev *d, uint32_t reg)
{
	return mmio_read32(d->base + reg);
}

static void vm_write(struct virtio_dev *d, uint32_t reg, uint32_t val)
{
	mmio_write32(d->base + reg, val);
}

int vdev_open(struct virtio_dev *d, const struct virtio_slot *s)
{
	if (!s || s->state != SLOT_DEVICE)
		return -ENODEV;
	memset(d, 0, sizeof(*d));
	d->base = s->base;
	d->slot = s->index;
	d->version = s->version;
	d->device_id = s->device_id;
	return 0;
}

uint32_t vdev_status(struct virtio_dev *d)
{
	return vm_read(d, VIRTIO_MMIO_STATUS);
}

static void add_status(struct virtio_dev *d, uint32_t bits)
{
	vm_write(d, VIRTIO_MMIO_STATUS, vdev_status(d) | bits);
}

void vdev_fail(struct virtio_dev *d)
{
	add_status(d, VIRTIO_STATUS_FAILED);
}

void vdev_driver_ok(struct virtio_dev *d)
{
	add_status(d, VIRTIO_STATUS_DRIVER_OK);
}

int vdev_check_needs_reset(struct virtio_dev *d)
{
	// spec 2.1.2: the device sets this when it hit an error it cannot
	// recover from by itself; every request in flight is lost.
	if (vdev_status(d) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
		kprintf("virtio: slot %d: device set DEVICE_NEEDS_RESET\n", d->slot);
		return -EIO;
	}
	return 0;
}

int vdev_reset(struct virtio_dev *d)
{
	// spec 4.2.2.1 / 2.4.1: writing 0 resets the device; the driver must
	// wait until Status reads back 0 before touching it again.
	vm_write(d, VIRTIO_MMIO_STATUS, 0);
	uint64_t deadline = time_now() + time_us_to_ticks(RESET_TIMEOUT_US);
	while (vdev_status(d) != 0) {
		if (time_now() > deadline) {
			kprintf("virtio: slot %d: reset did not finish in %d ms\n", d->slot,
			        RESET_TIMEOUT_US / 1000);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static uint64_t read_device_features(struct virtio_dev *d)
{
	// spec 4.2.2: 64 feature bits, read 32 at a time through the selector
	vm_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = vm_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	vm_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t hi = vm_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	return hi << 32 | lo;
}

static void write_driver_features(struct virtio_dev *d, uint64_t features)
{
	vm_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vm_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vm_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vm_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

// Features no driver here implements, whatever a device driver asks for:
// an IOMMU (ACCESS_PLATFORM), in-order tricks, SR-IOV, notification data
// and queue reset.
#define VIRTIO_NEVER_ACCEPTED                                                                      \
	(VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM) | VIRTIO_BIT(VIRTIO_F_IN_ORDER) |                    \
	 VIRTIO_BIT(VIRTIO_F_ORDER_PLATFORM) | VIRTIO_BIT(VIRTIO_F_SR_IOV) |                       \
	 VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA) | VIRTIO_BIT(VIRTIO_F_NOTIF_CONFIG_DATA) |         \
	 VIRTIO_BIT(VIRTIO_F_RING_RESET))

int vdev_init(struct virtio_dev *d, uint64_t wanted, uint64_t required)
{
	int err;

	// The packed ring (spec 2.8) is the virtqueue's business, not the
	// device driver's: every modern device may use it unless the boot
	// line says packed=off (virtq_alloc follows what was negotiated).
	if (bootarg_is_off("packed"))
		wanted &= ~VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	else
		wanted |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	/* BEGIN LAB 2 SOLUTION */
	// 3.1.1 step 1: reset the device
	if ((err = vdev_reset(d)) < 0)
		return err;
	// step 2: we have noticed the device; step 3: we know how to drive it
	add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(d, VIRTIO_STATUS_DRIVER);

	// step 4: read the device's features and accept the ones we implement
	d->offered = read_device_features(d);
	if (d->version == 2) {
		// a modern device must offer VERSION_1 (spec 6.1); without it
		// it would expect the legacy layout we are not using
		wanted |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
		required |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	} else {
		// the legacy interface has no VERSION_1 and no bits above 31
		wanted &= 0xffffffffULL & ~VIRTIO_BIT(VIRTIO_F_VERSION_1);
		required &= 0xffffffffULL;
	}
	d->features = d->offered & wanted & ~VIRTIO_NEVER_ACCEPTED;
	vdev_print_features("offered ", d->offered, d->device_id);
	vdev_print_features("accepted", d->features, d->device_id);
	if ((d->features & required) != required) {
		kprintf("virtio: slot %d: device lacks required features\n", d->slot);
		vdev_print_features("missing ", required & ~d->features, d->device_id);
		vdev_fail(d);
		return -ENOTSUP;
	}
	write_driver_features(d, d->features);

	if (d->version == 2) {
		// steps 5 and 6: FEATURES_OK, then read it back; a device that
		// cannot work with our subset clears it (spec 3.1.1 step 6)
		add_status(d, VIRTIO_STATUS_FEATURES_OK);
		if (!(vdev_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
			kprintf("virtio: slot %d: device refused the features we accepted\n",
			        d->slot);
			vdev_print_features("refused", d->features, d->device_id);
			vdev_fail(d);
			return -ENOTSUP;
		}
		kprintf("virtio: slot %d: FEATURES_OK held\n", d->slot);
	} else {
		// legacy devices have no FEATURES_OK (spec 3.1.2): the features
		// are final at DRIVER_OK. They do need the page size before any
		// queue is set up (spec 4.2.4), or QueuePFN means nothing.
		vm_write(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, (uint32_t)PAGE_SIZE);
		kprintf("virtio: slot %d: legacy device: no FEATURES_OK step\n", d->slot);
	}
	return vdev_check_needs_reset(d);
	/* END LAB 2 SOLUTION */
	/* BEGIN LAB 2 STUB
	// TODO(lab 2): reset, ACKNOWLEDGE, DRIVER, negotiate features and
	// FEATURES_OK. Read lab-guides/lab2-init.md, "Step 3: negotiating".
	(void)read_device_features, (void)write_driver_features;
	(void)d, (void)wanted, (void)required, (void)err;
	return -ENOSYS;
	END LAB 2 STUB */
}

int vdev_config_read(struct virtio_dev *d, uint32_t off, void *buf, size_t len)
{
	uint8_t *out = buf;

	// spec 4.2.2.2: on a modern device, a multi-byte field can change
	// between two reads; ConfigGeneration tells us it did, so read until
	// it is the same before and after. Legacy devices have no such
	// counter (the register reads 0), which is why a legacy driver can
	// see a torn 64-bit capacity during a resize.
	for (int tries = 0; tries < CONFIG_RETRIES; tries++) {
		uint32_t gen = d->version == 2 ? vm_read(d, VIRTIO_MMIO_CONFIG_GENERATION) : 0;
		for (size_t i = 0; i < len;) {
			uintptr_t a = d->base + VIRTIO_MMIO_CONFIG + off + i;
			if (len - i >= 4 && a % 4 == 0) {
				uint32_t w = mmio_read32(a);
				memcpy(out + i, &w, 4);
				i += 4;
			} else {
				out[i++] = mmio_read8(a);
			}
		}
		if (d->version != 2 || gen == vm_read(d, VIRTIO_MMIO_CONFIG_GENERATION))
			return 0;
	}
	kprintf("virtio: slot %d: configuration kept changing while read\n", d->slot);
	return -EPROTO;
}

int vdev_queue_setup(struct virtio_dev *d, struct virtq *vq, uint16_t index, uint16_t max_size)
{
	int err;

	/* BEGIN LAB 3 SOLUTION */
	// spec 4.2.3.2 step 1-2: select the queue; it must not be in use
	vm_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
	uint32_t in_use = d->version == 2 ? vm_read(d, VIRTIO_MMIO_QUEUE_READY)
	                                  : vm_read(d, VIRTIO_MMIO_QUEUE_PFN);
	if (in_use) {
		kprintf("virtio: slot %d: queue %u is already live\n", d->slot, index);
		return -EBUSY;
	}
	// step 3: how big may it be? 0 means there is no such queue
	uint32_t max = vm_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max == 0) {
		kprintf("virtio: slot %d: no queue %u (QueueNumMax is 0)\n", d->slot, index);
		return -ENOENT;
	}
	// the split ring needs a power of two (spec 2.7); use the largest
	// one within both the device's limit and ours
	uint32_t num = 1;
	while (num * 2 <= max && num * 2 <= max_size && num * 2 <= 32768)
		num *= 2;

	// step 4: allocate and zero the rings
	err = virtq_alloc(vq, d, index, (uint16_t)num, vdev_has(d, VIRTIO_F_INDIRECT_DESC),
	                  vdev_has(d, VIRTIO_F_EVENT_IDX));
	if (err < 0) {
		kprintf("virtio: slot %d: no memory for a %u-entry queue\n", d->slot, num);
		return err;
	}
	// step 5: tell the device the size
	vm_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
	if (d->version == 2) {
		// step 6: the three ring addresses, 64 bits each; step 7: ready
		uint64_t desc, drv, dev;
		virtq_addrs(vq, &desc, &drv, &dev);
		vm_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
		vm_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
		vm_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)drv);
		vm_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(drv >> 32));
		vm_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)dev);
		vm_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(dev >> 32));
		vm_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	} else {
		// legacy (4.2.4): one page-aligned block in the legacy layout,
		// given as a page number; the used ring sits at QueueAlign
		vm_write(d, VIRTIO_MMIO_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);
		vm_write(d, VIRTIO_MMIO_QUEUE_PFN, (uint32_t)(virt_to_phys(vq->desc) / PAGE_SIZE));
	}
	uint64_t a_desc, a_drv, a_dev;
	virtq_addrs(vq, &a_desc, &a_drv, &a_dev);
	if (vq->packed)
		kprintf(
		    "virtio: slot %d: queue %u: %u entries (device max %u), packed ring: desc %p "
		    "driver %p device %p\n",
		    d->slot, index, num, max, (void *)a_desc, (void *)a_drv, (void *)a_dev);
	else
		kprintf("virtio: slot %d: queue %u: %u entries (device max %u), desc %p avail %p "
		        "used %p\n",
		        d->slot, index, num, max, (void *)a_desc, (void *)a_drv, (void *)a_dev);
	return 0;
	/* END LAB 3 SOLUTION */
	/* BEGIN LAB 3 STUB
	// TODO(lab 3): select the queue, read QueueNumMax, allocate the rings
	// with virtq_alloc and give their addresses to the device.
	// Read lab-guides/lab3-virtqueue.md, "Step 2: telling the device".
	(void)d, (void)vq, (void)index, (void)max_size, (void)err;
	return -ENOSYS;
	END LAB 3 STUB */
}

void vdev_queue_release(struct virtio_dev *d, struct virtq *vq)
{
	(void)d;
	// only after a reset: the device has forgotten the rings by then
	virtq_free(vq);
}

void vdev_notify(struct virtio_dev *d, uint16_t queue)
{
	vm_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, queue);
}

uint32_t vdev_ack_interrupt(struct virtio_dev *d)
{
	uint32_t bits = vm_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (bits)
		vm_write(d, VIRTIO_MMIO_INTERRUPT_ACK, bits);
	return bits;
}
