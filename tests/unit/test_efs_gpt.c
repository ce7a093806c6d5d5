// Lab 6: finding the volume on a disk: the whole disk, or a GPT partition
// that starts with the magic (efs_find_volume), and corrupt partition tables.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "fs/volume.h"
#include "lib/crc32.h"
#include "lib/string.h"

// --- finding the volume -------------------------------------------------------

#define EFS_T_SECTOR 512
#define EFS_T_PART   64 // first LBA of the EclipseFS partition in test disks

static uint8_t efs_t_disk[256 * 1024];
static uint64_t efs_t_disk_len;

static int efs_t_disk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	if (off > efs_t_disk_len || len > efs_t_disk_len - off) {
		efs_t_read_outside("disk", off, len, efs_t_disk_len);
		return -EIO;
	}
	memcpy(buf, efs_t_disk + off, len);
	return 0;
}

static void efs_t_put(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

// Recompute both CRCs after a test has changed the header or the array.
static void efs_t_gpt_seal(void)
{
	uint8_t *h = efs_t_disk + EFS_T_SECTOR;
	uint32_t count, esize;

	count = (uint32_t)(h[80] | h[81] << 8);
	esize = (uint32_t)(h[84] | h[85] << 8);
	if (esize <= 4096 && count <= 1024 &&
	    2 * EFS_T_SECTOR + count * esize <= sizeof(efs_t_disk))
		efs_t_put(h + 88, crc32_update(0, efs_t_disk + 2 * EFS_T_SECTOR, count * esize), 4);
	efs_t_put(h + 16, 0, 4);
	efs_t_put(h + 16, crc32_update(0, h, 92), 4);
}

// A GPT disk: partition 1 (no magic) at LBA 40, partition 2 holding the
// sample volume at EFS_T_PART; 128 entries of 128 bytes from LBA 2.
static void efs_t_gpt(void)
{
	uint8_t *h = efs_t_disk + EFS_T_SECTOR, *e = efs_t_disk + 2 * EFS_T_SECTOR;
	uint64_t vol_sectors;

	efs_t_sample();
	vol_sectors = (efs_t_len + EFS_T_SECTOR - 1) / EFS_T_SECTOR;
	memset(efs_t_disk, 0, sizeof(efs_t_disk));
	efs_t_disk_len = (EFS_T_PART + vol_sectors + 40) * EFS_T_SECTOR;
	cr_assert_leq(efs_t_disk_len, sizeof(efs_t_disk));

	efs_t_disk[446 + 4] = 0xEE;
	efs_t_disk[510] = 0x55;
	efs_t_disk[511] = 0xAA;
	memcpy(h, "EFI PART", 8);
	efs_t_put(h + 8, 0x00010000, 4);
	efs_t_put(h + 12, 92, 4);
	efs_t_put(h + 24, 1, 8);
	efs_t_put(h + 72, 2, 8);
	efs_t_put(h + 80, 128, 4);
	efs_t_put(h + 84, 128, 4);
	memset(e, 0x11, 16); // any non-zero type GUID
	efs_t_put(e + 32, 40, 8);
	efs_t_put(e + 40, 63, 8);
	memset(e + 128, 0x22, 16);
	efs_t_put(e + 128 + 32, EFS_T_PART, 8);
	efs_t_put(e + 128 + 40, EFS_T_PART + vol_sectors - 1, 8);
	memcpy(efs_t_disk + EFS_T_PART * EFS_T_SECTOR, efs_t_img, efs_t_len);
	efs_t_gpt_seal();
}

static int efs_t_find(struct efs_location *loc)
{
	struct efs_io disk = {efs_t_disk_read, NULL, efs_t_disk_len};

	return efs_find_volume(&disk, loc);
}

TestSuite(eclipsefs_gpt, .init = efs_t_setup);

Test(eclipsefs_gpt, lab0_whole_disk_volume_is_found_at_offset_0)
{
	struct efs_location loc;

	efs_t_sample();
	memcpy(efs_t_disk, efs_t_img, efs_t_len);
	efs_t_disk_len = efs_t_len;
	cr_assert_eq(efs_t_find(&loc), 0);
	cr_assert_eq(loc.offset, 0);
	cr_assert_eq(loc.partition, 0);
	cr_assert_eq(loc.io.size, efs_t_len);
	cr_assert_str_eq(loc.where, "whole disk");
}

Test(eclipsefs_gpt, lab6_partition_starting_with_the_magic_is_found)
{
	struct efs_location loc;
	struct efs_volume v;
	struct efs_inode n;
	char buf[32] = {0};

	efs_t_gpt();
	cr_assert_eq(efs_t_find(&loc), 0, "%s", loc.error);
	cr_assert_eq(loc.partition, 2);
	cr_assert_eq(loc.offset, EFS_T_PART * EFS_T_SECTOR);
	cr_assert_str_eq(loc.where, "GPT partition 2");
	cr_assert_eq(loc.io.size % EFS_T_SECTOR, 0);
	cr_assert_geq(loc.io.size, efs_t_len);
	cr_assert_eq(efs_mount(&v, &loc.io), 0);
	cr_assert_eq(efs_lookup(&v, "/bin/sh", &n), 0);
	cr_assert_eq(efs_read(&v, &n, 0, buf, sizeof(buf)), 17);
	cr_assert_str_eq(buf, "Hello, EclipseFS!");
}

Test(eclipsefs_gpt, lab0_volume_reader_refuses_reads_past_the_partition)
{
	struct efs_location loc;
	uint8_t b[2];

	efs_t_gpt();
	cr_assert_eq(efs_t_find(&loc), 0);
	cr_assert_eq(loc.io.read(loc.io.ctx, loc.io.size - 1, b, 2), -ERANGE);
	cr_assert_eq(loc.io.read(loc.io.ctx, loc.io.size - 2, b, 2), 0);
}

Test(eclipsefs_gpt, lab0_header_crc_mismatch_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[EFS_T_SECTOR + 40] ^= 1; // first usable LBA, after sealing
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert(strstr(loc.error, "header CRC32") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_entry_array_crc_mismatch_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[2 * EFS_T_SECTOR + 128 + 40] ^= 1; // partition 2's last LBA
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert(strstr(loc.error, "array CRC32") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_disk_without_protective_mbr_is_enoent)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[446 + 4] = 0x83;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	cr_assert(strstr(loc.error, "protective MBR") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_no_partition_with_the_magic_is_enoent)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[EFS_T_PART * EFS_T_SECTOR] = 'X';
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	cr_assert(strstr(loc.error, "no GPT partition") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_entry_size_below_128_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + EFS_T_SECTOR + 84, 64, 4);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_entry_count_over_the_limit_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + EFS_T_SECTOR + 80, 0xffffffff, 4);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_entry_array_past_the_disk_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + EFS_T_SECTOR + 72, UINT64_MAX / 256, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_partition_past_the_disk_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + 2 * EFS_T_SECTOR + 128 + 40, efs_t_disk_len / EFS_T_SECTOR, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_partition_with_first_after_last_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + 2 * EFS_T_SECTOR + 128 + 32, EFS_T_PART + 5, 8);
	efs_t_put(efs_t_disk + 2 * EFS_T_SECTOR + 128 + 40, EFS_T_PART + 4, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_tiny_disk_is_enoent)
{
	struct efs_location loc;

	efs_t_disk_len = 5;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	efs_t_disk_len = 1000;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
}
