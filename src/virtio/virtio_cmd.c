// Shell commands about virtio devices in general.
#include "pci/pci.h"
#include "shell.h"
#include "console.h"
#include "lib/string.h"
#include "virtio/scan.h"
#include "virtio/virtio_dev.h"

static int cmd_devices(int argc, char **argv)
{
	if (!shell_args_ok(argc, argv, 0, 0))
		return 1;
	virtio_print_map();
	// what drives each mmio device (the map above is lab 1's, by slot)
	struct virtio_dev *d;
	for (int i = 0; (d = virtio_dev_at(i)); i++)
		if (!strcmp(d->ops->kind, "mmio"))
			kprintf("virtio: %s: %s\n", d->name, vdev_use(d));
	// and the PCI functions, driven or not (lab 10)
	pci_print_map();
	return 0;
}
SHELL_COMMAND("devices", "", "print the virtio-mmio slots and the PCI functions", cmd_devices);
