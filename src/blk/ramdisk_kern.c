// A block device in kernel memory, holding build/sample.img (see
// ramdisk_image.S). Writes change the copy in RAM and are gone at poweroff.
#include "blk/blkdev.h"
#include "blk/ramdisk.h"
#include "lib/string.h"

extern uint8_t ramdisk_image_start[], ramdisk_image_end[];

static int ram_read(struct blkdev *dev, uint64_t sector, void *buf, size_t len)
{
	(void)dev;
	memcpy(buf, ramdisk_image_start + sector * SECTOR_SIZE, len);
	return 0;
}

static int ram_write(struct blkdev *dev, uint64_t sector, const void *buf, size_t len)
{
	(void)dev;
	memcpy(ramdisk_image_start + sector * SECTOR_SIZE, buf, len);
	return 0;
}

static const struct blkdev_ops ram_ops = {ram_read, ram_write, 0};

struct blkdev *ramdisk_init(void)
{
	static struct blkdev ram = {
	    .name = "ramdisk", .id = "ram0", .block_size = SECTOR_SIZE, .ops = &ram_ops};

	// whole sectors only: a partial last sector is not served
	ram.sectors = (uint64_t)(ramdisk_image_end - ramdisk_image_start) / SECTOR_SIZE;
	if (!blk_find(ram.id))
		blk_register(&ram);
	return &ram;
}
