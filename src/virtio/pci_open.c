// Taking a virtio PCI function (spec 4.1.2): which device it is and which
// of the two interfaces we drive it through. A transitional device
// (0x1000-0x103f) offers both unless QEMU was told disable-modern=on or
// disable-legacy=on; we prefer the modern one whenever its capabilities
// are there, as the spec asks of a driver that knows both (4.1.2.2).
#include "console.h"
#include "errno.h"
#include "hw/mmio.h"
#include "lib/errstr.h"
#include "lib/string.h"
#include "virtio/pci.h"
#include "virtio/pci_regs.h"
#include "virtio/virtio.h"

#include <stddef.h>

static int open_legacy(struct virtio_pci *vp, struct pci_func *f)
{
	const struct pci_bar *b = &f->bar[0];

	// 4.1.4.8: the legacy registers are I/O BAR 0, at least the common
	// 20 bytes long
	if (b->kind != PCI_BAR_IO || b->cpu == 0 || b->size < sizeof(struct virtio_pci_legacy))
		return -ENODEV;
	vp->io = b->cpu;
	vp->io_len = b->size;
	vp->config_off = vp->caps.msix_enabled ? sizeof(struct virtio_pci_legacy_msix)
	                                       : sizeof(struct virtio_pci_legacy);
	vp->vdev.legacy = true;
	vp->vdev.fixed_queue_size = true; // no queue size register to write (4.1.4.8)
	vp->vdev.ops = &virtio_pci_legacy_ops;
	return 0;
}

int virtio_pci_open(struct virtio_pci *vp, struct pci_func *f)
{
	uint32_t id = virtio_pci_device_id(f->vendor, f->device, f->subsys_id);
	char name[sizeof(vp->vdev.name)];

	ksnprintf(name, sizeof(name), "pci %02x:%02x.%x", f->bus, f->dev, f->fn);
	if (!id)
		return -ENODEV;
	memset(vp, 0, sizeof(*vp));
	vp->func = f;
	memcpy(vp->vdev.name, name, sizeof(name));
	vp->vdev.device_id = id;
	vp->vdev.irq = f->irq;
	if (!f->enabled) {
		kprintf("virtio: %s: the function has no addresses (see above); not used\n", name);
		return -ENODEV;
	}

	int err = virtio_pci_find_caps(f, &vp->caps);
	if (err == 0) {
		const struct virtio_pci_caps *c = &vp->caps;
		kprintf("virtio: %s: common BAR %u+0x%x, notify BAR %u+0x%x (x%u), ISR BAR %u+0x%x",
		        name, c->common.bar, c->common.off, c->notify.bar, c->notify.off,
		        c->notify_mult, c->isr.bar, c->isr.off);
		if (c->device.addr)
			kprintf(", device BAR %u+0x%x", c->device.bar, c->device.off);
		kprintf("\n");
		vp->vdev.ops = &virtio_pci_modern_ops;
		vp->num_queues = mmio_read16(vp->caps.common.addr +
		                             offsetof(struct virtio_pci_common_cfg, num_queues));
		pci_set_master(f); // the device reads and writes our rings
		return 0;
	}
	// no modern structures: the legacy interface, if this is a
	// transitional device (a 0x1040+ device has no legacy interface)
	bool transitional = f->device <= VIRTIO_PCI_TRANS_LAST;
	if (err == -ENODEV && transitional && open_legacy(vp, f) == 0) {
		pci_set_master(f);
		return 0;
	}
	if (err == -ENODEV)
		kprintf("virtio: %s: no common, notify and ISR capabilities%s; not used\n", name,
		        transitional ? " and no legacy I/O BAR 0" : "");
	else
		kprintf("virtio: %s: bad virtio capability list (%s); not used\n", name,
		        errstr(err));
	return err;
}
