// libFuzzer harness for the EclipseFS reader: the input is a whole disk.
// Find the volume (whole disk or GPT), mount it, run the structural check,
// then walk the tree as the kernel's shell would: readdir every directory,
// look every path up by name (with and without following symlinks, and
// with "." and ".." thrown in), read every file in odd-sized pieces and
// resolve every symlink. The reader must return errors, never fault, read
// outside the input, or hang. Every directory is also read sorted
// (efs_dir_sort), which must agree with efs_readdir and efs_dir_find: the
// same names, each leading to the same inode.
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

static uint32_t sort_mem[EFS_SORT_MEM / 4];

// The sorted listing holds readdir's names, first-stored inode for each.
static void check_sorted(struct efs_volume *v, const struct efs_inode *dir)
{
	struct efs_dir_iter it;
	struct efs_dirent d;
	struct efs_sorted s;
	uint32_t count = 0;
	int rs, r;

	rs = efs_dir_sort(v, dir, sort_mem, sizeof(sort_mem), &s);
	if (efs_opendir(v, dir, &it) < 0)
		abort();
	while ((r = efs_readdir(v, &it, &d)) == 1)
		count++;
	if ((rs < 0) != (r < 0) || (rs == 0 && count != s.n))
		abort();
	for (uint32_t i = 0; i < s.n; i++) {
		uint32_t len, ino;
		const char *name = efs_sorted_name(&s, i, &len);

		if (i > 0) {
			uint32_t lp;
			const char *prev = efs_sorted_name(&s, i - 1, &lp);
			int c = memcmp(prev, name, lp < len ? lp : len);

			if (c > 0 || (c == 0 && lp >= len))
				abort(); // out of order, or a repeat left in
		}
		if (efs_dir_find(v, dir, name, len, &ino) == 0 && ino != efs_sorted_ino(&s, i))
			abort();
	}
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
	check_sorted(v, &dir);
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

static void ignore(void *ctx, const char *problem)
{
	(void)ctx;
	if (strlen(problem) >= sizeof(((struct efs_volume *)0)->error))
		abort();
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

	// the check's scratch space is one sorted directory and 5 bytes an
	// inode (the table alone takes 8 an inode, so that part is at most the
	// input's size). Both ways: stopping at the first problem, and going on
	// to report them all, which must agree on the first.
	mem = malloc(efs_check_mem(&v));
	if (mem) {
		int first = efs_check(&v, mem, efs_check_mem(&v));

		if (efs_check_all(&v, mem, efs_check_mem(&v), ignore, NULL) != first)
			abort();
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
