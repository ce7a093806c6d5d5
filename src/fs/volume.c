// Finding the EclipseFS volume on a disk: the whole disk, or the GPT
// partition whose first bytes are the magic (as Eclipse OS's file-system
// service does). Everything read from the disk is untrusted: the GPT
// header and the partition array are CRC-checked, and every LBA, count and
// size is checked against the disk before it is used.
#include "fs/volume.h"
#include "errno.h"
#include "lib/crc32.h"
#include "lib/string.h"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

// A field of the GPT header or a partition entry, from its bytes.
#define HDR32(p, f) le32((p) + offsetof(struct gpt_header, f))
#define HDR64(p, f) le64((p) + offsetof(struct gpt_header, f))
#define ENT64(p, f) le64((p) + offsetof(struct gpt_entry, f))

// The volume's reader: the disk's, shifted and cut to the volume.
static int volume_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct efs_location *loc = ctx;

	if (off > loc->io.size || len > loc->io.size - off)
		return -ERANGE;
	return loc->disk.read(loc->disk.ctx, loc->offset + off, buf, len);
}

static int disk_read(const struct efs_location *loc, uint64_t off, void *buf, size_t len)
{
	if (off > loc->disk.size || len > loc->disk.size - off)
		return -ERANGE;
	return loc->disk.read(loc->disk.ctx, off, buf, len);
}

static void found(struct efs_location *loc, uint64_t offset, uint64_t size, uint32_t partition)
{
	char digits[12];
	int n = 0;

	loc->offset = offset;
	loc->partition = partition;
	loc->io.read = volume_read;
	loc->io.ctx = loc;
	loc->io.size = size;
	if (partition == 0) {
		memcpy(loc->where, "whole disk", sizeof("whole disk"));
		return;
	}
	memcpy(loc->where, "GPT partition ", 14);
	do {
		digits[n++] = '0' + partition % 10;
		partition /= 10;
	} while (partition);
	for (int i = 0; i < n; i++)
		loc->where[14 + i] = digits[n - 1 - i];
	loc->where[14 + n] = '\0';
}

static int nothing(struct efs_location *loc, int err, const char *why)
{
	loc->error = why;
	return err;
}

// Does the disk hold the magic at byte offset off?
static int has_magic(const struct efs_location *loc, uint64_t off)
{
	char magic[EFS_MAGIC_LEN];
	int r = disk_read(loc, off, magic, sizeof(magic));

	if (r < 0)
		return r;
	return memcmp(magic, EFS_MAGIC, EFS_MAGIC_LEN) == 0;
}

// The MBR in sector 0 must be protective: signature 0x55AA and a
// partition record of type 0xEE covering the GPT.
static bool protective_mbr(const uint8_t *mbr)
{
	const uint8_t *sig = mbr + offsetof(struct mbr, signature);

	if (sig[0] != 0x55 || sig[1] != 0xAA)
		return false;
	for (int i = 0; i < 4; i++)
		if (mbr[offsetof(struct mbr, partition) + i * sizeof(struct mbr_partition) +
		        offsetof(struct mbr_partition, os_type)] == 0xEE)
			return true;
	return false;
}

// CRC32 of the partition entry array, read a sector at a time so that no
// buffer the size of the array is needed.
static int array_crc(const struct efs_location *loc, uint64_t off, uint64_t len, uint32_t *crc)
{
	uint8_t buf[GPT_SECTOR];

	*crc = 0;
	while (len > 0) {
		size_t n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
		int r = disk_read(loc, off, buf, n);

		if (r < 0)
			return r;
		*crc = crc32_update(*crc, buf, n);
		off += n;
		len -= n;
	}
	return 0;
}

// The GPT whose header `sec` holds, read from LBA 1 with LBAs of `lba`
// bytes: find the partition that starts with the magic.
static int parse_gpt(struct efs_location *loc, uint8_t *sec, uint32_t lba)
{
	uint64_t sectors = loc->disk.size / lba;
	uint32_t hsize, stored, count, esize, acrc;
	uint64_t alba, alen;
	int r;

	hsize = HDR32(sec, header_size);
	if (hsize < sizeof(struct gpt_header) || hsize > GPT_SECTOR)
		return nothing(loc, -EBADMSG, "GPT header_size is not between 92 and 512");
	stored = HDR32(sec, header_crc32);
	memset(sec + offsetof(struct gpt_header, header_crc32), 0, 4);
	if (crc32_update(0, sec, hsize) != stored)
		return nothing(loc, -EBADMSG, "GPT header CRC32 does not match");
	if (HDR64(sec, my_lba) != 1)
		return nothing(loc, -EBADMSG, "GPT header's MyLBA is not 1");

	alba = HDR64(sec, partition_entry_lba);
	count = HDR32(sec, number_of_partition_entries);
	esize = HDR32(sec, size_of_partition_entry);
	acrc = HDR32(sec, partition_entry_array_crc32);
	if (esize < sizeof(struct gpt_entry) || esize > GPT_ENTRY_SIZE_MAX || esize % 8 != 0)
		return nothing(loc, -EBADMSG,
		               "GPT partition entry size is not a multiple of 8 in 128..4096");
	if (count > GPT_ENTRIES_MAX)
		return nothing(loc, -EBADMSG, "GPT has more than 1024 partition entries");
	alen = (uint64_t)count * esize;
	if (alba < 2 || alba >= sectors || alen > loc->disk.size - alba * lba)
		return nothing(loc, -EBADMSG, "GPT partition entry array lies outside the disk");
	r = array_crc(loc, alba * lba, alen, &stored);
	if (r < 0)
		return r;
	if (stored != acrc)
		return nothing(loc, -EBADMSG, "GPT partition entry array CRC32 does not match");

	// 5.3.3: first and last LBA are both inclusive; an all-zero type GUID
	// marks an unused entry. Only the fields up to ending_lba are read.
	for (uint32_t i = 0; i < count; i++) {
		static const uint8_t unused[16];
		uint8_t e[offsetof(struct gpt_entry, attributes)];
		uint64_t first, last;

		r = disk_read(loc, alba * lba + (uint64_t)i * esize, e, sizeof(e));
		if (r < 0)
			return r;
		if (memcmp(e + offsetof(struct gpt_entry, partition_type_guid), unused,
		           sizeof(unused)) == 0)
			continue;
		first = ENT64(e, starting_lba);
		last = ENT64(e, ending_lba);
		if (first > last)
			return nothing(loc, -EBADMSG,
			               "a GPT partition's last LBA is below its first LBA");
		if (last >= sectors)
			return nothing(loc, -EBADMSG, "a GPT partition lies outside the disk");
		r = has_magic(loc, first * lba);
		if (r < 0)
			return r;
		if (r) {
			found(loc, first * lba, (last - first + 1) * lba, i + 1);
			return 0;
		}
	}
	return nothing(loc, -ENOENT, "no GPT partition starts with ECLIPSEFS");
}

// UEFI 5.3.1: an LBA is the disk's logical block, so the GPT header (LBA
// 1) is at byte 512, or at byte 4096 on a disk of 4096-byte blocks that
// was partitioned as one (a 4Kn disk). A table made on a 512-byte image
// and then served with 4096-byte blocks still has it at 512; either is
// found, 512 first.
static int find_in_gpt(struct efs_location *loc)
{
	static const uint32_t lba_sizes[] = {GPT_SECTOR, 4096};
	uint8_t sec[GPT_SECTOR];
	int r;

	if (loc->disk.size / GPT_SECTOR < 3)
		return nothing(loc, -ENOENT,
		               "disk does not start with ECLIPSEFS and is too small for a GPT");
	r = disk_read(loc, 0, sec, sizeof(sec));
	if (r < 0)
		return r;
	if (!protective_mbr(sec))
		return nothing(loc, -ENOENT,
		               "disk does not start with ECLIPSEFS and has no protective MBR");

	// 5.3.2: the GPT header at LBA 1, its CRC32 taken over header_size
	// bytes with the CRC field itself zeroed (parse_gpt)
	for (size_t i = 0; i < sizeof(lba_sizes) / sizeof(lba_sizes[0]); i++) {
		if (loc->disk.size / lba_sizes[i] < 3)
			break;
		r = disk_read(loc, lba_sizes[i], sec, sizeof(sec));
		if (r < 0)
			return r;
		if (memcmp(sec + offsetof(struct gpt_header, signature), "EFI PART", 8) == 0)
			return parse_gpt(loc, sec, lba_sizes[i]);
	}
	return nothing(loc, -EBADMSG,
	               "protective MBR but no GPT header at LBA 1 (byte 512 or 4096)");
}

int efs_find_volume(const struct efs_io *disk, struct efs_location *loc)
{
	int r;

	memset(loc, 0, sizeof(*loc));
	loc->disk = *disk;
	loc->error = "";
	if (disk->size < EFS_MAGIC_LEN)
		return nothing(loc, -ENOENT, "disk is too small to hold an EclipseFS volume");
	r = has_magic(loc, 0);
	if (r == 1) {
		found(loc, 0, disk->size, 0);
		return 0;
	}
	if (r == 0)
		r = find_in_gpt(loc);
	if (r < 0 && loc->error[0] == '\0')
		loc->error = "the disk could not be read";
	return r;
}
