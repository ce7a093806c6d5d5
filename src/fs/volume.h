// Finding the EclipseFS volume on a disk ("Finding the volume" in the
// format description): either the whole disk starts with the magic, or the
// disk has a GPT and one partition starts with it.
#ifndef FS_VOLUME_H
#define FS_VOLUME_H

#include <stddef.h>
#include <stdint.h>

#include "fs/eclipsefs.h"

// --- the layouts, in the UEFI specification's order ------------------------
// Packed and little-endian, read by offsetof from bytes, never overlaid.

// UEFI 2.10 5.2.3: the protective MBR in LBA 0.
struct mbr_partition {
	uint8_t boot_indicator;
	uint8_t starting_chs[3];
	uint8_t os_type; // 0xEE: GPT protective
	uint8_t ending_chs[3];
	uint32_t starting_lba;
	uint32_t size_in_lba;
} __attribute__((packed));

struct mbr {
	uint8_t boot_code[440];
	uint32_t disk_signature;
	uint16_t unknown;
	struct mbr_partition partition[4];
	uint8_t signature[2]; // 0x55, 0xAA
} __attribute__((packed));

// UEFI 2.10 5.3.2: the GPT header in LBA 1 (and its backup).
struct gpt_header {
	char signature[8]; // "EFI PART"
	uint32_t revision;
	uint32_t header_size;
	uint32_t header_crc32; // over header_size bytes, this field zeroed
	uint32_t reserved;
	uint64_t my_lba;
	uint64_t alternate_lba;
	uint64_t first_usable_lba;
	uint64_t last_usable_lba;
	uint8_t disk_guid[16];
	uint64_t partition_entry_lba;
	uint32_t number_of_partition_entries;
	uint32_t size_of_partition_entry;
	uint32_t partition_entry_array_crc32;
} __attribute__((packed)); // 92 bytes

// UEFI 2.10 5.3.3: one partition entry (at least 128 bytes; the rest of a
// larger entry is reserved).
struct gpt_entry {
	uint8_t partition_type_guid[16]; // all zero: an unused entry
	uint8_t unique_partition_guid[16];
	uint64_t starting_lba;
	uint64_t ending_lba; // inclusive
	uint64_t attributes;
	uint16_t partition_name[36]; // UTF-16LE
} __attribute__((packed));           // 128 bytes

_Static_assert(sizeof(struct mbr) == 512, "the MBR is one sector");
_Static_assert(sizeof(struct gpt_header) == 92, "UEFI 5.3.2: 92 bytes");
_Static_assert(sizeof(struct gpt_entry) == 128, "UEFI 5.3.3: 128 bytes");

#define GPT_SECTOR         512 // the usual LBA; volume.c also tries 4096
#define GPT_ENTRIES_MAX    1024
#define GPT_ENTRY_SIZE_MAX 4096

// Where the volume was found, and a reader for it alone. io reads through
// the disk's reader shifted by offset and refuses anything past size, so
// the file-system code cannot wander outside its partition.
//
// io.ctx points back into this struct: use it where it was filled in (do
// not copy it to another place and use the copy's io).
struct efs_location {
	struct efs_io io;   // the volume: offset-shifted, size-limited
	struct efs_io disk; // the whole disk, as given
	uint64_t offset;    // byte offset of the volume on the disk
	uint32_t partition; // 0: whole disk; N: GPT partition entry N (1-based)
	char where[32];     // "whole disk" or "GPT partition N"
	const char *error;  // why nothing was found (static text)
};

// Look for the volume on disk. Returns 0 and fills loc, or -ENOENT if there
// is no EclipseFS volume, -EBADMSG if the GPT is corrupt (loc->error says
// how), or the disk's read error.
int efs_find_volume(const struct efs_io *disk, struct efs_location *loc);

#endif
