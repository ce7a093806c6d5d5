// The spec's device procedures, built from a transport's register steps:
// reset (2.4), initialisation and feature negotiation (3.1.1),
// configuration reads (2.5), queue setup, notification and interrupt
// acknowledgement. Nothing here knows which transport it talks to.
#include "console.h"
#include "errno.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/virtio.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq.h"

#define RESET_TIMEOUT_US 100000 // a reset that takes longer than 100 ms is a broken device
#define CONFIG_RETRIES   64     // the configuration changes this often: give up

static struct virtio_dev *devices[VIRTIO_MAX_DEVICES];
static int ndevices;

int virtio_dev_register(struct virtio_dev *d)
{
	if (ndevices == VIRTIO_MAX_DEVICES) {
		kprintf("virtio: %s: more than %d devices; this one is not used\n", d->name,
		        VIRTIO_MAX_DEVICES);
		return -ENOSPC;
	}
	devices[ndevices++] = d;
	return 0;
}

void virtio_dev_forget_all(void)
{
	ndevices = 0;
}

struct virtio_dev *virtio_dev_at(int i)
{
	return i >= 0 && i < ndevices ? devices[i] : 0;
}

struct virtio_dev *virtio_dev_next(uint32_t device_id, struct virtio_dev *prev)
{
	int i = 0;

	if (prev)
		while (i < ndevices && devices[i++] != prev)
			;
	for (; i < ndevices; i++)
		if (devices[i]->device_id == device_id)
			return devices[i];
	return 0;
}

const char *vdev_transport(struct virtio_dev *d)
{
	if (!d->transport_name[0])
		ksnprintf(d->transport_name, sizeof(d->transport_name), "%s-%s", d->ops->kind,
		          d->legacy ? "legacy" : "modern");
	return d->transport_name;
}

struct virtio_dev *virtio_claim_first(uint32_t device_id, const char *driver)
{
	struct virtio_dev *first = 0;

	for (struct virtio_dev *d = virtio_dev_next(device_id, 0); d;
	     d = virtio_dev_next(device_id, d)) {
		if (!first) {
			first = d;
			d->claimed = true;
			// the driver's start may still fail: it says so then
			ksnprintf(d->use, sizeof(d->use), "driven by %s", driver);
		} else {
			kprintf("%s: %s (%s) is another %s device; only the first is used\n",
			        driver, d->name, vdev_transport(d), virtio_device_name(device_id));
			ksnprintf(d->use, sizeof(d->use), "not used: another %s device",
			          virtio_device_name(device_id));
		}
	}
	return first;
}

// Every driver's probe says what became of each device of its type
// (virtio_claim_first, vblk_probe), so once the probes have run, a device
// whose `use` is still empty is one no driver in this kernel looked at:
// there is no second list of the drivers to keep in step with them.
const char *vdev_use(const struct virtio_dev *d)
{
	static char buf[64];

	if (d->use[0])
		return d->use;
	ksnprintf(buf, sizeof(buf), "virtio transport, no driver for device type %u (%s)",
	          d->device_id, virtio_device_name(d->device_id));
	return buf;
}

void virtio_report_undriven(void)
{
	struct virtio_dev *d;

	for (int i = 0; (d = virtio_dev_at(i)); i++)
		if (!d->use[0])
			kprintf("virtio: %s: %s device (type %u): no driver in this kernel, left "
			        "alone\n",
			        d->name, virtio_device_name(d->device_id), d->device_id);
}

uint8_t vdev_status(struct virtio_dev *d)
{
	return d->ops->get_status(d);
}

static void add_status(struct virtio_dev *d, uint8_t bits)
{
	d->ops->set_status(d, (uint8_t)(vdev_status(d) | bits));
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
		kprintf("virtio: %s: device set DEVICE_NEEDS_RESET\n", d->name);
		return -EIO;
	}
	return 0;
}

int vdev_reset(struct virtio_dev *d)
{
	if (d->dead)
		return -ETIMEDOUT;
	// spec 2.4 / 4.2.2.1 / 4.1.4.3.2: writing 0 resets the device; the
	// driver must wait until the status reads back 0 before touching it
	// again, and until then the device may still use the rings.
	d->ops->set_status(d, 0);
	uint64_t deadline = time_now() + time_us_to_ticks(RESET_TIMEOUT_US);
	while (vdev_status(d) != 0) {
		if (time_now() > deadline) {
			kprintf("virtio: %s: reset did not finish in %d ms; device given up, "
			        "its memory kept\n",
			        d->name, RESET_TIMEOUT_US / 1000);
			vdev_fail(d);
			d->dead = true;
			return -ETIMEDOUT;
		}
	}
	return 0;
}

// Features no driver here implements, whatever a device driver asks for:
// in-order tricks, SR-IOV, notification data and queue reset. The packed
// ring is the virtqueue's to ask for (virtq_ring_features).
#define VIRTIO_NEVER_ACCEPTED                                                                      \
	(VIRTIO_BIT(VIRTIO_F_IN_ORDER) | VIRTIO_BIT(VIRTIO_F_ORDER_PLATFORM) |                     \
	 VIRTIO_BIT(VIRTIO_F_SR_IOV) | VIRTIO_BIT(VIRTIO_F_NOTIFICATION_DATA) |                    \
	 VIRTIO_BIT(VIRTIO_F_NOTIF_CONFIG_DATA) | VIRTIO_BIT(VIRTIO_F_RING_RESET))

// Features every driver accepts when offered, because accepting them
// costs nothing here. ACCESS_PLATFORM (6): the device goes through the
// platform's address translation; ours is the identity (virt_to_phys), so
// the addresses we give are right either way. ANY_LAYOUT (6.3): a legacy
// device lets us frame messages as we like; we already use the framing it
// would otherwise require.
#define VIRTIO_ALWAYS_ACCEPTED                                                                     \
	(VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM) | VIRTIO_BIT(VIRTIO_F_ANY_LAYOUT))

int vdev_init(struct virtio_dev *d, uint64_t wanted, uint64_t required)
{
	int err;

	// the ring layout is the virtqueue's choice, not the device driver's
	wanted = (wanted & ~VIRTIO_BIT(VIRTIO_F_RING_PACKED)) | virtq_ring_features();
	/* BEGIN LAB 2 SOLUTION */
	// 3.1.1 step 1: reset the device
	if ((err = vdev_reset(d)) < 0)
		return err;
	// step 2: we have noticed the device; step 3: we know how to drive it
	add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	add_status(d, VIRTIO_STATUS_DRIVER);

	// step 4: read the device's features and accept the ones we implement
	d->offered = d->ops->get_features(d);
	wanted |= VIRTIO_ALWAYS_ACCEPTED;
	if (!d->legacy) {
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
		kprintf("virtio: %s: device lacks required features\n", d->name);
		vdev_print_features("missing ", required & ~d->features, d->device_id);
		vdev_fail(d);
		return -ENOTSUP;
	}
	d->ops->set_features(d, d->features);

	if (!d->legacy) {
		// steps 5 and 6: FEATURES_OK, then read it back; a device that
		// cannot work with our subset clears it (spec 3.1.1 step 6)
		add_status(d, VIRTIO_STATUS_FEATURES_OK);
		if (!(vdev_status(d) & VIRTIO_STATUS_FEATURES_OK)) {
			kprintf("virtio: %s: device refused the features we accepted\n", d->name);
			vdev_print_features("refused", d->features, d->device_id);
			vdev_fail(d);
			return -ENOTSUP;
		}
		kprintf("virtio: %s: FEATURES_OK held\n", d->name);
	} else {
		// legacy devices have no FEATURES_OK (spec 3.1.2): the features
		// are final at DRIVER_OK
		kprintf("virtio: %s: legacy device: no FEATURES_OK step\n", d->name);
	}
	return vdev_check_needs_reset(d);
	/* END LAB 2 SOLUTION */
	/* BEGIN LAB 2 STUB
	// TODO(lab 2): reset, ACKNOWLEDGE, DRIVER, negotiate features and
	// FEATURES_OK. Read lab-guides/lab2-init.md, "Step 3: negotiating".
	(void)add_status;
	(void)d, (void)wanted, (void)required, (void)err;
	return -ENOSYS;
	END LAB 2 STUB */
}

// One pass over the field: each access as wide as the field allows.
static void config_read_once(struct virtio_dev *d, uint32_t off, uint8_t *out, size_t len)
{
	if ((len == 1 || len == 2 || len == 4) && off % len == 0) {
		uint32_t v = d->ops->config_read(d, off, (unsigned)len);
		memcpy(out, &v, len); // little-endian: the low bytes are the field
		return;
	}
	if (len == 8 && off % 4 == 0) {
		// a 64-bit field is two 32-bit halves, low first (4.2.2.2)
		uint32_t lo = d->ops->config_read(d, off, 4),
		         hi = d->ops->config_read(d, off + 4, 4);
		memcpy(out, &lo, 4);
		memcpy(out + 4, &hi, 4);
		return;
	}
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)d->ops->config_read(d, off + (uint32_t)i, 1);
}

int vdev_config_read(struct virtio_dev *d, uint32_t off, void *buf, size_t len)
{
	uint8_t again[8];

	if (len == 0 || len > 256)
		return -EINVAL;
	// spec 2.5.1: a field wider than one access can change between two
	// accesses. A modern device counts its changes (ConfigGeneration):
	// read until the count is the same before and after. A legacy device
	// has no counter, so read until two passes agree (spec 4.2.4 says
	// drivers must allow for this); fields wider than 8 bytes are only
	// read once there.
	for (int tries = 0; tries < CONFIG_RETRIES; tries++) {
		uint32_t gen = d->ops->config_generation(d);
		config_read_once(d, off, buf, len);
		if (d->legacy) {
			if (len > sizeof(again))
				return 0;
			config_read_once(d, off, again, len);
			if (memcmp(buf, again, len) == 0)
				return 0;
		} else if (gen == d->ops->config_generation(d)) {
			return 0;
		}
	}
	kprintf("virtio: %s: configuration kept changing while read\n", d->name);
	return -EPROTO;
}

int vdev_queue_setup(struct virtio_dev *d, struct virtq *vq, uint16_t index, uint16_t max_size)
{
	int err;

	/* BEGIN LAB 3 SOLUTION */
	// how big may the queue be? The transport also says if there is no
	// such queue (-ENOENT) or it is live already (-EBUSY)
	int max = d->ops->queue_max(d, index);
	if (max < 0)
		return max;
	// the split ring needs a power of two (spec 2.7); use the largest
	// one within both the device's limit and ours
	uint32_t num = 1;
	while (num * 2 <= (uint32_t)max && num * 2 <= max_size && num * 2 <= 32768)
		num *= 2;
	// a legacy PCI device has no register to shrink a queue: it has
	// exactly its own size, which the split ring needs a power of two
	if (d->fixed_queue_size) {
		if (max & (max - 1)) {
			kprintf("virtio: %s: queue %u has %d entries, not a power of two\n",
			        d->name, index, max);
			return -EINVAL;
		}
		num = (uint32_t)max;
	}

	// allocate and zero the rings, then give their addresses to the
	// device, which enables the queue
	err = virtq_alloc(vq, d, index, (uint16_t)num, vdev_has(d, VIRTIO_F_INDIRECT_DESC),
	                  vdev_has(d, VIRTIO_F_EVENT_IDX));
	if (err < 0) {
		kprintf("virtio: %s: no memory for a %u-entry queue\n", d->name, num);
		return err;
	}
	uint64_t desc, drv, dev;
	virtq_addrs(vq, &desc, &drv, &dev);
	if ((err = d->ops->queue_set(d, index, (uint16_t)num, desc, drv, dev)) < 0) {
		virtq_free(vq);
		return err;
	}
	if (vq->packed)
		kprintf("virtio: %s: queue %u: %u entries (device max %d), packed ring: desc %p "
		        "driver %p device %p\n",
		        d->name, index, num, max, (void *)desc, (void *)drv, (void *)dev);
	else
		kprintf(
		    "virtio: %s: queue %u: %u entries (device max %d), desc %p avail %p used %p\n",
		    d->name, index, num, max, (void *)desc, (void *)drv, (void *)dev);
	return 0;
	/* END LAB 3 SOLUTION */
	/* BEGIN LAB 3 STUB
	// TODO(lab 3): ask the transport for the queue's largest size, pick
	// ours, allocate the rings with virtq_alloc and give their addresses
	// to the transport. Read lab-guides/lab3-virtqueue.md, "Step 2:
	// telling the device".
	(void)d, (void)vq, (void)index, (void)max_size, (void)err;
	return -ENOSYS;
	END LAB 3 STUB */
}

void vdev_queue_release(struct virtio_dev *d, struct virtq *vq)
{
	// only after a reset: the device has forgotten the rings by then,
	// unless the reset never finished
	if (d->dead)
		return;
	virtq_free(vq);
}

void vdev_dma_free(struct virtio_dev *d, void *p, size_t bytes)
{
	if (!d->dead)
		dma_free(p, bytes);
}
