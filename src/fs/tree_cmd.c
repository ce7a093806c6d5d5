// `tree`: a directory tree, each directory sorted by name, drawn with
// "|-- " and "`-- " like the Unix tool. The walk keeps its own stack of
// sorted levels (fs_list_cmd.c; the kernel stack is 16 KiB), refuses to
// descend into a directory that is its own ancestor or that it has
// already shown, and stops at EFS_DEPTH_MAX levels, so no image can make
// it loop or print more than the image holds.
#include "console.h"
#include "errno.h"
#include "fs/fs_cmd.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"

static struct fs_level frames[EFS_DEPTH_MAX];
static struct efs_dirent entry;

// Items still to show in a level, the closing error note included.
static uint32_t left(const struct fs_level *f)
{
	return f->n - f->next + (f->err && !f->noted);
}

static void prefix(uint32_t depth, bool last)
{
	for (uint32_t i = 0; i + 1 < depth; i++)
		kprintf(left(&frames[i]) ? "|   " : "    ");
	kprintf(last ? "`-- " : "|-- ");
}

static int cmd_tree(int argc, char **argv)
{
	struct fs_mount *fs = fs_mounted("tree");
	const char *path = argc > 1 ? argv[1] : ".";
	unsigned long dirs = 0, files = 0, links = 0;
	struct efs_inode node;
	struct efs_path chain;
	struct fs_levels L;
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
	r = fs_walk(fs, path, 0, &chain, &node);
	if (r < 0) {
		fs_cmd_error(fs, "tree", path, r);
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
	if (!fs_levels_get(&L, "tree"))
		return 1;
	if (!(seen = dma_alloc(seen_len))) {
		kprintf("tree: out of memory\n");
		fs_levels_put(&L);
		return 1;
	}
	seen[node.ino / 8] |= (uint8_t)(1u << (node.ino % 8));
	r = fs_level_push(fs, &L, &node, false, &frames[0]);
	depth = r < 0 ? 0 : 1;

	while (depth > 0) {
		struct fs_level *f = &frames[depth - 1];
		struct efs_inode child;

		if (f->next == f->n) {
			if (left(f)) {
				f->noted = true;
				prefix(depth, true);
				kprintf("[%s]\n", f->why);
				bad = 1;
			}
			fs_level_pop(&L, f);
			depth--;
			continue;
		}
		r = fs_level_entry(fs, f, f->next++, &entry);
		prefix(depth, left(f) == 0);
		if (r < 0) {
			kprintf("[%s]\n", fs_reason(fs, r));
			bad = 1;
			continue;
		}
		fs_put_name(entry.name, entry.name_len);
		r = efs_inode_get(&fs->vol, entry.ino, &child);
		if (r < 0) {
			kprintf("  [%s]\n", fs_reason(fs, r));
			bad = 1;
			continue;
		}
		// a symlink is counted as a link, whatever it points to: tree
		// does not follow links, so one to a directory is not a
		// directory it shows.
		if (child.type == EFS_SYMLINK) {
			kprintf(" -> ");
			fs_put_target(fs, &child);
			links++;
			kprintf("\n");
			continue;
		}
		if (child.type != EFS_DIR) {
			files++;
			kprintf("\n");
			continue;
		}
		dirs++;
		if (fs_level_holds(frames, depth, child.ino)) {
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
			r = fs_level_push(fs, &L, &child, false, &frames[depth]);
			if (r < 0) {
				prefix(depth + 1, true);
				kprintf("[%s]\n", fs_reason(fs, r));
				bad = 1;
			} else {
				depth++;
			}
		}
	}
	kprintf("\n%lu director%s, %lu file%s", dirs, dirs == 1 ? "y" : "ies", files,
	        files == 1 ? "" : "s");
	if (links)
		kprintf(", %lu symlink%s", links, links == 1 ? "" : "s");
	kprintf("\n");
	dma_free(seen, seen_len);
	fs_levels_put(&L);
	return bad;
}
SHELL_COMMAND("tree", "[PATH]", "show a directory tree, sorted by name", cmd_tree);
