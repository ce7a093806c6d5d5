// Kernel glue: every virtio function the PCI scan enabled becomes a
// registered virtio device, after the mmio slots, in bus order; a
// function nobody drives is listed by name.
#include "console.h"
#include "fdt.h"
#include "pci/pci.h"
#include "virtio/pci.h"
#include "virtio/pci_regs.h"
#include "virtio/virtio.h"

static struct virtio_pci vps[PCI_MAX_FUNCS];

const char *pci_func_use(const struct pci_func *f)
{
	// vps[i] is the transport of pci_funcs[i]
	return vdev_use(&vps[f - pci_funcs].vdev);
}

void virtio_pci_attach_all(void)
{
	for (int i = 0; i < pci_nfuncs; i++) {
		struct pci_func *f = &pci_funcs[i];
		struct virtio_pci *vp = &vps[i];
		if (pci_is_host_bridge(f) || pci_is_bridge(f))
			continue; // the host bridge, or a PCI-to-PCI bridge (pci_bridge.c)
		if (virtio_pci_open(vp, f) < 0) {
			if (!virtio_pci_device_id(f->vendor, f->device, f->subsys_id))
				kprintf("pci %02x:%02x.%x: %04x:%04x %s: no driver in this kernel, "
				        "left "
				        "alone\n",
				        f->bus, f->dev, f->fn, f->vendor, f->device,
				        pci_class_name(f->class, f->subclass));
			continue;
		}
		f->claimed = true;
		kprintf("virtio: %s: %s device, %s, INTx on %s source %d\n", vp->vdev.name,
		        virtio_device_name(vp->vdev.device_id), vdev_transport(&vp->vdev),
		        irq_chip_name(), vp->vdev.irq);
		virtio_dev_register(&vp->vdev);
	}
}
