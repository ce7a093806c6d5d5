// Direct-mapped block cache: unit n lives in entry n % BCACHE_ENTRIES.
// Simple, and enough: EclipseFS's metadata of a small tree fits, and large
// file reads bypass it.
#include "blk/bcache.h"
#include "blk/blkdev.h"
#include "errno.h"
#include "lib/string.h"
#include "mem.h"

int bcache_init(struct bcache *c, struct blkdev *dev)
{
	memset(c, 0, sizeof(*c));
	c->dev = dev;
	c->unit = dev->block_size > BCACHE_UNIT ? dev->block_size : BCACHE_UNIT;
	c->dev_bytes = dev->sectors * SECTOR_SIZE;
	c->mem = dma_alloc((size_t)c->unit * BCACHE_ENTRIES);
	if (!c->mem)
		return -ENOMEM;
	c->writes_seen = dev->writes;
	return 0;
}

void bcache_release(struct bcache *c)
{
	dma_free(c->mem, (size_t)c->unit * BCACHE_ENTRIES);
	c->mem = 0;
}

// The cache entry holding unit n, filled from the device if needed.
static int unit_get(struct bcache *c, uint64_t n, uint8_t **out)
{
	unsigned e = (unsigned)(n % BCACHE_ENTRIES);
	uint8_t *p = c->mem + (size_t)e * c->unit;

	if (c->tag[e] != n + 1) {
		// the last unit of a disk may be short: read only what exists
		uint64_t start = n * c->unit;
		uint64_t len = c->dev_bytes - start < c->unit ? c->dev_bytes - start : c->unit;
		c->tag[e] = 0;
		int err = blk_read(c->dev, start / SECTOR_SIZE, p, (size_t)len);
		if (err < 0)
			return err;
		c->tag[e] = n + 1;
		c->misses++;
	} else {
		c->hits++;
	}
	*out = p;
	return 0;
}

int bcache_read(struct bcache *c, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;

	if (off > c->dev_bytes || len > c->dev_bytes - off)
		return -ERANGE;
	if (c->writes_seen != c->dev->writes) {
		// someone wrote to the disk behind us: forget everything
		memset(c->tag, 0, sizeof(c->tag));
		c->writes_seen = c->dev->writes;
	}
	while (len > 0) {
		uint64_t n = off / c->unit, in = off % c->unit;
		// whole units from here on, two or more: one direct read
		uint64_t whole = in == 0 ? len / c->unit : 0;
		if (whole >= 2) {
			size_t bytes = (size_t)(whole * c->unit);
			int err = blk_read(c->dev, off / SECTOR_SIZE, dst, bytes);
			if (err < 0)
				return err;
			c->direct_bytes += bytes;
			off += bytes, dst += bytes, len -= bytes;
			continue;
		}
		uint8_t *p;
		int err = unit_get(c, n, &p);
		if (err < 0)
			return err;
		size_t take = c->unit - in < len ? (size_t)(c->unit - in) : len;
		memcpy(dst, p + in, take);
		off += take, dst += take, len -= take;
	}
	return 0;
}
