// What the EclipseFS reader's own files share and nobody else uses: byte
// order, the error sentence in efs_volume.error, the checked volume read
// and the check of one directory entry head. Callers outside src/fs/efs_*
// and eclipsefs.c include only eclipsefs.h.
#ifndef FS_EFS_INTERNAL_H
#define FS_EFS_INTERNAL_H

#include "fs/eclipsefs.h"

// Fields are little-endian and packed at odd offsets, so they are
// assembled from bytes, never read through a cast pointer.
static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

// A field of an on-disk struct, read from the bytes p of that struct.
#define EFS_LE16(p, type, field) le16((const uint8_t *)(p) + offsetof(type, field))
#define EFS_LE32(p, type, field) le32((const uint8_t *)(p) + offsetof(type, field))
#define EFS_LE64(p, type, field) le64((const uint8_t *)(p) + offsetof(type, field))

// Write "inode INO: " (nothing when ino is 0, a fact about the whole
// volume) and the formatted sentence into v->error; return err.
int efs_fail(struct efs_volume *v, int err, uint32_t ino, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

// The one rule about the root itself: inode 1 is a directory. 0, or
// -EBADMSG with the sentence in v->error (efs_root_check at mount, and
// efs_check's pass over every node).
int efs_root_type_check(struct efs_volume *v, const struct efs_inode *root);

// A name from disk, quoted and made safe for a message: printable ASCII
// kept, other bytes shown as '?', cut after 40 bytes with "...".
struct efs_quoted {
	char s[48];
};
struct efs_quoted efs_quote(const char *name, size_t len);

// Read len bytes at volume offset off. The callers have checked the range;
// the check here is a last line of defence that turns a bug in the reader
// into an error instead of a read past the device.
int efs_vol_read(struct efs_volume *v, uint64_t off, void *buf, size_t len);

// Check the entry head h (EFS_DIRENT_HEAD bytes read at volume offset pos)
// of directory dir, whose entries end at end. On success *name_len and
// *child are usable: the name lies before end, is 1..EFS_NAME_MAX bytes,
// and child names an existing inode.
int efs_entry_check(struct efs_volume *v, uint32_t dir, const uint8_t *h, uint64_t pos,
                    uint64_t end, uint32_t *name_len, uint32_t *child);

// The error for a directory holding more than EFS_DIR_MAX entries.
int efs_too_many_entries(struct efs_volume *v, uint32_t dir);

#endif
