// mkfs-eclipsefs --gpt: the GPT disk around the volume (see mkfs_gpt.h).
// Every field is placed by offsetof in the layout structs of
// src/fs/volume.h, which the reader uses to find the volume again.
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE   200809L

#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#include "fs/volume.h"
#include "lib/crc32.h"
#include "lib/sha256.h"
#include "mkfs_gpt.h"

#define SECTOR        GPT_SECTOR
#define ESP_START     (1 * GPT_MIB)
#define GPT_ENTRIES   128
#define GPT_ENTRY     128
#define GPT_ARRAY_LBA ((uint64_t)GPT_ENTRIES * GPT_ENTRY / SECTOR) // 32 sectors

// Type GUIDs in their on-disk byte order (the first three fields are
// little-endian). EclipseFS has no registered type, so its partition uses
// "Linux filesystem data"; Eclipse OS finds it by the magic, not the type.
static const uint8_t guid_esp[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                     0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
static const uint8_t guid_linux[16] = {0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
                                       0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4};

static void le_at(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

// A version-4-shaped GUID made from the volume's hash, so that the same
// tree gives the same disk.
static void make_guid(uint8_t guid[16], const uint8_t digest[32], int which)
{
	uint8_t d[32];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, digest, 32);
	sha256_update(&s, &which, sizeof(which));
	sha256_final(&s, d);
	memcpy(guid, d, 16);
	guid[7] = (guid[7] & 0x0f) | 0x40;
	guid[8] = (guid[8] & 0x3f) | 0x80;
}

#define AT(p, type, field) ((p) + offsetof(type, field))

static void put_entry(uint8_t *e, const uint8_t type[16], const uint8_t uniq[16], uint64_t first,
                      uint64_t last, const char *name)
{
	memcpy(AT(e, struct gpt_entry, partition_type_guid), type, 16);
	memcpy(AT(e, struct gpt_entry, unique_partition_guid), uniq, 16);
	le_at(AT(e, struct gpt_entry, starting_lba), first, 8);
	le_at(AT(e, struct gpt_entry, ending_lba), last, 8);
	for (size_t i = 0; name[i] && i < 36; i++) // UTF-16LE, ASCII names only
		le_at(AT(e, struct gpt_entry, partition_name) + 2 * i, (uint8_t)name[i], 2);
}

static void put_header(uint8_t *h, uint64_t my, uint64_t alt, uint64_t last_usable,
                       uint64_t array_lba, const uint8_t disk_guid[16], uint32_t array_crc)
{
	memset(h, 0, SECTOR);
	memcpy(AT(h, struct gpt_header, signature), "EFI PART", 8);
	le_at(AT(h, struct gpt_header, revision), 0x00010000, 4); // 1.0
	le_at(AT(h, struct gpt_header, header_size), sizeof(struct gpt_header), 4);
	le_at(AT(h, struct gpt_header, my_lba), my, 8);
	le_at(AT(h, struct gpt_header, alternate_lba), alt, 8);
	le_at(AT(h, struct gpt_header, first_usable_lba), 2 + GPT_ARRAY_LBA, 8); // 34
	le_at(AT(h, struct gpt_header, last_usable_lba), last_usable, 8);
	memcpy(AT(h, struct gpt_header, disk_guid), disk_guid, 16);
	le_at(AT(h, struct gpt_header, partition_entry_lba), array_lba, 8);
	le_at(AT(h, struct gpt_header, number_of_partition_entries), GPT_ENTRIES, 4);
	le_at(AT(h, struct gpt_header, size_of_partition_entry), GPT_ENTRY, 4);
	le_at(AT(h, struct gpt_header, partition_entry_array_crc32), array_crc, 4);
	le_at(AT(h, struct gpt_header, header_crc32), crc32_update(0, h, sizeof(struct gpt_header)),
	      4);
}

static int write_at(FILE *f, uint64_t off, const void *p, size_t n)
{
	return fseeko(f, (off_t)off, SEEK_SET) != 0 || fwrite(p, 1, n, f) != n ? -1 : 0;
}

int gpt_write(FILE *f, uint64_t vol_size, const uint8_t digest[32], uint64_t *disk_bytes_out)
{
	static uint8_t array[GPT_ENTRIES * GPT_ENTRY];
	uint8_t mbr[SECTOR] = {0}, hdr[SECTOR], backup[SECTOR], *pe;
	uint8_t disk_guid[16], esp_guid[16], efs_guid[16];
	uint64_t part_bytes = (vol_size + GPT_MIB - 1) / GPT_MIB * GPT_MIB;
	uint64_t disk_bytes = GPT_EFS_START + part_bytes + GPT_MIB; // 1 MiB tail for the backup
	uint64_t sectors = disk_bytes / SECTOR, last_usable = sectors - 2 - GPT_ARRAY_LBA;
	uint32_t array_crc;

	make_guid(disk_guid, digest, 0);
	make_guid(esp_guid, digest, 1);
	make_guid(efs_guid, digest, 2);
	memset(array, 0, sizeof(array));
	put_entry(array, guid_esp, esp_guid, ESP_START / SECTOR, GPT_EFS_START / SECTOR - 1,
	          "EFI System Partition");
	put_entry(array + GPT_ENTRY, guid_linux, efs_guid, GPT_EFS_START / SECTOR,
	          (GPT_EFS_START + part_bytes) / SECTOR - 1, "EclipseFS");
	array_crc = crc32_update(0, array, sizeof(array));

	// the protective MBR: one partition of type 0xEE over the whole disk
	// (or as much of it as 32 bits of sectors can say).
	pe = AT(mbr, struct mbr, partition);
	pe[offsetof(struct mbr_partition, starting_chs) + 1] = 0x02; // CHS start 0/0/2
	pe[offsetof(struct mbr_partition, os_type)] = 0xEE;          // GPT protective
	memset(AT(pe, struct mbr_partition, ending_chs), 0xff, 3);   // beyond CHS
	le_at(AT(pe, struct mbr_partition, starting_lba), 1, 4);
	le_at(AT(pe, struct mbr_partition, size_in_lba),
	      sectors - 1 > UINT32_MAX ? UINT32_MAX : sectors - 1, 4);
	AT(mbr, struct mbr, signature)[0] = 0x55;
	AT(mbr, struct mbr, signature)[1] = 0xAA;

	// the backup: the array just before the last sector, the header in it.
	put_header(hdr, 1, sectors - 1, last_usable, 2, disk_guid, array_crc);
	put_header(backup, sectors - 1, 1, last_usable, sectors - 1 - GPT_ARRAY_LBA, disk_guid,
	           array_crc);
	if (write_at(f, 0, mbr, sizeof(mbr)) < 0 || write_at(f, SECTOR, hdr, sizeof(hdr)) < 0 ||
	    write_at(f, 2 * SECTOR, array, sizeof(array)) < 0 ||
	    write_at(f, (sectors - 1 - GPT_ARRAY_LBA) * SECTOR, array, sizeof(array)) < 0 ||
	    write_at(f, (sectors - 1) * SECTOR, backup, sizeof(backup)) < 0)
		return -1;
	*disk_bytes_out = disk_bytes;
	return 0;
}
