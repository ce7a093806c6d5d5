// The kernel's mounted EclipseFS volume: found on the root block device at
// boot, read through the block cache, with the shell's current directory.
#ifndef FS_FS_H
#define FS_FS_H

#include "fs/eclipsefs.h"
#include "fs/volume.h"

struct blkdev;

struct fs_mount {
	struct blkdev *dev;
	struct efs_location loc; // where on the disk the volume is
	struct efs_volume vol;
	struct efs_path cwd; // the shell's current directory
	char cwd_path[EFS_PATH_MAX];
};

// Find and mount the volume on dev; prints the lab 6 checkpoint lines.
int fs_mount_root(struct blkdev *dev);
// The mounted volume, or NULL when nothing is mounted.
struct fs_mount *fs_root(void);
// Print "CMD: PATH: reason", with the image's own explanation when the
// error came from a corrupt field.
void fs_perror(const char *cmd, const char *path, int err);

#endif
