// How the file-system commands find the volume and a node, and how they
// show names, modes, symlink targets and errors. Names from disk may hold
// any byte: listings show control characters as '?'.
#include "console.h"
#include "errno.h"
#include "fs/fs_cmd.h"
#include "lib/string.h"

struct fs_mount *fs_mounted(const char *cmd)
{
	struct fs_mount *fs = fs_root();

	if (!fs)
		kprintf("%s: no file system mounted\n", cmd);
	return fs;
}

// Errors the image caused, for which the reader leaves a sentence naming
// the node, the field and the limit. The reader clears its sentence at
// every call, so one that is there belongs to the call that just failed;
// -ENAMETOOLONG has one when a stored name or target is too long, or a
// path goes past the depth limit, not when a typed path is over 1023
// bytes. A device error is said by its errno, with
// fs_perror's note about a partial last block.
static bool image_error(struct fs_mount *fs, int err)
{
	return (err == -EBADMSG || err == -ENOTSUP || err == -EFBIG || err == -ENAMETOOLONG) &&
	       efs_error(&fs->vol)[0];
}

const char *fs_reason(struct fs_mount *fs, int err)
{
	return image_error(fs, err) ? efs_error(&fs->vol) : errstr(err);
}

void fs_cmd_error(struct fs_mount *fs, const char *cmd, const char *path, int err)
{
	if (image_error(fs, err))
		kprintf("%s: %s: %s\n", cmd, path, efs_error(&fs->vol));
	else
		fs_perror(cmd, path, err);
}

void fs_put_name(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		kprintf("%c", c < 0x20 || c == 0x7f ? '?' : c);
	}
}

int fs_walk(struct fs_mount *fs, const char *path, unsigned flags, struct efs_path *chain,
            struct efs_inode *node)
{
	return efs_walk(&fs->vol, &fs->cwd, path, flags, chain, node);
}

int fs_open_file(struct fs_mount *fs, const char *cmd, const char *path, struct efs_inode *node)
{
	struct efs_path chain;
	int r = fs_walk(fs, path, 0, &chain, node);

	if (r == 0 && node->type == EFS_DIR)
		r = -EISDIR;
	if (r < 0)
		fs_cmd_error(fs, cmd, path, r);
	return r;
}

// The format stores no "..", so each step's name is found in the
// directory before it: the first stored entry naming the inode wins.
int fs_chain_path(struct fs_mount *fs, const struct efs_path *p, void *scratch, char *buf,
                  size_t cap)
{
	size_t len = 0;

	for (uint32_t i = 1; i < p->depth; i++) {
		struct efs_inode dir;
		struct efs_sorted s;
		uint32_t best = UINT32_MAX, name_len;
		const char *name;
		int r = efs_inode_get(&fs->vol, p->ino[i - 1], &dir);

		if (r == 0)
			r = efs_dir_sort(&fs->vol, &dir, scratch, EFS_SORT_MEM, &s);
		if (r < 0)
			return r;
		for (uint32_t k = 0; k < s.n; k++)
			if (efs_sorted_ino(&s, k) == p->ino[i] &&
			    (best == UINT32_MAX || s.item[k] < s.item[best]))
				best = k;
		if (best == UINT32_MAX)
			return -ENOENT;
		name = efs_sorted_name(&s, best, &name_len);
		if (len + 1 + name_len + 1 > cap)
			return -ENAMETOOLONG;
		buf[len++] = '/';
		memcpy(buf + len, name, name_len);
		len += name_len;
	}
	if (len == 0)
		buf[len++] = '/';
	buf[len] = '\0';
	return 0;
}

const char *fs_type_name(uint8_t type)
{
	return type == EFS_DIR ? "directory" : type == EFS_SYMLINK ? "symlink" : "file";
}

// The type letter comes from NODE_TYPE, the rest from MODE.
void fs_mode_rwx(const struct efs_inode *n, char out[11])
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

void fs_mode_octal(uint32_t mode, char out[13])
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

void fs_put_target(struct fs_mount *fs, const struct efs_inode *link)
{
	char target[EFS_PATH_MAX];
	long len = efs_readlink(&fs->vol, link, target, sizeof(target));

	if (len < 0)
		kprintf("[%s]", fs_reason(fs, (int)len));
	else
		fs_put_name(target, (size_t)len);
}

static unsigned digits(uint64_t v)
{
	unsigned d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

void fs_cols_init(struct fs_cols *c)
{
	c->nlink = 2;
	c->uid = 4;
	c->gid = 4;
	c->size = 9;
}

void fs_cols_fit(struct fs_cols *c, const struct efs_inode *n)
{
	if (digits(n->nlink) > c->nlink)
		c->nlink = digits(n->nlink);
	if (digits(n->uid) > c->uid)
		c->uid = digits(n->uid);
	if (digits(n->gid) > c->gid)
		c->gid = digits(n->gid);
	if (digits(n->size) > c->size)
		c->size = digits(n->size);
}

// v right-aligned in width columns, then a space.
static void put_col(uint64_t v, unsigned width)
{
	for (unsigned d = digits(v); d < width; d++)
		kprintf(" ");
	kprintf("%lu ", (unsigned long)v);
}

void fs_long_line(struct fs_mount *fs, const struct efs_inode *n, const struct fs_cols *c,
                  const char *name, size_t name_len)
{
	char mode[11], when[40];

	fs_mode_rwx(n, mode);
	fs_utc_time(n->mtime, when, sizeof(when), false);
	kprintf("%s ", mode);
	put_col(n->nlink, c->nlink);
	put_col(n->uid, c->uid);
	put_col(n->gid, c->gid);
	put_col(n->size, c->size);
	kprintf("%s ", when);
	fs_put_name(name, name_len);
	if (n->type == EFS_SYMLINK) {
		kprintf(" -> ");
		fs_put_target(fs, n);
	}
	kprintf("\n");
}

int fs_hash_file(struct fs_mount *fs, const struct efs_inode *node, uint8_t *buf,
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
