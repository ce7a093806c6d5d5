// The small file-system commands: cat, sha256 and hexdump read a file;
// stat shows a node's metadata and where its record is; cd and pwd move
// and show the shell's current directory; mount shows the volume. The
// listings are in fs_list_cmd.c (ls), tree_cmd.c and dump_cmd.c, the
// check in fsck_cmd.c.
#include "blk/bcache.h"
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "fs/fs_cmd.h"
#include "lib/hexdump.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"

// --- cat, sha256, hexdump -------------------------------------------------

static uint8_t chunk[4096];

// File bytes go to the console as they are, as the Unix cat sends them.
static void put_raw(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		kprintf("%c", p[i]);
}

static int cmd_cat(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("cat");
	struct efs_inode node;
	int bad = 0;

	if (argc < 2) {
		kprintf("usage: cat PATH...\n");
		return 1;
	}
	if (!fs)
		return 1;
	for (int i = 1; i < argc; i++) {
		uint64_t off = 0;
		long n;

		if (fs_open_file(fs, "cat", argv[i], &node) < 0) {
			bad = 1;
			continue;
		}
		while ((n = efs_read(&fs->vol, &node, off, chunk, sizeof(chunk))) > 0) {
			put_raw(chunk, (size_t)n);
			off += (uint64_t)n;
			if (shell_interrupted("cat"))
				return 1;
		}
		if (n < 0) {
			fs_cmd_error(fs, "cat", argv[i], (int)n);
			bad = 1;
		}
	}
	return bad;
}
SHELL_COMMAND("cat", "PATH...", "print files", cmd_cat);

static int cmd_sha256(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("sha256");
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	struct efs_inode node;
	uint8_t *buf;
	int bad = 0, r;

	if (argc < 2) {
		kprintf("usage: sha256 PATH...\n");
		return 1;
	}
	if (!fs)
		return 1;
	if (!(buf = dma_alloc(READ_CHUNK))) {
		kprintf("sha256: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (fs_open_file(fs, "sha256", argv[i], &node) < 0) {
			bad = 1;
		} else if ((r = fs_hash_file(fs, &node, buf, hex)) < 0) {
			fs_cmd_error(fs, "sha256", argv[i], r);
			bad = 1;
		} else {
			kprintf("%s  %s\n", hex, argv[i]);
		}
	}
	dma_free(buf, READ_CHUNK);
	return bad;
}
SHELL_COMMAND("sha256", "PATH...", "SHA-256 of files, as sha256sum prints it", cmd_sha256);

static int cmd_hexdump(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("hexdump");
	unsigned long skip = 0, count = ~0UL;
	const char *path = 0;
	struct efs_inode node;
	uint8_t prev[16];
	bool have_prev = false, starred = false;
	uint64_t off, end;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc && parse_u64(argv[i + 1], &skip) == 0)
			i++;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc &&
		         parse_u64(argv[i + 1], &count) == 0)
			i++;
		else if (argv[i][0] != '-' && !path)
			path = argv[i];
		else
			path = 0, i = argc;
	}
	if (!path) {
		kprintf("usage: hexdump [-s OFFSET] [-n LENGTH] PATH\n");
		return 1;
	}
	if (!fs || fs_open_file(fs, "hexdump", path, &node) < 0)
		return 1;

	off = skip < node.size ? skip : node.size;
	end = count < node.size - off ? off + count : node.size;
	// hexdump -C: a line equal to the line before is shown once as '*'.
	while (off < end) {
		if (shell_interrupted("hexdump"))
			return 1;
		size_t want = end - off < sizeof(chunk) ? (size_t)(end - off) : sizeof(chunk);
		long n = efs_read(&fs->vol, &node, off, chunk, want);

		if (n <= 0) {
			fs_cmd_error(fs, "hexdump", path, n < 0 ? (int)n : -EIO);
			return 1;
		}
		for (size_t i = 0; i < (size_t)n; i += 16) {
			size_t len = (size_t)n - i < 16 ? (size_t)n - i : 16;

			if (len == 16 && have_prev && !memcmp(prev, chunk + i, 16)) {
				if (!starred)
					kprintf("*\n");
				starred = true;
				continue;
			}
			hexdump_line(off + i, chunk + i, len);
			memcpy(prev, chunk + i, len);
			have_prev = len == 16;
			starred = false;
		}
		off += (uint64_t)n;
	}
	// where it stopped, as hexdump -C prints it: even when the skip
	// reached the end (so `-s` past the end shows the file's size rather
	// than nothing), but not for an empty file or -n 0
	if (node.size > 0 && count > 0)
		kprintf("%08lx\n", (unsigned long)off);
	return 0;
}
SHELL_COMMAND("hexdump", "[-s OFF] [-n LEN] PATH", "show a file's bytes like hexdump -C",
              cmd_hexdump);

// --- stat -----------------------------------------------------------------

static int cmd_stat(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("stat");
	struct efs_path chain;
	struct efs_inode n;
	int bad = 0;

	if (argc < 2) {
		kprintf("usage: stat PATH...\n");
		return 1;
	}
	if (!fs)
		return 1;
	for (int i = 1; i < argc; i++) {
		char rwx[11], oct[13], when[40];
		const struct efs_volume *v = &fs->vol;
		// like lstat: a symlink is shown, not followed
		int r = fs_walk(fs, argv[i], EFS_NOFOLLOW, &chain, &n);

		if (r < 0) {
			fs_cmd_error(fs, "stat", argv[i], r);
			bad = 1;
			continue;
		}
		fs_mode_rwx(&n, rwx);
		fs_mode_octal(n.mode, oct);
		kprintf("  path:    %s\n", argv[i]);
		kprintf("  inode:   %u\n", n.ino);
		kprintf("  type:    %s\n", fs_type_name(n.type));
		kprintf("  mode:    %s (%s)\n", oct, rwx);
		kprintf("  uid:     %u\n", n.uid);
		kprintf("  gid:     %u\n", n.gid);
		kprintf("  nlink:   %u\n", n.nlink);
		kprintf("  size:    %lu\n", (unsigned long)n.size);
		fs_utc_time(n.atime, when, sizeof(when), true);
		kprintf("  atime:   %s UTC (%lu)\n", when, (unsigned long)n.atime);
		fs_utc_time(n.mtime, when, sizeof(when), true);
		kprintf("  mtime:   %s UTC (%lu)\n", when, (unsigned long)n.mtime);
		fs_utc_time(n.ctime, when, sizeof(when), true);
		kprintf("  ctime:   %s UTC (%lu)\n", when, (unsigned long)n.ctime);
		kprintf("  table:   entry at volume offset %lu, rel_offset %lu\n",
		        (unsigned long)(v->table_off + (uint64_t)(n.ino - 1) * EFS_TABLE_ENTRY),
		        (unsigned long)(n.record_off - v->nodes_start));
		kprintf("  record:  %u bytes at volume offset %lu (disk byte %lu)\n", n.record_size,
		        (unsigned long)n.record_off,
		        (unsigned long)(fs->loc.offset + n.record_off));
		if (n.type == EFS_DIR && n.entries_len)
			kprintf("  entries: %lu bytes at volume offset %lu\n",
			        (unsigned long)n.entries_len, (unsigned long)n.entries_off);
		else if (n.type != EFS_DIR && n.content_len)
			kprintf("  content: %lu bytes at volume offset %lu\n",
			        (unsigned long)n.content_len, (unsigned long)n.content_off);
		if (n.type == EFS_SYMLINK) {
			kprintf("  target:  ");
			fs_put_target(fs, &n);
			kprintf("\n");
		}
	}
	return bad;
}
SHELL_COMMAND("stat", "PATH...", "a node's metadata and where its record is", cmd_stat);

// --- cd, pwd ----------------------------------------------------------------

static char cd_path[EFS_PATH_MAX];

static int cmd_cd(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("cd");
	const char *path = argc > 1 ? argv[1] : "/";
	struct efs_path chain;
	struct efs_inode node;
	int r;

	if (argc > 2) {
		kprintf("usage: cd [PATH]\n");
		return 1;
	}
	if (!fs)
		return 1;
	r = fs_walk(fs, path, 0, &chain, &node);
	if (r == 0 && node.type != EFS_DIR)
		r = -ENOTDIR;
	if (r == 0) {
		void *scratch = dma_alloc(EFS_SORT_MEM);

		r = scratch ? fs_chain_path(fs, &chain, scratch, cd_path, sizeof(cd_path))
		            : -ENOMEM;
		dma_free(scratch, EFS_SORT_MEM);
	}
	if (r < 0) {
		fs_cmd_error(fs, "cd", path, r);
		return 1;
	}
	fs->cwd = chain;
	memcpy(fs->cwd_path, cd_path, sizeof(cd_path));
	return 0;
}
SHELL_COMMAND("cd", "[PATH]", "change the current directory (default /)", cmd_cd);

static int cmd_pwd(int argc, char **argv)
{
	struct fs_mount *fs;

	if (!shell_args_ok(argc, argv, 0, 0) || !(fs = fs_mounted("pwd")))
		return 1;
	fs_put_name(fs->cwd_path, strlen(fs->cwd_path));
	kprintf("\n");
	return 0;
}
SHELL_COMMAND("pwd", "", "print the current directory", cmd_pwd);

// --- mount ------------------------------------------------------------------

// `mount DEV`: make the EclipseFS volume on DEV the root. The mounted
// volume stays as it is unless the new one mounts (fs_mount_root tries it
// in a place of its own), and the shell starts again at / on the new one.
static int mount_dev(const char *id)
{
	struct blkdev *dev = blk_named("mount", id);
	struct fs_mount *old = fs_root();

	if (!dev)
		return 1;
	if (old && old->dev == dev) {
		kprintf("mount: %s (%s) is mounted on / already\n", dev->id, dev->name);
		return 0;
	}
	if (fs_mount_root(dev) < 0) {
		if (old)
			kprintf("mount: %s not mounted; / is still %s (%s)\n", dev->id,
			        old->dev->id, old->dev->name);
		else
			kprintf("mount: %s not mounted; nothing is mounted\n", dev->id);
		return 1;
	}
	blk_root_set(dev);
	kprintf("mount: %s (%s) on /, the root device from now on\n", dev->id, dev->name);
	return 0;
}

static int cmd_mount(int argc, char **argv)
{
	struct fs_mount *fs;
	const struct efs_volume *v;
	const struct bcache *c;

	if (argc > 2) {
		kprintf(
		    "usage: mount [DEV]   (DEV: vda, vdb, ...: mount its EclipseFS volume on /)\n");
		return 1;
	}
	if (argc == 2)
		return mount_dev(argv[1]);
	if (!(fs = fs_mounted("mount")))
		return 1;
	v = &fs->vol;
	c = fs->loc.disk.ctx; // the block cache (see fs_kern.c)
	kprintf("%s on / type eclipsefs v%u.%u (%s, byte offset %lu, %lu bytes, %u inodes)\n",
	        fs->dev->name, v->version >> 16, v->version & 0xffff, fs->loc.where,
	        (unsigned long)fs->loc.offset, (unsigned long)v->io.size, v->total_inodes);
	kprintf("inode table at volume offset %lu (%lu bytes), records from %lu\n",
	        (unsigned long)v->table_off, (unsigned long)v->table_size,
	        (unsigned long)v->nodes_start);
	kprintf("cache: %lu hits, %lu misses, %lu bytes read around it (%u entries of %u bytes, "
	        "%u-way)\n",
	        (unsigned long)c->hits, (unsigned long)c->misses, (unsigned long)c->direct_bytes,
	        BCACHE_ENTRIES, c->unit, BCACHE_WAYS);
	return 0;
}
SHELL_COMMAND("mount", "[DEV]",
              "the mounted volume: device, place, size, cache counters; DEV: mount that disk",
              cmd_mount);
