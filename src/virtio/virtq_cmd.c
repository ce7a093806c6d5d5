// `vqring`: the memory of a virtqueue's rings as it is right now, for
// seeing what the driver and the device wrote (labs 3, 4 and 11).
#include "console.h"
#include "shell.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

static int cmd_vqring(int argc, char **argv)
{
	unsigned long n = 0, first = 0, count = 8;
	struct virtq *vq;

	if (argc < 2) {
		for (int i = 0; (vq = virtq_nth(i)) != 0; i++)
			kprintf("%d: %s queue %u, %s ring, %u entries\n", i,
			        vq->dev ? virtio_device_name(vq->dev->device_id) : "?", vq->index,
			        virtq_kind(vq), vq->num);
		if (!virtq_nth(0))
			kprintf("vqring: no virtqueues: no virtio device was set up (`devices` "
			        "lists what was found)\n");
		return 0;
	}
	if (parse_u64(argv[1], &n) < 0 || (argc > 2 && parse_u64(argv[2], &first) < 0) ||
	    (argc > 3 && parse_u64(argv[3], &count) < 0) || argc > 4 || n > 1000) {
		kprintf("usage: vqring [N [FIRST [COUNT]]]\n");
		return 1;
	}
	vq = virtq_nth((int)n);
	if (!vq) {
		kprintf("vqring: no queue %lu (`vqring` lists them)\n", n);
		return 1;
	}
	if (first >= vq->num || count == 0 || count > vq->num) {
		kprintf("vqring: entries %lu..%lu are not in a %u-entry ring\n", first,
		        first + count - 1, vq->num);
		return 1;
	}
	virtq_dump_ring(vq, (uint16_t)first, (uint16_t)count);
	return 0;
}
SHELL_COMMAND("vqring", "[N [FIRST [COUNT]]]", "print a virtqueue's ring memory as it is",
              cmd_vqring);
