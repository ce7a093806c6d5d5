// Block cache, 4-way set-associative: unit n may live in any of the four
// entries of set n % BCACHE_SETS, and a miss replaces the set's least
// recently used. Enough for EclipseFS's metadata of a small tree, and
// large file reads bypass it.
//
// Why not direct-mapped (one entry a unit, the first version): units that
// are a multiple of 64 apart then take turns in one entry. `make bench`
// reads three 24 MiB files (6144 units each), and the units at their
// ends fell on the entry of the inode table's unit, 1: every pass over
// the files read units 1, 6145, 12289 and 16385 from the disk again,
// eight 4 KiB reads at depth 1 a pass. Any file whose size is a multiple
// of 256 KiB did the same to the metadata it shared an entry with.
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
	c->dev_bytes = blk_whole_sectors(dev) * SECTOR_SIZE;
	c->tail_bytes = dev->sectors * SECTOR_SIZE - c->dev_bytes;
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

// Read the blocks of entry e whose bits are set in `want` one at a time,
// into p; the ones that fail stay marked bad. Returns the first error.
static int read_blocks(struct bcache *c, unsigned e, uint64_t start, uint8_t *p, unsigned want)
{
	uint32_t bs = c->dev->block_size;
	int first_err = 0;

	for (unsigned i = 0; i < c->unit / bs; i++) {
		if (!(want & (1U << i)))
			continue;
		int err =
		    blk_read(c->dev, (start + (uint64_t)i * bs) / SECTOR_SIZE, p + i * bs, bs);
		if (err < 0) {
			c->bad[e] |= (uint8_t)(1U << i);
			first_err = first_err ? first_err : err;
		} else {
			c->bad[e] &= (uint8_t) ~(1U << i);
		}
	}
	return first_err;
}

_Static_assert(BCACHE_ENTRIES % BCACHE_WAYS == 0, "the sets share the entries out evenly");

// The entry of unit n's set that holds it (*hit set), or else the one to
// fill with it: an empty one if any, else the set's least recently used.
static unsigned entry_for(const struct bcache *c, uint64_t n, int *hit)
{
	unsigned first = (unsigned)(n % BCACHE_SETS) * BCACHE_WAYS, victim = first;

	for (unsigned e = first; e < first + BCACHE_WAYS; e++) {
		if (c->tag[e] == n + 1) {
			*hit = 1;
			return e;
		}
		if (!c->tag[victim])
			continue; // an empty entry is the best victim
		if (!c->tag[e] || c->last_use[e] < c->last_use[victim])
			victim = e;
	}
	*hit = 0;
	return victim;
}

// The cache entry holding unit n, filled from the device if needed, for a
// read of bytes [in, in + len) of the unit. One bad sector must not make
// its neighbours unreadable (the first unit of an EclipseFS volume holds
// the superblock and often the whole inode table): when the unit as a
// whole fails with an I/O error, it is read again block by block, and
// only a read that needs a failed block fails.
static int unit_get(struct bcache *c, uint64_t n, size_t in, size_t len, uint8_t **out)
{
	int hit;
	unsigned e = entry_for(c, n, &hit);
	uint8_t *p = c->mem + (size_t)e * c->unit;
	uint64_t start = n * c->unit;
	uint32_t bs = c->dev->block_size;
	// the blocks this read needs
	unsigned need = 0;
	for (size_t b = in / bs; b <= (in + len - 1) / bs; b++)
		need |= 1U << b;

	c->last_use[e] = ++c->clock;
	if (!hit) {
		// the last unit of a disk may be short: read only what exists
		uint64_t ulen = c->dev_bytes - start < c->unit ? c->dev_bytes - start : c->unit;
		c->tag[e] = 0;
		c->bad[e] = 0;
		int err = blk_read(c->dev, start / SECTOR_SIZE, p, (size_t)ulen);
		if (err == -EIO && ulen > bs) {
			// which blocks failed? (the others are worth having)
			unsigned all = (unsigned)((1UL << (ulen / bs)) - 1);
			read_blocks(c, e, start, p, all);
		} else if (err < 0) {
			return err;
		}
		c->tag[e] = n + 1;
		c->misses++;
		if (c->bad[e] & need)
			return -EIO;
	} else {
		c->hits++;
		// a block that failed before may read now (a transient error)
		if ((c->bad[e] & need) && read_blocks(c, e, start, p, c->bad[e] & need) < 0)
			return -EIO;
	}
	*out = p;
	return 0;
}

int bcache_read(struct bcache *c, uint64_t off, void *buf, size_t len)
{
	uint8_t *dst = buf;

	if (len == 0)
		return 0;
	if (off > c->dev_bytes || len > c->dev_bytes - off) {
		uint64_t size = c->dev_bytes + c->tail_bytes;
		if (off <= size && len <= size - off)
			c->tail_refused = 1;
		return -ERANGE;
	}
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
		size_t take = c->unit - in < len ? (size_t)(c->unit - in) : len;
		int err = unit_get(c, n, (size_t)in, take, &p);
		if (err < 0)
			return err;
		memcpy(dst, p + in, take);
		off += take, dst += take, len -= take;
	}
	return 0;
}
