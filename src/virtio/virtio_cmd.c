// Shell commands about virtio devices in general.
#include "pci/pci.h"
#include "shell.h"
#include "virtio/scan.h"

static int cmd_devices(int argc, char **argv)
{
	(void)argc, (void)argv;
	virtio_print_map();
	// and the PCI functions, driven or not (lab 10)
	pci_print_map();
	return 0;
}
SHELL_COMMAND("devices", "", "print the virtio-mmio slots and the PCI functions", cmd_devices);
