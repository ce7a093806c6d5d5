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
#define BCACHE_WAYS    4 // entries a unit may live in: unit n in set n % BCACHE_SETS
#define BCACHE_SETS    (BCACHE_ENTRIES / BCACHE_WAYS)
#define BCACHE_UNIT    4096 // bytes per entry, or the device's block size if larger

struct blkdev;

struct bcache {
	struct blkdev *dev;
	uint32_t unit;                // bytes per entry, a multiple of the block size
	uint64_t dev_bytes;           // bytes in whole blocks: what the device can read
	uint64_t tail_bytes;          // a partial block after them, unreadable (often 0)
	int tail_refused;             // set when a read was refused for needing that block
	uint8_t *mem;                 // BCACHE_ENTRIES * unit bytes (DMA memory)
	uint64_t tag[BCACHE_ENTRIES]; // unit number + 1 held by the entry; 0 = empty
	// blocks of the entry the device failed to read (bit i: block i of
	// the unit; a unit holds at most 4096 / 512 = 8 blocks). Only reads
	// that need such a block fail, and they ask the device again first.
	uint8_t bad[BCACHE_ENTRIES];
	uint64_t last_use[BCACHE_ENTRIES]; // `clock` at the entry's last use; 0 = never
	uint64_t clock;                    // counts uses, to find a set's least recent
	uint32_t writes_seen;              // dev->writes when the cache was last valid
	uint64_t hits, misses, direct_bytes;
};

int bcache_init(struct bcache *c, struct blkdev *dev);
void bcache_release(struct bcache *c);
// Read len bytes at byte offset off of the device. Returns 0 or -errno:
// -ERANGE past the end or in the partial block after the last whole one
// (tail_bytes), -EIO when a block the read needs failed on the device.
int bcache_read(struct bcache *c, uint64_t off, void *buf, size_t len);

#endif
