// Lab 10: the capability walk (spec 4.1.4). A modern virtio function says
// where its register structures are with vendor-specific capabilities in
// configuration space, one per structure:
//
//   cap_vndr 0x09, cap_next, cap_len, cfg_type, bar, id, padding[2],
//   offset (in the BAR), length
//
// The function's configuration space, and so every field here, is the
// device's word: a pointer may loop, a structure may claim to lie outside
// its BAR. Each is checked before anything is mapped.
#include "console.h"
#include "errno.h"
#include "hw/mmio.h"
#include "virtio/pci.h"
#include "virtio/pci_regs.h"

#include <stddef.h>

// Where the structure of cap (at pos) lies, or -ERANGE when it does not
// fit inside an assigned memory BAR (spec 4.1.4: "offset ... length" are
// within the BAR; the driver MUST ignore a BAR value it does not know).
// -ENOENT: a capability this driver skips. Besides the reserved BAR
// numbers that is a structure in an I/O BAR: QEMU's modern-pio-notify=on
// offers a second notify structure there, first in the list, and the
// driver uses the first of each type it supports (4.1.4.1), like Linux
// only memory ones.
static int locate(const struct pci_func *f, int pos, struct virtio_pci_region *r)
{
	uint8_t bar = pci_cfg_read8(f, pos + offsetof(struct virtio_pci_cap, bar));
	uint32_t off = pci_cfg_read32(f, pos + offsetof(struct virtio_pci_cap, offset));
	uint32_t len = pci_cfg_read32(f, pos + offsetof(struct virtio_pci_cap, length));

	if (bar > 5)
		return -ENOENT; // reserved values: skip the capability
	const struct pci_bar *b = &f->bar[bar];
	if (b->kind == PCI_BAR_IO)
		return -ENOENT;
	if (b->kind == PCI_BAR_NONE || b->cpu == 0)
		return -ERANGE;
	// in 64 bits: offset + length cannot wrap
	if ((uint64_t)off + len > b->size)
		return -ERANGE;
	r->addr = b->cpu + off;
	r->len = len;
	r->bar = bar;
	r->off = off;
	return 0;
}

int virtio_pci_find_caps(const struct pci_func *f, struct virtio_pci_caps *caps)
{
	*caps = (struct virtio_pci_caps){0};
	int steps = 0, pos = 0;

	/* BEGIN LAB 10 SOLUTION */
	while ((pos = pci_cap_next(f, pos, &steps)) > 0) {
		uint8_t id = pci_cfg_read8(f, pos);
		if (id == PCI_CAP_ID_MSIX) {
			// Message Control bit 15: MSI-X Enable (PCI 3.0, 6.8.2.3)
			caps->msix_enabled = pci_cfg_read16(f, pos + 2) >> 15 & 1;
			continue;
		}
		if (id != PCI_CAP_ID_VNDR)
			continue;
		uint8_t cap_len = pci_cfg_read8(f, pos + offsetof(struct virtio_pci_cap, cap_len));
		uint8_t type = pci_cfg_read8(f, pos + offsetof(struct virtio_pci_cap, cfg_type));
		// the whole capability must lie inside the 256-byte space
		if (cap_len < sizeof(struct virtio_pci_cap) || pos + cap_len > 256)
			return -EIO;
		struct virtio_pci_region *r = type == VIRTIO_PCI_CAP_COMMON_CFG   ? &caps->common
		                              : type == VIRTIO_PCI_CAP_NOTIFY_CFG ? &caps->notify
		                              : type == VIRTIO_PCI_CAP_ISR_CFG    ? &caps->isr
		                              : type == VIRTIO_PCI_CAP_DEVICE_CFG ? &caps->device
		                                                                  : NULL;
		// 4.1.4: several of a type may be offered; use the first
		if (!r || r->addr)
			continue;
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG &&
		    cap_len < sizeof(struct virtio_pci_notify_cap))
			return -EIO;
		int err = locate(f, pos, r);
		if (err == -ENOENT)
			continue;
		if (err < 0)
			return err;
		// the multiplier of the notify structure we use, not of one skipped
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			caps->notify_mult = pci_cfg_read32(
			    f, pos + offsetof(struct virtio_pci_notify_cap, notify_off_multiplier));
	}
	if (pos < 0)
		return pos;
	/* END LAB 10 SOLUTION */
	/* BEGIN LAB 10 STUB
	// TODO(lab 10): walk the list with pci_cap_next(f, pos, &steps); for each
	// vendor capability (ID 0x09) check cap_len, read cfg_type and use
	// locate() to fill caps->common, ->notify (and notify_mult), ->isr and
	// ->device. Read lab-guides/lab10-pci.md, "Step 4: the capability walk".
	(void)locate;
	(void)f;
	(void)pos;
	(void)steps;
	END LAB 10 STUB */
	// the common configuration must be whole; ISR is one byte, a notify
	// address two (4.1.4.3-4.1.4.5)
	if (!caps->common.addr || !caps->notify.addr || !caps->isr.addr)
		return -ENODEV;
	if (caps->common.len < sizeof(struct virtio_pci_common_cfg) || caps->isr.len < 1 ||
	    caps->notify.len < 2)
		return -ERANGE;
	// 4.1.4.4: an even power of two, or 0 (every queue at one address)
	uint32_t m = caps->notify_mult;
	if (m && ((m & (m - 1)) || m == 1))
		return -ERANGE;
	return 0;
}
