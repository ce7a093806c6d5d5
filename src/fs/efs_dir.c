// EclipseFS directories ("Directory entries" in docs/eclipsefs-format.md):
// the check of one entry, iteration in stored order, lookup by name, and a
// whole directory sorted by name for listings and the volume check.
//
// A directory's value is a run of unpadded entries, each a head
// (struct efs_entry_head) and name_len bytes of name. The order is
// arbitrary and a name may repeat; a repeat is skipped after the first.
#include "errno.h"
#include "fs/efs_internal.h"
#include "lib/string.h"

int efs_entry_check(struct efs_volume *v, uint32_t dir, const uint8_t *h, uint64_t pos,
                    uint64_t end, uint32_t *name_len, uint32_t *child)
{
	*name_len = EFS_LE32(h, struct efs_entry_head, name_len);
	*child = EFS_LE32(h, struct efs_entry_head, child_inode);
	if (*name_len > end - pos - EFS_DIRENT_HEAD)
		return efs_fail(v, -EBADMSG, dir,
		                "directory entry name_len %u runs past the end of "
		                "DIRECTORY_ENTRIES",
		                *name_len);
	if (*name_len == 0)
		return efs_fail(v, -EBADMSG, dir, "directory entry has an empty name");
	if (*name_len > EFS_NAME_MAX) {
		// the name is in bounds (checked above), so it can be shown.
		char start[40];

		if (efs_vol_read(v, pos + EFS_DIRENT_HEAD, start, sizeof(start)) < 0)
			return -EIO;
		return efs_fail(v, -ENAMETOOLONG, dir,
		                "directory entry %s is %u bytes long, over the %u-byte name limit",
		                efs_quote(start, *name_len).s, *name_len, EFS_NAME_MAX);
	}
	if (*child == 0 || *child > v->total_inodes)
		return efs_fail(v, -EBADMSG, dir,
		                "directory entry names inode %u, which does not exist", *child);
	return 0;
}

// Read and check the entry head at volume offset pos.
static int entry_head(struct efs_volume *v, uint32_t dir, uint64_t pos, uint64_t end,
                      uint32_t *name_len, uint32_t *child)
{
	uint8_t h[EFS_DIRENT_HEAD];
	int r;

	if (end - pos < EFS_DIRENT_HEAD)
		return efs_fail(v, -EBADMSG, dir,
		                "directory entry head is cut off by the end of DIRECTORY_ENTRIES");
	r = efs_vol_read(v, pos, h, sizeof(h));
	if (r < 0)
		return r;
	return efs_entry_check(v, dir, h, pos, end, name_len, child);
}

int efs_too_many_entries(struct efs_volume *v, uint32_t dir)
{
	return efs_fail(v, -EFBIG, dir,
	                "directory has more than %u entries, the limit of this reader",
	                EFS_DIR_MAX);
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
			r = efs_vol_read(v, p + EFS_DIRENT_HEAD, other, n);
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
	v->error[0] = '\0';
	while (it->pos < it->end) {
		uint32_t len, child, h, bit;
		uint64_t here = it->pos;
		int r;

		if (it->index >= EFS_DIR_MAX)
			return efs_too_many_entries(v, it->dir_ino);
		r = entry_head(v, it->dir_ino, here, it->end, &len, &child);
		if (r < 0)
			return r;
		r = efs_vol_read(v, here + EFS_DIRENT_HEAD, out->name, len);
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
		out->off = here;
		return 1;
	}
	return 0;
}

int efs_entry_at(struct efs_volume *v, uint64_t off, struct efs_dirent *out)
{
	uint8_t h[EFS_DIRENT_HEAD];
	uint32_t len;
	int r;

	v->error[0] = '\0';
	r = efs_vol_read(v, off, h, sizeof(h));
	if (r < 0)
		return r;
	len = EFS_LE32(h, struct efs_entry_head, name_len);
	// checked when the entry was first read; an image that changed since
	// still cannot overrun name[].
	if (len == 0 || len > EFS_NAME_MAX)
		return efs_fail(v, -EBADMSG, 0, "directory entry at volume offset %lu changed",
		                (unsigned long)off);
	r = efs_vol_read(v, off + EFS_DIRENT_HEAD, out->name, len);
	if (r < 0)
		return r;
	out->name[len] = '\0';
	out->name_len = len;
	out->ino = EFS_LE32(h, struct efs_entry_head, child_inode);
	out->off = off;
	return 0;
}

int efs_dir_find(struct efs_volume *v, const struct efs_inode *dir, const char *name,
                 size_t name_len, uint32_t *ino)
{
	char other[EFS_NAME_MAX];
	uint64_t end = dir->entries_off + dir->entries_len;
	uint32_t index = 0;

	v->error[0] = '\0';
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
			return efs_too_many_entries(v, dir->ino);
		r = entry_head(v, dir->ino, p, end, &n, &child);
		if (r < 0)
			return r;
		if (n == name_len) {
			r = efs_vol_read(v, p + EFS_DIRENT_HEAD, other, n);
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

// --- a whole directory, sorted ------------------------------------------------

const char *efs_sorted_name(const struct efs_sorted *s, uint32_t i, uint32_t *len)
{
	const uint8_t *h = s->raw + EFS_ITEM_OFF(s->item[i]);

	*len = EFS_LE32(h, struct efs_entry_head, name_len);
	return (const char *)h + EFS_DIRENT_HEAD;
}

uint32_t efs_sorted_ino(const struct efs_sorted *s, uint32_t i)
{
	return EFS_LE32(s->raw + EFS_ITEM_OFF(s->item[i]), struct efs_entry_head, child_inode);
}

// Byte order of the names (a subtree item compares as its name followed by
// '/'), then stored order, so that of two equal names the first stored
// sorts first and the order never depends on the sort's own moves.
static int item_cmp(const struct efs_sorted *s, uint32_t a, uint32_t b)
{
	const uint8_t *ha = s->raw + EFS_ITEM_OFF(a), *hb = s->raw + EFS_ITEM_OFF(b);
	uint32_t na = EFS_LE32(ha, struct efs_entry_head, name_len);
	uint32_t nb = EFS_LE32(hb, struct efs_entry_head, name_len);
	size_t la = na + !!(a & EFS_SUBTREE), lb = nb + !!(b & EFS_SUBTREE);

	for (size_t i = 0; i < la && i < lb; i++) {
		unsigned ca = i < na ? ha[EFS_DIRENT_HEAD + i] : '/';
		unsigned cb = i < nb ? hb[EFS_DIRENT_HEAD + i] : '/';
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (la != lb)
		return la < lb ? -1 : 1;
	return EFS_ITEM_OFF(a) < EFS_ITEM_OFF(b) ? -1 : EFS_ITEM_OFF(a) > EFS_ITEM_OFF(b);
}

// Heapsort: in place, O(n log n) comparisons whatever the input.
static void sift_down(const struct efs_sorted *s, uint32_t *x, size_t root, size_t n)
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && item_cmp(s, x[child], x[child + 1]) < 0)
			child++;
		if (item_cmp(s, x[root], x[child]) >= 0)
			return;
		uint32_t t = x[root];
		x[root] = x[child];
		x[child] = t;
	}
}

void efs_sorted_sort(struct efs_sorted *s)
{
	uint32_t *x = s->item;
	size_t n = s->n;

	for (size_t i = n / 2; i-- > 0;)
		sift_down(s, x, i, n);
	for (size_t end = n; end-- > 1;) {
		uint32_t t = x[0];
		x[0] = x[end];
		x[end] = t;
		sift_down(s, x, 0, end);
	}
}

// Drop every item whose name equals the one before it: after the sort the
// first stored of equal names is the first of its run.
static void drop_repeats(struct efs_sorted *s)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t la, lb;
		const char *a, *b;

		if (k > 0) {
			a = efs_sorted_name(s, k - 1, &la);
			b = efs_sorted_name(s, i, &lb);
			if (la == lb && memcmp(a, b, la) == 0)
				continue;
		}
		s->item[k++] = s->item[i];
	}
	s->n = k;
}

int efs_dir_sort(struct efs_volume *v, const struct efs_inode *dir, void *mem, size_t mem_len,
                 struct efs_sorted *out)
{
	uint8_t *raw = (uint8_t *)mem + 2 * EFS_DIR_MAX * sizeof(uint32_t);
	uint64_t len = dir->entries_len, pos = 0;
	uint32_t stored = 0;
	int r = 0;

	v->error[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (mem_len < EFS_SORT_MEM || ((uintptr_t)mem & 3))
		return -EINVAL;
	if (dir->type != EFS_DIR)
		return -ENOTDIR;
	out->dir_ino = dir->ino;
	out->base = dir->entries_off;
	out->item = mem;
	out->raw = raw;

	// EFS_DIR_MAX entries of the longest legal name fit in EFS_DIR_BYTES_MAX,
	// so an entry that would reach past the copy is either past the entry
	// limit or has a name over EFS_NAME_MAX: both are refused below before
	// any of its name is read from the copy.
	if (len > EFS_DIR_BYTES_MAX)
		len = EFS_DIR_BYTES_MAX;
	r = efs_vol_read(v, dir->entries_off, raw, (size_t)len);
	if (r < 0)
		return r;

	while (pos < dir->entries_len) {
		uint32_t n, child;

		if (stored >= EFS_DIR_MAX) {
			r = efs_too_many_entries(v, dir->ino);
			break;
		}
		if (dir->entries_len - pos < EFS_DIRENT_HEAD) {
			r = efs_fail(v, -EBADMSG, dir->ino,
			             "directory entry head is cut off by the end of "
			             "DIRECTORY_ENTRIES");
			break;
		}
		r = efs_entry_check(v, dir->ino, raw + pos, dir->entries_off + pos,
		                    dir->entries_off + dir->entries_len, &n, &child);
		if (r < 0)
			break;
		out->item[out->n++] = (uint32_t)pos;
		stored++;
		pos += EFS_DIRENT_HEAD + (uint64_t)n;
	}
	efs_sorted_sort(out);
	drop_repeats(out);
	return r;
}
