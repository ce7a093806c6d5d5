// Sorted directory listings: the levels that ls, tree and dump keep while
// they walk (see fs_cmd.h), and the `ls` command.
//
// A directory is sorted by the reader (efs_dir_sort) in time O(n log n)
// and in a fixed block of memory, so a listing is never cut short: the
// largest directory the reader accepts (EFS_DIR_MAX entries with names of
// EFS_NAME_MAX bytes) lists whole, at every one of EFS_DEPTH_MAX levels.
#include "console.h"
#include "errno.h"
#include "fs/fs_cmd.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"

bool fs_levels_get(struct fs_levels *L, const char *cmd)
{
	L->mem = dma_alloc(FS_LEVELS_MEM);
	if (!L->mem) {
		kprintf("%s: out of memory for the listing (%u KiB)\n", cmd,
		        (unsigned)(FS_LEVELS_MEM >> 10));
		return false;
	}
	L->top = (uint32_t *)(L->mem + EFS_SORT_MEM);
	L->end = (uint32_t *)(L->mem + FS_LEVELS_MEM);
	return true;
}

void fs_levels_put(struct fs_levels *L)
{
	dma_free(L->mem, FS_LEVELS_MEM);
}

int fs_level_push(struct fs_mount *fs, struct fs_levels *L, const struct efs_inode *dir,
                  bool subtrees, struct fs_level *lv)
{
	struct efs_sorted s;
	int r;

	memset(lv, 0, sizeof(*lv));
	lv->ino = dir->ino;
	lv->base = dir->entries_off;
	lv->err = efs_dir_sort(&fs->vol, dir, L->mem, EFS_SORT_MEM, &s);
	if (lv->err)
		ksnprintf(lv->why, sizeof(lv->why), "%s", fs_reason(fs, lv->err));
	for (uint32_t i = 0, n = s.n; subtrees && i < n; i++) {
		struct efs_inode child;

		r = efs_inode_get(&fs->vol, efs_sorted_ino(&s, i), &child);
		if (r < 0)
			return r;
		if (child.type == EFS_DIR)
			s.item[s.n++] = s.item[i] | EFS_SUBTREE;
	}
	if (subtrees)
		efs_sorted_sort(&s);

	// at most 2 * EFS_DIR_MAX items a level, EFS_DEPTH_MAX levels: the
	// stack was sized for that, so this only guards a caller's bug.
	if (s.n > (size_t)(L->end - L->top))
		return -ENOMEM;
	lv->item = L->top;
	lv->n = s.n;
	memcpy(lv->item, s.item, (size_t)s.n * sizeof(uint32_t));
	L->top += s.n;
	return 0;
}

void fs_level_pop(struct fs_levels *L, const struct fs_level *lv)
{
	L->top = lv->item;
}

int fs_level_entry(struct fs_mount *fs, const struct fs_level *lv, uint32_t i, struct efs_dirent *d)
{
	return efs_entry_at(&fs->vol, lv->base + EFS_ITEM_OFF(lv->item[i]), d);
}

bool fs_level_holds(const struct fs_level *levels, uint32_t depth, uint32_t ino)
{
	for (uint32_t i = 0; i < depth; i++)
		if (levels[i].ino == ino)
			return true;
	return false;
}

// --- ls -----------------------------------------------------------------------

static char joined[EFS_PATH_MAX + EFS_NAME_MAX + 2];

// "DIR/NAME" for an error message about an entry.
static const char *join(const char *dir, const char *name, size_t len)
{
	size_t n = strlen(dir);

	if (n > EFS_PATH_MAX)
		n = EFS_PATH_MAX;
	memcpy(joined, dir, n);
	if (n == 0 || joined[n - 1] != '/')
		joined[n++] = '/';
	memcpy(joined + n, name, len);
	joined[n + len] = '\0';
	return joined;
}

static int cmd_ls(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("ls");
	const char *path = 0;
	bool lng = false;
	struct efs_path chain;
	struct efs_inode node, child;
	struct efs_sorted s;
	struct fs_cols cols;
	char why[128];
	void *mem;
	int r, err, bad = 0;

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
	r = fs_walk(fs, path, EFS_NOFOLLOW, &chain, &node);
	if (r == 0 && node.type == EFS_SYMLINK && (!lng || path[strlen(path) - 1] == '/'))
		r = fs_walk(fs, path, 0, &chain, &node);
	if (r < 0) {
		fs_cmd_error(fs, "ls", path, r);
		return 1;
	}
	fs_cols_init(&cols);
	if (node.type != EFS_DIR) {
		fs_cols_fit(&cols, &node);
		if (lng)
			fs_long_line(fs, &node, &cols, path, strlen(path));
		else
			kprintf("%s\n", path);
		return 0;
	}

	if (!(mem = dma_alloc(EFS_SORT_MEM))) {
		kprintf("ls: out of memory for the listing\n");
		return 1;
	}
	// the entries before a bad one are shown, then the error.
	err = efs_dir_sort(&fs->vol, &node, mem, EFS_SORT_MEM, &s);
	if (err)
		ksnprintf(why, sizeof(why), "%s", fs_reason(fs, err));
	// a first pass finds the widest numbers, so every line has the same
	// columns; an entry that cannot be read is reported by the second.
	for (uint32_t i = 0; lng && i < s.n; i++)
		if (efs_inode_get(&fs->vol, efs_sorted_ino(&s, i), &child) == 0)
			fs_cols_fit(&cols, &child);
	for (uint32_t i = 0; i < s.n; i++) {
		uint32_t len;
		const char *name = efs_sorted_name(&s, i, &len);

		if (!lng) {
			fs_put_name(name, len);
			kprintf("\n");
		} else if ((r = efs_inode_get(&fs->vol, efs_sorted_ino(&s, i), &child)) < 0) {
			fs_cmd_error(fs, "ls", join(path, name, len), r);
			bad = 1;
		} else {
			fs_long_line(fs, &child, &cols, name, len);
		}
	}
	if (err) {
		kprintf("ls: %s: %s\n", path, why);
		bad = 1;
	}
	dma_free(mem, EFS_SORT_MEM);
	return bad;
}
SHELL_COMMAND("ls", "[-l] [PATH]", "list a directory, sorted by name (-l: details)", cmd_ls);
