// Host helpers shared by the EclipseFS tools: an efs_io over an image file.
#ifndef TOOLS_EFS_HOST_H
#define TOOLS_EFS_HOST_H

#include "fs/eclipsefs.h"

struct efs_host_file {
	int fd;
	const char *path;
	const unsigned char *map; // the whole file mapped, or NULL: read with pread
	size_t map_len;
};

// Open path read-only and describe it as an efs_io over the whole file.
// The file is mapped when it can be, so that the reader's many small reads
// (a directory entry head is 8 bytes) cost a copy, not a system call.
// Returns 0, or -1 with errno set.
int efs_host_open(const char *path, struct efs_host_file *f, struct efs_io *io);
void efs_host_close(struct efs_host_file *f);

#endif
