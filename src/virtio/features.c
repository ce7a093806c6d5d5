// Feature bits by name, for the lines students read at boot:
// "virtio: features accepted 0x...: SEG_MAX BLK_SIZE FLUSH ...".
#include "console.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtio.h"

static const char *feature_name(unsigned bit, uint32_t device_id)
{
	switch (bit) {
	case VIRTIO_F_INDIRECT_DESC: return "RING_INDIRECT_DESC";
	case VIRTIO_F_EVENT_IDX: return "RING_EVENT_IDX";
	case VIRTIO_F_VERSION_1: return "VERSION_1";
	case VIRTIO_F_ACCESS_PLATFORM: return "ACCESS_PLATFORM";
	case VIRTIO_F_RING_PACKED: return "RING_PACKED";
	case VIRTIO_F_IN_ORDER: return "IN_ORDER";
	case VIRTIO_F_ORDER_PLATFORM: return "ORDER_PLATFORM";
	case VIRTIO_F_SR_IOV: return "SR_IOV";
	case VIRTIO_F_NOTIFICATION_DATA: return "NOTIFICATION_DATA";
	case VIRTIO_F_RING_RESET: return "RING_RESET";
	case 24: return "NOTIFY_ON_EMPTY";
	case VIRTIO_F_ANY_LAYOUT: return "ANY_LAYOUT";
	}
	if (device_id == VIRTIO_ID_NET) {
		// spec 5.1.3: only the ones a reader of our boot log meets
		switch (bit) {
		case 0: return "CSUM";
		case 1: return "GUEST_CSUM";
		case 5: return "MAC";
		case 15: return "MRG_RXBUF";
		case 16: return "STATUS";
		case 17: return "CTRL_VQ";
		}
	}
	if (device_id == VIRTIO_ID_BLOCK) {
		// spec 5.2.3
		static const char *const blk[] = {
		    [1] = "SIZE_MAX",    [2] = "SEG_MAX",
		    [4] = "GEOMETRY",    [7] = "SCSI",
		    [5] = "RO",          [6] = "BLK_SIZE",
		    [9] = "FLUSH",       [10] = "TOPOLOGY",
		    [11] = "CONFIG_WCE", [12] = "MQ",
		    [13] = "DISCARD",    [14] = "WRITE_ZEROES",
		    [15] = "LIFETIME",   [16] = "SECURE_ERASE",
		    [17] = "ZONED",
		};
		if (bit < sizeof(blk) / sizeof(blk[0]) && blk[bit])
			return blk[bit];
	}
	return 0;
}

void vdev_print_features(const char *label, uint64_t features, uint32_t device_id)
{
	kprintf("virtio: features %s 0x%016lx:", label, (unsigned long)features);
	for (unsigned bit = 0; bit < 64; bit++) {
		if (!((features >> bit) & 1))
			continue;
		const char *name = feature_name(bit, device_id);
		if (name)
			kprintf(" %s", name);
		else
			kprintf(" bit%u", bit);
	}
	kprintf("\n");
}
