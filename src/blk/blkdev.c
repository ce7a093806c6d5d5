// The checks every block device shares, so no backend can forget one:
// the range against capacity, the length, the alignment to the device's
// block size, and read-only devices.
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "lib/string.h"

// as many as virtio-blk takes (VBLK_DEVICES in blk.c); the ramdisk stands
// in only when there is none
#define BLK_DEVICES 16

static struct blkdev *root;
static struct blkdev *devices[BLK_DEVICES];
static int ndevices;

static int check(struct blkdev *dev, uint64_t sector, const void *buf, size_t len)
{
	uint64_t per_block = dev->block_size / SECTOR_SIZE;

	if (!buf)
		return -EFAULT;
	if (len == 0 || len % SECTOR_SIZE || len % dev->block_size)
		return -EINVAL;
	if (per_block > 1 && sector % per_block)
		return -EINVAL;
	if (sector > dev->sectors || len / SECTOR_SIZE > dev->sectors - sector)
		return -ERANGE;
	return 0;
}

int blk_read(struct blkdev *dev, uint64_t sector, void *buf, size_t len)
{
	int err = check(dev, sector, buf, len);

	return err < 0 ? err : dev->ops->read(dev, sector, buf, len);
}

int blk_write(struct blkdev *dev, uint64_t sector, const void *buf, size_t len)
{
	int err = check(dev, sector, buf, len);

	if (err < 0)
		return err;
	if (dev->read_only)
		return -EROFS;
	dev->writes++;
	return dev->ops->write(dev, sector, buf, len);
}

int blk_flush(struct blkdev *dev)
{
	return dev->ops->flush ? dev->ops->flush(dev) : 0;
}

struct blkdev *blk_root(void)
{
	return root;
}

void blk_root_set(struct blkdev *dev)
{
	root = dev;
}

int blk_register(struct blkdev *dev)
{
	if (ndevices == BLK_DEVICES)
		return -ENOSPC;
	devices[ndevices++] = dev;
	return 0;
}

void blk_unregister(struct blkdev *dev)
{
	for (int i = 0; i < ndevices; i++) {
		if (devices[i] != dev)
			continue;
		memmove(&devices[i], &devices[i + 1],
		        sizeof(devices[0]) * (size_t)(ndevices - i - 1));
		ndevices--;
		break;
	}
	if (root == dev)
		root = 0;
}

struct blkdev *blk_next(struct blkdev *prev)
{
	int i = 0;

	if (prev)
		while (i < ndevices && devices[i++] != prev)
			;
	return i < ndevices ? devices[i] : 0;
}

struct blkdev *blk_find(const char *id)
{
	for (int i = 0; i < ndevices; i++)
		if (devices[i]->id && strcmp(devices[i]->id, id) == 0)
			return devices[i];
	return 0;
}

struct blkdev *blk_named(const char *cmd, const char *id)
{
	struct blkdev *dev = id ? blk_find(id) : root;

	if (dev)
		return dev;
	if (!id) {
		kprintf("%s: no block device\n", cmd);
		return 0;
	}
	kprintf("%s: no block device named \"%s\"; ", cmd, id);
	if (ndevices == 0)
		kprintf("there is none\n");
	for (int i = 0; i < ndevices; i++)
		kprintf("%s%s (%s)%s", i ? ", " : "the devices are ", devices[i]->id,
		        devices[i]->name, i + 1 < ndevices ? "" : "\n");
	return 0;
}
