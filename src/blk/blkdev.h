// One interface for every block device the kernel can read a file system
// from: a virtio-blk disk or the built-in ramdisk. Everything above this
// line speaks in 512-byte sectors and byte buffers; nothing above it knows
// about rings or descriptors.
#ifndef BLK_BLKDEV_H
#define BLK_BLKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECTOR_SIZE 512

struct blkdev;

struct blkdev_ops {
	// Transfer len bytes (a non-zero multiple of SECTOR_SIZE) starting at
	// sector. The caller (blk_read/blk_write) has already checked the range.
	int (*read)(struct blkdev *dev, uint64_t sector, void *buf, size_t len);
	int (*write)(struct blkdev *dev, uint64_t sector, const void *buf, size_t len);
	// Make every completed write durable. A device with no write cache
	// may leave this NULL.
	int (*flush)(struct blkdev *dev);
};

struct blkdev {
	const char *name;    // for messages: "virtio-blk (slot 7)", "ramdisk"
	const char *id;      // what commands call it: "vda", "ram0"
	uint64_t sectors;    // capacity in 512-byte sectors
	uint32_t block_size; // the device's preferred I/O size, >= 512
	bool read_only;      // writes are refused with -EROFS
	const struct blkdev_ops *ops;
	void *priv;      // the backend's own state
	uint32_t writes; // bumped by every blk_write, so caches know to forget
};

// The sectors a request can reach: whole blocks only. A disk whose size
// is not a multiple of its block size ends in a partial block that the
// device refuses to transfer (a 10752-byte image with 4096-byte blocks:
// sectors 0-15 readable, 16-20 not).
static inline uint64_t blk_whole_sectors(const struct blkdev *dev)
{
	uint64_t per = dev->block_size / SECTOR_SIZE;

	return dev->sectors - dev->sectors % per;
}

// Checked entry points: range against capacity, length a non-zero multiple
// of SECTOR_SIZE, read-only devices refuse writes. Return 0 or -errno.
int blk_read(struct blkdev *dev, uint64_t sector, void *buf, size_t len);
int blk_write(struct blkdev *dev, uint64_t sector, const void *buf, size_t len);
int blk_flush(struct blkdev *dev);

// Every block device, in discovery order. Backends register theirs.
int blk_register(struct blkdev *dev);
void blk_unregister(struct blkdev *dev);
// The next registered device after prev (NULL: the first), or NULL.
struct blkdev *blk_next(struct blkdev *prev);
// The device with this id ("vda"), or NULL.
struct blkdev *blk_find(const char *id);
// For a command that takes an optional device name: the device called id,
// or with id NULL the root device. When there is none, prints "CMD: no
// block device named ..." with the names there are, and returns NULL.
struct blkdev *blk_named(const char *cmd, const char *id);

// The disk the kernel mounts its file system from (chosen at boot: the
// first that holds EclipseFS, see main.c). NULL before blk_root_set().
struct blkdev *blk_root(void);
void blk_root_set(struct blkdev *dev);

#endif
