// The fixture of the EclipseFS unit tests (test_efs_*.c): an in-memory
// device that fails a test if the reader reads outside the image, a builder
// that writes images field by field, and the helpers every test calls.
// See efs_fixture.h.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"

// --- the in-memory device ---------------------------------------------------

uint8_t efs_t_img[EFS_T_CAP];
uint64_t efs_t_len;      // the volume size the reader is told
unsigned efs_t_reads;    // reads made
uint64_t efs_t_bytes;    // bytes read
uint64_t efs_t_fail_off; // reads touching this offset or later fail

// A read outside the image (or the disk of the GPT tests): the test fails
// here, at the read, and goes on to see what the reader does with the
// error. (A failed assertion in a suite's fini is only printed by
// Criterion, so a count checked there could not fail a test.)
void efs_t_read_outside(const char *what, uint64_t off, size_t len, uint64_t size)
{
	cr_expect_fail("the reader read %zu bytes at %llu, outside the %llu-byte %s", len,
	               (unsigned long long)off, (unsigned long long)size, what);
}

static int efs_t_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const uint8_t *base = ctx;

	if (off > efs_t_len || len > efs_t_len - off) {
		efs_t_read_outside("image", off, len, efs_t_len);
		return -EIO;
	}
	if (len && off + len > efs_t_fail_off)
		return -EIO;
	efs_t_reads++;
	efs_t_bytes += len;
	memcpy(buf, base + off, len);
	return 0;
}

static struct efs_io efs_t_io(void)
{
	struct efs_io io = {efs_t_read, efs_t_img, efs_t_len};

	return io;
}

void efs_t_setup(void)
{
	memset(efs_t_img, 0, sizeof(efs_t_img));
	efs_t_len = 0;
	efs_t_reads = 0;
	efs_t_bytes = 0;
	efs_t_fail_off = UINT64_MAX;
}

// --- the image builder --------------------------------------------------------

uint64_t efs_t_nodes;                       // nodes_start
uint64_t efs_t_rec[EFS_DIR_MAX + 2];        // record offset of each inode
static uint64_t efs_t_cur;                  // record being written
uint64_t efs_t_entries_at[EFS_DIR_MAX + 2]; // DIRECTORY_ENTRIES value offset

void efs_t_put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t efs_t_get_le(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void efs_t_le(uint64_t off, uint64_t v, int bytes)
{
	efs_t_put_le(efs_t_img + off, v, bytes);
}

void efs_t_append(const void *p, size_t n)
{
	cr_assert_leq(efs_t_len + n, EFS_T_CAP);
	memcpy(efs_t_img + efs_t_len, p, n);
	efs_t_len += n;
}

static void efs_t_append_le(uint64_t v, int bytes)
{
	efs_t_le(efs_t_len, v, bytes);
	efs_t_len += (uint64_t)bytes;
}

// Header and an empty table for total inodes; records follow.
void efs_t_begin(uint32_t total)
{
	memcpy(efs_t_img + offsetof(struct efs_header, magic), EFS_MAGIC, EFS_MAGIC_LEN);
	efs_t_le(EFS_T_VERSION, EFS_VERSION_2_0, 4);
	efs_t_le(EFS_T_TABLE_OFF, EFS_HEADER_SIZE, 8);
	efs_t_le(EFS_T_TABLE_SIZE, (uint64_t)total * 8, 8);
	efs_t_le(EFS_T_TOTAL, total, 4);
	efs_t_nodes = EFS_HEADER_SIZE + (uint64_t)total * 8;
	efs_t_len = efs_t_nodes;
}

void efs_t_rec_begin(uint32_t ino)
{
	efs_t_le(EFS_HEADER_SIZE + (uint64_t)(ino - 1) * 8, ino, 4);
	efs_t_le(EFS_HEADER_SIZE + (uint64_t)(ino - 1) * 8 + 4, efs_t_len - efs_t_nodes, 4);
	efs_t_rec[ino] = efs_t_cur = efs_t_len;
	efs_t_append_le(ino, 4);
	efs_t_append_le(0, 4); // record_size, patched by efs_t_rec_end
}

void efs_t_rec_end(void)
{
	efs_t_le(efs_t_cur + 4, efs_t_len - efs_t_cur, 4);
}

void efs_t_tlv(uint16_t tag, const void *val, uint32_t len)
{
	efs_t_append_le(tag, 2);
	efs_t_append_le(len, 4);
	efs_t_append(val, len);
}

void efs_t_tlv_num(uint16_t tag, uint64_t v, int bytes)
{
	efs_t_append_le(tag, 2);
	efs_t_append_le((uint32_t)bytes, 4);
	efs_t_append_le(v, bytes);
}

uint64_t efs_t_value_at(uint32_t ino, uint16_t tag)
{
	uint64_t rec = efs_t_rec[ino];
	uint64_t end = rec + efs_t_get_le(efs_t_img + EFS_T_RECORD_SIZE(ino), 4);
	uint64_t at = rec + EFS_RECORD_HEAD;

	while (at + EFS_TLV_HEAD <= end && end <= efs_t_len) {
		uint64_t len =
		    efs_t_get_le(efs_t_img + at + offsetof(struct efs_tlv_head, length), 4);

		if (efs_t_get_le(efs_t_img + at + offsetof(struct efs_tlv_head, tag), 2) == tag)
			return at + EFS_TLV_HEAD;
		at += EFS_TLV_HEAD + len;
	}
	cr_assert_fail("inode %u's record has no TLV with tag %u", ino, tag);
	return 0;
}

uint64_t efs_t_length_at(uint32_t ino, uint16_t tag)
{
	return efs_t_value_at(ino, tag) - EFS_TLV_HEAD + offsetof(struct efs_tlv_head, length);
}

// The tags the reference writer puts before CONTENT / DIRECTORY_ENTRIES.
void efs_t_fixed(uint8_t type, uint32_t mode, uint64_t size, uint32_t nlink)
{
	efs_t_tlv_num(EFS_TAG_NODE_TYPE, type, 1);
	efs_t_tlv_num(EFS_TAG_MODE, mode, 4);
	efs_t_tlv_num(EFS_TAG_UID, 0, 4);
	efs_t_tlv_num(EFS_TAG_GID, 0, 4);
	efs_t_tlv_num(EFS_TAG_SIZE, size, 8);
	efs_t_tlv_num(EFS_TAG_ATIME, 1640995200, 8);
	efs_t_tlv_num(EFS_TAG_MTIME, 1640995200, 8);
	efs_t_tlv_num(EFS_TAG_CTIME, 1640995200, 8);
	efs_t_tlv_num(EFS_TAG_NLINK, nlink, 4);
}

void efs_t_entries(uint32_t ino, const struct efs_t_ent *e, size_t n)
{
	uint32_t len = 0;

	for (size_t i = 0; i < n; i++)
		len += 8 + (uint32_t)strlen(e[i].name);
	if (n == 0)
		return;
	efs_t_append_le(EFS_TAG_DIRECTORY_ENTRIES, 2);
	efs_t_append_le(len, 4);
	efs_t_entries_at[ino] = efs_t_len;
	for (size_t i = 0; i < n; i++) {
		efs_t_append_le(strlen(e[i].name), 4);
		efs_t_append_le(e[i].ino, 4);
		efs_t_append(e[i].name, strlen(e[i].name));
	}
}

void efs_t_dir(uint32_t ino, const struct efs_t_ent *e, size_t n)
{
	efs_t_rec_begin(ino);
	efs_t_fixed(EFS_DIR, EFS_MODE_DIR, 0, 2);
	efs_t_entries(ino, e, n);
	efs_t_rec_end();
}

void efs_t_data(uint32_t ino, uint8_t type, uint32_t mode, const char *data, size_t len)
{
	efs_t_rec_begin(ino);
	efs_t_fixed(type, mode, len, 1);
	if (len)
		efs_t_tlv(EFS_TAG_CONTENT, data, (uint32_t)len);
	efs_t_rec_end();
}

void efs_t_file(uint32_t ino, const char *content)
{
	efs_t_data(ino, EFS_FILE, EFS_MODE_FILE, content, strlen(content));
}

void efs_t_symlink(uint32_t ino, const char *target)
{
	efs_t_data(ino, EFS_SYMLINK, EFS_MODE_SYMLINK, target, strlen(target));
}

static const char efs_t_readme[] = "Welcome to EclipseFS!\n";

// The shared sample's tree: / {bin/ {hello, sh -> hello}, readme.txt}.
void efs_t_sample(void)
{
	static const struct efs_t_ent root[] = {{"bin", 2}, {"readme.txt", 5}};
	static const struct efs_t_ent bin[] = {{"hello", 3}, {"sh", 4}};

	efs_t_begin(5);
	efs_t_dir(1, root, EFS_T_N(root));
	efs_t_dir(2, bin, EFS_T_N(bin));
	efs_t_file(3, "Hello, EclipseFS!");
	efs_t_symlink(4, "hello");
	efs_t_file(5, efs_t_readme);
}

// --- helpers for the tests ------------------------------------------------------

struct efs_volume efs_t_v;

int efs_t_mount(void)
{
	struct efs_io io = efs_t_io();

	return efs_mount(&efs_t_v, &io);
}

void efs_t_mount_ok(void)
{
	int r = efs_t_mount();

	cr_assert_eq(r, 0, "mount: %d %s", r, efs_error(&efs_t_v));
}

int efs_t_get_inode(uint32_t ino, struct efs_inode *node)
{
	return efs_inode_get(&efs_t_v, ino, node);
}

int efs_t_lookup(const char *path, struct efs_inode *node)
{
	return efs_lookup(&efs_t_v, path, node);
}

// The inode a path leads to, or the negative error.
long efs_t_ino_of(const char *path)
{
	struct efs_inode node;
	int r = efs_t_lookup(path, &node);

	return r < 0 ? r : (long)node.ino;
}

// Read a whole directory into "name=ino,name=ino"; returns readdir's last
// result (0 at the end, or the error).
int efs_t_list(uint32_t ino, char *out, size_t cap)
{
	struct efs_inode dir;
	struct efs_dir_iter it;
	struct efs_dirent d;
	int r;

	out[0] = '\0';
	r = efs_t_get_inode(ino, &dir);
	if (r < 0)
		return r;
	r = efs_opendir(&efs_t_v, &dir, &it);
	if (r < 0)
		return r;
	while ((r = efs_readdir(&efs_t_v, &it, &d)) == 1) {
		size_t n = strlen(out);

		snprintf(out + n, cap - n, "%s%s=%u", n ? "," : "", d.name, d.ino);
	}
	return r;
}

int efs_t_check(void)
{
	static uint32_t mem[(EFS_SORT_MEM + 5 * (EFS_DIR_MAX + 2)) / 4 + 1];

	cr_assert_leq(efs_check_mem(&efs_t_v), sizeof(mem));
	return efs_check(&efs_t_v, mem, sizeof(mem));
}

void efs_t_assert_error_mentions(const char *what)
{
	cr_assert(strstr(efs_error(&efs_t_v), what) != NULL, "error '%s' does not mention '%s'",
	          efs_error(&efs_t_v), what);
}

// --- a directory at the reader's limits ----------------------------------------

// A root of n entries whose names are len bytes ("<number>" padded with
// 'x' to len), in a scrambled stored order, entry k naming inode k + 2, an
// empty file whose record is only its head. Returns the names' memory.
char (*efs_t_big_root(uint32_t n, size_t len))[EFS_NAME_MAX + 1]
{
	static char names[EFS_DIR_MAX][EFS_NAME_MAX + 1];
	static struct efs_t_ent ents[EFS_DIR_MAX];

	cr_assert_leq(n, EFS_DIR_MAX);
	for (uint32_t k = 0; k < n; k++) {
		// 2741 is prime to 4096, so this visits every k once, out of order
		uint32_t j = (k * 2741u) % n;

		memset(names[j], 'x', len);
		names[j][snprintf(names[j], len + 1, "%u", j)] = 'x';
		names[j][len] = '\0';
		ents[k] = (struct efs_t_ent){names[j], j + 2};
	}
	efs_t_begin(n + 1);
	efs_t_dir(1, ents, n);
	for (uint32_t k = 0; k < n; k++) {
		efs_t_rec_begin(k + 2);
		efs_t_rec_end();
	}
	return names;
}

TestSuite(eclipsefs, .init = efs_t_setup);
