// Finding the EclipseFS volume on a disk ("Finding the volume" in the
// format description): either the whole disk starts with the magic, or the
// disk has a GPT and one partition starts with it.
#ifndef FS_VOLUME_H
#define FS_VOLUME_H

#include <stdint.h>

#include "fs/eclipsefs.h"

#define GPT_SECTOR         512 // this reader assumes 512-byte logical blocks
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
