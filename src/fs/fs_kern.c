// Mounting the root volume: the glue between the portable EclipseFS reader
// and the kernel's block layer.
#include "blk/bcache.h"
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "fs/fs.h"
#include "fs/fs_cmd.h"
#include "lib/string.h"

// Two places to mount into: the volume in use, and the one being tried.
// `mount vdb` mounts into the spare place, so a disk without EclipseFS
// leaves the mounted volume as it was (a location's io.ctx points into its
// own struct, so a mounted volume is never copied, only switched to).
static struct fs_mount mounts[2];
static struct bcache caches[2];
static int cur = -1; // the mounted place, or -1

// The volume is read through the cache: loc.disk.ctx is its place's
// bcache, which is how the `mount` command (fs_small_cmd.c) finds its hit
// and miss counters.
static int cache_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	return bcache_read(ctx, off, buf, len);
}

int fs_mount_root(struct blkdev *dev)
{
	int next = cur == 0 ? 1 : 0;
	struct fs_mount *m = &mounts[next];
	struct bcache *cache = &caches[next];
	int err;

	if (cache->mem)
		bcache_release(cache);
	memset(m, 0, sizeof(*m));
	if ((err = bcache_init(cache, dev)) < 0) {
		kprintf("fs: no memory for the block cache\n");
		return err;
	}
	if (cache->tail_bytes)
		kprintf("fs: %s ends in a partial %u-byte block (bytes %lu..%lu): the device "
		        "cannot read it, and what lies there reads as out of range\n",
		        dev->name, dev->block_size, (unsigned long)cache->dev_bytes,
		        (unsigned long)(cache->dev_bytes + cache->tail_bytes - 1));
	struct efs_io disk = {cache_read, cache, dev->sectors * SECTOR_SIZE};
	m->dev = dev;
	err = efs_find_volume(&disk, &m->loc);
	if (err < 0) {
		kprintf("fs: no EclipseFS volume on %s: %s\n", dev->name,
		        m->loc.error ? m->loc.error : errstr(err));
		bcache_release(cache);
		return err;
	}
	kprintf("fs: EclipseFS volume on %s, %s, at byte offset %lu\n", dev->name, m->loc.where,
	        (unsigned long)m->loc.offset);
	err = efs_mount(&m->vol, &m->loc.io);
	if (err < 0) {
		kprintf("fs: mount failed: %s\n",
		        efs_error(&m->vol)[0] ? efs_error(&m->vol) : errstr(err));
		bcache_release(cache);
		return err;
	}
	// the header can be sound and the root unreadable: such a volume
	// would fail every command, so it is refused here and boot tries
	// the next disk.
	err = efs_root_check(&m->vol);
	if (err < 0) {
		kprintf("fs: mount failed: the root directory cannot be read: %s\n",
		        efs_error(&m->vol)[0] ? efs_error(&m->vol) : errstr(err));
		bcache_release(cache);
		return err;
	}
	m->cwd.ino[0] = EFS_ROOT_INO;
	m->cwd.depth = 1;
	m->cwd_path[0] = '/';
	// the new volume replaces the old one, whose cache is given back
	if (cur >= 0 && caches[cur].mem)
		bcache_release(&caches[cur]);
	cur = next;
	kprintf("fs: mounted EclipseFS v%u.%u: %u inodes, volume %lu bytes\n", m->vol.version >> 16,
	        m->vol.version & 0xffff, m->vol.total_inodes, (unsigned long)m->loc.io.size);
	return 0;
}

struct fs_mount *fs_root(void)
{
	return cur >= 0 ? &mounts[cur] : 0;
}

void fs_perror(const char *cmd, const char *path, int err)
{
	struct fs_mount *fs = fs_root();
	const char *why = fs ? fs_reason(fs, err) : errstr(err);

	if (err == -ERANGE && fs && caches[cur].tail_refused)
		kprintf("%s: %s: %s (it needs the partial %u-byte block at the end of the disk, "
		        "which the device cannot read)\n",
		        cmd, path, why, fs->dev->block_size);
	else
		kprintf("%s: %s: %s\n", cmd, path, why);
	if (fs)
		caches[cur].tail_refused = 0;
}
