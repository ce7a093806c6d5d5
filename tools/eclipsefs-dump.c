// eclipsefs-dump IMG
//
// Check an EclipseFS image like fsck, then list every path in it, one line
// each, sorted by path (byte order):
//
//   PATH dir ENTRIES              ENTRIES: names in the directory, a
//                                 duplicate name counted once
//   PATH file SIZE sha256:HEX     HEX: the SHA-256 of the file's bytes
//   PATH symlink SIZE TARGET      SIZE: the target's length
//
// (the sample's directories have both nlink and entry count 2; the count
// is printed because nlink is always 2 for a directory and says nothing).
//
// IMG may be a bare volume or a GPT disk (as mkfs-eclipsefs --gpt writes).
// It is read with the kernel's own reader (src/fs), so a problem this tool
// reports is one the kernel would meet. The check: every inode's table
// entry, record, TLVs and directory entries are in bounds, every inode is
// reachable from the root exactly once, there are no directory cycles, and
// every path resolves back to its inode through the reader's path lookup.
// On a problem it prints the reason to stderr and exits with status 1.
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE   200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "efs_host.h"
#include "fs/eclipsefs.h"
#include "fs/volume.h"
#include "lib/errstr.h"
#include "lib/sha256.h"

static const char *prog = "eclipsefs-dump";
static const char *img;
static struct efs_volume vol;

static void die(const char *what, int err)
{
	// the reader leaves no sentence for errors that are not the image's
	// fault (a read error, a stub in a handout): say what the number means
	if (!what || !what[0])
		what = errstr(err);
	fprintf(stderr, "%s: %s: %s (error %d)\n", prog, img, what, err);
	exit(1);
}

// die with the reader's own explanation when it has one.
static void die_efs(const char *path, int err)
{
	char what[512];

	if (efs_error(&vol)[0])
		snprintf(what, sizeof(what), "%s: %s", path, efs_error(&vol));
	else
		snprintf(what, sizeof(what), "%s: reader error", path);
	die(what, err);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	return p;
}

// The output, collected so that it can be sorted by path before printing.
struct line {
	char *path;
	char *rest;
};
static struct line *lines;
static size_t nlines, lines_cap;

static char *xstrdup(const char *s)
{
	char *p = xrealloc(NULL, strlen(s) + 1);

	return strcpy(p, s);
}

static void add_line(const char *path, const char *rest)
{
	if (nlines == lines_cap) {
		lines_cap = lines_cap ? 2 * lines_cap : 64;
		lines = xrealloc(lines, lines_cap * sizeof(*lines));
	}
	lines[nlines].path = xstrdup(path);
	lines[nlines].rest = xstrdup(rest);
	nlines++;
}

// Byte order of the paths alone: comparing whole lines would put "/a b"
// before "/a" because of the space after "/a".
static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->path, ((const struct line *)b)->path);
}

// The directories still to list: each with its path in the image.
struct pending {
	char *path;
	uint32_t ino;
};

// One directory's entries at a time, sorted and without repeats
// (efs_dir_sort): O(n log n) in the entries, where reading them one by one
// with efs_readdir may look back through the earlier ones.
static uint32_t *sort_mem;

static void describe(const char *path, const struct efs_inode *node)
{
	char rest[EFS_PATH_MAX + 64];

	if (node->type == EFS_DIR) {
		struct efs_sorted sd;
		int r = efs_dir_sort(&vol, node, sort_mem, EFS_SORT_MEM, &sd);

		if (r < 0)
			die_efs(path, r);
		snprintf(rest, sizeof(rest), "dir %u", sd.n);
	} else if (node->type == EFS_FILE) {
		static char buf[1 << 16];
		uint8_t digest[SHA256_DIGEST_SIZE];
		char hex[2 * SHA256_DIGEST_SIZE + 1];
		struct sha256 s;
		uint64_t off = 0;
		long n;

		sha256_init(&s);
		while ((n = efs_read(&vol, node, off, buf, sizeof(buf))) > 0) {
			sha256_update(&s, buf, (size_t)n);
			off += (uint64_t)n;
		}
		if (n < 0)
			die_efs(path, (int)n);
		sha256_final(&s, digest);
		sha256_hex(digest, hex);
		snprintf(rest, sizeof(rest), "file %llu sha256:%s", (unsigned long long)node->size,
		         hex);
	} else {
		char target[EFS_PATH_MAX];
		long n = efs_readlink(&vol, node, target, sizeof(target));

		if (n < 0)
			die_efs(path, (int)n);
		snprintf(rest, sizeof(rest), "symlink %llu %s", (unsigned long long)node->size,
		         target);
	}
	add_line(path, rest);
}

// The path must lead back to the same inode through the reader's lookup:
// that is how the kernel will reach it.
static void check_lookup(const char *path, uint32_t ino)
{
	struct efs_path p;
	struct efs_inode node;
	int r = efs_walk(&vol, NULL, path, EFS_NOFOLLOW, &p, &node);

	if (r < 0)
		die_efs(path, r);
	if (node.ino != ino) {
		fprintf(stderr, "%s: %s: %s: path lookup gives inode %u, not %u\n", prog, img, path,
		        node.ino, ino);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct efs_host_file f;
	struct efs_io disk;
	struct efs_location loc;
	struct pending *todo = NULL;
	size_t ntodo = 0, todo_cap = 0;
	void *mem;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s IMG\n", prog);
		return 1;
	}
	img = argv[1];
	if (efs_host_open(img, &f, &disk) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, img, strerror(errno));
		return 1;
	}
	r = efs_find_volume(&disk, &loc);
	if (r < 0)
		die(loc.error, r);
	r = efs_mount(&vol, &loc.io);
	if (r < 0)
		die(efs_error(&vol), r);

	// the structural check first, so that the walk below runs over a tree
	// known to be finite and acyclic.
	mem = xrealloc(NULL, efs_check_mem(&vol));
	r = efs_check(&vol, mem, efs_check_mem(&vol));
	if (r < 0)
		die(efs_error(&vol), r);
	free(mem);

	sort_mem = xrealloc(NULL, EFS_SORT_MEM);
	todo = xrealloc(todo, sizeof(*todo));
	todo[ntodo++] = (struct pending){xstrdup("/"), EFS_ROOT_INO};
	todo_cap = 1;
	while (ntodo > 0) {
		struct pending dir = todo[--ntodo];
		struct efs_inode node;
		struct efs_sorted sd;
		uint32_t *names;
		uint32_t count;

		r = efs_inode_get(&vol, dir.ino, &node);
		if (r < 0)
			die_efs(dir.path, r);
		describe(dir.path, &node);
		r = efs_dir_sort(&vol, &node, sort_mem, EFS_SORT_MEM, &sd);
		if (r < 0)
			die_efs(dir.path, r);
		// describe() below sorts other directories in sort_mem: keep
		// this one's entry offsets apart and read each entry back.
		count = sd.n;
		names = xrealloc(NULL, (count ? count : 1) * sizeof(*names));
		memcpy(names, sd.item, count * sizeof(*names));
		for (uint32_t k = 0; k < count; k++) {
			struct efs_dirent d;
			struct efs_inode child;
			size_t n;
			char *path;

			r = efs_entry_at(&vol, sd.base + names[k], &d);
			if (r < 0)
				die_efs(dir.path, r);
			n = strlen(dir.path) + d.name_len + 2;
			path = xrealloc(NULL, n);
			snprintf(path, n, "%s%s%s", dir.path, strcmp(dir.path, "/") ? "/" : "",
			         d.name);
			check_lookup(path, d.ino);
			r = efs_inode_get(&vol, d.ino, &child);
			if (r < 0)
				die_efs(path, r);
			if (child.type == EFS_DIR) {
				if (ntodo == todo_cap) {
					todo_cap *= 2;
					todo = xrealloc(todo, todo_cap * sizeof(*todo));
				}
				todo[ntodo++] = (struct pending){path, d.ino};
			} else {
				describe(path, &child);
				free(path);
			}
		}
		free(names);
		free(dir.path);
	}

	qsort(lines, nlines, sizeof(*lines), by_path);
	for (size_t i = 0; i < nlines; i++)
		printf("%s %s\n", lines[i].path, lines[i].rest);
	efs_host_close(&f);
	return fflush(stdout) == 0 ? 0 : 1;
}
