// libFuzzer harness for the EclipseFS reader: the input is a whole disk.
// Find the volume (whole disk or GPT), mount it, run the structural check,
// then walk the tree as the kernel's shell would: readdir every directory,
// look every path up by name (with and without following symlinks, and
// with "." and ".." thrown in), read every file in odd-sized pieces and
// resolve every symlink. The reader must return errors, never fault, read
// outside the input, or hang.
//
// Build and run: make fuzz-eclipsefs FUZZ_SECONDS=10
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/eclipsefs.h"
#include "fs/volume.h"

struct mem_disk {
	const uint8_t *data;
	size_t size;
};

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	struct mem_disk *d = ctx;

	// the reader promises never to read outside io.size; hold it to that.
	if (off > d->size || len > d->size - off)
		abort();
	memcpy(buf, d->data + off, len);
	return 0;
}

// A budget on the walk, so that a directory listing itself (which the
// reader allows, since it is only a path that can grow) cannot make this
// harness loop; the reader's own bounds are what is being tested.
static int budget;

static void visit_file(struct efs_volume *v, const struct efs_inode *node)
{
	uint8_t buf[97];
	uint64_t off = 0;
	long n;

	while ((n = efs_read(v, node, off, buf, sizeof(buf))) > 0)
		off += (uint64_t)n;
	efs_read(v, node, node->size + 1, buf, sizeof(buf));
	efs_read(v, node, UINT64_MAX, buf, sizeof(buf));
}

static void visit(struct efs_volume *v, const char *path, const struct efs_path *at, int depth)
{
	struct efs_inode node, dir;
	struct efs_path p, q;
	struct efs_dir_iter it;
	struct efs_dirent d;
	char target[EFS_PATH_MAX];
	int r;

	if (budget-- <= 0 || depth > 12)
		return;
	if (efs_walk(v, NULL, path, EFS_NOFOLLOW, &p, &node) < 0)
		return;
	efs_walk(v, NULL, path, 0, &q, NULL);
	efs_walk(v, at, ".", 0, &q, NULL);
	efs_walk(v, at, "../..", 0, &q, NULL);

	if (node.type == EFS_FILE) {
		visit_file(v, &node);
		return;
	}
	if (node.type == EFS_SYMLINK) {
		efs_readlink(v, &node, target, sizeof(target));
		efs_readlink(v, &node, target, 3);
		if (efs_walk(v, NULL, path, 0, &q, &node) == 0 && node.type == EFS_FILE)
			visit_file(v, &node);
		return;
	}

	dir = node;
	if (efs_opendir(v, &dir, &it) < 0)
		return;
	while ((r = efs_readdir(v, &it, &d)) == 1) {
		char child[EFS_PATH_MAX + EFS_NAME_MAX + 2];

		snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") ? path : "", d.name);
		visit(v, child, &p, depth + 1);
		efs_walk(v, &p, d.name, 0, &q, NULL);
		if (budget <= 0)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem_disk disk = {data, size};
	struct efs_io io = {mem_read, &disk, size};
	struct efs_location loc;
	struct efs_volume v;
	void *mem;

	if (efs_find_volume(&io, &loc) < 0)
		return 0;
	if (efs_mount(&v, &loc.io) < 0)
		return 0;

	// the check's scratch space is 5 bytes an inode, and the table alone
	// takes 8, so this is at most the input's size.
	mem = malloc(efs_check_mem(&v));
	if (mem) {
		efs_check(&v, mem, efs_check_mem(&v));
		free(mem);
	}

	budget = 2000;
	visit(&v, "/", NULL, 0);

	// paths no directory listing produces
	static const char *const odd[] = {"",
	                                  "/",
	                                  "//..//./",
	                                  "/../../x",
	                                  "x/",
	                                  "/\xff\x01",
	                                  "/a/b/c/d/e/f/g/h/i/j",
	                                  "/bin/sh/",
	                                  "/bin/../bin/./sh"};
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		struct efs_path p;

		efs_walk(&v, NULL, odd[i], 0, &p, NULL);
		efs_walk(&v, NULL, odd[i], EFS_NOFOLLOW, &p, NULL);
	}
	return 0;
}
