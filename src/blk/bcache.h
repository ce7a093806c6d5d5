// A small cache of disk blocks between a file system, which reads bytes at
// any offset, and a block device, which reads whole blocks. Small reads
// (EclipseFS reads a 6-byte TLV header at a time) come from the cache; the
// whole blocks in the middle of a large read go straight from the device
// into the caller's buffer, as large requests, and skip the cache.
#ifndef BLK_BCACHE_H
#define BLK_BCACHE_H

#include <stddef.h>
#include <stdint.h>

#define BCACHE_ENTRIES 64
#define BCACHE_UNIT    4096 // bytes per entry, or the device's block size if larger

struct blkdev;

struct bcache {
	struct blkdev *dev;
	uint32_t unit;                // bytes per entry, a multiple of the block size
	uint64_t dev_bytes;           // the device's size
	uint8_t *mem;                 // BCACHE_ENTRIES * unit bytes (DMA memory)
	uint64_t tag[BCACHE_ENTRIES]; // unit number + 1 held by the entry; 0 = empty
	uint32_t writes_seen;         // dev->writes when the cache was last valid
	uint64_t hits, misses, direct_bytes;
};

int bcache_init(struct bcache *c, struct blkdev *dev);
void bcache_release(struct bcache *c);
// Read len bytes at byte offset off of the device. Returns 0 or -errno.
int bcache_read(struct bcache *c, uint64_t off, void *buf, size_t len);

#endif
