// Lab 6: the fixture of the EclipseFS reader's unit tests (test_efs_*.c),
// against images built in memory (efs_fixture.c).
//
// Each test builds the smallest image that shows one behaviour, valid or
// corrupt, and asserts the exact result. The reader sees the image only
// through the fixture's device, which fails the test if the reader ever
// asks for a byte outside the image: a corrupt image must be caught by the
// reader's own checks, never by running off the end. One copy of this
// state serves every file; the suites' init (efs_t_setup) clears it.
#ifndef EFS_FIXTURE_H
#define EFS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "fs/eclipsefs.h"

// --- the in-memory device ---------------------------------------------------

#define EFS_T_CAP (2u << 20) // room for a directory at the reader's limits

extern uint8_t efs_t_img[EFS_T_CAP];
extern uint64_t efs_t_len;      // the volume size the reader is told
extern unsigned efs_t_reads;    // reads made
extern uint64_t efs_t_bytes;    // bytes read
extern uint64_t efs_t_fail_off; // reads touching this offset or later fail

// The suites' init: an empty image.
void efs_t_setup(void);
// Fail the test: the reader read len bytes at off, outside the `size`-byte
// image or disk (`what`).
void efs_t_read_outside(const char *what, uint64_t off, size_t len, uint64_t size);

// --- the image builder --------------------------------------------------------

extern uint64_t efs_t_nodes;                       // nodes_start
extern uint64_t efs_t_rec[EFS_DIR_MAX + 2];        // record offset of each inode
extern uint64_t efs_t_entries_at[EFS_DIR_MAX + 2]; // DIRECTORY_ENTRIES value offset

// Where a field of the image lies, by name, for a test that corrupts it.
// The record head of inode ino and its table entry (struct
// efs_record_head, struct efs_table_entry):
#define EFS_T_RECORD_SIZE(ino) (efs_t_rec[ino] + offsetof(struct efs_record_head, record_size))
#define EFS_T_TABLE_REL(ino)                                                                       \
	(EFS_HEADER_SIZE + ((ino)-1) * EFS_TABLE_ENTRY +                                           \
	 offsetof(struct efs_table_entry, rel_offset))
// A TLV of inode ino's record, found by walking the record the builder
// wrote (call it before corrupting the record): the offset of the value of
// the first TLV with this tag, and of the TLV head's length field. For
// example efs_t_le(efs_t_value_at(3, EFS_TAG_SIZE), 1000, 8) makes inode
// 3 claim 1000 bytes. A tag the record lacks fails the test.
uint64_t efs_t_value_at(uint32_t ino, uint16_t tag);
uint64_t efs_t_length_at(uint32_t ino, uint16_t tag);

// Header fields, by name (struct efs_header).
#define EFS_T_VERSION    offsetof(struct efs_header, version)
#define EFS_T_TABLE_OFF  offsetof(struct efs_header, inode_table_offset)
#define EFS_T_TABLE_SIZE offsetof(struct efs_header, inode_table_size)
#define EFS_T_TOTAL      offsetof(struct efs_header, total_inodes)

#define EFS_T_N(a) (sizeof(a) / sizeof((a)[0]))

struct efs_t_ent {
	const char *name;
	uint32_t ino;
};

// Little-endian values of `bytes` bytes at p, the format's byte order.
void efs_t_put_le(uint8_t *p, uint64_t v, int bytes);
uint64_t efs_t_get_le(const uint8_t *p, int bytes);
// Write v little-endian at image offset off; append bytes to the image.
void efs_t_le(uint64_t off, uint64_t v, int bytes);
void efs_t_append(const void *p, size_t n);
// Header and an empty table for total inodes; records follow.
void efs_t_begin(uint32_t total);
// A record of inode ino: its head, then TLVs, then efs_t_rec_end to
// patch its record_size.
void efs_t_rec_begin(uint32_t ino);
void efs_t_rec_end(void);
void efs_t_tlv(uint16_t tag, const void *val, uint32_t len);
void efs_t_tlv_num(uint16_t tag, uint64_t v, int bytes);
// The tags the reference writer puts before CONTENT / DIRECTORY_ENTRIES.
void efs_t_fixed(uint8_t type, uint32_t mode, uint64_t size, uint32_t nlink);
// A DIRECTORY_ENTRIES TLV of n entries (none at all when n is 0).
void efs_t_entries(uint32_t ino, const struct efs_t_ent *e, size_t n);
// Whole records as the reference writer makes them.
void efs_t_dir(uint32_t ino, const struct efs_t_ent *e, size_t n);
void efs_t_data(uint32_t ino, uint8_t type, uint32_t mode, const char *data, size_t len);
void efs_t_file(uint32_t ino, const char *content);
void efs_t_symlink(uint32_t ino, const char *target);
// The shared sample's tree: / {bin/ {hello, sh -> hello}, readme.txt}.
void efs_t_sample(void);
// A root of n entries whose names are len bytes ("<number>" padded with
// 'x' to len), in a scrambled stored order, entry k naming inode k + 2, an
// empty file whose record is only its head. Returns the names' memory.
char (*efs_t_big_root(uint32_t n, size_t len))[EFS_NAME_MAX + 1];

// --- helpers for the tests ------------------------------------------------------

extern struct efs_volume efs_t_v;

int efs_t_mount(void);
void efs_t_mount_ok(void);
int efs_t_get_inode(uint32_t ino, struct efs_inode *node);
int efs_t_lookup(const char *path, struct efs_inode *node);
// The inode a path leads to, or the negative error.
long efs_t_ino_of(const char *path);
// Read a whole directory into "name=ino,name=ino"; returns readdir's last
// result (0 at the end, or the error).
int efs_t_list(uint32_t ino, char *out, size_t cap);
// efs_check with as much memory as it asks for at the reader's limits.
int efs_t_check(void);
void efs_t_assert_error_mentions(const char *what);

#endif
