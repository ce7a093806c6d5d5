// EclipseFS v2 reader: the header, the inode table, node records and
// their TLVs, and the bytes of files and symlinks. Directories are in
// efs_dir.c, path walking in efs_walk.c, the whole-volume check in
// efs_check.c, error sentences and the volume read in efs_error.c.
//
// Where trust ends: every byte that comes through io->read is untrusted.
// A value from disk is checked against the record it sits in and against
// the volume size at the place where it is read, before it is used as an
// offset, a length or a count, and the arithmetic is done in uint64_t with
// the subtraction on the side that cannot wrap. Structures handed back to
// callers (struct efs_volume, struct efs_inode) hold only checked values,
// so code past those checks may trust them.
//
// Nothing in the reader allocates memory or loops without a bound fixed in
// advance: a directory scan stops after EFS_DIR_MAX entries, a path walk
// consumes one path component a step and follows at most EFS_SYMLINK_MAX
// symlinks, and a directory that contains itself only makes a path longer,
// never a walk endless.
#include "errno.h"
#include "fs/efs_internal.h"
#include "lib/string.h"

// --- Header -------------------------------------------------------------

int efs_mount(struct efs_volume *v, const struct efs_io *io)
{
	memset(v, 0, sizeof(*v));
	v->io = *io;

	/* BEGIN LAB 6 SOLUTION */
	uint8_t h[EFS_HEADER_READ];
	uint32_t total;
	int r;

	// the fields end at byte 33 and the declared header at 64; anything
	// shorter cannot be a volume.
	if (io->size < sizeof(h))
		return efs_fail(v, -EBADMSG, 0, "volume is %lu bytes, too small for the header",
		                (unsigned long)io->size);
	r = efs_vol_read(v, 0, h, sizeof(h));
	if (r < 0)
		return r;

	if (memcmp(h + offsetof(struct efs_header, magic), EFS_MAGIC, EFS_MAGIC_LEN) != 0)
		return efs_fail(v, -EBADMSG, 0, "header: magic is not ECLIPSEFS");

	v->version = EFS_LE32(h, struct efs_header, version);
	if (v->version != EFS_VERSION_2_0)
		return efs_fail(v, -ENOTSUP, 0,
		                "header: version is %u.%u (0x%x), only 2.0 is supported",
		                v->version >> 16, v->version & 0xffff, v->version);

	v->table_off = EFS_LE64(h, struct efs_header, inode_table_offset);
	v->table_size = EFS_LE64(h, struct efs_header, inode_table_size);
	total = EFS_LE32(h, struct efs_header, total_inodes);
	if (total == 0)
		return efs_fail(v, -EBADMSG, 0, "header: total_inodes is 0");
	// nodes_start is computed from inode_table_size, so it must agree with
	// the entry count or every record offset would be shifted.
	if (v->table_size != (uint64_t)total * EFS_TABLE_ENTRY)
		return efs_fail(v, -EBADMSG, 0,
		                "header: inode_table_size is %lu, not total_inodes * 8 = %lu",
		                (unsigned long)v->table_size,
		                (unsigned long)((uint64_t)total * EFS_TABLE_ENTRY));
	if (v->table_off > io->size || v->table_size > io->size - v->table_off)
		return efs_fail(v, -EBADMSG, 0,
		                "header: inode table (%lu bytes at inode_table_offset %lu) is "
		                "outside the %lu-byte volume",
		                (unsigned long)v->table_size, (unsigned long)v->table_off,
		                (unsigned long)io->size);
	v->total_inodes = total;
	v->nodes_start = v->table_off + v->table_size;
	return 0;
	/* END LAB 6 SOLUTION */
	/* BEGIN LAB 6 STUB
	// TODO(lab 6): read the header's first 64 bytes, check the magic, the
	// version (2.0 only) and total_inodes, check that the inode table lies
	// inside io->size, then fill in v->version, table_off, table_size,
	// total_inodes and nodes_start. On a bad field, return -EBADMSG (or
	// -ENOTSUP for the version) with a sentence in v->error (see efs_fail() in efs_internal.h).
	// Read lab-guides/lab6-eclipsefs.md, "Step 1: the header".
	return -ENOSYS;
	END LAB 6 STUB */
}

// --- Inode table and node record ------------------------------------------

// The first bytes of a record, read at once: the reference writer's fixed
// part is 111 bytes, so one device read usually covers every small TLV.
#define REC_PREFETCH 128

struct record {
	uint64_t off;  // volume offset of the record
	uint32_t size; // record_size, checked
	uint32_t have; // bytes of the record in head[]
	uint8_t head[REC_PREFETCH];
};

// Read len bytes at record offset pos (the caller has checked that they
// lie inside the record).
static inline int rec_read(struct efs_volume *v, const struct record *rec, uint64_t pos, void *buf,
                           size_t len)
{
	if (pos <= rec->have && len <= rec->have - pos) {
		memcpy(buf, rec->head + pos, len);
		return 0;
	}
	return efs_vol_read(v, rec->off + pos, buf, len);
}

// Find and check inode ino's record: table entry, then record head.
static int record_open(struct efs_volume *v, uint32_t ino, struct record *rec)
{
	/* BEGIN LAB 6 SOLUTION */
	uint8_t e[EFS_TABLE_ENTRY];
	uint32_t rel, size;
	uint64_t room;
	int r;

	if (ino == 0 || ino > v->total_inodes)
		return efs_fail(v, -EBADMSG, ino, "no such inode (total_inodes is %u)",
		                v->total_inodes);

	// the table was checked to lie inside the volume at mount time.
	r = efs_vol_read(v, v->table_off + (uint64_t)(ino - 1) * EFS_TABLE_ENTRY, e, sizeof(e));
	if (r < 0)
		return r;
	if (EFS_LE32(e, struct efs_table_entry, inode) != ino)
		return efs_fail(v, -EBADMSG, ino, "inode table entry holds inode %u instead",
		                EFS_LE32(e, struct efs_table_entry, inode));
	rel = EFS_LE32(e, struct efs_table_entry, rel_offset);

	// nodes_start <= io.size was checked at mount time.
	room = v->io.size - v->nodes_start;
	if (room < EFS_RECORD_HEAD || rel > room - EFS_RECORD_HEAD)
		return efs_fail(v, -EBADMSG, ino,
		                "rel_offset %u puts the record past the end of the volume", rel);
	rec->off = v->nodes_start + rel;

	rec->have = REC_PREFETCH;
	if (rec->have > v->io.size - rec->off)
		rec->have = (uint32_t)(v->io.size - rec->off);
	r = efs_vol_read(v, rec->off, rec->head, rec->have);
	if (r < 0)
		return r;

	if (EFS_LE32(rec->head, struct efs_record_head, inode) != ino)
		return efs_fail(v, -EBADMSG, ino, "record at its rel_offset belongs to inode %u",
		                EFS_LE32(rec->head, struct efs_record_head, inode));
	size = EFS_LE32(rec->head, struct efs_record_head, record_size);
	if (size < EFS_RECORD_HEAD)
		return efs_fail(v, -EBADMSG, ino,
		                "record_size %u is smaller than the 8-byte record head", size);
	if (size > EFS_RECORD_MAX)
		return efs_fail(v, -EBADMSG, ino, "record_size %u is over the 32 MiB limit", size);
	if (size > v->io.size - rec->off)
		return efs_fail(v, -EBADMSG, ino, "record_size %u runs past the end of the volume",
		                size);
	rec->size = size;
	if (rec->have > size)
		rec->have = size;
	return 0;
	/* END LAB 6 SOLUTION */
	/* BEGIN LAB 6 STUB
	// TODO(lab 6): check ino against total_inodes, read its 8-byte inode
	// table entry and check the inode number in it, then check rel_offset
	// and read the record's first bytes into rec->head (rec->have of them).
	// Check the record's inode and record_size (at least 8, at most 32 MiB,
	// inside the volume) and fill in rec->off and rec->size.
	// Read lab-guides/lab6-eclipsefs.md, "Step 2: finding a record".
	(void)v;
	(void)ino;
	(void)rec;
	return -ENOSYS;
	END LAB 6 STUB */
}

/* BEGIN LAB 6 SOLUTION */
static const char *tag_name(uint16_t tag)
{
	switch (tag) {
	case EFS_TAG_NODE_TYPE: return "NODE_TYPE";
	case EFS_TAG_MODE: return "MODE";
	case EFS_TAG_UID: return "UID";
	case EFS_TAG_GID: return "GID";
	case EFS_TAG_SIZE: return "SIZE";
	case EFS_TAG_ATIME: return "ATIME";
	case EFS_TAG_MTIME: return "MTIME";
	case EFS_TAG_CTIME: return "CTIME";
	case EFS_TAG_NLINK: return "NLINK";
	default: return NULL;
	}
}

// Value length of the fixed-size tags; 0 for the variable ones and for
// tags this reader does not know.
static uint32_t tag_width(uint16_t tag)
{
	switch (tag) {
	case EFS_TAG_NODE_TYPE: return 1;
	case EFS_TAG_MODE:
	case EFS_TAG_UID:
	case EFS_TAG_GID:
	case EFS_TAG_NLINK: return 4;
	case EFS_TAG_SIZE:
	case EFS_TAG_ATIME:
	case EFS_TAG_MTIME:
	case EFS_TAG_CTIME: return 8;
	default: return 0;
	}
}
/* END LAB 6 SOLUTION */

int efs_inode_get(struct efs_volume *v, uint32_t ino, struct efs_inode *out)
{
	struct record rec;
	int r;

	v->error[0] = '\0';
	r = record_open(v, ino, &rec);
	if (r < 0)
		return r;

	/* BEGIN LAB 6 SOLUTION */
	bool have_type = false, have_mode = false, have_nlink = false, have_size = false;
	uint64_t pos;

	memset(out, 0, sizeof(*out));
	out->ino = ino;
	out->record_off = rec.off;
	out->record_size = rec.size;

	// scan the TLVs in order; unknown tags are skipped, a later copy of a
	// tag replaces an earlier one.
	for (pos = EFS_RECORD_HEAD; pos < rec.size;) {
		uint8_t t[EFS_TLV_HEAD], val[8];
		uint16_t tag;
		uint32_t len, width;

		if (rec.size - pos < EFS_TLV_HEAD)
			return efs_fail(
			    v, -EBADMSG, ino,
			    "TLV head at record offset %lu is cut off by the end of the "
			    "record",
			    (unsigned long)pos);
		r = rec_read(v, &rec, pos, t, sizeof(t));
		if (r < 0)
			return r;
		tag = EFS_LE16(t, struct efs_tlv_head, tag);
		len = EFS_LE32(t, struct efs_tlv_head, length);
		pos += EFS_TLV_HEAD;
		if (len > rec.size - pos)
			return efs_fail(v, -EBADMSG, ino,
			                "TLV tag 0x%x has length %u, past the end of the record "
			                "(record_size %u)",
			                tag, len, rec.size);

		width = tag_width(tag);
		if (width && len != width)
			return efs_fail(v, -EBADMSG, ino, "%s has length %u, expected %u",
			                tag_name(tag), len, width);
		if (width) {
			r = rec_read(v, &rec, pos, val, width);
			if (r < 0)
				return r;
		}

		switch (tag) {
		case EFS_TAG_NODE_TYPE:
			out->type = val[0];
			have_type = true;
			if (out->type != EFS_FILE && out->type != EFS_DIR &&
			    out->type != EFS_SYMLINK)
				return efs_fail(v, -EBADMSG, ino,
				                "NODE_TYPE is %u, not 1 (file), 2 (directory) or 3 "
				                "(symlink)",
				                out->type);
			break;
		case EFS_TAG_MODE:
			out->mode = le32(val);
			have_mode = true;
			break;
		case EFS_TAG_UID: out->uid = le32(val); break;
		case EFS_TAG_GID: out->gid = le32(val); break;
		case EFS_TAG_SIZE:
			out->size = le64(val);
			have_size = true;
			break;
		case EFS_TAG_ATIME: out->atime = le64(val); break;
		case EFS_TAG_MTIME: out->mtime = le64(val); break;
		case EFS_TAG_CTIME: out->ctime = le64(val); break;
		case EFS_TAG_NLINK:
			out->nlink = le32(val);
			have_nlink = true;
			break;
		case EFS_TAG_CONTENT:
			out->content_off = rec.off + pos;
			out->content_len = len;
			break;
		case EFS_TAG_DIRECTORY_ENTRIES:
			out->entries_off = rec.off + pos;
			out->entries_len = len;
			break;
		default: break;
		}
		pos += len;
	}

	// missing tags take the defaults the format gives.
	if (!have_type)
		out->type = EFS_FILE;
	if (!have_mode)
		out->mode = out->type == EFS_DIR       ? EFS_MODE_DIR
		            : out->type == EFS_SYMLINK ? EFS_MODE_SYMLINK
		                                       : EFS_MODE_FILE;
	if (!have_nlink)
		out->nlink = out->type == EFS_DIR ? 2 : 1;

	// a file or symlink's bytes are exactly its CONTENT, so a SIZE that
	// disagrees would send efs_read outside the value.
	if (out->type == EFS_DIR) {
		// nothing is read through a directory's SIZE; keep what is stored.
	} else if (!have_size) {
		out->size = out->content_len;
	} else if (out->size != out->content_len) {
		return efs_fail(v, -EBADMSG, ino, "SIZE is %lu but CONTENT holds %lu bytes",
		                (unsigned long)out->size, (unsigned long)out->content_len);
	}
	return 0;
	/* END LAB 6 SOLUTION */
	/* BEGIN LAB 6 STUB
	// TODO(lab 6): fill *out from the record: ino, record_off, record_size,
	// then every TLV from record offset 8 to rec.size (tag, length, value;
	// skip unknown tags), each length checked against the record. Note where
	// CONTENT and DIRECTORY_ENTRIES start, apply the defaults for missing
	// tags, and refuse a file whose SIZE is not its CONTENT's length.
	// Read lab-guides/lab6-eclipsefs.md, "Step 3: decoding the TLVs".
	memset(out, 0, sizeof(*out));
	return -ENOSYS;
	END LAB 6 STUB */
}

// --- Reading files and symlinks ---------------------------------------------

long efs_read(struct efs_volume *v, const struct efs_inode *file, uint64_t off, void *buf,
              size_t len)
{
	v->error[0] = '\0';
	/* BEGIN LAB 6 SOLUTION */
	int r;

	if (file->type == EFS_DIR)
		return -EISDIR;
	if (file->type != EFS_FILE)
		return -EINVAL;
	// size == content_len and the CONTENT value lies inside the record
	// (efs_inode_get), so the bytes read here do too.
	if (off >= file->size)
		return 0;
	if (len > file->size - off)
		len = (size_t)(file->size - off);
	r = efs_vol_read(v, file->content_off + off, buf, len);
	if (r < 0)
		return r;
	return (long)len;
	/* END LAB 6 SOLUTION */
	/* BEGIN LAB 6 STUB
	// TODO(lab 6): refuse a directory (-EISDIR) and a symlink (-EINVAL), clip
	// [off, off + len) to the file's size, and read those bytes from the
	// volume at content_off + off. Return how many bytes were copied.
	// Read lab-guides/lab6-eclipsefs.md, "Step 4: reading a file".
	(void)v;
	(void)file;
	(void)off;
	(void)buf;
	(void)len;
	return -ENOSYS;
	END LAB 6 STUB */
}

long efs_readlink(struct efs_volume *v, const struct efs_inode *link, char *buf, size_t bufsize)
{
	int r;

	v->error[0] = '\0';
	if (link->type != EFS_SYMLINK)
		return -EINVAL;
	// a target this long could never be followed (efs_walk), so it is the
	// image's problem, not the caller's buffer's.
	if (link->content_len >= EFS_PATH_MAX)
		return efs_fail(v, -ENAMETOOLONG, link->ino,
		                "symlink target is %lu bytes, over the %u-byte path limit",
		                (unsigned long)link->content_len, EFS_PATH_MAX - 1);
	if (bufsize == 0 || link->content_len > bufsize - 1)
		return -ERANGE;
	r = efs_vol_read(v, link->content_off, buf, (size_t)link->content_len);
	if (r < 0)
		return r;
	buf[link->content_len] = '\0';
	return (long)link->content_len;
}
