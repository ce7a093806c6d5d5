// The block cache over a disk in memory that can fail chosen sectors, the
// way QEMU's blkdebug does: a request fails if it covers a bad sector.
#include <criterion/criterion.h>
#include <string.h>

#include "blk/bcache.h"
#include "blk/blkdev.h"
#include "errno.h"

#define DISK_SECTORS     64
#define DISK_MAX_SECTORS 1024 // 128 units of 4 KiB: room for units a set apart

static uint8_t disk[DISK_MAX_SECTORS * SECTOR_SIZE];
static long bad_sector = -1; // the sector every covering request fails on
static int requests;

static int mem_read(struct blkdev *dev, uint64_t sector, void *buf, size_t len)
{
	(void)dev;
	requests++;
	if (bad_sector >= 0 && (uint64_t)bad_sector >= sector &&
	    (uint64_t)bad_sector < sector + len / SECTOR_SIZE)
		return -EIO;
	memcpy(buf, disk + sector * SECTOR_SIZE, len);
	return 0;
}

static const struct blkdev_ops mem_ops = {mem_read, 0, 0};
static struct blkdev dev;
static struct bcache cache;

static void setup_disk(uint64_t sectors, uint32_t block_size)
{
	for (size_t i = 0; i < sizeof(disk); i++)
		disk[i] = (uint8_t)(i / SECTOR_SIZE * 7 + i);
	dev = (struct blkdev){.name = "memdisk",
	                      .id = "mem0",
	                      .sectors = sectors,
	                      .block_size = block_size,
	                      .read_only = true,
	                      .ops = &mem_ops};
	bad_sector = -1;
	requests = 0;
	cr_assert_eq(bcache_init(&cache, &dev), 0);
}

static void expect_bytes(uint64_t off, size_t len)
{
	uint8_t buf[1024];

	cr_assert_leq(len, sizeof(buf));
	cr_assert_eq(bcache_read(&cache, off, buf, len), 0, "read at %lu failed",
	             (unsigned long)off);
	cr_assert_arr_eq(buf, disk + off, len);
}

Test(bcache, lab0_given_bad_sector_fails_only_reads_that_need_it)
{
	uint8_t buf[600];

	setup_disk(DISK_SECTORS, 512);
	bad_sector = 3; // in the first 4 KiB unit, with the superblock in sector 0
	expect_bytes(0, 64);
	expect_bytes(5 * 512 + 10, 100);
	expect_bytes(7 * 512, 512);
	cr_assert_eq(bcache_read(&cache, 3 * 512 + 8, buf, 8), -EIO);
	// a read that spans the bad sector fails as a whole
	cr_assert_eq(bcache_read(&cache, 2 * 512 + 500, buf, 600), -EIO);
	bcache_release(&cache);
}

Test(bcache, lab0_given_good_sectors_come_from_the_cache_after_a_failure)
{
	setup_disk(DISK_SECTORS, 512);
	bad_sector = 6;
	expect_bytes(0, 16);
	int after_first = requests;
	expect_bytes(512, 16);
	expect_bytes(7 * 512, 16);
	cr_assert_eq(requests, after_first, "good blocks of a failed unit were read again");
	bcache_release(&cache);
}

Test(bcache, lab0_given_a_transient_error_is_retried)
{
	uint8_t buf[8];

	setup_disk(DISK_SECTORS, 512);
	bad_sector = 1;
	cr_assert_eq(bcache_read(&cache, 512, buf, 8), -EIO);
	bad_sector = -1; // the sector recovered
	expect_bytes(512, 8);
	bcache_release(&cache);
}

Test(bcache, lab0_given_big_blocks_read_up_to_the_last_whole_block)
{
	uint8_t buf[16];

	// 21 sectors with 4096-byte blocks: 16 readable, 5 in a partial block
	setup_disk(21, 4096);
	cr_assert_eq(cache.dev_bytes, 16 * 512);
	cr_assert_eq(cache.tail_bytes, 5 * 512);
	expect_bytes(8 * 512 - 8, 16);
	expect_bytes(16 * 512 - 16, 16);
	cr_assert_eq(cache.tail_refused, 0);
	cr_assert_eq(bcache_read(&cache, 16 * 512, buf, 1), -ERANGE);
	cr_assert_eq(cache.tail_refused, 1, "a read in the partial block is not told apart");
	cache.tail_refused = 0;
	cr_assert_eq(bcache_read(&cache, 21 * 512, buf, 1), -ERANGE);
	cr_assert_eq(cache.tail_refused, 0, "past the end of the disk is not the partial block");
	bcache_release(&cache);
}

Test(bcache, lab0_given_bad_block_in_a_big_block_unit)
{
	uint8_t buf[8];

	// one 4096-byte block per unit: its failure fails only that unit
	setup_disk(DISK_SECTORS, 4096);
	bad_sector = 9;
	expect_bytes(0, 16);
	cr_assert_eq(bcache_read(&cache, 8 * 512, buf, 8), -EIO);
	expect_bytes(16 * 512, 16);
	bcache_release(&cache);
}

// Units BCACHE_SETS apart share a set. Direct-mapped, units 1 and 65
// (the inode table's and a 256 KiB file's end, say) took turns in one
// entry and each read of one sent the other back to the disk.
Test(bcache, lab0_given_units_of_one_set_stay_cached_least_recently_used_leaves)
{
	const uint64_t u = BCACHE_UNIT, s = BCACHE_SETS;

	setup_disk(DISK_MAX_SECTORS, 512);
	cr_assert_eq(BCACHE_WAYS, 4, "the test fills a set of four");
	expect_bytes(1 * u + 8, 16);
	expect_bytes((1 + 4 * s) * u + 8, 16);
	int before = requests;
	expect_bytes(1 * u + 8, 16);
	expect_bytes((1 + 4 * s) * u + 8, 16);
	cr_assert_eq(requests, before, "two units of one set did not both stay cached");

	// the set full: 1, 1 + 4s, 1 + s, 1 + 2s; then 1 is used again, so the
	// least recently used is 1 + 4s (first in, first out would pick 1)
	expect_bytes((1 + s) * u, 16);
	expect_bytes((1 + 2 * s) * u, 16);
	expect_bytes(1 * u + 8, 16);
	before = requests;
	expect_bytes((1 + 3 * s) * u, 16);
	cr_assert_eq(requests, before + 1);
	expect_bytes(1 * u + 8, 16);
	cr_assert_eq(requests, before + 1, "the unit used last was the one replaced");
	expect_bytes((1 + 4 * s) * u + 8, 16);
	cr_assert_eq(requests, before + 2, "the least recently used unit was not the one replaced");
	bcache_release(&cache);
}

// Reads of every size at every offset, with one bad sector, against the
// disk itself: whatever the cache holds or replaces, a read returns the
// disk's bytes, and fails exactly when it covers the bad sector. 128
// units over 16 sets keep replacing entries; reads of two units or more
// also take the direct path.
static void random_reads(uint32_t block_size)
{
	static uint8_t buf[3 * BCACHE_UNIT];
	uint64_t seed = 0x2545f4914f6cdd1dULL, bytes = (uint64_t)DISK_MAX_SECTORS * SECTOR_SIZE;

	setup_disk(DISK_MAX_SECTORS, block_size);
	bad_sector = 333;
	for (int i = 0; i < 3000; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t off = (seed >> 33) % bytes;
		size_t len = 1 + (size_t)((seed >> 13) % (i % 10 == 0 ? sizeof(buf) : 300));
		if (len > bytes - off)
			len = (size_t)(bytes - off);
		bool covers = (uint64_t)bad_sector * SECTOR_SIZE < off + len &&
		              off < (uint64_t)(bad_sector + 1) * SECTOR_SIZE;
		// with 4096-byte blocks the whole block around the bad sector fails
		if (block_size > SECTOR_SIZE) {
			uint64_t b0 = (uint64_t)bad_sector * SECTOR_SIZE / block_size * block_size;
			covers = b0 < off + len && off < b0 + block_size;
		}
		int r = bcache_read(&cache, off, buf, len);
		cr_assert_eq(r, covers ? -EIO : 0, "read %d: %zu bytes at %lu gave %d", i, len,
		             (unsigned long)off, r);
		if (!covers)
			cr_assert_arr_eq(buf, disk + off, len, "read %d: %zu bytes at %lu", i, len,
			                 (unsigned long)off);
	}
	bcache_release(&cache);
}

Test(bcache, lab0_given_random_reads_match_the_disk_and_fail_only_over_the_bad_sector)
{
	random_reads(512);
	random_reads(4096);
}
