// EclipseFS v2 reader: mount, inode records, directories, path lookup and
// file reads, over an abstract byte reader. The same code runs in the kernel
// (reading a virtio-blk disk) and on the host (the tools, the unit tests and
// the fuzzer), so it allocates nothing and uses only caller memory.
//
// The on-disk format is described in shared/eclipsefs-format.md; section
// names in the comments ("Header", "Node record", ...) refer to it.
//
// Every function returns 0 (or a count) on success and a negative errno on
// failure. When the failure is caused by the image (-EBADMSG, -ENOTSUP,
// -EFBIG, -ENAMETOOLONG on a stored name), efs_error() returns a sentence
// naming the field that was wrong, for the caller to print.
#ifndef FS_ECLIPSEFS_H
#define FS_ECLIPSEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EFS_MAGIC       "ECLIPSEFS"
#define EFS_MAGIC_LEN   9
#define EFS_VERSION_2_0 0x00020000u // (major << 16) | minor
#define EFS_HEADER_SIZE 4096
#define EFS_ROOT_INO    1
#define EFS_RECORD_MAX  (32u << 20) // the reference reader refuses larger records
#define EFS_RECORD_HEAD 8           // u32 inode, u32 record_size
#define EFS_TLV_HEAD    6           // u16 tag, u32 length
#define EFS_DIRENT_HEAD 8           // u32 name_len, u32 child_inode

// Limits of this reader (not of the format). mkfs-eclipsefs refuses to
// write an image that exceeds them.
#define EFS_NAME_MAX    255  // bytes in one directory entry name
#define EFS_PATH_MAX    1024 // bytes in a path, including after symlink expansion
#define EFS_DEPTH_MAX   64   // directories from the root to a node, root included
#define EFS_SYMLINK_MAX 8    // symlinks followed in one lookup before -ELOOP
#define EFS_DIR_MAX     4096 // entries stored in one directory

// Node record tags, in the order the reference writer emits them.
enum efs_tag {
	EFS_TAG_NODE_TYPE = 0x0001,
	EFS_TAG_MODE = 0x0002,
	EFS_TAG_UID = 0x0003,
	EFS_TAG_GID = 0x0004,
	EFS_TAG_SIZE = 0x0005,
	EFS_TAG_ATIME = 0x0006,
	EFS_TAG_MTIME = 0x0007,
	EFS_TAG_CTIME = 0x0008,
	EFS_TAG_NLINK = 0x0009,
	EFS_TAG_CONTENT = 0x000A,
	EFS_TAG_DIRECTORY_ENTRIES = 0x000B,
};

enum efs_type {
	EFS_FILE = 1,
	EFS_DIR = 2,
	EFS_SYMLINK = 3,
};

// Default modes, used when a record has no MODE tag.
#define EFS_MODE_DIR     0040755u
#define EFS_MODE_FILE    0100644u
#define EFS_MODE_SYMLINK 0120777u

// How to read the volume: len bytes at byte offset off into buf. Returns 0
// or -errno. size is the volume's length in bytes; the reader never asks
// for a byte at or past it.
struct efs_io {
	int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
	void *ctx;
	uint64_t size;
};

// A mounted volume. Filled by efs_mount from the header; the fields are
// checked there and can be trusted afterwards.
struct efs_volume {
	struct efs_io io;
	uint32_t version;
	uint64_t table_off;    // inode_table_offset
	uint64_t table_size;   // inode_table_size, == total_inodes * 8
	uint32_t total_inodes; // inodes are numbered 1 .. total_inodes
	uint64_t nodes_start;  // table_off + table_size: rel_offset counts from here
	char error[128];       // why the last call failed, for the caller to print
};

// One node, decoded from its record. Offsets are absolute volume offsets
// and have been checked to lie inside the record and the volume.
struct efs_inode {
	uint32_t ino;
	uint8_t type; // enum efs_type
	uint32_t mode, uid, gid, nlink;
	uint64_t size; // file length, symlink target length, 0 for a directory
	uint64_t atime, mtime, ctime;
	uint64_t record_off;  // where the record starts
	uint32_t record_size; // including its 8-byte head
	uint64_t content_off; // CONTENT value: file bytes or symlink target
	uint64_t content_len; // 0 when the tag is absent
	uint64_t entries_off; // DIRECTORY_ENTRIES value
	uint64_t entries_len; // 0 when the tag is absent
};

// A directory entry as returned by efs_readdir. name is NUL-terminated for
// convenience; name_len is authoritative.
struct efs_dirent {
	uint32_t ino;
	uint32_t name_len;
	char name[EFS_NAME_MAX + 1];
};

// Cursor over one directory's entries. Duplicate names are skipped after
// the first; seen[] is a small hash filter so that, for ordinary
// directories, finding that a name is new does not mean rereading all the
// earlier entries.
struct efs_dir_iter {
	uint32_t dir_ino;
	uint64_t start; // first entry
	uint64_t pos;   // next entry to return
	uint64_t end;   // one past the last entry
	uint32_t index; // entries stored before pos (duplicates included)
	uint8_t seen[256];
};

// A resolved location: the chain of directories from the root down to a
// node. The format has no ".." entries, so this chain is what lets ".."
// and relative symlinks be resolved. ino[0] is the root; ino[depth - 1] is
// the node itself.
struct efs_path {
	uint32_t ino[EFS_DEPTH_MAX];
	uint32_t depth;
};

// flags for efs_walk
#define EFS_NOFOLLOW 1 // do not follow a symlink in the last component

// Read and check the header. On error, v->error says which field.
int efs_mount(struct efs_volume *v, const struct efs_io *io);

// Why the last failed call on v failed ("" if nothing has failed).
const char *efs_error(const struct efs_volume *v);

// Decode inode ino: its table entry, its record and the TLVs in it.
int efs_inode_get(struct efs_volume *v, uint32_t ino, struct efs_inode *out);

// Iterate a directory: efs_readdir returns 1 with *out filled, 0 at the
// end, or -errno (and stops there: the cursor does not move past a bad
// entry).
int efs_opendir(struct efs_volume *v, const struct efs_inode *dir, struct efs_dir_iter *it);
int efs_readdir(struct efs_volume *v, struct efs_dir_iter *it, struct efs_dirent *out);

// Find name (name_len bytes, no '/') in dir; the first entry with that name
// wins. Returns 0 and the child's inode number in *ino, or -ENOENT.
int efs_dir_find(struct efs_volume *v, const struct efs_inode *dir, const char *name,
                 size_t name_len, uint32_t *ino);

// Resolve path (absolute, or relative to cwd; cwd NULL means the root).
// "." and ".." are handled here, symlinks are followed (at most
// EFS_SYMLINK_MAX, else -ELOOP), and a symlink in the last component is
// followed unless flags has EFS_NOFOLLOW. out receives the chain to the
// node; node (may be NULL) receives the node itself.
int efs_walk(struct efs_volume *v, const struct efs_path *cwd, const char *path, unsigned flags,
             struct efs_path *out, struct efs_inode *node);

// efs_walk from the root, following every symlink, for callers that only
// want the node.
int efs_lookup(struct efs_volume *v, const char *path, struct efs_inode *node);

// Copy up to len bytes of file at offset off into buf. Returns the number
// of bytes copied (0 at or past the end of the file), -EISDIR for a
// directory and -EINVAL for a symlink. Reads only those bytes from disk.
long efs_read(struct efs_volume *v, const struct efs_inode *file, uint64_t off, void *buf,
              size_t len);

// Copy a symlink's target into buf as a NUL-terminated string. Returns its
// length, -EINVAL if node is not a symlink, -ERANGE if buf is too small.
long efs_readlink(struct efs_volume *v, const struct efs_inode *link, char *buf, size_t bufsize);

// Check the whole volume like fsck: every inode decodes, every directory
// entry is in bounds and names an existing inode, every inode is reachable
// from the root exactly once, and there are no directory cycles. mem is
// scratch space of at least efs_check_mem(v) bytes (5 bytes an inode).
size_t efs_check_mem(const struct efs_volume *v);
int efs_check(struct efs_volume *v, void *mem, size_t mem_len);

#endif
