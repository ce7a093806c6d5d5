// Mounting the root volume: the glue between the portable EclipseFS reader
// and the kernel's block layer.
#include "blk/bcache.h"
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "fs/fs.h"
#include "fs/fs_cmd.h"
#include "lib/string.h"

static struct fs_mount root;
static struct bcache cache;
static int mounted;

// The volume is read through the cache: root.loc.disk.ctx is &cache, which
// is how the `mount` command (fs_cmd.c) finds its hit and miss counters.
static int cache_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return bcache_read(ctx, off, buf, len);
}

int fs_mount_root(struct blkdev *dev)
{
	int err;

	mounted = 0;
	if (cache.mem)
		bcache_release(&cache);
	memset(&root, 0, sizeof(root));
	if ((err = bcache_init(&cache, dev)) < 0) {
		kprintf("fs: no memory for the block cache\n");
		return err;
	}
	if (cache.tail_bytes)
		kprintf("fs: %s ends in a partial %u-byte block (bytes %lu..%lu): the device "
		        "cannot read it, and what lies there reads as out of range\n",
		        dev->name, dev->block_size, (unsigned long)cache.dev_bytes,
		        (unsigned long)(cache.dev_bytes + cache.tail_bytes - 1));
	struct efs_io disk = {cache_read, &cache, dev->sectors * SECTOR_SIZE};
	root.dev = dev;
	err = efs_find_volume(&disk, &root.loc);
	if (err < 0) {
		kprintf("fs: no EclipseFS volume on %s: %s\n", dev->name,
		        root.loc.error ? root.loc.error : errstr(err));
		return err;
	}
	kprintf("fs: EclipseFS volume on %s, %s, at byte offset %lu\n", dev->name, root.loc.where,
	        (unsigned long)root.loc.offset);
	err = efs_mount(&root.vol, &root.loc.io);
	if (err < 0) {
		kprintf("fs: mount failed: %s\n",
		        efs_error(&root.vol)[0] ? efs_error(&root.vol) : errstr(err));
		return err;
	}
	root.cwd.ino[0] = EFS_ROOT_INO;
	root.cwd.depth = 1;
	root.cwd_path[0] = '/';
	mounted = 1;
	kprintf("fs: mounted EclipseFS v%u.%u: %u inodes, volume %lu bytes\n",
	        root.vol.version >> 16, root.vol.version & 0xffff, root.vol.total_inodes,
	        (unsigned long)root.loc.io.size);
	return 0;
}

struct fs_mount *fs_root(void)
{
	return mounted ? &root : 0;
}

void fs_perror(const char *cmd, const char *path, int err)
{
	const char *why = mounted ? fs_reason(&root, err) : errstr(err);

	if (err == -ERANGE && mounted && cache.tail_refused)
		kprintf("%s: %s: %s (it needs the partial %u-byte block at the end of the disk, "
		        "which the device cannot read)\n",
		        cmd, path, why, root.dev->block_size);
	else
		kprintf("%s: %s: %s\n", cmd, path, why);
	cache.tail_refused = 0;
}
