// The checks every block device shares, so no backend can forget one:
// the range against capacity, the length, the alignment to the device's
// block size, and read-only devices.
#include "blk/blkdev.h"
#include "errno.h"

static struct blkdev *root;

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
