// An efs_io over an image file: the file mapped read-only, so that the
// reader's offsets map straight onto it and nothing is loaded that is not
// asked for, or pread where mapping fails.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "efs_host.h"

static int host_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct efs_host_file *f = ctx;
	char *p = buf;

	// the reader never asks past io->size, which is map_len when mapped.
	if (f->map && off <= f->map_len && len <= f->map_len - off) {
		memcpy(buf, f->map + off, len);
		return 0;
	}
	while (len > 0) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -5; // EIO: the kernel's number, which the reader passes on
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int efs_host_open(const char *path, struct efs_host_file *f, struct efs_io *io)
{
	struct stat st;

	f->path = path;
	f->map = NULL;
	f->map_len = 0;
	f->fd = open(path, O_RDONLY);
	if (f->fd < 0)
		return -1;
	if (fstat(f->fd, &st) < 0) {
		close(f->fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		close(f->fd);
		errno = EINVAL;
		return -1;
	}
	io->read = host_read;
	io->ctx = f;
	io->size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(f->fd, 0, SEEK_END);

		if (end < 0) {
			close(f->fd);
			return -1;
		}
		io->size = (uint64_t)end;
	}
	if (io->size > 0 && io->size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)io->size, PROT_READ, MAP_PRIVATE, f->fd, 0);

		if (m != MAP_FAILED) {
			f->map = m;
			f->map_len = (size_t)io->size;
		}
	}
	return 0;
}

void efs_host_close(struct efs_host_file *f)
{
	if (f->map)
		munmap((void *)f->map, f->map_len);
	f->map = NULL;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
