// mkfs-eclipsefs [--gpt] OUT.img SRC_DIR
//
// Write an EclipseFS v2 image of SRC_DIR, laid out as the reference writer
// lays it out (see docs/eclipsefs-format.md):
//
//   block 0       the header, zero padded to 4096 bytes
//   4096          the inode table, 8 bytes an inode
//   after it      the node records, packed in inode order
//
// Inodes are numbered depth-first in pre-order, children in byte order of
// their names, the root being inode 1: a directory's subtree is numbered
// before its next sibling. This gives the same numbering as the sample
// image in shared/vectors. Directory entries are written in the same
// sorted order. Each record holds the tags in the order of the format's
// table; CONTENT (a file's bytes, a symlink's target) is omitted when
// empty, as is DIRECTORY_ENTRIES for an empty directory.
//
// Metadata: the mode's permission bits come from the source (symlinks are
// always 0120777), uid and gid are 0 (owners on the build machine mean
// nothing on the target), nlink is 2 for a directory and 1 otherwise, and
// ATIME, MTIME and CTIME are all the source's mtime, or SOURCE_DATE_EPOCH
// when that is set, so that an image can be rebuilt byte for byte.
//
// With --gpt, the image is a GPT disk instead: a protective MBR, primary
// and backup GPT headers and partition arrays, an (unformatted) EFI system
// partition at 1 MiB and the EclipseFS partition at 130 MiB, as Eclipse OS
// lays out its disk. The file is sparse: only the written parts take space.
//
// The tool refuses a tree this project's reader could not read back: a name
// over 255 bytes, a path over 1023 bytes or 63 names below /, a directory of more
// than 4096 entries, a record over 32 MiB, or a special file.
#define _FILE_OFFSET_BITS 64
#define _POSIX_C_SOURCE   200809L

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/eclipsefs.h"
#include "mkfs_gpt.h"
#include "lib/crc32.h"
#include "lib/sha256.h"

// The fixed part of every record: head, then NODE_TYPE, MODE, UID, GID,
// SIZE, ATIME, MTIME, CTIME and NLINK, each with a 6-byte TLV head.
#define FIXED_PART (EFS_RECORD_HEAD + (6 + 1) + 3 * (6 + 4) + 4 * (6 + 8) + (6 + 4))

struct node {
	char *name; // entry name in the parent; "" for the root
	char *path; // where it is in the source tree
	uint8_t type;
	uint32_t mode;
	uint64_t time;
	uint64_t size; // file length or target length
	char *target;  // a symlink's target
	struct node **kids;
	size_t nkids;
	uint32_t ino;
	uint32_t rel_offset;
	uint32_t record_size;
};

static const char *prog = "mkfs-eclipsefs";
static const char *partial; // the output file, removed if we fail half way

static void die(const char *fmt, ...)
{
	va_list ap;

	if (partial)
		unlink(partial);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = xmalloc(strlen(s) + 1);

	return strcpy(p, s);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

// Every node, in inode order: nodes[0] is inode 1.
static struct node **nodes;
static size_t nnodes, nodes_cap;
static uint64_t fixed_time;
static int use_fixed_time;

// Read the tree under path, numbering nodes depth-first as they are met.
// vpath is the node's path inside the image, for the reader's limits.
static struct node *scan(const char *path, const char *name, const char *vpath, int depth)
{
	struct node *n = calloc(1, sizeof(*n));
	struct stat st;

	if (!n)
		die("out of memory");
	if ((depth == 0 ? stat(path, &st) : lstat(path, &st)) < 0)
		die("%s: %s", path, strerror(errno));
	if (strlen(name) > EFS_NAME_MAX)
		die("%s: name is %zu bytes, longer than %d", path, strlen(name), EFS_NAME_MAX);
	if (strlen(vpath) >= EFS_PATH_MAX)
		die("%s: path in the image is %zu bytes, longer than %d", path, strlen(vpath),
		    EFS_PATH_MAX - 1);
	// the reader's chain holds the root and EFS_DEPTH_MAX - 1 names
	// below it, the last of which may be a file: 62 directories and a
	// file in the innermost is the deepest tree it reads.
	if (depth >= EFS_DEPTH_MAX)
		die("%s: %d names below / in the image, more than the reader's limit of %d "
		    "(directories, files and symlinks all count)",
		    path, depth, EFS_DEPTH_MAX - 1);
	if (nnodes == UINT32_MAX)
		die("too many files for 32-bit inode numbers");

	n->name = xstrdup(name);
	n->path = xstrdup(path);
	n->time = use_fixed_time ? fixed_time : (uint64_t)st.st_mtime;
	if (nnodes == nodes_cap) {
		nodes_cap = nodes_cap ? 2 * nodes_cap : 64;
		nodes = realloc(nodes, nodes_cap * sizeof(*nodes));
		if (!nodes)
			die("out of memory");
	}
	nodes[nnodes++] = n;
	n->ino = (uint32_t)nnodes;

	if (S_ISREG(st.st_mode)) {
		n->type = EFS_FILE;
		n->mode = 0100000u | (st.st_mode & 07777); // S_IFREG, as images encode it
		n->size = (uint64_t)st.st_size;
		if (n->size > EFS_RECORD_MAX - FIXED_PART - EFS_TLV_HEAD)
			die("%s: file too big: %llu bytes, the limit is %u", path,
			    (unsigned long long)n->size,
			    EFS_RECORD_MAX - FIXED_PART - EFS_TLV_HEAD);
	} else if (S_ISLNK(st.st_mode)) {
		char buf[EFS_PATH_MAX + 1];
		ssize_t len = readlink(path, buf, sizeof(buf));

		if (len < 0)
			die("%s: %s", path, strerror(errno));
		if (len >= EFS_PATH_MAX)
			die("%s: symlink target longer than %d bytes", path, EFS_PATH_MAX - 1);
		buf[len] = '\0';
		n->type = EFS_SYMLINK;
		n->mode = EFS_MODE_SYMLINK;
		n->size = (uint64_t)len;
		n->target = xstrdup(buf);
	} else if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		char **names = NULL;
		size_t count = 0, cap = 0;
		uint64_t entries = 0;

		if (!d)
			die("%s: %s", path, strerror(errno));
		n->type = EFS_DIR;
		n->mode = 0040000u | (st.st_mode & 07777); // S_IFDIR
		errno = 0;
		while ((e = readdir(d)) != NULL) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (count == cap) {
				cap = cap ? 2 * cap : 16;
				names = realloc(names, cap * sizeof(*names));
				if (!names)
					die("out of memory");
			}
			names[count++] = xstrdup(e->d_name);
		}
		if (errno)
			die("%s: %s", path, strerror(errno));
		closedir(d);
		if (count > EFS_DIR_MAX)
			die("%s: %zu entries, more than the reader's limit of %d", path, count,
			    EFS_DIR_MAX);

		// number children in name order, so that a tree gives the same
		// image wherever it is built.
		qsort(names, count, sizeof(*names), by_name);
		n->kids = xmalloc(count * sizeof(*n->kids));
		for (size_t i = 0; i < count; i++) {
			size_t plen = strlen(path) + strlen(names[i]) + 2;
			size_t vlen = strlen(vpath) + strlen(names[i]) + 2;
			char *child = xmalloc(plen), *vchild = xmalloc(vlen);

			snprintf(child, plen, "%s/%s", path, names[i]);
			snprintf(vchild, vlen, "%s%s%s", vpath, depth ? "/" : "", names[i]);
			n->kids[n->nkids++] = scan(child, names[i], vchild, depth + 1);
			entries += EFS_DIRENT_HEAD + strlen(names[i]);
			free(child);
			free(vchild);
			free(names[i]);
		}
		free(names);
		if (entries > EFS_RECORD_MAX - FIXED_PART - EFS_TLV_HEAD)
			die("%s: directory entries need %llu bytes, over the 32 MiB record limit",
			    path, (unsigned long long)entries);
		n->size = entries; // the DIRECTORY_ENTRIES length, not SIZE
	} else {
		die("%s: not a regular file, directory or symlink", path);
	}
	return n;
}

// --- writing ----------------------------------------------------------------

// The volume is written front to back through here, at base in the file
// (0, or 130 MiB inside a GPT disk), and hashed on the way so that the GPT
// GUIDs can be derived from the content.
struct out {
	FILE *f;
	const char *path;
	struct sha256 hash;
	uint64_t written;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, o->f) != n)
		die("%s: %s", o->path, strerror(errno));
	sha256_update(&o->hash, p, n);
	o->written += n;
}

static void put_le(struct out *o, uint64_t v, int bytes)
{
	uint8_t b[8];

	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(o, b, (size_t)bytes);
}

static void put_tlv(struct out *o, uint16_t tag, uint64_t v, int bytes)
{
	put_le(o, tag, 2);
	put_le(o, (uint32_t)bytes, 4);
	put_le(o, v, bytes);
}

static uint32_t record_size(const struct node *n)
{
	uint64_t var = n->size; // CONTENT or DIRECTORY_ENTRIES length

	return (uint32_t)(FIXED_PART + (var ? EFS_TLV_HEAD + var : 0));
}

static void write_content(struct out *o, const struct node *n)
{
	char buf[65536];
	uint64_t left = n->size;
	FILE *f = fopen(n->path, "rb");

	if (!f)
		die("%s: %s", n->path, strerror(errno));
	while (left > 0) {
		size_t want = left < sizeof(buf) ? (size_t)left : sizeof(buf);
		size_t got = fread(buf, 1, want, f);

		if (got != want)
			die("%s: %s", n->path,
			    ferror(f) ? strerror(errno) : "file shrank while being read");
		put(o, buf, got);
		left -= got;
	}
	if (fgetc(f) != EOF)
		die("%s: file grew while being read", n->path);
	fclose(f);
}

static void write_record(struct out *o, const struct node *n)
{
	put_le(o, n->ino, 4);
	put_le(o, n->record_size, 4);
	put_tlv(o, EFS_TAG_NODE_TYPE, n->type, 1);
	put_tlv(o, EFS_TAG_MODE, n->mode, 4);
	put_tlv(o, EFS_TAG_UID, 0, 4);
	put_tlv(o, EFS_TAG_GID, 0, 4);
	put_tlv(o, EFS_TAG_SIZE, n->type == EFS_DIR ? 0 : n->size, 8);
	put_tlv(o, EFS_TAG_ATIME, n->time, 8);
	put_tlv(o, EFS_TAG_MTIME, n->time, 8);
	put_tlv(o, EFS_TAG_CTIME, n->time, 8);
	put_tlv(o, EFS_TAG_NLINK, n->type == EFS_DIR ? 2 : 1, 4);
	if (n->size == 0)
		return;
	put_le(o, n->type == EFS_DIR ? EFS_TAG_DIRECTORY_ENTRIES : EFS_TAG_CONTENT, 2);
	put_le(o, n->size, 4);
	if (n->type == EFS_FILE) {
		write_content(o, n);
	} else if (n->type == EFS_SYMLINK) {
		put(o, n->target, (size_t)n->size);
	} else {
		for (size_t i = 0; i < n->nkids; i++) {
			size_t len = strlen(n->kids[i]->name);

			put_le(o, len, 4);
			put_le(o, n->kids[i]->ino, 4);
			put(o, n->kids[i]->name, len);
		}
	}
}

// Write the volume at the file's current position; returns its length.
static void le_put(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t write_volume(struct out *o)
{
	uint8_t header[EFS_HEADER_SIZE] = {0};
	uint64_t table_size = (uint64_t)nnodes * EFS_TABLE_ENTRY, rel = 0;

	for (size_t i = 0; i < nnodes; i++) {
		nodes[i]->record_size = record_size(nodes[i]);
		if (rel > UINT32_MAX)
			die("image too big: records pass the 4 GiB that rel_offset can address");
		nodes[i]->rel_offset = (uint32_t)rel;
		rel += nodes[i]->record_size;
	}

	memcpy(header + offsetof(struct efs_header, magic), EFS_MAGIC, EFS_MAGIC_LEN);
	le_put(header + offsetof(struct efs_header, version), EFS_VERSION_2_0, 4);
	le_put(header + offsetof(struct efs_header, inode_table_offset), EFS_HEADER_SIZE, 8);
	le_put(header + offsetof(struct efs_header, inode_table_size), table_size, 8);
	le_put(header + offsetof(struct efs_header, total_inodes), nnodes, 4);
	// the checksums, times and flags at 33..64 stay zero, as the reference
	// writer leaves them.
	put(o, header, sizeof(header));

	for (size_t i = 0; i < nnodes; i++) {
		put_le(o, nodes[i]->ino, 4);
		put_le(o, nodes[i]->rel_offset, 4);
	}
	for (size_t i = 0; i < nnodes; i++)
		write_record(o, nodes[i]);
	return o->written;
}

static void usage(void)
{
	fprintf(stderr, "usage: %s [--gpt] OUT.img SRC_DIR\n", prog);
	exit(1);
}

int main(int argc, char **argv)
{
	const char *out_path, *src, *epoch = getenv("SOURCE_DATE_EPOCH");
	struct out o = {0};
	uint8_t digest[32];
	uint64_t vol_size, total;
	int gpt = 0, argi = 1;
	struct stat st;

	if (argi < argc && strcmp(argv[argi], "--gpt") == 0) {
		gpt = 1;
		argi++;
	}
	if (argc - argi != 2)
		usage();
	out_path = argv[argi];
	src = argv[argi + 1];
	if (epoch && *epoch) {
		char *end;

		errno = 0;
		fixed_time = strtoull(epoch, &end, 10);
		if (errno || *end)
			die("SOURCE_DATE_EPOCH is not a number of seconds: %s", epoch);
		use_fixed_time = 1;
	}
	if (stat(src, &st) < 0)
		die("%s: %s", src, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		die("%s: not a directory", src);

	scan(src, "", "/", 0);

	o.f = fopen(out_path, "wb");
	o.path = out_path;
	if (!o.f)
		die("%s: %s", out_path, strerror(errno));
	partial = out_path;
	sha256_init(&o.hash);
	if (gpt && fseeko(o.f, (off_t)GPT_EFS_START, SEEK_SET) != 0)
		die("%s: %s", out_path, strerror(errno));
	vol_size = write_volume(&o);
	sha256_final(&o.hash, digest);
	total = vol_size;
	if (gpt && gpt_write(o.f, vol_size, digest, &total) < 0)
		die("%s: %s", out_path, strerror(errno));
	if (fflush(o.f) != 0 || ftruncate(fileno(o.f), (off_t)total) != 0 || fclose(o.f) != 0)
		die("%s: %s", out_path, strerror(errno));
	return 0;
}
