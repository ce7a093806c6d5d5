// The GPT disk mkfs-eclipsefs --gpt writes around a volume, laid out as
// Eclipse OS lays out its disk: a protective MBR, the primary and backup
// GPT headers and partition arrays, an (unformatted) EFI system partition
// at 1 MiB and the EclipseFS partition at 130 MiB.
#ifndef TOOLS_MKFS_GPT_H
#define TOOLS_MKFS_GPT_H

#include <stdint.h>
#include <stdio.h>

#define GPT_MIB       (1024 * 1024ull)
#define GPT_EFS_START (130 * GPT_MIB) // where the volume goes

// Put the GPT around a volume of vol_size bytes already written to f at
// GPT_EFS_START. The GUIDs are made from digest (the volume's SHA-256), so
// the same tree gives the same disk. Returns 0 with the disk's size in
// *disk_bytes, or -1 with errno set.
int gpt_write(FILE *f, uint64_t vol_size, const uint8_t digest[32], uint64_t *disk_bytes);

#endif
