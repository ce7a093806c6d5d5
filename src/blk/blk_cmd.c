// Shell commands for the block layer: `blk` and `vq`.
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "lib/hexdump.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"
#include "virtio/blk.h"

#define BLK_CMD_MAX_SECTORS 64 // one command reads at most 32 KiB

static int blk_cmd_read(struct blkdev *dev, int argc, char **argv)
{
	unsigned long sector, count = 1;

	if (argc < 3 || parse_u64(argv[2], &sector) < 0 ||
	    (argc > 3 && parse_u64(argv[3], &count) < 0) || count == 0 ||
	    count > BLK_CMD_MAX_SECTORS) {
		kprintf("usage: blk read SECTOR [COUNT]   (COUNT 1..%d)\n", BLK_CMD_MAX_SECTORS);
		return 1;
	}
	size_t len = count * SECTOR_SIZE;
	// a block-size device reads whole blocks: round out, then show the part asked for
	uint64_t per = dev->block_size / SECTOR_SIZE;
	uint64_t first = sector - sector % per;
	size_t span = ((sector + count + per - 1) / per * per - first) * SECTOR_SIZE;
	uint8_t *buf = dma_alloc(span);
	if (!buf) {
		kprintf("blk read: out of memory\n");
		return 1;
	}
	int err = blk_read(dev, first, buf, span);
	if (err < 0)
		kprintf("blk read: sector %lu count %lu: %s (capacity %lu sectors)\n", sector,
		        count, errstr(err), (unsigned long)dev->sectors);
	else
		for (size_t i = 0; i < len; i += 16)
			hexdump_line(sector * SECTOR_SIZE + i,
			             buf + (sector - first) * SECTOR_SIZE + i, 16);
	dma_free(buf, span);
	return err < 0;
}

static int blk_cmd_write(struct blkdev *dev, int argc, char **argv)
{
	unsigned long sector;

	if (argc < 4 || parse_u64(argv[2], &sector) < 0) {
		kprintf("usage: blk write SECTOR PATTERN   (overwrites one block with PATTERN "
		        "repeated)\n");
		return 1;
	}
	size_t plen = strlen(argv[3]);
	uint8_t *buf = dma_alloc(dev->block_size);
	if (!buf) {
		kprintf("blk write: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < dev->block_size; i++)
		buf[i] = (uint8_t)argv[3][i % plen];
	kprintf("blk write: overwriting %u bytes at sector %lu of %s\n", dev->block_size, sector,
	        dev->name);
	int err = blk_write(dev, sector, buf, dev->block_size);
	if (err == 0)
		err = blk_flush(dev);
	if (err < 0)
		kprintf("blk write: sector %lu: %s\n", sector, errstr(err));
	else
		kprintf("blk write: done, flushed\n");
	dma_free(buf, dev->block_size);
	return err < 0;
}

static int cmd_blk(int argc, char **argv)
{
	struct blkdev *dev = blk_root();

	if (!dev) {
		kprintf("blk: no block device\n");
		return 1;
	}
	if (argc == 1) {
		kprintf("blk: root device %s: %lu sectors, block size %u%s\n", dev->name,
		        (unsigned long)dev->sectors, dev->block_size,
		        dev->read_only ? ", read-only" : "");
		vblk_info(vblk_of(dev));
		return 0;
	}
	if (!strcmp(argv[1], "read"))
		return blk_cmd_read(dev, argc, argv);
	if (!strcmp(argv[1], "write"))
		return blk_cmd_write(dev, argc, argv);
	if (!strcmp(argv[1], "flush")) {
		int err = blk_flush(dev);
		kprintf("blk flush: %s\n", errstr(err));
		return err < 0;
	}
	if (!strcmp(argv[1], "mode") && argc == 3 &&
	    (!strcmp(argv[2], "poll") || !strcmp(argv[2], "irq"))) {
		vblk_set_polling(!strcmp(argv[2], "poll"));
		kprintf("blk: completions by %s\n", vblk_polling() ? "polling" : "interrupt");
		return 0;
	}
	if (!strcmp(argv[1], "timeout") && argc == 3) {
		unsigned long ms;
		if (parse_u64(argv[2], &ms) == 0 && ms > 0 && ms < 600000) {
			vblk_set_timeout_ms((uint32_t)ms);
			kprintf("blk: request timeout %lu ms\n", ms);
			return 0;
		}
	}
	kprintf("usage: blk [read SECTOR [COUNT] | write SECTOR PATTERN | flush | mode poll|irq | "
	        "timeout MS]\n");
	return 1;
}
SHELL_COMMAND("blk", "[read|write|flush|mode|timeout]", "block device facts, raw sector I/O",
              cmd_blk);

static int cmd_vq(int argc, char **argv)
{
	(void)argc, (void)argv;
	vblk_dump_queue(vblk_of(blk_root()));
	return 0;
}
SHELL_COMMAND("vq", "", "dump the block device's virtqueue state", cmd_vq);

static int cmd_faultinject(int argc, char **argv)
{
	unsigned long n;

	if (argc != 3 || strcmp(argv[1], "dma") || parse_u64(argv[2], &n) < 0) {
		kprintf("usage: faultinject dma N   (the Nth DMA allocation from now fails; 0 = "
		        "off)\n");
		return 1;
	}
	dma_fail_nth((unsigned)n);
	kprintf("faultinject: DMA allocation %lu from now will fail\n", n);
	return 0;
}
SHELL_COMMAND("faultinject", "dma N", "make the Nth DMA allocation fail (tests)", cmd_faultinject);
