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

// Where a field lies on the test disk, named by the layouts of
// fs/volume.h: the protective MBR in LBA 0, the GPT header in LBA 1, the
// partition entries from LBA 2 (ENT(1, ending_lba) is partition 2's).
#define MBR(f)    offsetof(struct mbr, f)
#define MBR_TYPE0 (MBR(partition) + offsetof(struct mbr_partition, os_type))
#define HDR(f)    (EFS_T_SECTOR + offsetof(struct gpt_header, f))
#define ENT(i, f)                                                                                  \
	(2 * EFS_T_SECTOR + (i) * sizeof(struct gpt_entry) + offsetof(struct gpt_entry, f))

static void efs_t_disk_le(uint64_t off, uint64_t v, int bytes)
{
	efs_t_put_le(efs_t_disk + off, v, bytes);
}

// Recompute both CRCs of the GPT whose LBAs are `lba` bytes, after a
// test has changed the header (at LBA 1) or the array (from LBA 2).
static void efs_t_gpt_seal_lba(uint32_t lba)
{
	uint8_t *h = efs_t_disk + lba;
	uint32_t count =
	    (uint32_t)efs_t_get_le(h + offsetof(struct gpt_header, number_of_partition_entries), 4);
	uint32_t esize =
	    (uint32_t)efs_t_get_le(h + offsetof(struct gpt_header, size_of_partition_entry), 4);

	if (esize <= 4096 && count <= 1024 &&
	    2 * lba + (uint64_t)count * esize <= sizeof(efs_t_disk))
		efs_t_put_le(h + offsetof(struct gpt_header, partition_entry_array_crc32),
		             crc32_update(0, efs_t_disk + 2 * lba, count * esize), 4);
	efs_t_put_le(h + offsetof(struct gpt_header, header_crc32), 0, 4);
	efs_t_put_le(h + offsetof(struct gpt_header, header_crc32),
	             crc32_update(0, h, sizeof(struct gpt_header)), 4);
}

static void efs_t_gpt_seal(void)
{
	efs_t_gpt_seal_lba(EFS_T_SECTOR);
}

// A zeroed disk of `lbas` LBAs of `lba` bytes with a protective MBR and a
// GPT header at LBA 1 that lists `entries` entries from LBA 2. The entries
// and the CRCs (efs_t_gpt_seal_lba) are the caller's. Returns the header.
static uint8_t *efs_t_gpt_start(uint32_t lba, uint64_t lbas, uint32_t entries)
{
	uint8_t *h = efs_t_disk + lba;

	memset(efs_t_disk, 0, sizeof(efs_t_disk));
	efs_t_disk_len = lbas * lba;
	cr_assert_leq(efs_t_disk_len, sizeof(efs_t_disk));
	efs_t_disk[MBR_TYPE0] = 0xEE;
	efs_t_disk[MBR(signature)] = 0x55;
	efs_t_disk[MBR(signature) + 1] = 0xAA;
	memcpy(h + offsetof(struct gpt_header, signature), "EFI PART", 8);
	efs_t_put_le(h + offsetof(struct gpt_header, revision), 0x00010000, 4);
	efs_t_put_le(h + offsetof(struct gpt_header, header_size), sizeof(struct gpt_header), 4);
	efs_t_put_le(h + offsetof(struct gpt_header, my_lba), 1, 8);
	efs_t_put_le(h + offsetof(struct gpt_header, partition_entry_lba), 2, 8);
	efs_t_put_le(h + offsetof(struct gpt_header, number_of_partition_entries), entries, 4);
	efs_t_put_le(h + offsetof(struct gpt_header, size_of_partition_entry),
	             sizeof(struct gpt_entry), 4);
	return h;
}

// A GPT disk: partition 1 (no magic) at LBA 40, partition 2 holding the
// sample volume at EFS_T_PART; 128 entries of 128 bytes from LBA 2.
static void efs_t_gpt(void)
{
	uint64_t vol_sectors;

	efs_t_sample();
	vol_sectors = (efs_t_len + EFS_T_SECTOR - 1) / EFS_T_SECTOR;
	efs_t_gpt_start(EFS_T_SECTOR, EFS_T_PART + vol_sectors + 40, 128);
	memset(efs_t_disk + ENT(0, partition_type_guid), 0x11, 16); // any non-zero type GUID
	efs_t_disk_le(ENT(0, starting_lba), 40, 8);
	efs_t_disk_le(ENT(0, ending_lba), 63, 8);
	memset(efs_t_disk + ENT(1, partition_type_guid), 0x22, 16);
	efs_t_disk_le(ENT(1, starting_lba), EFS_T_PART, 8);
	efs_t_disk_le(ENT(1, ending_lba), EFS_T_PART + vol_sectors - 1, 8);
	memcpy(efs_t_disk + EFS_T_PART * EFS_T_SECTOR, efs_t_img, efs_t_len);
	efs_t_gpt_seal();
}

static int efs_t_find(struct efs_location *loc)
{
	struct efs_io disk = {efs_t_disk_read, NULL, efs_t_disk_len};

	return efs_find_volume(&disk, loc);
}

TestSuite(eclipsefs_gpt, .init = efs_t_setup);

Test(eclipsefs_gpt, lab0_given_whole_disk_volume_is_found_at_offset_0)
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

// A GPT made on a disk of 4096-byte blocks (a 4Kn disk): every LBA is
// 4096 bytes, so the header is at byte 4096, the entries at LBA 2 (byte
// 8192) and the volume at LBA 8. UEFI 5.3.1; Linux reads it so on such a
// disk.
Test(eclipsefs_gpt, lab6_gpt_with_4096_byte_lbas_is_found)
{
	enum { L = 4096, PART = 8, ENTRIES = 4 };
	struct efs_location loc;
	struct efs_volume v;
	struct efs_inode n;
	char buf[32] = {0};
	uint8_t *e = efs_t_disk + 2 * L;

	efs_t_sample();
	uint64_t vol_lbas = (efs_t_len + L - 1) / L;
	uint8_t *h = efs_t_gpt_start(L, PART + vol_lbas + 4, ENTRIES);
	memset(e + offsetof(struct gpt_entry, partition_type_guid), 0x33, 16);
	efs_t_put_le(e + offsetof(struct gpt_entry, starting_lba), PART, 8);
	efs_t_put_le(e + offsetof(struct gpt_entry, ending_lba), PART + vol_lbas - 1, 8);
	memcpy(efs_t_disk + PART * L, efs_t_img, efs_t_len);
	efs_t_gpt_seal_lba(L);

	cr_assert_eq(efs_t_find(&loc), 0, "%s", loc.error);
	cr_assert_eq(loc.partition, 1);
	cr_assert_eq(loc.offset, PART * L, "the volume at LBA 8 of 4096 bytes, got byte %lu",
	             (unsigned long)loc.offset);
	cr_assert_eq(loc.io.size, vol_lbas * L);
	cr_assert_eq(efs_mount(&v, &loc.io), 0);
	cr_assert_eq(efs_lookup(&v, "/bin/sh", &n), 0);
	cr_assert_eq(efs_read(&v, &n, 0, buf, sizeof(buf)), 17);
	cr_assert_str_eq(buf, "Hello, EclipseFS!");

	// a header at neither place is named as such
	memset(h, 0, 8);
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert_str_eq(loc.error, "protective MBR but no GPT header at LBA 1 (byte 512 or 4096)");
}

Test(eclipsefs_gpt, lab0_given_volume_reader_refuses_reads_past_the_partition)
{
	struct efs_location loc;
	uint8_t b[2];

	efs_t_gpt();
	cr_assert_eq(efs_t_find(&loc), 0);
	cr_assert_eq(loc.io.read(loc.io.ctx, loc.io.size - 1, b, 2), -ERANGE);
	cr_assert_eq(loc.io.read(loc.io.ctx, loc.io.size - 2, b, 2), 0);
}

Test(eclipsefs_gpt, lab0_given_header_crc_mismatch_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[HDR(first_usable_lba)] ^= 1; // after sealing
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert(strstr(loc.error, "header CRC32") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_given_entry_array_crc_mismatch_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[ENT(1, ending_lba)] ^= 1; // partition 2's last LBA
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert(strstr(loc.error, "array CRC32") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_given_disk_without_protective_mbr_is_enoent)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[MBR_TYPE0] = 0x83;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	cr_assert(strstr(loc.error, "protective MBR") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_given_no_partition_with_the_magic_is_enoent)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[EFS_T_PART * EFS_T_SECTOR] = 'X';
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	cr_assert(strstr(loc.error, "no GPT partition") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_given_entry_size_below_128_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk_le(HDR(size_of_partition_entry), 64, 4);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_given_entry_count_over_the_limit_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk_le(HDR(number_of_partition_entries), 0xffffffff, 4);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_given_entry_array_past_the_disk_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk_le(HDR(partition_entry_lba), UINT64_MAX / 256, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_given_partition_past_the_disk_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk_le(ENT(1, ending_lba), efs_t_disk_len / EFS_T_SECTOR, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert_str_eq(loc.error, "a GPT partition lies outside the disk");
}

Test(eclipsefs_gpt, lab0_given_partition_with_first_after_last_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk_le(ENT(1, starting_lba), EFS_T_PART + 5, 8);
	efs_t_disk_le(ENT(1, ending_lba), EFS_T_PART + 4, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	// the range is inside the disk, only inverted: the error says so
	cr_assert_str_eq(loc.error, "a GPT partition's last LBA is below its first LBA");
}

Test(eclipsefs_gpt, lab0_given_tiny_disk_is_enoent)
{
	struct efs_location loc;

	efs_t_disk_len = 5;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	efs_t_disk_len = 1000;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
}
