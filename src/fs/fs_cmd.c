// Shell commands over the mounted EclipseFS volume: ls, cat, stat, tree,
// hexdump, cd, pwd, mount, sha256, dump and fsck.
//
// Everything here goes through the portable reader (fs/eclipsefs.c), which
// checks every field it reads; these commands only have to stay bounded.
// A directory is never held in memory whole beyond a fixed budget: its
// entries are copied into a sort arena of SORT_ARENA bytes (one listing
// per level for tree and dump, stacked), and a listing that does not fit
// is shown as far as it goes with a line that says it was cut. The walks
// of tree and dump keep their own stack (the kernel stack is 16 KiB),
// refuse to descend into a directory that is its own ancestor, and stop at
// EFS_DEPTH_MAX levels, so no image can make them loop.
//
// Names from disk may hold any byte. Listings show control characters as
// '?'; dump prints names exactly, as eclipsefs-dump does.
#include "blk/bcache.h"
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "fs/fs.h"
#include "lib/sha256.h"
#include "lib/hexdump.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"

#define SORT_ARENA (512u << 10) // bytes for the entries being sorted, all levels together
#define READ_CHUNK (64u << 10)  // bytes read from a file at a time (sha256, dump)
#define ALIGN8(x)  (((x) + 7) & ~(size_t)7)

// --- small helpers ------------------------------------------------------

static struct fs_mount *mounted(const char *cmd)
{
	struct fs_mount *fs = fs_root();

	if (!fs)
		kprintf("%s: no file system mounted\n", cmd);
	return fs;
}

// The sentence fs_perror would print for err.
static const char *reason(struct fs_mount *fs, int err)
{
	if ((err == -EBADMSG || err == -ENOTSUP || err == -EFBIG) && efs_error(&fs->vol)[0])
		return efs_error(&fs->vol);
	return errstr(err);
}

// A name from disk, with control characters shown as '?'.
static void put_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		kprintf("%c", c < 0x20 || c == 0x7f ? '?' : c);
	}
}

static void copy_str(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void put_raw(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		kprintf("%c", p[i]);
}

// Resolve path from the shell's current directory.
static int walk(struct fs_mount *fs, const char *path, unsigned flags, struct efs_path *chain,
                struct efs_inode *node)
{
	return efs_walk(&fs->vol, &fs->cwd, path, flags, chain, node);
}

// Resolve path following every symlink, for the commands that read a file.
static int open_file(struct fs_mount *fs, const char *cmd, const char *path, struct efs_inode *node)
{
	struct efs_path chain;
	int r = walk(fs, path, 0, &chain, node);

	if (r == 0 && node->type == EFS_DIR)
		r = -EISDIR;
	if (r < 0)
		fs_perror(cmd, path, r);
	return r;
}

// The absolute path of a resolved chain. The format stores no "..", so
// each step's name is found by scanning the directory before it for the
// inode (the first entry naming it wins).
static int chain_path(struct fs_mount *fs, const struct efs_path *p, char *buf, size_t cap)
{
	size_t len = 0;

	for (uint32_t i = 1; i < p->depth; i++) {
		static struct efs_dirent d;
		struct efs_dir_iter it;
		struct efs_inode dir;
		int r = efs_inode_get(&fs->vol, p->ino[i - 1], &dir);

		if (r == 0)
			r = efs_opendir(&fs->vol, &dir, &it);
		if (r < 0)
			return r;
		while ((r = efs_readdir(&fs->vol, &it, &d)) == 1 && d.ino != p->ino[i])
			;
		if (r < 0)
			return r;
		if (r == 0)
			return -ENOENT;
		if (len + 1 + d.name_len + 1 > cap)
			return -ENAMETOOLONG;
		buf[len++] = '/';
		memcpy(buf + len, d.name, d.name_len);
		len += d.name_len;
	}
	if (len == 0)
		buf[len++] = '/';
	buf[len] = '\0';
	return 0;
}

// --- how a node is shown ------------------------------------------------

static const char *type_name(uint8_t type)
{
	return type == EFS_DIR ? "directory" : type == EFS_SYMLINK ? "symlink" : "file";
}

// "drwxr-xr-x": the type letter from NODE_TYPE, the rest from MODE.
static void mode_rwx(const struct efs_inode *n, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";

	out[0] = n->type == EFS_DIR ? 'd' : n->type == EFS_SYMLINK ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (n->mode & (0400u >> i)) ? rwx[i] : '-';
	if (n->mode & 04000)
		out[3] = out[3] == 'x' ? 's' : 'S';
	if (n->mode & 02000)
		out[6] = out[6] == 'x' ? 's' : 'S';
	if (n->mode & 01000)
		out[9] = out[9] == 'x' ? 't' : 'T';
	out[10] = '\0';
}

// "0100644" (kprintf has no %o).
static void mode_octal(uint32_t mode, char out[13])
{
	char d[12];
	int n = 0, k = 0;

	do {
		d[n++] = (char)('0' + (mode & 7));
		mode >>= 3;
	} while (mode);
	out[k++] = '0';
	while (n > 0)
		out[k++] = d[--n];
	out[k] = '\0';
}

// Unix seconds as a UTC calendar date: the days-to-civil algorithm of
// Howard Hinnant (eras of 400 years, years starting in March), in
// unsigned arithmetic since the times are never before 1970.
static void utc_time(uint64_t t, char *out, size_t cap, int seconds)
{
	uint64_t days = t / 86400, rem = t % 86400;
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint64_t mp = (5 * doy + 2) / 153;
	uint64_t day = doy - (153 * mp + 2) / 5 + 1;
	uint64_t month = mp < 10 ? mp + 3 : mp - 9;
	uint64_t year = yoe + era * 400 + (month <= 2);

	if (seconds)
		ksnprintf(out, cap, "%04lu-%02lu-%02lu %02lu:%02lu:%02lu", (unsigned long)year,
		          (unsigned long)month, (unsigned long)day, (unsigned long)(rem / 3600),
		          (unsigned long)(rem / 60 % 60), (unsigned long)(rem % 60));
	else
		ksnprintf(out, cap, "%04lu-%02lu-%02lu %02lu:%02lu", (unsigned long)year,
		          (unsigned long)month, (unsigned long)day, (unsigned long)(rem / 3600),
		          (unsigned long)(rem / 60 % 60));
}

static char target[EFS_PATH_MAX];

// One `ls -l` line: type and permissions, links, owner, group, size,
// mtime (UTC), name, and a symlink's target.
static void long_line(struct fs_mount *fs, const struct efs_inode *n, const char *name,
                      size_t name_len)
{
	char mode[11], when[40];

	mode_rwx(n, mode);
	utc_time(n->mtime, when, sizeof(when), 0);
	kprintf("%s %2u %4u %4u %9lu %s ", mode, n->nlink, n->uid, n->gid, (unsigned long)n->size,
	        when);
	put_name(name, name_len);
	if (n->type == EFS_SYMLINK) {
		long len = efs_readlink(&fs->vol, n, target, sizeof(target));
		kprintf(" -> ");
		if (len < 0)
			kprintf("[%s]", reason(fs, (int)len));
		else
			put_name(target, (size_t)len);
	}
	kprintf("\n");
}

// --- sorted directory listings --------------------------------------------

// A bump allocator over one dma_alloc'd block. Listings are taken and
// given back in stack order: save top, use, restore top.
struct arena {
	uint8_t *base, *top, *end;
};

// One directory entry, copied out of the image to be sorted.
struct ent {
	uint32_t ino;
	uint16_t len;
	char name[]; // len bytes and a NUL
};

// What is sorted. dump sorts a directory's own line (key "name") apart
// from its subtree (key "name/"), because paths sort in byte order:
// "/a", "/a b", "/a/x" (' ' < '/'), so a sibling can come between a
// directory's line and its contents.
struct item {
	const struct ent *e;
	uint32_t subtree;
};

struct listing {
	struct item *items;
	uint32_t n;      // items
	uint32_t loaded; // entries read from the directory
	bool truncated;  // the arena was full: entries are missing
	int err;         // the reader stopped with this error (0: none)
	char why[128];   // and this is why, kept: later reads replace efs_error()
};

// Byte order of name (followed by '/' for a subtree item).
static int item_cmp(const struct item *a, const struct item *b)
{
	size_t la = a->e->len + a->subtree, lb = b->e->len + b->subtree;

	for (size_t i = 0; i < la && i < lb; i++) {
		unsigned ca = i < a->e->len ? (unsigned char)a->e->name[i] : '/';
		unsigned cb = i < b->e->len ? (unsigned char)b->e->name[i] : '/';
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return la < lb ? -1 : la > lb;
}

// Heapsort: in place, O(n log n) in the worst case, a dozen lines.
static void sift_down(struct item *v, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && item_cmp(&v[child], &v[child + 1]) < 0)
			child++;
		if (item_cmp(&v[root], &v[child]) >= 0)
			return;
		struct item t = v[root];
		v[root] = v[child];
		v[child] = t;
	}
}

static void sort_items(struct item *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(v, i, n);
	for (size_t end = n; end-- > 1;) {
		struct item t = v[0];
		v[0] = v[end];
		v[end] = t;
		sift_down(v, 0, end);
	}
}

// Copy dir's entries into the arena and index them, leaving room for per
// items an entry (dump adds subtree items itself, then sorts). Never
// fails: a listing that stops early says so in l->truncated or l->err.
static void load_listing(struct fs_mount *fs, const struct efs_inode *dir, struct arena *a,
                         unsigned per, struct listing *l)
{
	static struct efs_dirent d;
	struct efs_dir_iter it;
	uint8_t *p = a->top;
	int r;

	memset(l, 0, sizeof(*l));
	r = efs_opendir(&fs->vol, dir, &it);
	while (r >= 0 && (r = efs_readdir(&fs->vol, &it, &d)) == 1) {
		size_t need = ALIGN8(sizeof(struct ent) + d.name_len + 1);
		size_t index = (size_t)(l->loaded + 1) * per * sizeof(struct item);

		if ((size_t)(a->end - p) < need + index) {
			l->truncated = true;
			r = 0;
			break;
		}
		struct ent *e = (struct ent *)p;
		e->ino = d.ino;
		e->len = (uint16_t)d.name_len;
		memcpy(e->name, d.name, d.name_len + 1);
		p += need;
		l->loaded++;
	}
	l->err = r < 0 ? r : 0;
	if (l->err)
		copy_str(l->why, reason(fs, l->err), sizeof(l->why));

	l->items = (struct item *)p;
	for (uint8_t *q = a->top; q < p;
	     q += ALIGN8(sizeof(struct ent) + ((struct ent *)q)->len + 1))
		l->items[l->n++] = (struct item){(const struct ent *)q, 0};
	a->top = p + (size_t)l->loaded * per * sizeof(struct item);
}

static bool arena_get(struct arena *a, const char *cmd)
{
	a->base = dma_alloc(SORT_ARENA);
	if (!a->base) {
		kprintf("%s: out of memory for the listing\n", cmd);
		return false;
	}
	a->top = a->base;
	a->end = a->base + SORT_ARENA;
	return true;
}

static void arena_put(struct arena *a)
{
	dma_free(a->base, SORT_ARENA);
}

// --- ls -----------------------------------------------------------------

static char joined[EFS_PATH_MAX + EFS_NAME_MAX + 2];

// "DIR/NAME" for an error message about an entry.
static const char *join(const char *dir, const struct ent *e)
{
	size_t n = strlen(dir);

	if (n > EFS_PATH_MAX)
		n = EFS_PATH_MAX;
	memcpy(joined, dir, n);
	if (n == 0 || joined[n - 1] != '/')
		joined[n++] = '/';
	memcpy(joined + n, e->name, e->len + 1u);
	return joined;
}

static int cmd_ls(int argc, char **argv)
{
	struct fs_mount *fs = mounted("ls");
	const char *path = 0;
	bool lng = false;
	struct efs_path chain;
	struct efs_inode node, child;
	struct listing l;
	struct arena a;
	int r, bad = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l")) {
			lng = true;
		} else if (argv[i][0] == '-' || path) {
			kprintf("usage: ls [-l] [PATH]\n");
			return 1;
		} else {
			path = argv[i];
		}
	}
	if (!fs)
		return 1;
	if (!path)
		path = ".";

	// like Unix ls: `ls -l LINK` shows the link, `ls LINK` and `ls LINK/`
	// what it points to.
	r = walk(fs, path, EFS_NOFOLLOW, &chain, &node);
	if (r == 0 && node.type == EFS_SYMLINK && (!lng || path[strlen(path) - 1] == '/'))
		r = walk(fs, path, 0, &chain, &node);
	if (r < 0) {
		fs_perror("ls", path, r);
		return 1;
	}
	if (node.type != EFS_DIR) {
		if (lng)
			long_line(fs, &node, path, strlen(path));
		else
			kprintf("%s\n", path);
		return 0;
	}

	if (!arena_get(&a, "ls"))
		return 1;
	load_listing(fs, &node, &a, 1, &l);
	sort_items(l.items, l.n);
	for (uint32_t i = 0; i < l.n; i++) {
		const struct ent *e = l.items[i].e;

		if (!lng) {
			put_name(e->name, e->len);
			kprintf("\n");
		} else if ((r = efs_inode_get(&fs->vol, e->ino, &child)) < 0) {
			fs_perror("ls", join(path, e), r);
			bad = 1;
		} else {
			long_line(fs, &child, e->name, e->len);
		}
	}
	if (l.truncated)
		kprintf("ls: %s: listing truncated after %u entries (the sort buffer holds %u "
		        "KiB)\n",
		        path, l.n, SORT_ARENA >> 10);
	if (l.err) {
		kprintf("ls: %s: %s\n", path, l.why);
		bad = 1;
	}
	arena_put(&a);
	return bad || l.truncated;
}
SHELL_COMMAND("ls", "[-l] [PATH]", "list a directory, sorted by name (-l: details)", cmd_ls);

// --- cat, sha256, hexdump -------------------------------------------------

static uint8_t chunk[4096];

static int cmd_cat(int argc, char **argv)
{
	struct fs_mount *fs = mounted("cat");
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

		if (open_file(fs, "cat", argv[i], &node) < 0) {
			bad = 1;
			continue;
		}
		while ((n = efs_read(&fs->vol, &node, off, chunk, sizeof(chunk))) > 0) {
			put_raw(chunk, (size_t)n);
			off += (uint64_t)n;
		}
		if (n < 0) {
			fs_perror("cat", argv[i], (int)n);
			bad = 1;
		}
	}
	return bad;
}
SHELL_COMMAND("cat", "PATH...", "print files", cmd_cat);

// SHA-256 of a whole file, read in READ_CHUNK pieces into buf.
static int hash_file(struct fs_mount *fs, const struct efs_inode *node, uint8_t *buf,
                     char hex[2 * SHA256_DIGEST_SIZE + 1])
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256 s;
	uint64_t off = 0;
	long n;

	sha256_init(&s);
	while ((n = efs_read(&fs->vol, node, off, buf, READ_CHUNK)) > 0) {
		sha256_update(&s, buf, (size_t)n);
		off += (uint64_t)n;
	}
	if (n < 0)
		return (int)n;
	sha256_final(&s, digest);
	sha256_hex(digest, hex);
	return 0;
}

static int cmd_sha256(int argc, char **argv)
{
	struct fs_mount *fs = mounted("sha256");
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
		if (open_file(fs, "sha256", argv[i], &node) < 0) {
			bad = 1;
		} else if ((r = hash_file(fs, &node, buf, hex)) < 0) {
			fs_perror("sha256", argv[i], r);
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
	struct fs_mount *fs = mounted("hexdump");
	unsigned long skip = 0, count = ~0UL;
	const char *path = 0;
	struct efs_inode node;
	uint8_t prev[16];
	bool have_prev = false, starred = false;
	uint64_t off, start, end;

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
	if (!fs || open_file(fs, "hexdump", path, &node) < 0)
		return 1;

	off = start = skip < node.size ? skip : node.size;
	end = count < node.size - off ? off + count : node.size;
	// hexdump -C: a line equal to the line before is shown once as '*'.
	while (off < end) {
		size_t want = end - off < sizeof(chunk) ? (size_t)(end - off) : sizeof(chunk);
		long n = efs_read(&fs->vol, &node, off, chunk, want);

		if (n <= 0) {
			fs_perror("hexdump", path, n < 0 ? (int)n : -EIO);
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
	if (off > start)
		kprintf("%08lx\n", (unsigned long)off);
	return 0;
}
SHELL_COMMAND("hexdump", "[-s OFF] [-n LEN] PATH", "show a file's bytes like hexdump -C",
              cmd_hexdump);

// --- stat -----------------------------------------------------------------

static int cmd_stat(int argc, char **argv)
{
	struct fs_mount *fs = mounted("stat");
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
		int r = walk(fs, argv[i], EFS_NOFOLLOW, &chain, &n);

		if (r < 0) {
			fs_perror("stat", argv[i], r);
			bad = 1;
			continue;
		}
		mode_rwx(&n, rwx);
		mode_octal(n.mode, oct);
		kprintf("  path:    %s\n", argv[i]);
		kprintf("  inode:   %u\n", n.ino);
		kprintf("  type:    %s\n", type_name(n.type));
		kprintf("  mode:    %s (%s)\n", oct, rwx);
		kprintf("  uid:     %u\n", n.uid);
		kprintf("  gid:     %u\n", n.gid);
		kprintf("  nlink:   %u\n", n.nlink);
		kprintf("  size:    %lu\n", (unsigned long)n.size);
		utc_time(n.atime, when, sizeof(when), 1);
		kprintf("  atime:   %s UTC (%lu)\n", when, (unsigned long)n.atime);
		utc_time(n.mtime, when, sizeof(when), 1);
		kprintf("  mtime:   %s UTC (%lu)\n", when, (unsigned long)n.mtime);
		utc_time(n.ctime, when, sizeof(when), 1);
		kprintf("  ctime:   %s UTC (%lu)\n", when, (unsigned long)n.ctime);
		kprintf("  table:   entry at volume offset %lu, rel_offset %lu\n",
		        (unsigned long)(v->table_off + (uint64_t)(n.ino - 1) * 8),
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
			long len = efs_readlink(&fs->vol, &n, target, sizeof(target));
			kprintf("  target:  ");
			if (len < 0)
				kprintf("[%s]", reason(fs, (int)len));
			else
				put_name(target, (size_t)len);
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
	struct fs_mount *fs = mounted("cd");
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
	r = walk(fs, path, 0, &chain, &node);
	if (r == 0 && node.type != EFS_DIR)
		r = -ENOTDIR;
	if (r == 0)
		r = chain_path(fs, &chain, cd_path, sizeof(cd_path));
	if (r < 0) {
		fs_perror("cd", path, r);
		return 1;
	}
	fs->cwd = chain;
	memcpy(fs->cwd_path, cd_path, sizeof(cd_path));
	return 0;
}
SHELL_COMMAND("cd", "[PATH]", "change the current directory (default /)", cmd_cd);

static int cmd_pwd(int argc, char **argv)
{
	struct fs_mount *fs = mounted("pwd");

	(void)argc, (void)argv;
	if (!fs)
		return 1;
	put_name(fs->cwd_path, strlen(fs->cwd_path));
	kprintf("\n");
	return 0;
}
SHELL_COMMAND("pwd", "", "print the current directory", cmd_pwd);

// --- mount, fsck ------------------------------------------------------------

static int cmd_mount(int argc, char **argv)
{
	struct fs_mount *fs = mounted("mount");
	const struct efs_volume *v;
	const struct bcache *c;

	(void)argc, (void)argv;
	if (!fs)
		return 1;
	v = &fs->vol;
	c = fs->loc.disk.ctx; // the block cache (see fs_kern.c)
	kprintf("%s on / type eclipsefs v%u.%u (%s, byte offset %lu, %lu bytes, %u inodes)\n",
	        fs->dev->name, v->version >> 16, v->version & 0xffff, fs->loc.where,
	        (unsigned long)fs->loc.offset, (unsigned long)v->io.size, v->total_inodes);
	kprintf("inode table at volume offset %lu (%lu bytes), records from %lu\n",
	        (unsigned long)v->table_off, (unsigned long)v->table_size,
	        (unsigned long)v->nodes_start);
	kprintf("cache: %lu hits, %lu misses, %lu bytes read around it (%u entries of %u bytes)\n",
	        (unsigned long)c->hits, (unsigned long)c->misses, (unsigned long)c->direct_bytes,
	        BCACHE_ENTRIES, c->unit);
	return 0;
}
SHELL_COMMAND("mount", "", "the mounted volume: device, place, size, cache counters", cmd_mount);

// Run efs_check with scratch memory from dma_alloc.
static int check_volume(struct fs_mount *fs)
{
	size_t len = efs_check_mem(&fs->vol);
	void *mem = dma_alloc(len);
	int r;

	if (!mem)
		return -ENOMEM;
	r = efs_check(&fs->vol, mem, len);
	dma_free(mem, len);
	return r;
}

static int cmd_fsck(int argc, char **argv)
{
	struct fs_mount *fs = mounted("fsck");
	int r;

	(void)argc, (void)argv;
	if (!fs)
		return 1;
	r = check_volume(fs);
	if (r < 0) {
		kprintf("fsck: %s\n", reason(fs, r));
		return 1;
	}
	kprintf("fsck: clean: %u inodes, each reachable from / exactly once, no directory "
	        "cycles\n",
	        fs->vol.total_inodes);
	return 0;
}
SHELL_COMMAND("fsck", "", "check the whole volume (every inode, entry and link)", cmd_fsck);

// --- tree and dump: walks with their own stack ------------------------------

struct frame {
	uint8_t *mark; // arena top before this directory's listing
	struct listing l;
	uint32_t next;   // next item to show
	uint32_t ino;    // the directory
	size_t path_len; // dump: length of the directory's path
	bool noted;      // tree: the truncation or error line has been shown
};

static struct frame frames[EFS_DEPTH_MAX];

static bool is_ancestor(uint32_t depth, uint32_t ino)
{
	for (uint32_t i = 0; i < depth; i++)
		if (frames[i].ino == ino)
			return true;
	return false;
}

// Items still to show in a tree frame, the closing note included.
static uint32_t left(const struct frame *f)
{
	return f->l.n - f->next + ((f->l.truncated || f->l.err) && !f->noted);
}

static void tree_prefix(uint32_t depth, bool last)
{
	for (uint32_t i = 0; i + 1 < depth; i++)
		kprintf(left(&frames[i]) ? "|   " : "    ");
	kprintf(last ? "`-- " : "|-- ");
}

static int cmd_tree(int argc, char **argv)
{
	struct fs_mount *fs = mounted("tree");
	const char *path = argc > 1 ? argv[1] : ".";
	unsigned long dirs = 0, files = 0;
	struct efs_inode node;
	struct efs_path chain;
	struct arena a;
	uint8_t *seen;
	size_t seen_len;
	uint32_t depth = 0;
	int r, bad = 0;

	if (argc > 2) {
		kprintf("usage: tree [PATH]\n");
		return 1;
	}
	if (!fs)
		return 1;
	r = walk(fs, path, 0, &chain, &node);
	if (r < 0) {
		fs_perror("tree", path, r);
		return 1;
	}
	kprintf("%s\n", path);
	if (node.type != EFS_DIR) {
		kprintf("\n0 directories, 1 file\n");
		return 0;
	}
	// one bit an inode: a directory listed in two places (a hard link the
	// format does not allow) is expanded once, so the output stays as
	// long as the image, not exponential in its depth.
	seen_len = fs->vol.total_inodes / 8 + 1;
	if (!arena_get(&a, "tree"))
		return 1;
	if (!(seen = dma_alloc(seen_len))) {
		kprintf("tree: out of memory\n");
		arena_put(&a);
		return 1;
	}
	seen[node.ino / 8] |= (uint8_t)(1u << (node.ino % 8));
	frames[0].mark = a.top;
	frames[0].ino = node.ino;
	frames[0].next = 0;
	frames[0].noted = false;
	load_listing(fs, &node, &a, 1, &frames[0].l);
	sort_items(frames[0].l.items, frames[0].l.n);
	depth = 1;

	while (depth > 0) {
		struct frame *f = &frames[depth - 1];
		struct efs_inode child;
		const struct ent *e;

		if (f->next == f->l.n) {
			if (left(f)) {
				f->noted = true;
				tree_prefix(depth, true);
				if (f->l.truncated)
					kprintf("[listing truncated after %u entries]\n", f->l.n);
				else
					kprintf("[%s]\n", f->l.why);
				bad = 1;
			}
			a.top = f->mark;
			depth--;
			continue;
		}
		e = f->l.items[f->next++].e;
		tree_prefix(depth, left(f) == 0);
		put_name(e->name, e->len);
		r = efs_inode_get(&fs->vol, e->ino, &child);
		if (r < 0) {
			kprintf("  [%s]\n", reason(fs, r));
			bad = 1;
			continue;
		}
		if (child.type == EFS_SYMLINK) {
			long len = efs_readlink(&fs->vol, &child, target, sizeof(target));
			kprintf(" -> ");
			if (len < 0)
				kprintf("[%s]", reason(fs, (int)len));
			else
				put_name(target, (size_t)len);
		}
		if (child.type != EFS_DIR) {
			files++;
			kprintf("\n");
			continue;
		}
		dirs++;
		if (is_ancestor(depth, child.ino)) {
			kprintf("  [directory cycle: inode %u contains itself, not followed]\n",
			        child.ino);
			bad = 1;
		} else if (seen[child.ino / 8] & (1u << (child.ino % 8))) {
			kprintf("  [inode %u is listed above, not followed]\n", child.ino);
			bad = 1;
		} else if (depth == EFS_DEPTH_MAX) {
			kprintf("  [more than %u levels deep, not followed]\n", EFS_DEPTH_MAX);
			bad = 1;
		} else {
			kprintf("\n");
			seen[child.ino / 8] |= (uint8_t)(1u << (child.ino % 8));
			f = &frames[depth++];
			f->mark = a.top;
			f->ino = child.ino;
			f->next = 0;
			f->noted = false;
			load_listing(fs, &child, &a, 1, &f->l);
			sort_items(f->l.items, f->l.n);
		}
	}
	kprintf("\n%lu director%s, %lu file%s\n", dirs, dirs == 1 ? "y" : "ies", files,
	        files == 1 ? "" : "s");
	dma_free(seen, seen_len);
	arena_put(&a);
	return bad;
}
SHELL_COMMAND("tree", "[PATH]", "show a directory tree, sorted by name", cmd_tree);

// dump: every path below PATH, one line each, sorted by path in byte
// order, exactly as tools/eclipsefs-dump prints them:
//
//   PATH dir ENTRIES
//   PATH file SIZE sha256:HEX
//   PATH symlink SIZE TARGET
//
// Like the tool, it checks the whole volume first (efs_check), so the
// walk runs over a tree known to be finite and acyclic.

static char dump_path[EFS_DEPTH_MAX * (EFS_NAME_MAX + 1) + 2];

static int dump_line(struct fs_mount *fs, const struct efs_inode *n, uint8_t *buf)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	int r;

	if (n->type == EFS_DIR) {
		static struct efs_dirent d;
		struct efs_dir_iter it;
		unsigned long count = 0;

		efs_opendir(&fs->vol, n, &it);
		while ((r = efs_readdir(&fs->vol, &it, &d)) == 1)
			count++;
		if (r < 0)
			return r;
		kprintf("%s dir %lu\n", dump_path, count);
	} else if (n->type == EFS_FILE) {
		if ((r = hash_file(fs, n, buf, hex)) < 0)
			return r;
		kprintf("%s file %lu sha256:%s\n", dump_path, (unsigned long)n->size, hex);
	} else {
		long len = efs_readlink(&fs->vol, n, target, sizeof(target));

		if (len < 0)
			return (int)len;
		kprintf("%s symlink %lu %s\n", dump_path, (unsigned long)n->size, target);
	}
	return 0;
}

// Load dir's listing for dump: a line item for every entry, a subtree
// item for every directory, sorted together.
static int dump_push(struct fs_mount *fs, struct arena *a, uint32_t depth,
                     const struct efs_inode *dir, size_t path_len)
{
	struct frame *f = &frames[depth];
	struct efs_inode child;

	f->mark = a->top;
	f->ino = dir->ino;
	f->next = 0;
	f->path_len = path_len;
	load_listing(fs, dir, a, 2, &f->l);
	if (f->l.err)
		return f->l.err;
	if (f->l.truncated) {
		kprintf("dump: %s: listing truncated after %u entries (the sort buffer holds %u "
		        "KiB)\n",
		        dump_path, f->l.n, SORT_ARENA >> 10);
		return 1; // reported
	}
	for (uint32_t i = 0; i < f->l.loaded; i++) {
		int r = efs_inode_get(&fs->vol, f->l.items[i].e->ino, &child);

		if (r < 0)
			return r;
		if (child.type == EFS_DIR)
			f->l.items[f->l.n++] = (struct item){f->l.items[i].e, 1};
	}
	sort_items(f->l.items, f->l.n);
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	struct fs_mount *fs = mounted("dump");
	const char *path = argc > 1 ? argv[1] : "/";
	struct efs_path chain;
	struct efs_inode node, child;
	struct arena a;
	uint8_t *buf;
	uint32_t depth = 0;
	int r;

	if (argc > 2) {
		kprintf("usage: dump [PATH]\n");
		return 1;
	}
	if (!fs)
		return 1;
	r = walk(fs, path, 0, &chain, &node);
	if (r == 0)
		r = chain_path(fs, &chain, dump_path, EFS_PATH_MAX);
	if (r == 0)
		r = check_volume(fs);
	if (r < 0) {
		fs_perror("dump", path, r);
		return 1;
	}
	if (!arena_get(&a, "dump"))
		return 1;
	if (!(buf = dma_alloc(READ_CHUNK))) {
		kprintf("dump: out of memory\n");
		arena_put(&a);
		return 1;
	}

	r = dump_line(fs, &node, buf);
	if (r == 0 && node.type == EFS_DIR) {
		r = dump_push(fs, &a, 0, &node, strlen(dump_path));
		depth = 1;
	}
	while (r == 0 && depth > 0) {
		struct frame *f = &frames[depth - 1];
		struct item it;
		size_t len = f->path_len;

		if (f->next == f->l.n) {
			a.top = f->mark;
			depth--;
			continue;
		}
		it = f->l.items[f->next++];
		if (len > 1)
			dump_path[len++] = '/';
		memcpy(dump_path + len, it.e->name, it.e->len + 1u);
		len += it.e->len;
		r = efs_inode_get(&fs->vol, it.e->ino, &child);
		if (r < 0)
			break;
		if (!it.subtree)
			r = dump_line(fs, &child, buf);
		else if (is_ancestor(depth, child.ino))
			r = -ELOOP; // efs_check rules this out; never trust that twice
		else if (depth == EFS_DEPTH_MAX)
			r = -ENAMETOOLONG;
		else
			r = dump_push(fs, &a, depth++, &child, len);
	}
	if (r < 0)
		fs_perror("dump", dump_path, r);
	dma_free(buf, READ_CHUNK);
	arena_put(&a);
	return r != 0;
}
SHELL_COMMAND("dump", "[PATH]", "every path below PATH, as eclipsefs-dump lists them", cmd_dump);
