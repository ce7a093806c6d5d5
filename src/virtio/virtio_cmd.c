// Shell commands about virtio devices in general.
#include "shell.h"
#include "virtio/scan.h"

static int cmd_devices(int argc, char **argv)
{
	(void)argc, (void)argv;
	virtio_print_map();
	return 0;
}
SHELL_COMMAND("devices", "", "print the virtio device map", cmd_devices);
