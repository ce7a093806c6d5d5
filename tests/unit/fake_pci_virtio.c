// Virtio PCI functions over the fake virtio-mmio device: each PCI register
// access becomes the virtio-mmio register access with the same meaning,
// so fake_virtio.c checks the driver's every step on PCI too. Layouts as
// QEMU builds them (hw/virtio/virtio-pci.c): modern structures in a 16 KiB
// 64-bit prefetchable BAR 4 (common +0, ISR +0x1000, device +0x2000,
// notify +0x3000), legacy registers in a 64-byte I/O BAR 0.
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fake_mmio.h"
#include "fake_pci.h"
#include "fake_virtio.h"
#include "hw/mmio.h"
#include "pci/pci.h"
#include "virtio/mmio_regs.h"
#include "virtio/pci_regs.h"

#define COMMON_OFF 0x0000
#define ISR_OFF    0x1000
#define DEVICE_OFF 0x2000
#define NOTIFY_OFF 0x3000
#define MODERN_BAR 4

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)
#define LG(field) offsetof(struct virtio_pci_legacy, field)

static void fn_error(struct fake_pci_fn *f, const char *what, uint32_t off, unsigned width)
{
	if (f->errors++ == 0)
		snprintf(f->error, sizeof(f->error), "%s (offset 0x%x, %u bytes)", what, off,
		         width);
}

// A notify makes the device read the rings: a real function does that by
// DMA, which its Command register allows only with bus mastering on.
static void check_master(struct fake_pci_fn *f, uint32_t off, unsigned width)
{
	if (!(fake_pci_command(f) & PCI_CMD_MASTER))
		fn_error(f, "queue notified with bus mastering off: the device could not read it",
		         off, width);
}

static uint32_t mm_read(struct fake_pci_fn *f, uint32_t reg)
{
	return host_mmio_read32(f->fv_base + reg);
}

static void mm_write(struct fake_pci_fn *f, uint32_t reg, uint32_t v)
{
	host_mmio_write32(f->fv_base + reg, v);
}

// The device configuration, byte by byte, little-endian.
static uint32_t config_get(struct fake_pci_fn *f, uint32_t off, unsigned width)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < width; i++)
		v |= (uint32_t)host_mmio_read8(f->fv_base + VIRTIO_MMIO_CONFIG + off + i)
		     << (8 * i);
	return v;
}

static void config_put(struct fake_pci_fn *f, uint32_t off, unsigned width, uint32_t v)
{
	for (unsigned i = 0; i < width; i++)
		host_mmio_write8(f->fv_base + VIRTIO_MMIO_CONFIG + off + i,
		                 (uint8_t)(v >> (8 * i)));
}

static uint32_t isr_read(struct fake_pci_fn *f)
{
	uint32_t v = mm_read(f, VIRTIO_MMIO_INTERRUPT_STATUS);

	// reading the ISR acknowledges (4.1.4.5)
	if (v)
		mm_write(f, VIRTIO_MMIO_INTERRUPT_ACK, v);
	return v;
}

// The common configuration: each field only at its own width.
static unsigned common_width(uint32_t off)
{
	if (off < CC(config_msix_vector) || off >= CC(queue_desc))
		return 4;
	if (off == CC(device_status) || off == CC(config_generation))
		return 1;
	return 2;
}

static uint32_t common_read(struct fake_pci_fn *f, uint32_t off)
{
	uint32_t sel = f->queue_sel % 8;

	switch (off) {
	case CC(device_feature_select): return 0; // write-only in our model
	case CC(device_feature): return mm_read(f, VIRTIO_MMIO_DEVICE_FEATURES);
	case CC(num_queues): return FV_QUEUES;
	case CC(device_status): return mm_read(f, VIRTIO_MMIO_STATUS);
	case CC(config_generation): return mm_read(f, VIRTIO_MMIO_CONFIG_GENERATION);
	case CC(queue_select): return sel;
	case CC(queue_size):
		return f->queue_size[sel] ? f->queue_size[sel]
		                          : mm_read(f, VIRTIO_MMIO_QUEUE_NUM_MAX);
	case CC(queue_enable): return mm_read(f, VIRTIO_MMIO_QUEUE_READY);
	case CC(queue_notify_off): return sel; // queue q notifies at q * multiplier
	case CC(config_msix_vector):
	case CC(queue_msix_vector): return 0xffff; // VIRTIO_MSI_NO_VECTOR
	}
	fn_error(f, "read of a write-only or unknown common field", off, 0);
	return 0;
}

static void common_write(struct fake_pci_fn *f, uint32_t off, uint32_t v)
{
	uint32_t sel = f->queue_sel % 8;

	switch (off) {
	case CC(device_feature_select): mm_write(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, v); return;
	case CC(driver_feature_select): mm_write(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, v); return;
	case CC(driver_feature): mm_write(f, VIRTIO_MMIO_DRIVER_FEATURES, v); return;
	case CC(device_status):
		if (v == 0)
			memset(f->queue_size, 0, sizeof(f->queue_size));
		mm_write(f, VIRTIO_MMIO_STATUS, v);
		return;
	case CC(queue_select):
		f->queue_sel = v;
		mm_write(f, VIRTIO_MMIO_QUEUE_SEL, v);
		return;
	case CC(queue_size):
		f->queue_size[sel] = v;
		mm_write(f, VIRTIO_MMIO_QUEUE_NUM, v);
		return;
	case CC(queue_enable):
		if (v != 1)
			fn_error(f, "queue_enable written with something other than 1", off, 2);
		mm_write(f, VIRTIO_MMIO_QUEUE_READY, v);
		return;
	case CC(queue_desc): mm_write(f, VIRTIO_MMIO_QUEUE_DESC_LOW, v); return;
	case CC(queue_desc) + 4: mm_write(f, VIRTIO_MMIO_QUEUE_DESC_HIGH, v); return;
	case CC(queue_driver): mm_write(f, VIRTIO_MMIO_QUEUE_DRIVER_LOW, v); return;
	case CC(queue_driver) + 4: mm_write(f, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, v); return;
	case CC(queue_device): mm_write(f, VIRTIO_MMIO_QUEUE_DEVICE_LOW, v); return;
	case CC(queue_device) + 4: mm_write(f, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, v); return;
	case CC(config_msix_vector):
	case CC(queue_msix_vector): return;
	}
	fn_error(f, "write to a read-only or unknown common field", off, 0);
}

static uint32_t modern_read(struct fake_pci_fn *f, int bar, uint32_t off, unsigned width)
{
	if (bar != MODERN_BAR) {
		fn_error(f, "read of a BAR without virtio structures", off, width);
		return 0;
	}
	if (off < ISR_OFF) {
		if (width != common_width(off))
			fn_error(f, "common configuration read with the wrong width", off, width);
		return common_read(f, off);
	}
	if (off == ISR_OFF && width == 1)
		return isr_read(f);
	if (off >= DEVICE_OFF && off < NOTIFY_OFF)
		return config_get(f, off - DEVICE_OFF, width);
	fn_error(f, "read outside the virtio structures", off, width);
	return 0;
}

static void modern_write(struct fake_pci_fn *f, int bar, uint32_t off, unsigned width, uint32_t v)
{
	if (bar != MODERN_BAR) {
		fn_error(f, "write to a BAR without virtio structures", off, width);
		return;
	}
	if (off < ISR_OFF) {
		if (width != common_width(off))
			fn_error(f, "common configuration written with the wrong width", off,
			         width);
		common_write(f, off, v);
	} else if (off >= DEVICE_OFF && off < NOTIFY_OFF) {
		config_put(f, off - DEVICE_OFF, width, v);
	} else if (off >= NOTIFY_OFF && width == 2) {
		// 4.1.5.2: the queue's index, at its own notify address
		uint32_t at = off - NOTIFY_OFF;
		if (f->notify_mult ? at != v * f->notify_mult : at != 0)
			fn_error(f, "notify of a queue at another queue's address", off, width);
		check_master(f, off, width);
		mm_write(f, VIRTIO_MMIO_QUEUE_NOTIFY, v);
	} else {
		fn_error(f, "write outside the virtio structures", off, width);
	}
}

static const struct fake_pci_bar_ops modern_ops = {modern_read, modern_write};

static void add_virtio_cap(struct fake_pci_fn *f, uint8_t type, uint32_t off, uint32_t len,
                           bool notify)
{
	struct virtio_pci_notify_cap c = {0};

	c.cap.cap_vndr = PCI_CAP_ID_VNDR;
	c.cap.cap_len = notify ? sizeof(c) : sizeof(c.cap);
	c.cap.cfg_type = type;
	c.cap.bar = MODERN_BAR;
	c.cap.offset = off;
	c.cap.length = len;
	c.notify_off_multiplier = f->notify_mult;
	fake_pci_cap(f, &c, c.cap.cap_len);
}

struct fake_pci_fn *fake_pci_virtio_modern(unsigned dev, struct fake_virtio *fv,
                                           uint32_t notify_mult)
{
	struct fake_pci_fn *f = fake_pci_add(dev, 0, VIRTIO_PCI_VENDOR,
	                                     VIRTIO_PCI_MODERN_BASE + fv->device_id, 0x01, 0);

	f->fv = fv;
	f->fv_base = fake_mmio_base(fv->slot);
	f->ops = &modern_ops;
	f->notify_mult = notify_mult;
	f->cfg[PCI_REVISION_ID] = 1;
	fake_pci_set16(f, PCI_SUBSYS_ID, fv->device_id);
	fake_pci_bar(f, 1, FAKE_BAR_MEM32, 0x1000, false); // the MSI-X table
	fake_pci_bar(f, MODERN_BAR, FAKE_BAR_MEM64, 0x4000, true);
	uint8_t msix[12] = {PCI_CAP_ID_MSIX, 0, 2}; // 3 vectors, disabled
	fake_pci_cap(f, msix, sizeof(msix));
	add_virtio_cap(f, VIRTIO_PCI_CAP_COMMON_CFG, COMMON_OFF, 0x38, false);
	add_virtio_cap(f, VIRTIO_PCI_CAP_ISR_CFG, ISR_OFF, 1, false);
	add_virtio_cap(f, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_OFF, 0x100, false);
	add_virtio_cap(f, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY_OFF,
	               notify_mult ? notify_mult * FV_QUEUES : 4, true);
	return f;
}

// --- legacy ---------------------------------------------------------------

static uint32_t legacy_read(struct fake_pci_fn *f, int bar, uint32_t off, unsigned width)
{
	if (bar != 0) {
		fn_error(f, "legacy read outside BAR 0", off, width);
		return 0;
	}
	if (off >= sizeof(struct virtio_pci_legacy))
		return config_get(f, off - sizeof(struct virtio_pci_legacy), width);
	switch (off) {
	case LG(host_features):
		mm_write(f, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
		return mm_read(f, VIRTIO_MMIO_DEVICE_FEATURES);
	case LG(queue_address): return mm_read(f, VIRTIO_MMIO_QUEUE_PFN);
	case LG(queue_size): return mm_read(f, VIRTIO_MMIO_QUEUE_NUM_MAX);
	case LG(device_status): return mm_read(f, VIRTIO_MMIO_STATUS);
	case LG(isr_status): return isr_read(f);
	}
	fn_error(f, "legacy read of an unknown register", off, width);
	return 0;
}

static void legacy_write(struct fake_pci_fn *f, int bar, uint32_t off, unsigned width, uint32_t v)
{
	if (bar != 0) {
		fn_error(f, "legacy write outside BAR 0", off, width);
		return;
	}
	if (off >= sizeof(struct virtio_pci_legacy)) {
		config_put(f, off - sizeof(struct virtio_pci_legacy), width, v);
		return;
	}
	switch (off) {
	case LG(guest_features):
		mm_write(f, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		mm_write(f, VIRTIO_MMIO_DRIVER_FEATURES, v);
		return;
	case LG(queue_address):
		// the PCI interface has a fixed 4096-byte page and alignment and
		// no QueueNum: the queue is as big as the device says
		mm_write(f, VIRTIO_MMIO_GUEST_PAGE_SIZE, 4096);
		mm_write(f, VIRTIO_MMIO_QUEUE_NUM, mm_read(f, VIRTIO_MMIO_QUEUE_NUM_MAX));
		mm_write(f, VIRTIO_MMIO_QUEUE_ALIGN, 4096);
		mm_write(f, VIRTIO_MMIO_QUEUE_PFN, v);
		f->legacy_pfn_pages++;
		return;
	case LG(queue_select):
		f->queue_sel = v;
		mm_write(f, VIRTIO_MMIO_QUEUE_SEL, v);
		return;
	case LG(queue_notify):
		check_master(f, off, width);
		mm_write(f, VIRTIO_MMIO_QUEUE_NOTIFY, v);
		return;
	case LG(device_status): mm_write(f, VIRTIO_MMIO_STATUS, v); return;
	}
	fn_error(f, "legacy write to a read-only or unknown register", off, width);
}

static const struct fake_pci_bar_ops legacy_ops = {legacy_read, legacy_write};

struct fake_pci_fn *fake_pci_virtio_legacy(unsigned dev, struct fake_virtio *fv)
{
	// a transitional device ID with the virtio ID in the Subsystem ID
	struct fake_pci_fn *f = fake_pci_add(dev, 0, VIRTIO_PCI_VENDOR,
	                                     VIRTIO_PCI_TRANS_FIRST + fv->device_id - 1, 0x01, 0);

	f->fv = fv;
	f->fv_base = fake_mmio_base(fv->slot);
	f->ops = &legacy_ops;
	f->legacy = true;
	fake_pci_set16(f, PCI_SUBSYS_ID, fv->device_id);
	fake_pci_bar(f, 0, FAKE_BAR_IO, 0x40, false);
	return f;
}
