// Shell commands for the block layer: `blk` and `vq`.
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "lib/hexdump.h"
#include "lib/sha256.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"

#define BLK_CMD_MAX_SECTORS 64 // one command reads at most 32 KiB
// a request's deadline, as the boot line's blk_timeout_ms takes it
// (src/lib/bootarg.c): at most an hour
#define BLK_TIMEOUT_MS_MAX 3600000

// Whether sector (and count sectors from it) can be transferred; if not,
// say why in the words of `blk read: sector S count C: ...`.
static int cmd_range_ok(struct blkdev *dev, const char *what, unsigned long sector,
                        unsigned long count)
{
	uint64_t whole = blk_whole_sectors(dev);

	// a request that starts in the partial block is refused for that
	// reason, even if it also runs past the end
	int partial = sector < dev->sectors && sector >= whole;
	if (!partial && (sector >= dev->sectors || count > dev->sectors - sector)) {
		kprintf("blk %s: sector %lu count %lu: out of range (capacity %lu sectors)\n", what,
		        sector, count, (unsigned long)dev->sectors);
		return 0;
	}
	if (partial || sector + count > whole) {
		kprintf(
		    "blk %s: sector %lu count %lu: sectors %lu..%lu are a partial %u-byte block "
		    "at the end of the disk, which the device cannot transfer (",
		    what, sector, count, (unsigned long)whole, (unsigned long)dev->sectors - 1,
		    dev->block_size);
		if (whole)
			kprintf("last whole block ends at sector %lu)\n", (unsigned long)whole - 1);
		else
			kprintf("the disk has no whole block)\n");
		return 0;
	}
	return 1;
}

// One line a sector: its number and the SHA-256 of its 512 bytes, the
// line `dd if=disk.img bs=512 skip=N count=1 | sha256sum` gives on the
// host. A 40-sector hexdump is 115 KiB of text on a serial line; this is
// 3 KiB, and still names the sector that differs.
static void sum_sectors(unsigned long sector, const uint8_t *p, unsigned long count)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	for (unsigned long i = 0; i < count; i++) {
		sha256(p + i * SECTOR_SIZE, SECTOR_SIZE, digest);
		sha256_hex(digest, hex);
		kprintf("sector %lu: %s\n", sector + i, hex);
	}
}

// `blk read SECTOR [COUNT]` dumps the sectors; `blk sum SECTOR [COUNT]`
// reads them the same way and prints their digests.
static int blk_cmd_read(struct blkdev *dev, int argc, char **argv)
{
	const char *what = argv[1];
	unsigned long sector, count = 1;

	if (argc < 3 || argc > 4 || parse_u64(argv[2], &sector) < 0 ||
	    (argc > 3 && parse_u64(argv[3], &count) < 0) || count == 0 ||
	    count > BLK_CMD_MAX_SECTORS) {
		kprintf("usage: blk %s SECTOR [COUNT]   (COUNT 1..%d)\n", what,
		        BLK_CMD_MAX_SECTORS);
		return 1;
	}
	if (!cmd_range_ok(dev, what, sector, count))
		return 1;
	size_t len = count * SECTOR_SIZE;
	// a block-size device reads whole blocks: round out, then show the part asked for
	uint64_t per = dev->block_size / SECTOR_SIZE;
	uint64_t first = sector - sector % per;
	size_t span = ((sector + count + per - 1) / per * per - first) * SECTOR_SIZE;
	uint8_t *buf = dma_alloc(span);
	if (!buf) {
		kprintf("blk %s: out of memory\n", what);
		return 1;
	}
	int err = blk_read(dev, first, buf, span);
	if (err < 0)
		kprintf("blk %s: sector %lu count %lu: %s (capacity %lu sectors)\n", what, sector,
		        count, errstr(err), (unsigned long)dev->sectors);
	else if (!strcmp(what, "sum"))
		sum_sectors(sector, buf + (sector - first) * SECTOR_SIZE, count);
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
	uint32_t per = dev->block_size / SECTOR_SIZE;

	// the pattern is the only source of the bytes written: without one,
	// there is nothing the user asked to send
	if (argc != 4 || parse_u64(argv[2], &sector) < 0 || argv[3][0] == '\0') {
		kprintf("usage: blk write SECTOR PATTERN   (overwrites one block with PATTERN "
		        "repeated; PATTERN not empty)\n");
		return 1;
	}
	if (sector % per) {
		kprintf("blk write: sector %lu: must be a multiple of %u (the block size is %u "
		        "bytes)\n",
		        sector, per, dev->block_size);
		return 1;
	}
	if (!cmd_range_ok(dev, "write", sector, per))
		return 1;
	// said before "overwriting": a write to a read-only disk is refused
	// before any request, so nothing is overwritten
	if (dev->read_only) {
		kprintf("blk write: sector %lu: %s (%s); nothing written\n", sector, errstr(-EROFS),
		        dev->name);
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

// The words after `blk`: anything else in first place is a device name.
static int is_subcommand(const char *s)
{
	static const char *const words[] = {"read", "sum", "write", "flush", "mode", "timeout"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return 1;
	return 0;
}

#define BLK_USAGE                                                                                  \
	"usage: blk [DEV] [read|sum SECTOR [COUNT] | write SECTOR PATTERN | flush]\n"              \
	"       blk mode poll|irq\n"                                                               \
	"       blk timeout MS   (MS 1..%d)\n"                                                     \
	"DEV names a block device (vda, vdb, ..., ram0); without it, the root device\n"

// `blk [DEV] [SUBCOMMAND ...]`: a device name may come first, and every
// command line without one means the root device, as it always did
// (`blk vdb read 3`, `blk read 3`). A device is never called by a
// subcommand's word, so the two cannot be confused.
static int cmd_blk(int argc, char **argv)
{
	const char *name = 0;

	if (argc > 1 && !is_subcommand(argv[1])) {
		name = argv[1];
		argv++, argc--; // the subcommand's arguments keep their places
	}
	struct blkdev *dev = blk_named("blk", name);
	if (!dev) {
		if (name)
			kprintf(BLK_USAGE, BLK_TIMEOUT_MS_MAX);
		return 1;
	}
	if (argc == 1) {
		kprintf("blk: %s %s: %lu sectors, block size %u%s\n",
		        dev == blk_root() ? "root device" : "device", dev->name,
		        (unsigned long)dev->sectors, dev->block_size,
		        dev->read_only ? ", read-only" : "");
		vblk_info(vblk_of(dev));
		return 0;
	}
	if (!strcmp(argv[1], "read") || !strcmp(argv[1], "sum"))
		return blk_cmd_read(dev, argc, argv);
	if (!strcmp(argv[1], "write"))
		return blk_cmd_write(dev, argc, argv);
	if (!strcmp(argv[1], "flush")) {
		if (argc != 2) {
			kprintf(BLK_USAGE, BLK_TIMEOUT_MS_MAX);
			return 1;
		}
		int err = blk_flush(dev);
		kprintf("blk flush: %s\n", errstr(err));
		return err < 0;
	}
	// `blk vda vdb`: a second word that is no subcommand
	if (!is_subcommand(argv[1])) {
		kprintf(BLK_USAGE, BLK_TIMEOUT_MS_MAX);
		return 1;
	}
	// the completion mode and the timeout belong to the driver, not to
	// one disk: a device name would suggest otherwise
	if (name) {
		kprintf("blk %s: applies to every virtio-blk device; give it without a device "
		        "name\n",
		        argv[1]);
		return 1;
	}
	if (!strcmp(argv[1], "mode") && argc == 3 &&
	    (!strcmp(argv[2], "poll") || !strcmp(argv[2], "irq"))) {
		bool poll = !strcmp(argv[2], "poll");
		vblk_set_polling(poll);
		if (!poll && vblk_polling()) {
			kprintf("blk: no disk interrupts in this boot (the irq: line at boot says "
			        "why); completions by polling\n");
			return 1;
		}
		kprintf("blk: completions by %s\n", vblk_polling() ? "polling" : "interrupt");
		return 0;
	}
	if (!strcmp(argv[1], "timeout")) {
		unsigned long ms;
		if (argc != 3 || parse_u64_max(argv[2], BLK_TIMEOUT_MS_MAX, &ms) < 0 || ms == 0) {
			kprintf("usage: blk timeout MS   (MS 1..%d, a request's deadline)\n",
			        BLK_TIMEOUT_MS_MAX);
			return 1;
		}
		vblk_set_timeout_ms((uint32_t)ms);
		kprintf("blk: request timeout %lu ms\n", ms);
		return 0;
	}
	kprintf(BLK_USAGE, BLK_TIMEOUT_MS_MAX);
	return 1;
}
SHELL_COMMAND("blk", "[DEV] [read|sum|write|flush|mode|timeout]",
              "block device facts, raw sector I/O (DEV: vda, vdb, ram0; default the root)",
              cmd_blk);

static int cmd_vq(int argc, char **argv)
{
	if (argc > 2) {
		kprintf("usage: vq [DEV]   (DEV: vda, vdb, ...; without it the root device)\n");
		return 1;
	}
	struct blkdev *dev = argc == 2 ? blk_named("vq", argv[1]) : blk_root();
	if (argc == 2 && !dev)
		return 1;
	if (argc == 2 && !vblk_of(dev)) {
		kprintf("vq: %s (%s) has no virtqueue: it is not a virtio-blk device\n", dev->id,
		        dev->name);
		return 1;
	}
	vblk_dump_queue(vblk_of(dev));
	return 0;
}
SHELL_COMMAND("vq", "[DEV]", "dump a block device's virtqueue state (default the root)", cmd_vq);

static int cmd_faultinject(int argc, char **argv)
{
	unsigned long n;
	bool kick = argc >= 3 && !strcmp(argv[1], "kick");
	const char *dev = argc == 4 ? argv[3] : "disk";

	if (argc < 3 || argc > 4 || (strcmp(argv[1], "dma") && !kick) || (!kick && argc == 4) ||
	    (kick && strcmp(dev, "disk") && strcmp(dev, "rng") && strcmp(dev, "net")) ||
	    parse_u64_max(argv[2], UINT32_MAX, &n) < 0) {
		kprintf("usage: faultinject dma N               (the Nth DMA allocation from now "
		        "fails)\n"
		        "       faultinject kick N [disk|rng|net] (the device's Nth notification "
		        "from now is not sent; the root disk by default)\n"
		        "       N at most %u; 0 = off\n",
		        UINT32_MAX);
		return 1;
	}
	int err = 0;
	if (!kick)
		dma_fail_nth((unsigned)n);
	else if (!strcmp(dev, "rng"))
		err = rng_lose_notify((unsigned)n);
	else if (!strcmp(dev, "net"))
		err = vnet_lose_notify((unsigned)n);
	else
		err = vblk_lose_notify(vblk_of(blk_root()), (unsigned)n);
	if (err < 0) {
		kprintf("faultinject: no virtio %s device\n", dev);
		return 1;
	}
	const char *what = kick ? "notification" : "DMA allocation";
	if (n == 0)
		kprintf("faultinject: off, every %s succeeds\n", what);
	else
		kprintf("faultinject: %s %lu from now will %s\n", what, n,
		        kick ? "not be sent" : "fail");
	return 0;
}
SHELL_COMMAND("faultinject", "dma|kick N [disk|rng|net]",
              "make the Nth DMA allocation or notification fail (tests)", cmd_faultinject);
