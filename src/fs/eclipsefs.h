// EclipseFS v2 reader: mount, inode records, directories, path lookup and
// file reads, over an abstract byte reader. The same code runs in the kernel
// (reading a virtio-blk disk) and on the host (the tools, the unit tests and
// the fuzzer), so it allocates nothing and uses only caller memory.
//
// The on-disk format is described in docs/eclipsefs-format.md; section
// names in the comments ("Header", "Node record", ...) refer to it.
//
// The reader is split by job: eclipsefs.c (header, records, file bytes),
// efs_error.c (error sentences, the checked volume read), efs_dir.c
// (directory entries, sorted listings), efs_walk.c (path walking) and
// efs_check.c (the whole-volume check).
//
// Every function returns 0 (or a count) on success and a negative errno on
// failure. When the failure is caused by the image (-EBADMSG, -ENOTSUP,
// -EFBIG, -ENAMETOOLONG on a stored name or symlink target), efs_error()
// returns a sentence naming the node, the field and the limit, for the
// caller to print. Every call clears that sentence first, so a non-empty
// efs_error() after a failed call always belongs to that call.
#ifndef FS_ECLIPSEFS_H
#define FS_ECLIPSEFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// --- on-disk layouts, in the format's order (docs/eclipsefs-format.md) --
//
// Every structure is packed, little-endian and may sit at any byte offset,
// so these structs are never overlaid on a buffer: they give each field's
// offset (offsetof) and the structure's size (sizeof), and the reader
// assembles the fields from bytes (EFS_LE32 and friends in efs_internal.h).

// "Header": block 0 of the volume. The fields end at byte 33; the
// reference declares checksums, times and flags after them up to byte 64,
// which its writer leaves zero and no reader checks.
struct efs_header {
	char magic[9];               // "ECLIPSEFS", no NUL
	uint32_t version;            // (major << 16) | minor
	uint64_t inode_table_offset; // where the inode table starts
	uint64_t inode_table_size;   // total_inodes * sizeof(struct efs_table_entry)
	uint32_t total_inodes;       // inodes are numbered 1 .. total_inodes
} __attribute__((packed));

// "Inode table": entry i - 1 describes inode i.
struct efs_table_entry {
	uint32_t inode;      // must equal i
	uint32_t rel_offset; // the record, from nodes_start
} __attribute__((packed));

// "Node record": this head, then TLVs up to record_size.
struct efs_record_head {
	uint32_t inode;       // must equal the inode asked for
	uint32_t record_size; // including this head
} __attribute__((packed));

// One TLV head; length bytes of value follow.
struct efs_tlv_head {
	uint16_t tag; // enum efs_tag
	uint32_t length;
} __attribute__((packed));

// "Directory entries": this head, then name_len bytes of name (no NUL).
struct efs_entry_head {
	uint32_t name_len;
	uint32_t child_inode;
} __attribute__((packed));

_Static_assert(sizeof(struct efs_header) == 33, "Header: the fields end at byte 33");
_Static_assert(offsetof(struct efs_header, total_inodes) == 29, "Header: total_inodes at 29");
_Static_assert(sizeof(struct efs_tlv_head) == 6, "Node record: a TLV head is 6 bytes");

#define EFS_MAGIC       "ECLIPSEFS"
#define EFS_MAGIC_LEN   9
#define EFS_VERSION_2_0 0x00020000u // (major << 16) | minor
#define EFS_HEADER_SIZE 4096        // block 0, zero padded
#define EFS_HEADER_READ 64          // the declared header fields end here
#define EFS_ROOT_INO    1
#define EFS_RECORD_MAX  (32u << 20) // the reference reader refuses larger records
#define EFS_TABLE_ENTRY sizeof(struct efs_table_entry) // 8
#define EFS_RECORD_HEAD sizeof(struct efs_record_head) // 8
#define EFS_TLV_HEAD    sizeof(struct efs_tlv_head)    // 6
#define EFS_DIRENT_HEAD sizeof(struct efs_entry_head)  // 8

// Limits of this reader (not of the format). mkfs-eclipsefs refuses to
// write an image that exceeds them.
#define EFS_NAME_MAX    255  // bytes in one directory entry name
#define EFS_PATH_MAX    1024 // bytes in a path, including after symlink expansion
#define EFS_DEPTH_MAX   64   // nodes from the root to a node, both included: 63 names below /
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
	uint64_t off; // volume offset of the entry's head
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

// Read the root directory's record (inode 1) and check that it is a
// directory. efs_mount reads only the header, so a volume whose root
// cannot be read would mount and then fail every command; the kernel's
// mount calls this too, and moves on to the next disk when it fails.
int efs_root_check(struct efs_volume *v);

// Why the last failed call on v failed ("" if nothing has failed).
const char *efs_error(const struct efs_volume *v);

// Decode inode ino: its table entry, its record and the TLVs in it.
int efs_inode_get(struct efs_volume *v, uint32_t ino, struct efs_inode *out);

// Iterate a directory in stored order: efs_readdir returns 1 with *out
// filled, 0 at the end, or -errno (and stops there: the cursor does not
// move past a bad entry). Fine for small directories; a name whose filter
// bit is already set costs a look back through the earlier entries, so a
// caller that reads a whole large directory uses efs_dir_sort instead.
int efs_opendir(struct efs_volume *v, const struct efs_inode *dir, struct efs_dir_iter *it);
int efs_readdir(struct efs_volume *v, struct efs_dir_iter *it, struct efs_dirent *out);

// Read the entry whose head is at volume offset off, one that efs_readdir
// or efs_dir_sort has already returned (its bounds were checked then).
int efs_entry_at(struct efs_volume *v, uint64_t off, struct efs_dirent *out);

// A whole directory in name order, in caller memory: its DIRECTORY_ENTRIES
// value is copied into mem at once, each entry checked as efs_readdir
// checks it, duplicates dropped (the first stored wins) and the rest
// sorted by name bytes. Time O(n log n) in the entries, memory fixed:
// EFS_SORT_MEM bytes hold the largest directory this reader accepts.
//
// item[i] is the offset of entry i's head from base (the volume offset of
// the value); item[] has room for 2 * EFS_DIR_MAX items, so a caller may
// append items with EFS_SUBTREE set (sorted as the name followed by '/',
// as paths under that entry sort) and call efs_sorted_sort again.
#define EFS_SUBTREE        0x80000000u
#define EFS_ITEM_OFF(item) ((item) & ~EFS_SUBTREE)
#define EFS_DIR_BYTES_MAX  ((size_t)EFS_DIR_MAX * (EFS_DIRENT_HEAD + EFS_NAME_MAX))
#define EFS_SORT_MEM       (2 * EFS_DIR_MAX * sizeof(uint32_t) + EFS_DIR_BYTES_MAX)

struct efs_sorted {
	uint32_t dir_ino;
	uint64_t base;      // volume offset of the DIRECTORY_ENTRIES value
	const uint8_t *raw; // its bytes, as far as the last entry read
	uint32_t *item;     // n entry offsets into raw, sorted
	uint32_t n;
};

// Returns 0, or -errno with efs_error() set; on an error, out holds the
// entries stored before the bad one, sorted, as efs_readdir would have
// returned them before stopping.
int efs_dir_sort(struct efs_volume *v, const struct efs_inode *dir, void *mem, size_t mem_len,
                 struct efs_sorted *out);
void efs_sorted_sort(struct efs_sorted *s);
// Entry item i: its name (not NUL-terminated), name length and inode.
const char *efs_sorted_name(const struct efs_sorted *s, uint32_t i, uint32_t *len);
uint32_t efs_sorted_ino(const struct efs_sorted *s, uint32_t i);

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
// length, -EINVAL if node is not a symlink, -ENAMETOOLONG (with
// efs_error() naming the inode and the limit) if the target is EFS_PATH_MAX
// bytes or more, since no walk could follow it, or -ERANGE if buf is too
// small for a target within that limit.
long efs_readlink(struct efs_volume *v, const struct efs_inode *link, char *buf, size_t bufsize);

// Check the whole volume like fsck: every inode decodes, its MODE's type
// bits (when set) agree with NODE_TYPE, a symlink's target is 1 to
// EFS_PATH_MAX - 1 bytes, every directory entry is in bounds, has a name a
// path can reach and names an existing inode, every inode is reachable
// from the root exactly once, and there are no directory cycles. File
// bytes cannot be checked: the format has no data checksum.
//
// mem is scratch space of at least efs_check_mem(v) bytes (5 bytes an
// inode and EFS_SORT_MEM for one directory at a time); the time is
// O(n log n) in the inodes and entries.
//
// efs_check stops at the first problem and returns its error, with the
// sentence in efs_error(). efs_check_all goes on: it calls report(ctx,
// sentence) for each problem (at most EFS_CHECK_REPORTS, then one line
// saying how many more) and returns the first problem's error, or 0.
// The reachability checks run only when every node and entry was sound,
// since a bad entry would make them report its children as lost.
#define EFS_CHECK_REPORTS 32
typedef void efs_report_fn(void *ctx, const char *problem);
size_t efs_check_mem(const struct efs_volume *v);
int efs_check(struct efs_volume *v, void *mem, size_t mem_len);
int efs_check_all(struct efs_volume *v, void *mem, size_t mem_len, efs_report_fn *report,
                  void *ctx);

#endif
