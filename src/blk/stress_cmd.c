// `blkstress`: many reads of random sizes at random sectors, all in flight
// at once, each byte checked against the pattern the lab 8 grader writes
// on the disk (tests/grade/gradelib.py, sector_pattern): sector s begins
// with "SECTOR %08d " and continues with (s * 7 + i) & 0xff.
//
// Any other disk fails every comparison, and a page of "differs" would
// read as corruption. So the check is made only when the disk shows it
// holds the pattern: at least one sector read begins "SECTOR " and eight
// digits (its own number or not: a driver that reads the wrong sectors
// must still be caught). Otherwise the reads are run and counted, and
// blkstress says the disk does not hold the pattern.
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"
#include "virtio/blk.h"

#define STRESS_MAX_IO  512
#define STRESS_MAX_LEN (64 * 1024)

static void pattern_sector(uint64_t sector, uint8_t *out)
{
	int n = ksnprintf((char *)out, SECTOR_SIZE, "SECTOR %08lu ", (unsigned long)sector);

	for (unsigned i = (unsigned)n; i < SECTOR_SIZE; i++)
		out[i] = (uint8_t)((sector * 7 + (i - (unsigned)n)) & 0xff);
}

// Whether a sector's bytes begin as the pattern's head does, "SECTOR "
// and eight digits and a space, for whatever sector.
static bool has_pattern_head(const uint8_t *p)
{
	if (memcmp(p, "SECTOR ", 7) || p[15] != ' ')
		return false;
	for (int i = 7; i < 15; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static int cmd_blkstress(int argc, char **argv)
{
	unsigned long count = 256, seed = 1;
	struct blkdev *dev = blk_root();
	struct vblk *v = vblk_of(dev);

	if ((argc > 1 && parse_u64(argv[1], &count) < 0) ||
	    (argc > 2 && parse_u64(argv[2], &seed) < 0) || count == 0 || count > STRESS_MAX_IO ||
	    argc > 3 || !vblk_present(v)) {
		kprintf("usage: blkstress [COUNT (1..%d)] [SEED]   (virtio-blk disk needed)\n",
		        STRESS_MAX_IO);
		return 1;
	}
	uint32_t bs = dev->block_size;
	uint64_t blocks = dev->sectors / (bs / SECTOR_SIZE);
	if (blocks == 0) {
		kprintf("blkstress: the disk holds %lu bytes, not one whole %u-byte block: nothing "
		        "to read\n",
		        (unsigned long)(dev->sectors * SECTOR_SIZE), bs);
		return 1;
	}
	size_t io_bytes = sizeof(struct vblk_io) * count;
	struct vblk_io *io = dma_alloc(io_bytes);
	uint8_t *buf = dma_alloc((size_t)count * STRESS_MAX_LEN);
	if (!io || !buf) {
		kprintf("blkstress: out of memory\n");
		dma_free(io, io_bytes);
		dma_free(buf, (size_t)count * STRESS_MAX_LEN);
		return 1;
	}
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1, total = 0;
	for (unsigned long i = 0; i < count; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t nblk = 1 + (uint32_t)(x % (STRESS_MAX_LEN / bs));
		if (nblk > blocks)
			nblk = (uint32_t)blocks;
		uint64_t blk = (x >> 20) % (blocks - nblk + 1);
		io[i] = (struct vblk_io){VIRTIO_BLK_T_IN, blk * (bs / SECTOR_SIZE),
		                         buf + i * STRESS_MAX_LEN, nblk * bs, 0};
		memset(io[i].buf, 0xee, io[i].len);
		total += io[i].len;
	}
	int err = vblk_run(v, io, (int)count, 0);
	unsigned long bad = 0;
	uint8_t want[SECTOR_SIZE];
	bool patterned = false;
	for (unsigned long i = 0; i < count && !err && !patterned; i++)
		for (uint32_t off = 0; off < io[i].len && !patterned; off += SECTOR_SIZE)
			patterned = has_pattern_head((uint8_t *)io[i].buf + off);
	for (unsigned long i = 0; i < count && !err && patterned; i++) {
		for (uint32_t off = 0; off < io[i].len; off += SECTOR_SIZE) {
			uint64_t s = io[i].sector + off / SECTOR_SIZE;
			pattern_sector(s, want);
			if (memcmp((uint8_t *)io[i].buf + off, want, SECTOR_SIZE)) {
				if (bad++ == 0)
					kprintf(
					    "blkstress: request %lu: sector %lu differs from the "
					    "pattern\n",
					    i, (unsigned long)s);
				break;
			}
		}
	}
	if (err < 0)
		kprintf("blkstress: %s\n", errstr(err));
	else if (!patterned)
		kprintf(
		    "blkstress: this disk does not hold the test pattern blkstress checks (sector "
		    "n begins \"SECTOR n \", n in 8 digits; the lab 8 grader writes it, see "
		    "tests/grade/gradelib.py): no sector read begins so, nothing was checked\n"
		    "blkstress: %lu requests, %lu bytes, not checked\n",
		    count, (unsigned long)total);
	else
		kprintf("blkstress: %lu requests, %lu bytes, %lu mismatched\n", count,
		        (unsigned long)total, bad);
	dma_free(io, io_bytes);
	dma_free(buf, (size_t)count * STRESS_MAX_LEN);
	return err < 0 || bad || !patterned;
}
SHELL_COMMAND("blkstress", "[COUNT] [SEED]",
              "random reads all in flight, checked against the test pattern (lab 8's disk)",
              cmd_blkstress);
