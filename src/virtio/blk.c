// virtio-blk (spec 5.2): finding the devices, bringing each up (3.1.1 with
// this device's features and configuration), taking it down, and starting
// it again after a failure. The request path is blk_req.c; what `blk`
// prints is blk_info.c. A request is a chain of three or more buffers:
//
//   header (16 bytes, device reads)  type, reserved, sector
//   data   (len bytes)               device writes it for IN, reads it for OUT
//   status (1 byte, device writes)   OK, IOERR or UNSUPP
//
// The data is the caller's own memory (zero copy), in one descriptor, or
// several when the device limits a segment's size (size_max).
#include "console.h"
#include "errno.h"
#include "fdt.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/blk_state.h"
#include "virtio/virtio.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_SPIN_US    0          // blk_spin_us=N: spin first (hybrid polling)
#define DEFAULT_MAX_REQ    (1U << 20) // bytes per request when the device sets no limit
#define VBLK_DEVICES       16         // disks the driver takes; more are listed, not used

static struct vblk vblks[VBLK_DEVICES];
static int nvblks;
struct vblk_mode vblk_mode;

static const uint64_t vblk_wanted =
    VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
    VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) |
    VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_RO) |
    VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

#define CONFIG_FIELD(d, field, out)                                                                \
	vdev_config_read(d, offsetof(struct virtio_blk_config, field), out, sizeof(*(out)))

// How much data one request carries (spec 5.2.4-5.2.6): the boot
// argument's limit, and with SIZE_MAX each data descriptor holds at most
// size_max bytes, up to seg_max of them (and VBLK_MAX_SEGS of ours).
// Worked examples, with a 512-byte block and blk_max_kib=1024:
//   no SIZE_MAX                      -> one segment, requests of 1 MiB
//   size_max 65536, seg_max 126      -> 6 segments of 64 KiB: 384 KiB
//   size_max 256, seg_max 2          -> 2 segments of 256: one 512-byte block
//   size_max 256, seg_max 1          -> no block fits: the device is refused
static int set_limits(struct vblk *v)
{
	struct virtio_dev *d = v->dev;
	uint32_t size_max = 0, seg_max = 0;
	// at most 64 MiB (bootarg.c's range): far beyond any gain
	uint64_t limit = bootarg_u64("blk_max_kib", DEFAULT_MAX_REQ / 1024) * 1024;
	int err;

	if (vdev_has(d, VIRTIO_BLK_F_SIZE_MAX) && (err = CONFIG_FIELD(d, size_max, &size_max)) < 0)
		return err;
	if (vdev_has(d, VIRTIO_BLK_F_SEG_MAX) && (err = CONFIG_FIELD(d, seg_max, &seg_max)) < 0)
		return err;
	v->max_segs = 1;
	v->seg_size = (uint32_t)limit;
	if (size_max) {
		// a device that limits segments may take several of them
		v->max_segs =
		    seg_max ? (seg_max < VBLK_MAX_SEGS ? (uint16_t)seg_max : VBLK_MAX_SEGS) : 1;
		v->seg_size = size_max;
		if ((uint64_t)size_max * v->max_segs < limit)
			limit = (uint64_t)size_max * v->max_segs;
	}
	v->max_req = (uint32_t)(limit - limit % v->blk_size);
	if (v->max_req == 0) {
		kprintf("virtio-blk: %s: size_max %u and seg_max %u cannot carry one %u-byte "
		        "block\n",
		        d->name, size_max, seg_max, v->blk_size);
		return -ENOTSUP;
	}
	// the segments one largest request needs
	v->max_segs = (uint16_t)((v->max_req + v->seg_size - 1) / v->seg_size);
	return 0;
}

// Read the configuration (spec 5.2.4) and believe none of it unchecked.
static int read_config(struct vblk *v)
{
	struct virtio_dev *d = v->dev;
	uint32_t bs;
	int err;

	if ((err = CONFIG_FIELD(d, capacity, &v->capacity)) < 0)
		return err;
	v->blk_size = SECTOR_SIZE;
	if (vdev_has(d, VIRTIO_BLK_F_BLK_SIZE) && (err = CONFIG_FIELD(d, blk_size, &bs)) == 0) {
		if (bs >= SECTOR_SIZE && bs <= 65536 && !(bs & (bs - 1)))
			v->blk_size = bs;
		else
			kprintf("virtio-blk: ignoring block size %u (not a power of two in "
			        "512..64K)\n",
			        bs);
	}
	if (err < 0)
		return err;
	v->read_only = vdev_has(d, VIRTIO_BLK_F_RO);
	v->flush = vdev_has(d, VIRTIO_BLK_F_FLUSH);
	return set_limits(v);
}

// Spec 3.1.1 in full for this device: init, queue 0, request slots,
// DRIVER_OK. Used at probe time and again after a reset.
static int vblk_start(struct vblk *v)
{
	struct virtio_dev *d = v->dev;
	uint64_t wanted = vblk_wanted;
	int err;

	if (bootarg_is_off("indirect"))
		wanted &= ~VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (bootarg_is_off("event_idx"))
		wanted &= ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if ((err = vdev_init(d, wanted, 0)) < 0)
		return err;
	if ((err = read_config(v)) < 0)
		goto fail;
	// vq_size=N caps the queue; 0 means the default. bootarg.c takes no
	// more than the split ring's largest size (spec 2.7: 32768)
	uint64_t qmax = bootarg_u64("vq_size", VIRTQ_DEFAULT_SIZE);
	qmax = qmax == 0 ? VIRTQ_DEFAULT_SIZE : qmax;
	if ((err = vdev_queue_setup(d, &v->vq, 0, (uint16_t)qmax)) < 0)
		goto fail;
	// legacy PCI has no register to resize a queue (spec 4.1.4.8): a
	// vq_size the user gave is not obeyed there, which is said once
	static bool said_fixed;
	if (d->fixed_queue_size && qmax != VIRTQ_DEFAULT_SIZE && v->vq.num > qmax && !said_fixed) {
		said_fixed = true;
		kprintf("virtio-blk: %s: a legacy PCI queue has the device's own size (%u "
		        "entries); vq_size=%lu does not apply to it\n",
		        d->name, v->vq.num, (unsigned long)qmax);
	}
	// a request takes header + data segments + status ring entries, or
	// one with indirect descriptors, whose table may still not be longer
	// than the queue (spec 2.7.5.3.1). bootarg.c refuses a vq_size below
	// 4, so only a device's own small maximum, or many segments, end here.
	uint16_t per_req = (uint16_t)(2 + v->max_segs);
	v->nslots = v->vq.use_indirect ? v->vq.num : (uint16_t)(v->vq.num / per_req);
	if (v->vq.num < per_req) {
		kprintf("virtio-blk: a %u-entry queue cannot hold a %u-descriptor request (spec "
		        "2.7.5.3.1: no chain may be longer than the queue%s)\n",
		        v->vq.num, per_req,
		        v->vq.use_indirect ? ", an indirect table's entries included" : "");
		err = -ENOSPC;
		goto fail_queue;
	}
	v->slot_bytes =
	    (sizeof(struct vblk_slot) + sizeof(struct vblk_io *) + sizeof(uint16_t)) * v->nslots;
	v->slot_mem = dma_alloc(v->slot_bytes);
	if (!v->slot_mem) {
		kprintf("virtio-blk: no memory for %u request slots\n", v->nslots);
		err = -ENOMEM;
		goto fail_queue;
	}
	v->slots = v->slot_mem;
	v->slot_io = (struct vblk_io **)(v->slots + v->nslots);
	v->free_slots = (uint16_t *)(v->slot_io + v->nslots);
	v->in_flight = 0;
	// every slot free, slot 0 on top: a request takes the slot on top and
	// its completion puts it back there, so finding a free slot is one
	// step however many are in flight and in whatever order they finish
	v->nfree = v->nslots;
	for (uint16_t i = 0; i < v->nslots; i++)
		v->free_slots[i] = (uint16_t)(v->nslots - 1 - i);
	// one chain per slot, kept built (virtq.h, slot mode)
	if ((err = virtq_slots_init(&v->vq, v->nslots, v->max_segs)) < 0 ||
	    (err = vblk_slots_build(v)) < 0) {
		kprintf("virtio-blk: cannot keep a chain per request slot: %s\n", errstr(err));
		goto fail_slots;
	}
	// pure interrupt mode asks for one per completion; polling and hybrid
	// mode ask only when a waiter is about to sleep (blk_req.c)
	virtq_enable_interrupts(&v->vq, !vblk_mode.polling && vblk_mode.spin_ticks == 0);
	// 3.1.1 step 8: the driver is ready
	vdev_driver_ok(d);
	if ((err = vdev_check_needs_reset(d)) < 0)
		goto fail_slots;
	return 0;

fail_slots:
	vdev_reset(d);
	vdev_dma_free(d, v->slot_mem, v->slot_bytes);
	v->slot_mem = 0;
	goto fail_released;
fail_queue:
	vdev_reset(d);
fail_released:
	vdev_queue_release(d, &v->vq);
fail:
	vdev_fail(d);
	return err;
}

// Reset first: after it the device touches neither the rings nor the
// request slots, so they may be freed. If the reset never finishes, the
// device is dead and both are kept (vdev_dma_free, vdev_queue_release).
static void vblk_stop(struct vblk *v)
{
	vdev_reset(v->dev);
	if (v->slot_mem)
		vdev_dma_free(v->dev, v->slot_mem, v->slot_bytes);
	v->slot_mem = 0;
	vdev_queue_release(v->dev, &v->vq);
}

int vblk_recover(struct vblk *v, int why)
{
	v->needs_reset = false;
	for (uint16_t i = 0; i < v->nslots; i++) {
		if (v->slot_io[i]) {
			v->slot_io[i]->result = why;
			v->slot_io[i] = 0;
		}
	}
	v->resets++;
	kprintf("virtio-blk: resetting the device (%s)\n", errstr(why));
	vblk_stop(v);
	int err = vblk_start(v);
	if (err < 0) {
		kprintf("virtio-blk: device did not come back: %s\n", errstr(err));
		v->present = false;
	}
	return why;
}

void vblk_config_changed(struct vblk *v)
{
	uint64_t cap;

	// spec 5.2.6.1 (after 4.x's generation loop): the capacity may have
	// changed, e.g. QEMU's block_resize
	if (CONFIG_FIELD(v->dev, capacity, &cap) < 0 || cap == v->capacity)
		return;
	kprintf("virtio-blk: %s: capacity changed from %lu to %lu sectors\n", v->id,
	        (unsigned long)v->capacity, (unsigned long)cap);
	v->capacity = cap;
	v->bdev.sectors = cap;
	v->bdev.writes++; // caches forget what they hold
}

static int vblk_read(struct blkdev *bd, uint64_t sector, void *buf, size_t len)
{
	return vblk_rw(bd->priv, VIRTIO_BLK_T_IN, sector, buf, len);
}

static int vblk_write(struct blkdev *bd, uint64_t sector, const void *buf, size_t len)
{
	/* BEGIN LAB 5 SOLUTION */
	return vblk_rw(bd->priv, VIRTIO_BLK_T_OUT, sector, (void *)buf, len);
	/* END LAB 5 SOLUTION */
	/* BEGIN LAB 5 STUB
	// TODO(lab 5): send an OUT request. Read lab-guides/lab5-write.md,
	// "Step 1: writing".
	(void)bd, (void)sector, (void)buf, (void)len;
	return -ENOSYS;
	END LAB 5 STUB */
}

static int vblk_flush(struct blkdev *bd)
{
	struct vblk *v = bd->priv;

	/* BEGIN LAB 5 SOLUTION */
	// a device that did not offer VIRTIO_BLK_F_FLUSH has no flush request
	// to send; it promises nothing more (spec 5.2.6.2), and QEMU always
	// offers it, so this is for other devices
	if (!v->flush)
		return 0;
	struct vblk_io io = {VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0};
	return vblk_run(v, &io, 1, 1);
	/* END LAB 5 SOLUTION */
	/* BEGIN LAB 5 STUB
	// TODO(lab 5): send a FLUSH request. Read lab-guides/lab5-write.md,
	// "Step 2: flushing".
	(void)v;
	return -ENOSYS;
	END LAB 5 STUB */
}

static const struct blkdev_ops vblk_ops = {vblk_read, vblk_write, vblk_flush};

// The serial number, if the device will tell (GET_ID is optional).
static void read_serial(struct vblk *v)
{
	struct vblk_io id = {VIRTIO_BLK_T_GET_ID, 0, v->serial, VIRTIO_BLK_ID_BYTES, 0};

	if (vblk_run(v, &id, 1, 1) < 0 || v->serial[0] == '\0')
		memcpy(v->serial, "(none)", 7);
	v->serial[VIRTIO_BLK_ID_BYTES] = '\0';
	for (char *c = v->serial; *c; c++)
		if (*c < ' ' || *c > '~')
			*c = '?'; // untrusted bytes, printed raw
}

static int probe_one(struct vblk *v, struct virtio_dev *d)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->dev = d;
	ksnprintf(v->id, sizeof(v->id), "vd%c", 'a' + nvblks);
	ksnprintf(v->desc, sizeof(v->desc), "virtio-blk (%s)", d->name);
	kprintf("virtio-blk: %s, %s transport\n", d->name, vdev_transport(d));
	if ((err = vblk_start(v)) < 0) {
		kprintf("virtio-blk: %s: initialisation failed: %s\n", d->name, errstr(err));
		return err;
	}
	v->present = true;
	kprintf("virtio-blk: capacity %lu sectors (%lu KiB), block size %u, max request %u "
	        "bytes%s%s\n",
	        (unsigned long)v->capacity, (unsigned long)(v->capacity / 2), v->blk_size,
	        v->max_req, v->read_only ? ", read-only" : "", v->flush ? ", flush" : "");
	kprintf("virtio: %s: DRIVER_OK, status 0x%x\n", d->name, vdev_status(d));
	read_serial(v);
	if (!v->present) // lost while asking: the reset in vblk_recover failed
		return -ENODEV;
	kprintf("virtio-blk: serial \"%s\"\n", v->serial);
	v->bdev = (struct blkdev){.name = v->desc,
	                          .id = v->id,
	                          .sectors = v->capacity,
	                          .block_size = v->blk_size,
	                          .read_only = v->read_only,
	                          .ops = &vblk_ops,
	                          .priv = v};
	blk_register(&v->bdev);
	return 0;
}

int vblk_probe(void)
{
	int first_err = -ENODEV;

	vblk_remove();
	vblk_mode.polling = true; // until lab 7's interrupt path is switched on
	vblk_mode.irqs_ready = false;
	vblk_mode.timeout_ticks =
	    time_us_to_ticks(bootarg_u64("blk_timeout_ms", DEFAULT_TIMEOUT_MS) * 1000);
	vblk_mode.spin_ticks = time_us_to_ticks(bootarg_u64("blk_spin_us", DEFAULT_SPIN_US));
	int found = 0;
	for (struct virtio_dev *d = virtio_dev_next(VIRTIO_ID_BLOCK, 0); d;
	     d = virtio_dev_next(VIRTIO_ID_BLOCK, d)) {
		found++;
		if (nvblks == VBLK_DEVICES) {
			kprintf("virtio-blk: %s: more than %d disks; this one is not used\n",
			        d->name, VBLK_DEVICES);
			ksnprintf(d->use, sizeof(d->use), "not used: more than %d disks",
			          VBLK_DEVICES);
			continue;
		}
		d->claimed = true;
		int err = probe_one(&vblks[nvblks], d);
		if (err == 0) {
			ksnprintf(d->use, sizeof(d->use), "driven by virtio-blk %s",
			          vblks[nvblks].id);
			nvblks++;
		} else {
			ksnprintf(d->use, sizeof(d->use), "virtio-blk failed to start it");
			if (first_err == -ENODEV)
				first_err = err;
		}
	}
	if (nvblks == 0 && found == 0)
		kprintf("virtio-blk: no block device found\n");
	else if (nvblks == 0)
		// the caller falls back to the built-in ramdisk: nobody must take
		// its sample files for the disk they attached
		kprintf("virtio-blk: %d disk%s found, none could be started (see above): %s NOT "
		        "in use\n",
		        found, found == 1 ? "" : "s", found == 1 ? "it is" : "they are");
	return nvblks ? 0 : first_err;
}

struct vblk *vblk_next(struct vblk *prev)
{
	int i = prev ? (int)(prev - vblks) + 1 : 0;

	return i < nvblks ? &vblks[i] : 0;
}

struct vblk *vblk_of(struct blkdev *bd)
{
	return bd && bd->ops == &vblk_ops ? bd->priv : 0;
}

struct blkdev *vblk_blkdev(struct vblk *v)
{
	return v ? &v->bdev : 0;
}

bool vblk_present(struct vblk *v)
{
	return v && v->present;
}

int vblk_lose_notify(struct vblk *v, unsigned nth)
{
	if (!vblk_present(v))
		return -ENODEV;
	vdev_lose_notify(v->dev, nth);
	return 0;
}

int vblk_irq(struct vblk *v)
{
	return vblk_present(v) && v->dev->irq >= 0 ? v->dev->irq : -ENODEV;
}

void vblk_remove(void)
{
	for (int i = 0; i < nvblks; i++) {
		if (vblks[i].present)
			vblk_stop(&vblks[i]);
		blk_unregister(&vblks[i].bdev);
		vblks[i].present = false;
	}
	nvblks = 0;
}

void vblk_irqs_ready(void)
{
	vblk_mode.irqs_ready = true;
}

void vblk_set_polling(bool poll)
{
	vblk_mode.polling = poll || !vblk_mode.irqs_ready;
	for (int i = 0; i < nvblks; i++)
		if (vblks[i].present)
			virtq_enable_interrupts(&vblks[i].vq,
			                        !vblk_mode.polling && vblk_mode.spin_ticks == 0);
}

bool vblk_polling(void)
{
	return vblk_mode.polling;
}

void vblk_set_timeout_ms(uint32_t ms)
{
	vblk_mode.timeout_ticks = time_us_to_ticks((uint64_t)ms * 1000);
}

void vblk_interrupt(void *arg)
{
	struct vblk *v = arg;

	if (!vblk_present(v))
		return;
	// reading the interrupt status also acknowledges it; 0 means the
	// (possibly shared) source was raised by another device
	uint32_t bits = vdev_ack_interrupt(v->dev);
	if (!bits)
		return;
	v->irqs++;
	if (bits & VIRTIO_ISR_VQ)
		v->irq_completions++;
	if (bits & VIRTIO_ISR_CONFIG) {
		// a broken device says so with a configuration interrupt and
		// DEVICE_NEEDS_RESET (spec 2.1.2); the waiter then resets it
		// instead of waiting out its timeout
		if (vdev_check_needs_reset(v->dev) < 0)
			v->needs_reset = true;
		else
			vblk_config_changed(v);
	}
}
