// EclipseFS v2 reader.
//
// Where trust ends: every byte that comes through io->read is untrusted.
// A value from disk is checked against the record it sits in and against
// the volume size at the place where it is read, before it is used as an
// offset, a length or a count, and the arithmetic is done in uint64_t with
// the subtraction on the side that cannot wrap. Structures handed back to
// callers (struct efs_volume, struct efs_inode) hold only checked values,
// so code past those checks may trust them.
//
// Fields are little-endian and packed at odd offsets, so they are
// assembled from bytes, never read through a cast pointer.
//
// Nothing here allocates memory or loops without a bound fixed in advance:
// a directory scan stops after EFS_DIR_MAX entries, a path walk consumes
// one path component a step and follows at most EFS_SYMLINK_MAX symlinks,
// and a directory that contains itself only makes a path longer, never a
// walk endless.
#include "fs/eclipsefs.h"
#include "errno.h"
#include "lib/string.h"

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

// --- error messages ---------------------------------------------------
//
// The kernel has no snprintf, so messages are built from pieces: text,
// decimal and hex numbers, and quoted names from disk.

struct msg {
	char *buf;
	size_t cap;
	size_t len;
};

static void msg_str(struct msg *m, const char *s)
{
	while (*s && m->len + 1 < m->cap)
		m->buf[m->len++] = *s++;
	m->buf[m->len] = '\0';
}

static void msg_num(struct msg *m, uint64_t x, unsigned base)
{
	char digits[24];
	int n = 0;

	if (base == 16)
		msg_str(m, "0x");
	do {
		digits[n++] = "0123456789abcdef"[x % base];
		x /= base;
	} while (x);
	while (n > 0 && m->len + 1 < m->cap)
		m->buf[m->len++] = digits[--n];
	m->buf[m->len] = '\0';
}

// A name from disk may hold any byte; show printable ASCII and replace the
// rest, so a message never carries control characters to the console.
static void msg_name(struct msg *m, const char *name, size_t len)
{
	msg_str(m, "'");
	for (size_t i = 0; i < len && i < 40 && m->len + 1 < m->cap; i++) {
		char c = name[i];
		m->buf[m->len++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	m->buf[m->len] = '\0';
	msg_str(m, len > 40 ? "...'" : "'");
}

// Start a message about inode ino (0: about the volume as a whole).
static struct msg msg_begin(struct efs_volume *v, uint32_t ino)
{
	struct msg m = {v->error, sizeof(v->error), 0};

	v->error[0] = '\0';
	if (ino) {
		msg_str(&m, "inode ");
		msg_num(&m, ino, 10);
		msg_str(&m, ": ");
	}
	return m;
}

// The common shape: "inode N: <before><value><after>".
static int fail(struct efs_volume *v, int err, uint32_t ino, const char *before, uint64_t value,
                const char *after)
{
	struct msg m = msg_begin(v, ino);

	msg_str(&m, before);
	if (after) {
		msg_num(&m, value, 10);
		msg_str(&m, after);
	}
	return err;
}

const char *efs_error(const struct efs_volume *v)
{
	return v->error;
}

// Read from the volume. The callers have already checked the range; the
// check here is a last line of defence that turns a bug in this file into
// an error instead of a read past the device.
static int vol_read(struct efs_volume *v, uint64_t off, void *buf, size_t len)
{
	int r;

	if (off > v->io.size || len > v->io.size - off)
		return fail(v, -ERANGE, 0, "internal: read past the end of the volume", 0, NULL);
	if (len == 0)
		return 0;
	r = v->io.read(v->io.ctx, off, buf, len);
	if (r < 0)
		return fail(v, r, 0, "the device could not read the volume", 0, NULL);
	return 0;
}

// --- Header -------------------------------------------------------------

int efs_mount(struct efs_volume *v, const struct efs_io *io)
{
	memset(v, 0, sizeof(*v));
	v->io = *io;

	/* BEGIN LAB 6 SOLUTION */
	uint8_t h[64];
	struct msg m;
	uint32_t total;
	int r;

	// the fields end at byte 33 and the declared header at 64; anything
	// shorter cannot be a volume.
	if (io->size < sizeof(h))
		return fail(v, -EBADMSG, 0, "volume is ", io->size,
		            " bytes, too small for the header");
	r = vol_read(v, 0, h, sizeof(h));
	if (r < 0)
		return r;

	if (memcmp(h, EFS_MAGIC, EFS_MAGIC_LEN) != 0)
		return fail(v, -EBADMSG, 0, "header: magic is not ECLIPSEFS", 0, NULL);

	v->version = le32(h + 9);
	if (v->version != EFS_VERSION_2_0) {
		m = msg_begin(v, 0);
		msg_str(&m, "header: version is ");
		msg_num(&m, v->version >> 16, 10);
		msg_str(&m, ".");
		msg_num(&m, v->version & 0xffff, 10);
		msg_str(&m, " (");
		msg_num(&m, v->version, 16);
		msg_str(&m, "), only 2.0 is supported");
		return -ENOTSUP;
	}

	v->table_off = le64(h + 13);
	v->table_size = le64(h + 21);
	total = le32(h + 29);
	if (total == 0)
		return fail(v, -EBADMSG, 0, "header: total_inodes is 0", 0, NULL);
	// nodes_start is computed from inode_table_size, so it must agree with
	// the entry count or every record offset would be shifted.
	if (v->table_size != (uint64_t)total * 8) {
		m = msg_begin(v, 0);
		msg_str(&m, "header: inode_table_size is ");
		msg_num(&m, v->table_size, 10);
		msg_str(&m, ", not total_inodes * 8 = ");
		msg_num(&m, (uint64_t)total * 8, 10);
		return -EBADMSG;
	}
	if (v->table_off > io->size || v->table_size > io->size - v->table_off) {
		m = msg_begin(v, 0);
		msg_str(&m, "header: inode table (");
		msg_num(&m, v->table_size, 10);
		msg_str(&m, " bytes at inode_table_offset ");
		msg_num(&m, v->table_off, 10);
		msg_str(&m, ") is outside the ");
		msg_num(&m, io->size, 10);
		msg_str(&m, "-byte volume");
		return -EBADMSG;
	}
	v->total_inodes = total;
	v->nodes_start = v->table_off + v->table_size;
	return 0;
	/* END LAB 6 SOLUTION */
	/* BEGIN LAB 6 STUB
	// TODO(lab 6): read the header's first 64 bytes, check the magic, the
	// version (2.0 only) and total_inodes, check that the inode table lies
	// inside io->size, then fill in v->version, table_off, table_size,
	// total_inodes and nodes_start. On a bad field, return -EBADMSG (or
	// -ENOTSUP for the version) with a sentence in v->error (see fail()).
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
	return vol_read(v, rec->off + pos, buf, len);
}

// Find and check inode ino's record: table entry, then record head.
static int record_open(struct efs_volume *v, uint32_t ino, struct record *rec)
{
	/* BEGIN LAB 6 SOLUTION */
	uint8_t e[8];
	uint32_t rel, size;
	uint64_t room;
	int r;

	if (ino == 0 || ino > v->total_inodes)
		return fail(v, -EBADMSG, ino, "no such inode (total_inodes is ", v->total_inodes,
		            ")");

	// the table was checked to lie inside the volume at mount time.
	r = vol_read(v, v->table_off + (uint64_t)(ino - 1) * 8, e, sizeof(e));
	if (r < 0)
		return r;
	if (le32(e) != ino)
		return fail(v, -EBADMSG, ino, "inode table entry holds inode ", le32(e),
		            " instead");
	rel = le32(e + 4);

	// nodes_start <= io.size was checked at mount time.
	room = v->io.size - v->nodes_start;
	if (room < EFS_RECORD_HEAD || rel > room - EFS_RECORD_HEAD)
		return fail(v, -EBADMSG, ino, "rel_offset ", rel,
		            " puts the record past the end of the volume");
	rec->off = v->nodes_start + rel;

	rec->have = REC_PREFETCH;
	if (rec->have > v->io.size - rec->off)
		rec->have = (uint32_t)(v->io.size - rec->off);
	r = vol_read(v, rec->off, rec->head, rec->have);
	if (r < 0)
		return r;

	if (le32(rec->head) != ino)
		return fail(v, -EBADMSG, ino, "record at its rel_offset belongs to inode ",
		            le32(rec->head), "");
	size = le32(rec->head + 4);
	if (size < EFS_RECORD_HEAD)
		return fail(v, -EBADMSG, ino, "record_size ", size,
		            " is smaller than the 8-byte record head");
	if (size > EFS_RECORD_MAX)
		return fail(v, -EBADMSG, ino, "record_size ", size, " is over the 32 MiB limit");
	if (size > v->io.size - rec->off)
		return fail(v, -EBADMSG, ino, "record_size ", size,
		            " runs past the end of the volume");
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

	r = record_open(v, ino, &rec);
	if (r < 0)
		return r;

	/* BEGIN LAB 6 SOLUTION */
	bool have_type = false, have_mode = false, have_nlink = false, have_size = false;
	uint64_t pos;
	struct msg m;

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
			return fail(v, -EBADMSG, ino, "TLV head at record offset ", pos,
			            " is cut off by the end of the record");
		r = rec_read(v, &rec, pos, t, sizeof(t));
		if (r < 0)
			return r;
		tag = le16(t);
		len = le32(t + 2);
		pos += EFS_TLV_HEAD;
		if (len > rec.size - pos) {
			m = msg_begin(v, ino);
			msg_str(&m, "TLV tag ");
			msg_num(&m, tag, 16);
			msg_str(&m, " has length ");
			msg_num(&m, len, 10);
			msg_str(&m, ", past the end of the record (record_size ");
			msg_num(&m, rec.size, 10);
			msg_str(&m, ")");
			return -EBADMSG;
		}

		width = tag_width(tag);
		if (width && len != width) {
			m = msg_begin(v, ino);
			msg_str(&m, tag_name(tag));
			msg_str(&m, " has length ");
			msg_num(&m, len, 10);
			msg_str(&m, ", expected ");
			msg_num(&m, width, 10);
			return -EBADMSG;
		}
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
				return fail(v, -EBADMSG, ino, "NODE_TYPE is ", out->type,
				            ", not 1 (file), 2 (directory) or 3 (symlink)");
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
		m = msg_begin(v, ino);
		msg_str(&m, "SIZE is ");
		msg_num(&m, out->size, 10);
		msg_str(&m, " but CONTENT holds ");
		msg_num(&m, out->content_len, 10);
		msg_str(&m, " bytes");
		return -EBADMSG;
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

// --- Directory entries ------------------------------------------------------

// Read and check the entry head at pos in directory dir, whose entries end
// at end. On success *name_len and *child are usable: the name lies inside
// the DIRECTORY_ENTRIES value, and child names an existing inode.
static int entry_head(struct efs_volume *v, uint32_t dir, uint64_t pos, uint64_t end,
                      uint32_t *name_len, uint32_t *child)
{
	uint8_t h[EFS_DIRENT_HEAD];
	int r;

	if (end - pos < EFS_DIRENT_HEAD)
		return fail(v, -EBADMSG, dir,
		            "directory entry head is cut off by the end of DIRECTORY_ENTRIES", 0,
		            NULL);
	r = vol_read(v, pos, h, sizeof(h));
	if (r < 0)
		return r;
	*name_len = le32(h);
	*child = le32(h + 4);
	if (*name_len > end - pos - EFS_DIRENT_HEAD)
		return fail(v, -EBADMSG, dir, "directory entry name_len ", *name_len,
		            " runs past the end of DIRECTORY_ENTRIES");
	if (*name_len == 0)
		return fail(v, -EBADMSG, dir, "directory entry has an empty name", 0, NULL);
	if (*name_len > EFS_NAME_MAX)
		return fail(v, -ENAMETOOLONG, dir, "directory entry name is ", *name_len,
		            " bytes, longer than 255");
	if (*child == 0 || *child > v->total_inodes)
		return fail(v, -EBADMSG, dir, "directory entry names inode ", *child,
		            ", which does not exist");
	return 0;
}

static int too_many_entries(struct efs_volume *v, uint32_t dir)
{
	return fail(v, -EFBIG, dir, "directory has more than ", EFS_DIR_MAX, " entries");
}

int efs_opendir(struct efs_volume *v, const struct efs_inode *dir, struct efs_dir_iter *it)
{
	(void)v;
	if (dir->type != EFS_DIR)
		return -ENOTDIR;
	memset(it, 0, sizeof(*it));
	it->dir_ino = dir->ino;
	it->start = dir->entries_off;
	it->pos = dir->entries_off;
	it->end = dir->entries_off + dir->entries_len;
	return 0;
}

// FNV-1a: any hash would do, it only picks a bit in the seen filter.
static uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h;
}

// Does an entry before pos (the entry being returned) have this name?
static int seen_before(struct efs_volume *v, const struct efs_dir_iter *it, const char *name,
                       uint32_t len, uint64_t pos)
{
	char other[EFS_NAME_MAX];

	// the entries before pos were checked when the iterator passed them.
	for (uint64_t p = it->start; p < pos;) {
		uint32_t n, child;
		int r = entry_head(v, it->dir_ino, p, it->end, &n, &child);

		if (r < 0)
			return r;
		if (n == len) {
			r = vol_read(v, p + EFS_DIRENT_HEAD, other, n);
			if (r < 0)
				return r;
			if (memcmp(other, name, n) == 0)
				return 1;
		}
		p += EFS_DIRENT_HEAD + (uint64_t)n;
	}
	return 0;
}

int efs_readdir(struct efs_volume *v, struct efs_dir_iter *it, struct efs_dirent *out)
{
	while (it->pos < it->end) {
		uint32_t len, child, h, bit;
		uint64_t here = it->pos;
		int r;

		if (it->index >= EFS_DIR_MAX)
			return too_many_entries(v, it->dir_ino);
		r = entry_head(v, it->dir_ino, here, it->end, &len, &child);
		if (r < 0)
			return r;
		r = vol_read(v, here + EFS_DIRENT_HEAD, out->name, len);
		if (r < 0)
			return r;
		it->pos = here + EFS_DIRENT_HEAD + len;
		it->index++;

		// a clear bit proves the name is new; a set bit may be a
		// collision, so only then look back through the earlier
		// entries.
		h = name_hash(out->name, len);
		bit = h % (8 * sizeof(it->seen));
		if (it->seen[bit / 8] & (1u << (bit % 8))) {
			r = seen_before(v, it, out->name, len, here);
			if (r < 0)
				return r;
			if (r == 1)
				continue; // a duplicate: the first one wins
		}
		it->seen[bit / 8] |= 1u << (bit % 8);

		out->name[len] = '\0';
		out->name_len = len;
		out->ino = child;
		return 1;
	}
	return 0;
}

int efs_dir_find(struct efs_volume *v, const struct efs_inode *dir, const char *name,
                 size_t name_len, uint32_t *ino)
{
	char other[EFS_NAME_MAX];
	uint64_t end = dir->entries_off + dir->entries_len;
	uint32_t index = 0;

	if (dir->type != EFS_DIR)
		return -ENOTDIR;
	if (name_len == 0 || name_len > EFS_NAME_MAX)
		return name_len ? -ENAMETOOLONG : -ENOENT;

	// the first entry with the name wins, so duplicates after it are
	// skipped without any extra work.
	for (uint64_t p = dir->entries_off; p < end; index++) {
		uint32_t n, child;
		int r;

		if (index >= EFS_DIR_MAX)
			return too_many_entries(v, dir->ino);
		r = entry_head(v, dir->ino, p, end, &n, &child);
		if (r < 0)
			return r;
		if (n == name_len) {
			r = vol_read(v, p + EFS_DIRENT_HEAD, other, n);
			if (r < 0)
				return r;
			if (memcmp(other, name, n) == 0) {
				*ino = child;
				return 0;
			}
		}
		p += EFS_DIRENT_HEAD + (uint64_t)n;
	}
	return -ENOENT;
}

// --- Reading files and symlinks ---------------------------------------------

long efs_read(struct efs_volume *v, const struct efs_inode *file, uint64_t off, void *buf,
              size_t len)
{
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
	r = vol_read(v, file->content_off + off, buf, len);
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

	if (link->type != EFS_SYMLINK)
		return -EINVAL;
	if (bufsize == 0 || link->content_len > bufsize - 1)
		return -ERANGE;
	r = vol_read(v, link->content_off, buf, (size_t)link->content_len);
	if (r < 0)
		return r;
	buf[link->content_len] = '\0';
	return (long)link->content_len;
}

// --- Path lookup ----------------------------------------------------------

int efs_walk(struct efs_volume *v, const struct efs_path *cwd, const char *path, unsigned flags,
             struct efs_path *out, struct efs_inode *node)
{
	// buf holds what is left to resolve. When a symlink is met, its target
	// replaces the part already consumed, so buf always reads as "target
	// followed by the rest of the path".
	char buf[EFS_PATH_MAX];
	struct efs_inode cur;
	size_t len = strlen(path), pos = 0;
	int links = 0, r;

	if (len == 0)
		return -ENOENT;
	if (len >= EFS_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, path, len);

	if (buf[0] == '/' || cwd == NULL) {
		out->ino[0] = EFS_ROOT_INO;
		out->depth = 1;
	} else {
		if (cwd->depth == 0 || cwd->depth > EFS_DEPTH_MAX)
			return -EINVAL;
		*out = *cwd;
	}
	r = efs_inode_get(v, out->ino[out->depth - 1], &cur);
	if (r < 0)
		return r;

	for (;;) {
		size_t start, n, rest;
		bool last;
		uint32_t child;

		while (pos < len && buf[pos] == '/')
			pos++;
		if (pos == len)
			break;
		start = pos;
		while (pos < len && buf[pos] != '/')
			pos++;
		n = pos - start;
		rest = pos;
		while (rest < len && buf[rest] == '/')
			rest++;
		last = rest == len;

		// every component, "." and ".." included, is looked up in
		// the node reached so far, which must be a directory.
		if (cur.type != EFS_DIR)
			return -ENOTDIR;
		if (n == 1 && buf[start] == '.')
			continue;
		if (n == 2 && buf[start] == '.' && buf[start + 1] == '.') {
			// ".." of the root is the root, as in Unix.
			if (out->depth > 1)
				out->depth--;
			r = efs_inode_get(v, out->ino[out->depth - 1], &cur);
			if (r < 0)
				return r;
			continue;
		}
		if (n > EFS_NAME_MAX)
			return -ENAMETOOLONG;

		r = efs_dir_find(v, &cur, buf + start, n, &child);
		if (r < 0)
			return r;
		// a directory that lists itself or an ancestor would let a
		// path go as deep as it is long; the chain bounds that.
		if (out->depth >= EFS_DEPTH_MAX)
			return -ENAMETOOLONG;
		out->ino[out->depth++] = child;
		r = efs_inode_get(v, child, &cur);
		if (r < 0)
			return r;

		// a symlink is followed unless it ends the path and the
		// caller asked not to; a trailing slash always follows it.
		if (cur.type != EFS_SYMLINK || (last && pos == len && (flags & EFS_NOFOLLOW)))
			continue;
		if (++links > EFS_SYMLINK_MAX)
			return -ELOOP;
		if (cur.content_len == 0)
			return -ENOENT;
		if (cur.content_len >= EFS_PATH_MAX ||
		    len - pos > EFS_PATH_MAX - 1 - cur.content_len)
			return -ENAMETOOLONG;
		n = (size_t)cur.content_len;
		memmove(buf + n, buf + pos, len - pos);
		len = n + (len - pos);
		pos = 0;
		r = vol_read(v, cur.content_off, buf, n);
		if (r < 0)
			return r;
		// a relative target starts from the directory holding the
		// link, an absolute one from the root.
		out->depth--;
		if (buf[0] == '/')
			out->depth = 1;
		r = efs_inode_get(v, out->ino[out->depth - 1], &cur);
		if (r < 0)
			return r;
	}

	// "name/" must name a directory (after following a symlink).
	if (buf[len - 1] == '/' && cur.type != EFS_DIR)
		return -ENOTDIR;
	if (node)
		*node = cur;
	return 0;
}

int efs_lookup(struct efs_volume *v, const char *path, struct efs_inode *node)
{
	struct efs_path p;

	return efs_walk(v, NULL, path, 0, &p, node);
}

// --- Whole-volume check -----------------------------------------------------

enum { CHECK_UNSEEN, CHECK_WALKING, CHECK_ROOTED };

size_t efs_check_mem(const struct efs_volume *v)
{
	// parent[] (u32) and state[] (u8), indexed by inode number 1..total.
	// total_inodes * 8 <= the volume size, so this cannot overflow.
	return ((size_t)v->total_inodes + 1) * 5;
}

// A name the path syntax could never reach: empty, ".", "..", or holding
// '/' or NUL.
static bool bad_name(const struct efs_dirent *d)
{
	if ((d->name_len == 1 && d->name[0] == '.') ||
	    (d->name_len == 2 && d->name[0] == '.' && d->name[1] == '.'))
		return true;
	for (uint32_t i = 0; i < d->name_len; i++)
		if (d->name[i] == '/' || d->name[i] == '\0')
			return true;
	return false;
}

int efs_check(struct efs_volume *v, void *mem, size_t mem_len)
{
	uint32_t total = v->total_inodes;
	uint32_t *parent = mem;
	uint8_t *state;
	struct efs_inode node;
	struct efs_dir_iter it;
	struct efs_dirent d;
	struct msg m;
	int r;

	if (mem_len < efs_check_mem(v) || ((uintptr_t)mem & 3))
		return -EINVAL;
	state = (uint8_t *)(parent + (size_t)total + 1);
	memset(mem, 0, efs_check_mem(v));

	// every inode decodes, and every directory entry names a new inode:
	// each inode but the root gets exactly one parent.
	for (uint32_t i = 1; i <= total; i++) {
		r = efs_inode_get(v, i, &node);
		if (r < 0)
			return r;
		if (i == EFS_ROOT_INO && node.type != EFS_DIR)
			return fail(v, -EBADMSG, i, "the root is not a directory", 0, NULL);
		if (node.type != EFS_DIR)
			continue;
		efs_opendir(v, &node, &it);
		while ((r = efs_readdir(v, &it, &d)) == 1) {
			if (bad_name(&d)) {
				m = msg_begin(v, i);
				msg_str(&m, "directory entry name ");
				msg_name(&m, d.name, d.name_len);
				msg_str(&m, " cannot appear in a path");
				return -EBADMSG;
			}
			if (d.ino == EFS_ROOT_INO || parent[d.ino]) {
				m = msg_begin(v, i);
				msg_str(&m, "entry ");
				msg_name(&m, d.name, d.name_len);
				msg_str(&m, " names inode ");
				msg_num(&m, d.ino, 10);
				msg_str(&m, d.ino == EFS_ROOT_INO
				                ? ", the root: a directory cycle"
				                : ", already listed in another directory"
				                  " (a hard link or a directory cycle)");
				return -EBADMSG;
			}
			parent[d.ino] = i;
		}
		if (r < 0)
			return r;
	}
	for (uint32_t i = 2; i <= total; i++)
		if (!parent[i])
			return fail(v, -EBADMSG, i, "not listed in any directory", 0, NULL);

	// every inode now has one parent, so following parents from any inode
	// either reaches the root or goes round a cycle that the root cannot
	// reach. Mark the walk as we go so each inode is visited only once.
	state[EFS_ROOT_INO] = CHECK_ROOTED;
	for (uint32_t i = 2; i <= total; i++) {
		uint32_t x = i;

		while (state[x] == CHECK_UNSEEN) {
			state[x] = CHECK_WALKING;
			x = parent[x];
		}
		if (state[x] == CHECK_WALKING)
			return fail(v, -EBADMSG, x,
			            "in a directory cycle that is not reachable from the root", 0,
			            NULL);
		for (x = i; state[x] == CHECK_WALKING; x = parent[x])
			state[x] = CHECK_ROOTED;
	}
	v->error[0] = '\0';
	return 0;
}
