// What the file-system shell commands share: finding the mounted volume
// and a node, showing names, modes, times and errors, and the sorted
// directory levels that ls, tree and dump walk. Each command keeps its own
// buffers in its own file; nothing here is a buffer another command reads.
#ifndef FS_FS_CMD_H
#define FS_FS_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/fs.h"
#include "lib/sha256.h"

#define READ_CHUNK (64u << 10) // bytes read from a file at a time (sha256, dump)

// --- fs_show_cmd.c: finding nodes and showing them ---------------------------

// The mounted volume, or NULL after printing "CMD: no file system mounted".
struct fs_mount *fs_mounted(const char *cmd);
// The sentence for err: the reader's own explanation when the image
// caused it (it names the node and the limit), else the errno's text.
const char *fs_reason(struct fs_mount *fs, int err);
// Print "CMD: PATH: reason" (through fs_perror for a device error).
void fs_cmd_error(struct fs_mount *fs, const char *cmd, const char *path, int err);
// A name from disk, with control characters shown as '?'.
void fs_put_name(const char *s, size_t len);
// Resolve path from the shell's current directory.
int fs_walk(struct fs_mount *fs, const char *path, unsigned flags, struct efs_path *chain,
            struct efs_inode *node);
// Resolve path following every symlink, refusing a directory; prints the
// error itself.
int fs_open_file(struct fs_mount *fs, const char *cmd, const char *path, struct efs_inode *node);
// The absolute path of a resolved chain, into buf. scratch is EFS_SORT_MEM
// bytes for one directory's sorted entries.
int fs_chain_path(struct fs_mount *fs, const struct efs_path *p, void *scratch, char *buf,
                  size_t cap);
const char *fs_type_name(uint8_t type);
// "drwxr-xr-x" and "0100644" (kprintf has no %o).
void fs_mode_rwx(const struct efs_inode *n, char out[11]);
void fs_mode_octal(uint32_t mode, char out[13]);
// A symlink's target, or "[why it cannot be read]".
void fs_put_target(struct fs_mount *fs, const struct efs_inode *link);
// The widths of `ls -l`'s number columns. They start at 2, 4, 4 and 9
// digits (links, owner, group, size) and grow to the widest value of a
// listing, so that a 10-digit uid such as 4294967295 moves the whole
// column rather than one line.
struct fs_cols {
	unsigned nlink, uid, gid, size;
};
void fs_cols_init(struct fs_cols *c);
void fs_cols_fit(struct fs_cols *c, const struct efs_inode *n);
// One `ls -l` line: type and permissions, links, owner, group, size, mtime
// (UTC), name, and a symlink's target, the numbers in c's widths.
void fs_long_line(struct fs_mount *fs, const struct efs_inode *n, const struct fs_cols *c,
                  const char *name, size_t name_len);
// SHA-256 of a whole file as hex, read in READ_CHUNK pieces into buf.
int fs_hash_file(struct fs_mount *fs, const struct efs_inode *node, uint8_t *buf,
                 char hex[2 * SHA256_DIGEST_SIZE + 1]);

// --- fs_time_cmd.c -----------------------------------------------------------

// Unix seconds as "YYYY-MM-DD HH:MM" (seconds: ":SS" too), in UTC.
void fs_utc_time(uint64_t t, char *out, size_t cap, bool seconds);

// --- fs_list_cmd.c: sorted directory levels ------------------------------------
//
// One block of memory: EFS_SORT_MEM of scratch where efs_dir_sort reads a
// directory, then a stack where each level keeps only its sorted items (4
// bytes an entry) while the walk goes deeper. A level's names are read
// again from disk (through the block cache) when they are shown. The block
// holds EFS_DEPTH_MAX levels of the largest directory, with and without
// subtree items, so no image can make a listing stop for lack of memory.
#define FS_LEVELS_MEM (EFS_SORT_MEM + EFS_DEPTH_MAX * 2 * EFS_DIR_MAX * sizeof(uint32_t))

struct fs_levels {
	uint8_t *mem; // FS_LEVELS_MEM bytes; the scratch is at the start
	uint32_t *top, *end;
};

struct fs_level {
	uint32_t ino;     // the directory
	uint64_t base;    // volume offset of its entries
	uint32_t *item;   // n sorted items (efs_sorted offsets, EFS_SUBTREE)
	uint32_t n, next; // items, and the next one to show
	int err;          // the listing stopped early with this error (0: none)
	char why[128];    // and this is why, kept: later reads replace efs_error()
	size_t path_len;  // dump: length of the directory's path
	bool noted;       // tree: the error line has been shown
};

bool fs_levels_get(struct fs_levels *L, const char *cmd);
void fs_levels_put(struct fs_levels *L);
// Sort dir into a new level on top of the stack. With subtrees, every
// entry naming a directory gets a second, EFS_SUBTREE item (dump's order);
// an inode that cannot be read then ends the push with its error.
int fs_level_push(struct fs_mount *fs, struct fs_levels *L, const struct efs_inode *dir,
                  bool subtrees, struct fs_level *lv);
// Give the level's items back (levels are popped in stack order).
void fs_level_pop(struct fs_levels *L, const struct fs_level *lv);
// Is ino one of the directories levels[0 .. depth - 1] (an ancestor)?
bool fs_level_holds(const struct fs_level *levels, uint32_t depth, uint32_t ino);
// Item i of a level, read back from disk.
int fs_level_entry(struct fs_mount *fs, const struct fs_level *lv, uint32_t i,
                   struct efs_dirent *d);

#endif
