// `dump`: every path below PATH, one line each, sorted by path in byte
// order, exactly as tools/eclipsefs-dump prints them:
//
//   PATH dir ENTRIES
//   PATH file SIZE sha256:HEX
//   PATH symlink SIZE TARGET
//
// Like the tool, it checks the whole volume first (efs_check), so the walk
// runs over a tree known to be finite and acyclic. Names and targets are
// printed as stored, as the tool prints them, except that a control byte
// (below 0x20, or 0x7f) shows as '?', as ls and tree show it: the tool
// writes a listing to compare, the shell writes to a terminal that would
// act on them.
//
// Paths sort in byte order: "/a", "/a b", "/a/x" (' ' < '/'), so a sibling
// can come between a directory's own line and its contents. Each level
// therefore holds two items for a directory, its line (key "name") and
// its subtree (key "name/"), sorted together (fs_level_push).
#include "console.h"
#include "errno.h"
#include "fs/fs_cmd.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"

static struct fs_level frames[EFS_DEPTH_MAX];
static char path[EFS_DEPTH_MAX * (EFS_NAME_MAX + 1) + 2];
static char target[EFS_PATH_MAX];
static struct efs_dirent entry;

static int dump_line(struct fs_mount *fs, struct fs_levels *L, const struct efs_inode *n,
                     uint8_t *buf)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];
	int r;

	if (n->type == EFS_DIR) {
		// the scratch at the start of L is free between pushes.
		struct efs_sorted s;

		if ((r = efs_dir_sort(&fs->vol, n, L->mem, EFS_SORT_MEM, &s)) < 0)
			return r;
		fs_put_name(path, strlen(path));
		kprintf(" dir %u\n", s.n);
	} else if (n->type == EFS_FILE) {
		if ((r = fs_hash_file(fs, n, buf, hex)) < 0)
			return r;
		fs_put_name(path, strlen(path));
		kprintf(" file %lu sha256:%s\n", (unsigned long)n->size, hex);
	} else {
		long len = efs_readlink(&fs->vol, n, target, sizeof(target));

		if (len < 0)
			return (int)len;
		fs_put_name(path, strlen(path));
		kprintf(" symlink %lu ", (unsigned long)n->size);
		fs_put_name(target, (size_t)len);
		kprintf("\n");
	}
	return 0;
}

// Check the volume with scratch memory of its own, given back before the
// walk takes its levels.
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

static int push(struct fs_mount *fs, struct fs_levels *L, uint32_t depth,
                const struct efs_inode *dir, size_t path_len)
{
	int r = fs_level_push(fs, L, dir, true, &frames[depth]);

	frames[depth].path_len = path_len;
	if (r == 0 && frames[depth].err) {
		// efs_check passed, so this is a device error: say it as is.
		kprintf("dump: %s: %s\n", path, frames[depth].why);
		r = 1;
	}
	return r;
}

static int cmd_dump(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("dump");
	const char *arg = argc > 1 ? argv[1] : "/";
	struct efs_path chain;
	struct efs_inode node, child;
	struct fs_levels L;
	uint8_t *buf;
	uint32_t depth = 0;
	int r;

	if (argc > 2) {
		kprintf("usage: dump [PATH]\n");
		return 1;
	}
	if (!fs)
		return 1;
	r = fs_walk(fs, arg, 0, &chain, &node);
	if (r == 0)
		r = check_volume(fs);
	if (r < 0) {
		fs_cmd_error(fs, "dump", arg, r);
		return 1;
	}
	if (!fs_levels_get(&L, "dump"))
		return 1;
	if (!(buf = dma_alloc(READ_CHUNK))) {
		kprintf("dump: out of memory\n");
		fs_levels_put(&L);
		return 1;
	}

	r = fs_chain_path(fs, &chain, L.mem, path, EFS_PATH_MAX);
	if (r == 0)
		r = dump_line(fs, &L, &node, buf);
	if (r == 0 && node.type == EFS_DIR) {
		r = push(fs, &L, 0, &node, strlen(path));
		depth = 1;
	}
	while (r == 0 && depth > 0) {
		struct fs_level *f = &frames[depth - 1];
		uint32_t item;
		size_t len = f->path_len;

		if (f->next == f->n) {
			fs_level_pop(&L, f);
			depth--;
			continue;
		}
		item = f->item[f->next];
		r = fs_level_entry(fs, f, f->next++, &entry);
		if (r < 0)
			break;
		if (len > 1)
			path[len++] = '/';
		memcpy(path + len, entry.name, entry.name_len + 1u);
		len += entry.name_len;
		r = efs_inode_get(&fs->vol, entry.ino, &child);
		if (r < 0)
			break;
		if (!(item & EFS_SUBTREE))
			r = dump_line(fs, &L, &child, buf);
		else if (fs_level_holds(frames, depth, child.ino))
			r = -ELOOP; // efs_check rules this out; never trust that twice
		else if (depth == EFS_DEPTH_MAX)
			r = -ENAMETOOLONG; // efs_check and the walk's limits rule this out
		else
			r = push(fs, &L, depth++, &child, len);
	}
	if (r < 0)
		fs_cmd_error(fs, "dump", path, r);
	dma_free(buf, READ_CHUNK);
	fs_levels_put(&L);
	return r != 0;
}
SHELL_COMMAND("dump", "[PATH]", "every path below PATH, as eclipsefs-dump lists them", cmd_dump);
