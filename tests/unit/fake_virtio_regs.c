// The register file of the fake virtio-mmio device (spec 4.2.2, 4.2.4),
// both layouts (version 1 legacy, version 2 modern), and the Status
// register's rules (spec 2.1, 3.1.1). Every access is checked against the
// spec: a register of the other layout, a queue register written before its
// time or of a live queue, a status bit cleared without a reset, each is a
// driver_bug. The device-specific configuration space is read here too,
// with the ConfigGeneration changes and torn reads a test asks for.
#include <stdint.h>

#include "fake_mmio.h"
#include "fake_virtio.h"
#include "fake_virtio_internal.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

// --- the status register (spec 2.1, 3.1.1) -------------------------------------

static void device_reset(struct fake_virtio *fv)
{
	fv->resets++;
	fv->status = 0;
	fv->dev_feat_sel = fv->drv_feat_sel = 0;
	fv->driver_features = 0;
	fv->drv_feat_written = 0;
	fv->features_accepted = false;
	fv->guest_page_size = 0;
	fv->queue_sel = 0;
	fv->int_status = 0;
	for (int i = 0; i < FV_QUEUES; i++)
		queue_reset(&fv->q[i]);
}

static bool features_acceptable(struct fake_virtio *fv)
{
	uint64_t offered = fv->version == 1 ? (uint32_t)fv->offered : fv->offered;

	if (fv->refuse_features_ok)
		return false;
	if (fv->driver_features & ~offered)
		return false; // accepted something never offered
	if (fv->version == 2 && !fv_has_feature(fv, VIRTIO_F_VERSION_1))
		return false; // a modern device cannot work in legacy mode here
	return !(fv->driver_features & fv->refuse_if_accepted);
}

static void write_status(struct fake_virtio *fv, uint32_t val)
{
	const uint32_t known = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                       VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |
	                       VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED;

	if (fv->nstatus_log < FV_STATUS_LOG)
		fv->status_log[fv->nstatus_log++] = val;
	if (val == 0) {
		bool stuck = fv->reset_stuck;
		uint32_t old = fv->status;
		device_reset(fv);
		if (stuck || fv->reset_reads) {
			// the old status stays visible until the reset is done
			fv->reset_pending = true;
			fv->reset_reads_left = fv->reset_reads;
			fv->status = old ? old : VIRTIO_STATUS_ACKNOWLEDGE;
		}
		return;
	}
	// giving up on a device whose reset never finishes (spec 2.1.1:
	// FAILED may be set at any time) is the one write allowed meanwhile
	if (fv->reset_pending && !(val & VIRTIO_STATUS_FAILED)) {
		driver_bug(fv, "Status written (0x%x) before the reset finished", val);
		return;
	}
	uint32_t old = fv->status, added = val & ~old;
	if (val & ~known)
		driver_bug(fv, "unknown status bits 0x%x", val & ~known);
	if (old & ~val & ~(uint32_t)VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		driver_bug(fv, "status bits 0x%x cleared without a reset (0x%x -> 0x%x)",
		           old & ~val, old, val);
	if (added & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		driver_bug(fv, "the driver set DEVICE_NEEDS_RESET");
	if ((added & VIRTIO_STATUS_DRIVER) && !(val & VIRTIO_STATUS_ACKNOWLEDGE))
		driver_bug(fv, "DRIVER without ACKNOWLEDGE");
	fv->status = (val & known & ~(uint32_t)VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
	             (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if (added & fv->needs_reset_on_status)
		fake_virtio_set_needs_reset(fv);
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		fv->features_ok_written = true;
		if (fv->version == 1)
			driver_bug(fv, "FEATURES_OK written to a legacy device");
		if (!(val & VIRTIO_STATUS_DRIVER))
			driver_bug(fv, "FEATURES_OK without DRIVER");
		if (fv->drv_feat_written != 3)
			driver_bug(fv, "FEATURES_OK before both DriverFeatures words were written");
		if (fv->version == 2 && features_acceptable(fv))
			fv->features_accepted = true;
		else
			fv->status &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	if (added & VIRTIO_STATUS_DRIVER_OK) {
		if (!(val & VIRTIO_STATUS_DRIVER))
			driver_bug(fv, "DRIVER_OK without DRIVER");
		if (fv->version == 2 && !fv->features_accepted)
			driver_bug(fv, "DRIVER_OK without FEATURES_OK accepted");
		if (fv->version == 1) {
			// the legacy device learns the final features here
			uint64_t offered = (uint32_t)fv->offered;
			if (fv->driver_features & ~offered)
				driver_bug(fv, "driver accepted features 0x%lx never offered",
				           (unsigned long)(fv->driver_features & ~offered));
			fv->features_accepted = true;
		}
		if (val & VIRTIO_STATUS_FAILED)
			driver_bug(fv, "DRIVER_OK together with FAILED");
	}
}

static uint32_t read_status(struct fake_virtio *fv)
{
	if (fv->reset_pending) {
		if (fv->reset_stuck || fv->reset_reads_left-- > 0)
			return fv->status;
		fv->reset_pending = false;
		fv->status = 0;
	}
	if (fv->features_ok_written)
		fv->status_reads_after_fok++;
	return fv->status;
}

// --- the register file (spec 4.2.2, 4.2.4) -----------------------------------

static bool modern_only(struct fake_virtio *fv, uint32_t off)
{
	if (fv->version == 2)
		return true;
	driver_bug(fv, "register 0x%03x does not exist on a legacy device", off);
	return false;
}

static bool legacy_only(struct fake_virtio *fv, uint32_t off)
{
	if (fv->version == 1)
		return true;
	driver_bug(fv, "register 0x%03x is legacy-only, this device is modern", off);
	return false;
}

static struct fv_queue *cur_queue(struct fake_virtio *fv)
{
	return fv->queue_sel < FV_QUEUES ? &fv->q[fv->queue_sel] : NULL;
}

static uint8_t config_byte(struct fake_virtio *fv, uint32_t off)
{
	// each change of the generation happens during some read of the
	// configuration, at most once between two reads of ConfigGeneration
	if (fv->config_changes && !fv->config_bumped) {
		fv->config_changes--;
		fv->config_gen++;
		fv->config_bumped = true;
	}
	return off < FV_CONFIG_BYTES ? fv->config[off] : 0;
}

static uint32_t dev_read32(void *dev, uint32_t off)
{
	struct fake_virtio *fv = dev;
	struct fv_queue *q = cur_queue(fv);

	if (off >= VIRTIO_MMIO_CONFIG) {
		uint32_t v = 0;
		for (int i = 0; i < 4; i++)
			v |= (uint32_t)config_byte(fv, off - VIRTIO_MMIO_CONFIG + i) << (8 * i);
		fv->config_reads[4]++;
		// a field caught mid-update: what a legacy driver, which has no
		// generation counter, must read twice to notice
		if (fv->config_torn_reads > 0)
			v ^= (uint32_t)fv->config_torn_reads--; // a different value each time
		return v;
	}
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return fv->version;
	case VIRTIO_MMIO_DEVICE_ID: return fv->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return fv->vendor_id;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (fv->version == 1)
			return fv->dev_feat_sel == 0 ? (uint32_t)fv->offered : 0;
		if (fv->dev_feat_sel > 1)
			return 0;
		return (uint32_t)(fv->offered >> (32 * fv->dev_feat_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		if (q && q->live)
			driver_bug(fv, "QueueNumMax read of live queue %u", fv->queue_sel);
		return q ? q->num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return modern_only(fv, off) && q ? q->ready : 0;
	case VIRTIO_MMIO_QUEUE_PFN: return legacy_only(fv, off) && q ? q->pfn : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return fv->int_status;
	case VIRTIO_MMIO_STATUS: return read_status(fv);
	case VIRTIO_MMIO_CONFIG_GENERATION:
		if (!modern_only(fv, off))
			return 0;
		fv->gen_reads++;
		fv->config_bumped = false;
		return fv->config_gen;
	}
	driver_bug(fv, "read of write-only or unknown register 0x%03x", off);
	return 0;
}

static void set_low(uint64_t *v, uint32_t lo)
{
	*v = (*v & ~0xffffffffULL) | lo;
}

static void set_high(uint64_t *v, uint32_t hi)
{
	*v = (*v & 0xffffffffULL) | (uint64_t)hi << 32;
}

static void queue_write(struct fake_virtio *fv, uint32_t off, uint32_t val)
{
	struct fv_queue *q = cur_queue(fv);

	if (!q) {
		driver_bug(fv, "queue register 0x%03x written for queue %u, which does not exist",
		           off, fv->queue_sel);
		return;
	}
	if (!(fv->status & VIRTIO_STATUS_DRIVER) || (fv->version == 2 && !fv->features_accepted)) {
		driver_bug(fv, "queue register 0x%03x written before %s", off,
		           fv->version == 2 ? "FEATURES_OK" : "DRIVER");
		return;
	}
	if (q->live && off != VIRTIO_MMIO_QUEUE_READY && off != VIRTIO_MMIO_QUEUE_PFN) {
		driver_bug(fv, "register 0x%03x of live queue %u written", off, fv->queue_sel);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM: q->num = val; return;
	case VIRTIO_MMIO_QUEUE_ALIGN:
		if (legacy_only(fv, off))
			q->align = val;
		return;
	case VIRTIO_MMIO_QUEUE_PFN:
		if (!legacy_only(fv, off))
			return;
		if (val == 0) {
			queue_reset(q); // legacy: writing 0 stops the queue
			return;
		}
		if (q->live) {
			driver_bug(fv, "QueuePFN of live queue %u rewritten", fv->queue_sel);
			return;
		}
		if (fv->guest_page_size == 0 || (fv->guest_page_size & (fv->guest_page_size - 1)) ||
		    q->align == 0 || (q->align & (q->align - 1))) {
			driver_bug(
			    fv,
			    "QueuePFN before a power-of-two GuestPageSize (%u) and QueueAlign (%u)",
			    fv->guest_page_size, q->align);
			return;
		}
		q->pfn = val;
		// spec 2.7.2 (legacy layout): descriptors, available ring (with
		// used_event), padding to QueueAlign, used ring
		q->desc_addr = (uint64_t)val * fv->guest_page_size;
		q->avail_addr = q->desc_addr + 16ULL * q->num;
		q->used_addr =
		    (q->avail_addr + 6 + 2ULL * q->num + q->align - 1) & ~(uint64_t)(q->align - 1);
		queue_go_live(fv, q);
		return;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!modern_only(fv, off))
			return;
		if (val == 0) {
			queue_drop(q);
			q->ready = 0;
			return;
		}
		if (q->live)
			return;
		q->ready = 1;
		q->desc_addr = q->desc;
		q->avail_addr = q->driver;
		q->used_addr = q->device;
		queue_go_live(fv, q);
		if (!q->live)
			q->ready = 0;
		return;
	}
	if (!modern_only(fv, off))
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW: set_low(&q->desc, val); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_high(&q->desc, val); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW: set_low(&q->driver, val); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: set_high(&q->driver, val); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW: set_low(&q->device, val); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: set_high(&q->device, val); break;
	}
}

static void dev_write32(void *dev, uint32_t off, uint32_t val)
{
	struct fake_virtio *fv = dev;

	if (off >= VIRTIO_MMIO_CONFIG) {
		for (int i = 0; i < 4; i++)
			if (off - VIRTIO_MMIO_CONFIG + i < FV_CONFIG_BYTES)
				fv->config[off - VIRTIO_MMIO_CONFIG + i] =
				    (uint8_t)(val >> (8 * i));
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: fv->dev_feat_sel = val; return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: fv->drv_feat_sel = val; return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (!(fv->status & VIRTIO_STATUS_DRIVER))
			driver_bug(fv, "DriverFeatures written before DRIVER");
		if (fv->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK))
			driver_bug(fv, "DriverFeatures written after FEATURES_OK/DRIVER_OK");
		if (fv->version == 1 && fv->drv_feat_sel != 0) {
			// as QEMU: -d guest_errors logs it ("guest_features_sel > 0
			// in legacy mode"); a legacy device has bits 0-31 only
			driver_bug(fv,
			           "DriverFeatures word %u written on a legacy device, which has "
			           "only word 0",
			           fv->drv_feat_sel);
			return;
		}
		if (fv->drv_feat_sel > 1) {
			if (val)
				driver_bug(fv, "DriverFeatures word %u = 0x%x: no such features",
				           fv->drv_feat_sel, val);
			return;
		}
		if (fv->drv_feat_sel == 0)
			set_low(&fv->driver_features, val);
		else
			set_high(&fv->driver_features, val);
		fv->drv_feat_written |= 1U << fv->drv_feat_sel;
		return;
	case VIRTIO_MMIO_GUEST_PAGE_SIZE:
		if (legacy_only(fv, off))
			fv->guest_page_size = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL: fv->queue_sel = val; return;
	case VIRTIO_MMIO_QUEUE_NOTIFY: queue_notify(fv, val); return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		if (val & ~(uint32_t)VIRTIO_ISR_MASK)
			driver_bug(fv, "InterruptACK with undefined bits 0x%x", val);
		fv->last_int_ack = val;
		fv->int_status &= ~val;
		return;
	case VIRTIO_MMIO_STATUS: write_status(fv, val); return;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_ALIGN:
	case VIRTIO_MMIO_QUEUE_PFN:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: queue_write(fv, off, val); return;
	}
	driver_bug(fv, "write of read-only or unknown register 0x%03x (0x%x)", off, val);
}

static uint8_t dev_read8(void *dev, uint32_t off)
{
	struct fake_virtio *fv = dev;

	if (off < VIRTIO_MMIO_CONFIG) {
		driver_bug(fv, "8-bit read of register 0x%03x", off);
		return 0;
	}
	fv->config_reads[1]++;
	return config_byte(fv, off - VIRTIO_MMIO_CONFIG);
}

static uint16_t dev_read16(void *dev, uint32_t off)
{
	struct fake_virtio *fv = dev;

	if (off < VIRTIO_MMIO_CONFIG) {
		driver_bug(fv, "16-bit read of register 0x%03x", off);
		return 0;
	}
	fv->config_reads[2]++;
	return (uint16_t)(config_byte(fv, off - VIRTIO_MMIO_CONFIG) |
	                  config_byte(fv, off - VIRTIO_MMIO_CONFIG + 1) << 8);
}

static void dev_write8(void *dev, uint32_t off, uint8_t val)
{
	struct fake_virtio *fv = dev;

	if (off < VIRTIO_MMIO_CONFIG) {
		driver_bug(fv, "8-bit write of register 0x%03x", off);
		return;
	}
	if (off - VIRTIO_MMIO_CONFIG < FV_CONFIG_BYTES)
		fv->config[off - VIRTIO_MMIO_CONFIG] = val;
}

const struct fake_slot_ops fv_mmio_ops = {.read32 = dev_read32,
                                          .write32 = dev_write32,
                                          .read16 = dev_read16,
                                          .read8 = dev_read8,
                                          .write8 = dev_write8};
