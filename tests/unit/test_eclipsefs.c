// Lab 6: the EclipseFS reader, against images built in memory here.
//
// Each test builds the smallest image that shows one behaviour, valid or
// corrupt, and asserts the exact result. The reader sees the image only
// through efs_t_read, which fails the test if the reader ever asks for a
// byte outside the image: a corrupt image must be caught by the reader's
// own checks, never by running off the end.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "errno.h"
#include "fs/eclipsefs.h"
#include "fs/volume.h"
#include "lib/crc32.h"
#include "lib/sha256.h"
#include "lib/string.h"

// --- the in-memory device ---------------------------------------------------

#define EFS_T_CAP (2u << 20) // room for a directory at the reader's limits

static uint8_t efs_t_img[EFS_T_CAP];
static uint64_t efs_t_len;      // the volume size the reader is told
static unsigned efs_t_oob;      // reads outside the image (must stay 0)
static unsigned efs_t_reads;    // reads made
static uint64_t efs_t_bytes;    // bytes read
static uint64_t efs_t_fail_off; // reads touching this offset or later fail

static int efs_t_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	const uint8_t *base = ctx;

	if (off > efs_t_len || len > efs_t_len - off) {
		efs_t_oob++;
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

static void efs_t_setup(void)
{
	memset(efs_t_img, 0, sizeof(efs_t_img));
	efs_t_len = 0;
	efs_t_oob = 0;
	efs_t_reads = 0;
	efs_t_bytes = 0;
	efs_t_fail_off = UINT64_MAX;
}

static void efs_t_teardown(void)
{
	cr_assert_eq(efs_t_oob, 0, "the reader read outside the image");
}

// --- the image builder --------------------------------------------------------

static uint64_t efs_t_nodes;                       // nodes_start
static uint64_t efs_t_rec[EFS_DIR_MAX + 2];        // record offset of each inode
static uint64_t efs_t_cur;                         // record being written
static uint64_t efs_t_entries_at[EFS_DIR_MAX + 2]; // DIRECTORY_ENTRIES value offset

static void efs_t_le(uint64_t off, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		efs_t_img[off + i] = (uint8_t)(v >> (8 * i));
}

static void efs_t_append(const void *p, size_t n)
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

// Header fields, by name (struct efs_header).
#define EFS_T_VERSION    offsetof(struct efs_header, version)
#define EFS_T_TABLE_OFF  offsetof(struct efs_header, inode_table_offset)
#define EFS_T_TABLE_SIZE offsetof(struct efs_header, inode_table_size)
#define EFS_T_TOTAL      offsetof(struct efs_header, total_inodes)

// Header and an empty table for total inodes; records follow.
static void efs_t_begin(uint32_t total)
{
	memcpy(efs_t_img + offsetof(struct efs_header, magic), EFS_MAGIC, EFS_MAGIC_LEN);
	efs_t_le(EFS_T_VERSION, EFS_VERSION_2_0, 4);
	efs_t_le(EFS_T_TABLE_OFF, EFS_HEADER_SIZE, 8);
	efs_t_le(EFS_T_TABLE_SIZE, (uint64_t)total * 8, 8);
	efs_t_le(EFS_T_TOTAL, total, 4);
	efs_t_nodes = EFS_HEADER_SIZE + (uint64_t)total * 8;
	efs_t_len = efs_t_nodes;
}

static void efs_t_rec_begin(uint32_t ino)
{
	efs_t_le(EFS_HEADER_SIZE + (uint64_t)(ino - 1) * 8, ino, 4);
	efs_t_le(EFS_HEADER_SIZE + (uint64_t)(ino - 1) * 8 + 4, efs_t_len - efs_t_nodes, 4);
	efs_t_rec[ino] = efs_t_cur = efs_t_len;
	efs_t_append_le(ino, 4);
	efs_t_append_le(0, 4); // record_size, patched by efs_t_rec_end
}

static void efs_t_rec_end(void)
{
	efs_t_le(efs_t_cur + 4, efs_t_len - efs_t_cur, 4);
}

static void efs_t_tlv(uint16_t tag, const void *val, uint32_t len)
{
	efs_t_append_le(tag, 2);
	efs_t_append_le(len, 4);
	efs_t_append(val, len);
}

static void efs_t_tlv_num(uint16_t tag, uint64_t v, int bytes)
{
	efs_t_append_le(tag, 2);
	efs_t_append_le((uint32_t)bytes, 4);
	efs_t_append_le(v, bytes);
}

// The tags the reference writer puts before CONTENT / DIRECTORY_ENTRIES.
static void efs_t_fixed(uint8_t type, uint32_t mode, uint64_t size, uint32_t nlink)
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

struct efs_t_ent {
	const char *name;
	uint32_t ino;
};

static void efs_t_entries(uint32_t ino, const struct efs_t_ent *e, size_t n)
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

static void efs_t_dir(uint32_t ino, const struct efs_t_ent *e, size_t n)
{
	efs_t_rec_begin(ino);
	efs_t_fixed(EFS_DIR, EFS_MODE_DIR, 0, 2);
	efs_t_entries(ino, e, n);
	efs_t_rec_end();
}

static void efs_t_data(uint32_t ino, uint8_t type, uint32_t mode, const char *data, size_t len)
{
	efs_t_rec_begin(ino);
	efs_t_fixed(type, mode, len, 1);
	if (len)
		efs_t_tlv(EFS_TAG_CONTENT, data, (uint32_t)len);
	efs_t_rec_end();
}

static void efs_t_file(uint32_t ino, const char *content)
{
	efs_t_data(ino, EFS_FILE, EFS_MODE_FILE, content, strlen(content));
}

static void efs_t_symlink(uint32_t ino, const char *target)
{
	efs_t_data(ino, EFS_SYMLINK, EFS_MODE_SYMLINK, target, strlen(target));
}

#define EFS_T_N(a) (sizeof(a) / sizeof((a)[0]))

static const char efs_t_readme[] = "Welcome to EclipseFS!\n";

// The shared sample's tree: / {bin/ {hello, sh -> hello}, readme.txt}.
static void efs_t_sample(void)
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

static struct efs_volume efs_t_v;

static int efs_t_mount(void)
{
	struct efs_io io = efs_t_io();

	return efs_mount(&efs_t_v, &io);
}

static void efs_t_mount_ok(void)
{
	int r = efs_t_mount();

	cr_assert_eq(r, 0, "mount: %d %s", r, efs_error(&efs_t_v));
}

static int efs_t_get_inode(uint32_t ino, struct efs_inode *node)
{
	return efs_inode_get(&efs_t_v, ino, node);
}

static int efs_t_lookup(const char *path, struct efs_inode *node)
{
	return efs_lookup(&efs_t_v, path, node);
}

// The inode a path leads to, or the negative error.
static long efs_t_ino_of(const char *path)
{
	struct efs_inode node;
	int r = efs_t_lookup(path, &node);

	return r < 0 ? r : (long)node.ino;
}

// Read a whole directory into "name=ino,name=ino"; returns readdir's last
// result (0 at the end, or the error).
static int efs_t_list(uint32_t ino, char *out, size_t cap)
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

static int efs_t_check(void)
{
	static uint32_t mem[(EFS_SORT_MEM + 5 * (EFS_DIR_MAX + 2)) / 4 + 1];

	cr_assert_leq(efs_check_mem(&efs_t_v), sizeof(mem));
	return efs_check(&efs_t_v, mem, sizeof(mem));
}

static void efs_t_assert_error_mentions(const char *what)
{
	cr_assert(strstr(efs_error(&efs_t_v), what) != NULL, "error '%s' does not mention '%s'",
	          efs_error(&efs_t_v), what);
}

TestSuite(eclipsefs, .init = efs_t_setup, .fini = efs_t_teardown);

// --- mounting a valid image -------------------------------------------------

Test(eclipsefs, lab6_mount_reads_the_header_fields)
{
	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_v.version, EFS_VERSION_2_0);
	cr_assert_eq(efs_t_v.table_off, 4096);
	cr_assert_eq(efs_t_v.table_size, 40);
	cr_assert_eq(efs_t_v.total_inodes, 5);
	cr_assert_eq(efs_t_v.nodes_start, 4136);
	cr_assert_str_empty(efs_error(&efs_t_v));
}

Test(eclipsefs, lab6_header_checksums_and_flags_are_ignored)
{
	efs_t_sample();
	memset(efs_t_img + 33, 0xa5, 64 - 33);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/bin/hello"), 3);
}

Test(eclipsefs, lab6_inode_decodes_every_tag)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), 0);
	cr_assert_eq(n.ino, 3);
	cr_assert_eq(n.type, EFS_FILE);
	cr_assert_eq(n.mode, 0100644);
	cr_assert_eq(n.uid, 0);
	cr_assert_eq(n.nlink, 1);
	cr_assert_eq(n.size, 17);
	cr_assert_eq(n.mtime, 1640995200);
	cr_assert_eq(n.record_off, efs_t_rec[3]);
	// the reference layout: 111 bytes of fixed tags, then CONTENT's head
	cr_assert_eq(n.content_off, efs_t_rec[3] + 117);
	cr_assert_eq(n.record_size, 117 + 17);
}

Test(eclipsefs, lab6_root_lists_its_entries)
{
	char out[256];

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "bin=2,readme.txt=5");
}

Test(eclipsefs, lab6_lookup_finds_nested_file_and_reads_it)
{
	struct efs_inode n;
	char buf[64] = {0};

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_lookup("/bin/hello", &n), 0);
	cr_assert_eq(efs_read(&efs_t_v, &n, 0, buf, sizeof(buf)), 17);
	cr_assert_str_eq(buf, "Hello, EclipseFS!");
}

Test(eclipsefs, lab6_read_fetches_only_the_requested_bytes)
{
	struct efs_inode n;
	char buf[8] = {0};

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_lookup("/bin/hello", &n), 0);
	efs_t_reads = 0;
	efs_t_bytes = 0;
	cr_assert_eq(efs_read(&efs_t_v, &n, 7, buf, 5), 5);
	cr_assert_str_eq(buf, "Eclip");
	cr_assert_eq(efs_t_reads, 1);
	cr_assert_eq(efs_t_bytes, 5);
}

Test(eclipsefs, lab6_read_is_clipped_at_end_of_file)
{
	struct efs_inode n;
	char buf[64];

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_lookup("/bin/hello", &n), 0);
	cr_assert_eq(efs_read(&efs_t_v, &n, 10, buf, sizeof(buf)), 7);
	cr_assert_eq(efs_read(&efs_t_v, &n, 17, buf, sizeof(buf)), 0);
	cr_assert_eq(efs_read(&efs_t_v, &n, UINT64_MAX, buf, sizeof(buf)), 0);
}

Test(eclipsefs, lab6_read_of_a_directory_is_eisdir)
{
	struct efs_inode n;
	char buf[4];

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(2, &n), 0);
	cr_assert_eq(efs_read(&efs_t_v, &n, 0, buf, sizeof(buf)), -EISDIR);
}

Test(eclipsefs, lab6_empty_file_has_no_content_and_reads_nothing)
{
	static const struct efs_t_ent root[] = {{"empty", 2}};
	struct efs_inode n;
	char buf[4];

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_file(2, "");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_lookup("/empty", &n), 0);
	cr_assert_eq(n.size, 0);
	cr_assert_eq(n.content_len, 0);
	cr_assert_eq(efs_read(&efs_t_v, &n, 0, buf, sizeof(buf)), 0);
}

Test(eclipsefs, lab6_empty_directory_lists_nothing)
{
	static const struct efs_t_ent root[] = {{"empty", 2}};
	char out[64];

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_dir(2, NULL, 0);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(2, out, sizeof(out)), 0);
	cr_assert_str_empty(out);
	cr_assert_eq(efs_t_ino_of("/empty/x"), -ENOENT);
}

Test(eclipsefs, lab6_nested_directories_resolve)
{
	static const struct efs_t_ent r[] = {{"a", 2}}, a[] = {{"b", 3}}, b[] = {{"c", 4}},
	                              c[] = {{"leaf", 5}};

	efs_t_begin(5);
	efs_t_dir(1, r, 1);
	efs_t_dir(2, a, 1);
	efs_t_dir(3, b, 1);
	efs_t_dir(4, c, 1);
	efs_t_file(5, "deep");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/a/b/c/leaf"), 5);
	cr_assert_eq(efs_t_ino_of("//a///b/c/"), 4);
	cr_assert_eq(efs_t_check(), 0);
}

Test(eclipsefs, lab6_unsorted_entries_are_found)
{
	static const struct efs_t_ent root[] = {{"zeta", 2}, {"alpha", 3}, {"mid", 4}};
	char out[64];

	efs_t_begin(4);
	efs_t_dir(1, root, 3);
	efs_t_file(2, "z");
	efs_t_file(3, "a");
	efs_t_file(4, "m");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/alpha"), 3);
	cr_assert_eq(efs_t_ino_of("/zeta"), 2);
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "zeta=2,alpha=3,mid=4");
}

Test(eclipsefs, lab6_duplicate_name_is_skipped_after_the_first)
{
	static const struct efs_t_ent root[] = {{"a", 2}, {"b", 3}, {"a", 3}, {"b", 2}};
	char out[64];

	efs_t_begin(3);
	efs_t_dir(1, root, 4);
	efs_t_file(2, "first");
	efs_t_file(3, "second");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "a=2,b=3");
	cr_assert_eq(efs_t_ino_of("/a"), 2);
	cr_assert_eq(efs_t_ino_of("/b"), 3);
}

Test(eclipsefs, lab6_readdir_of_a_large_directory_returns_each_name_once)
{
	// enough names to fill the iterator's filter, so that the slow path
	// (looking back for a duplicate) runs too; every name twice.
	static struct efs_t_ent ents[2 * 3000];
	static char names[3000][16];
	struct efs_inode dir;
	struct efs_dir_iter it;
	struct efs_dirent d;
	unsigned count = 0;
	int r;

	for (int i = 0; i < 3000; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		ents[i] = (struct efs_t_ent){names[i], 2};
		ents[3000 + i] = (struct efs_t_ent){names[i], 3};
	}
	efs_t_begin(3);
	efs_t_dir(1, ents, EFS_T_N(ents) - 2000); // 3000 unique, 1000 repeats
	efs_t_file(2, "x");
	efs_t_file(3, "y");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(1, &dir), 0);
	efs_opendir(&efs_t_v, &dir, &it);
	while ((r = efs_readdir(&efs_t_v, &it, &d)) == 1) {
		cr_assert_eq(d.ino, 2, "%s came from a later duplicate", d.name);
		count++;
	}
	cr_assert_eq(r, 0);
	cr_assert_eq(count, 3000);
}

Test(eclipsefs, lab6_directory_over_the_entry_limit_is_efbig)
{
	static struct efs_t_ent ents[EFS_DIR_MAX + 1];
	static char names[EFS_DIR_MAX + 1][16];
	char out[8];

	for (int i = 0; i <= EFS_DIR_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "%d", i);
		ents[i] = (struct efs_t_ent){names[i], 2};
	}
	efs_t_begin(2);
	efs_t_dir(1, ents, EFS_T_N(ents));
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/4095"), 2);
	cr_assert_eq(efs_t_ino_of("/4096"), -EFBIG);
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), -EFBIG);
	efs_t_assert_error_mentions("4096");
}

Test(eclipsefs, lab6_unknown_tags_are_skipped)
{
	static const struct efs_t_ent root[] = {{"f", 2}};
	struct efs_inode n;
	char buf[8] = {0};

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_rec_begin(2);
	efs_t_tlv(0x7777, "ignored", 7);
	efs_t_fixed(EFS_FILE, 0100600, 3, 1);
	efs_t_tlv(0x0000, "", 0);
	efs_t_tlv(0xffff, "xx", 2);
	efs_t_tlv(EFS_TAG_CONTENT, "abc", 3);
	efs_t_tlv(0x1234, "after", 5);
	efs_t_rec_end();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_lookup("/f", &n), 0);
	cr_assert_eq(n.mode, 0100600);
	cr_assert_eq(efs_read(&efs_t_v, &n, 0, buf, sizeof(buf)), 3);
	cr_assert_str_eq(buf, "abc");
}

Test(eclipsefs, lab6_missing_tags_take_the_defaults)
{
	static const struct efs_t_ent root[] = {{"f", 2}, {"d", 3}, {"l", 4}};
	struct efs_inode n;

	efs_t_begin(4);
	efs_t_rec_begin(1); // a root with only its type and entries
	efs_t_tlv_num(EFS_TAG_NODE_TYPE, EFS_DIR, 1);
	efs_t_entries(1, root, 3);
	efs_t_rec_end();
	efs_t_rec_begin(2); // no tags at all but CONTENT: a file
	efs_t_tlv(EFS_TAG_CONTENT, "data", 4);
	efs_t_rec_end();
	efs_t_rec_begin(3);
	efs_t_tlv_num(EFS_TAG_NODE_TYPE, EFS_DIR, 1);
	efs_t_rec_end();
	efs_t_rec_begin(4);
	efs_t_tlv_num(EFS_TAG_NODE_TYPE, EFS_SYMLINK, 1);
	efs_t_tlv(EFS_TAG_CONTENT, "f", 1);
	efs_t_rec_end();
	efs_t_mount_ok();

	cr_assert_eq(efs_t_get_inode(2, &n), 0);
	cr_assert_eq(n.type, EFS_FILE);
	cr_assert_eq(n.mode, 0100644);
	cr_assert_eq(n.nlink, 1);
	cr_assert_eq(n.size, 4);
	cr_assert_eq(n.uid, 0);
	cr_assert_eq(n.mtime, 0);
	cr_assert_eq(efs_t_get_inode(3, &n), 0);
	cr_assert_eq(n.mode, 040755);
	cr_assert_eq(n.nlink, 2);
	cr_assert_eq(efs_t_get_inode(4, &n), 0);
	cr_assert_eq(n.mode, 0120777);
	cr_assert_eq(n.size, 1);
	cr_assert_eq(efs_t_ino_of("/l"), 2);
}

Test(eclipsefs, lab6_record_with_only_its_head_is_an_empty_file)
{
	static const struct efs_t_ent root[] = {{"f", 2}};
	struct efs_inode n;

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_rec_begin(2);
	efs_t_rec_end();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(2, &n), 0);
	cr_assert_eq(n.type, EFS_FILE);
	cr_assert_eq(n.size, 0);
	cr_assert_eq(n.record_size, 8);
}

Test(eclipsefs, lab6_tags_may_come_in_any_order)
{
	static const struct efs_t_ent root[] = {{"f", 2}};
	struct efs_inode n;

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_rec_begin(2);
	efs_t_tlv(EFS_TAG_CONTENT, "xyz", 3);
	efs_t_tlv_num(EFS_TAG_NLINK, 1, 4);
	efs_t_tlv_num(EFS_TAG_SIZE, 3, 8);
	efs_t_tlv_num(EFS_TAG_NODE_TYPE, EFS_FILE, 1);
	efs_t_rec_end();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(2, &n), 0);
	cr_assert_eq(n.size, 3);
}

// --- paths ------------------------------------------------------------------

Test(eclipsefs, lab6_symlink_with_relative_target_is_followed)
{
	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/bin/sh"), 3);
}

Test(eclipsefs, lab6_symlink_with_absolute_target_is_followed)
{
	static const struct efs_t_ent root[] = {{"bin", 2}, {"link", 4}};
	static const struct efs_t_ent bin[] = {{"hello", 3}};

	efs_t_begin(4);
	efs_t_dir(1, root, 2);
	efs_t_dir(2, bin, 1);
	efs_t_file(3, "hi");
	efs_t_symlink(4, "/bin/hello");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/link"), 3);
}

Test(eclipsefs, lab6_symlink_to_a_directory_is_followed_mid_path)
{
	static const struct efs_t_ent root[] = {{"bin", 2}, {"b", 4}};
	static const struct efs_t_ent bin[] = {{"hello", 3}, {"up", 5}};

	efs_t_begin(5);
	efs_t_dir(1, root, 2);
	efs_t_dir(2, bin, 2);
	efs_t_file(3, "hi");
	efs_t_symlink(4, "bin");
	efs_t_symlink(5, "../b/./hello");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/b/hello"), 3);
	cr_assert_eq(efs_t_ino_of("/b/"), 2);
	cr_assert_eq(efs_t_ino_of("/bin/up"), 3);
	cr_assert_eq(efs_t_ino_of("/b/up"), 3);
}

Test(eclipsefs, lab6_nofollow_returns_the_link_itself)
{
	struct efs_path p;
	struct efs_inode n;
	char target[16];

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_walk(&efs_t_v, NULL, "/bin/sh", EFS_NOFOLLOW, &p, &n), 0);
	cr_assert_eq(n.ino, 4);
	cr_assert_eq(n.type, EFS_SYMLINK);
	cr_assert_eq(p.depth, 3);
	cr_assert_eq(efs_readlink(&efs_t_v, &n, target, sizeof(target)), 5);
	cr_assert_str_eq(target, "hello");
	cr_assert_eq(efs_readlink(&efs_t_v, &n, target, 5), -ERANGE);
	// a trailing slash asks for a directory, so the link is followed
	cr_assert_eq(efs_walk(&efs_t_v, NULL, "/bin/sh/", EFS_NOFOLLOW, &p, &n), -ENOTDIR);
}

Test(eclipsefs, lab6_dot_and_dotdot_are_resolved_by_the_reader)
{
	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/bin/../bin/./hello"), 3);
	cr_assert_eq(efs_t_ino_of("/.."), 1);
	cr_assert_eq(efs_t_ino_of("/../../readme.txt"), 5);
	cr_assert_eq(efs_t_ino_of("/bin/.."), 1);
	cr_assert_eq(efs_t_ino_of("/bin/hello/.."), -ENOTDIR);
}

Test(eclipsefs, lab6_relative_path_starts_at_cwd)
{
	struct efs_path cwd, p;
	struct efs_inode n;

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_walk(&efs_t_v, NULL, "/bin", 0, &cwd, NULL), 0);
	cr_assert_eq(efs_walk(&efs_t_v, &cwd, "hello", 0, &p, &n), 0);
	cr_assert_eq(n.ino, 3);
	cr_assert_eq(efs_walk(&efs_t_v, &cwd, "../readme.txt", 0, &p, &n), 0);
	cr_assert_eq(n.ino, 5);
	cr_assert_eq(efs_walk(&efs_t_v, &cwd, "/readme.txt", 0, &p, &n), 0);
	cr_assert_eq(n.ino, 5);
	cr_assert_eq(efs_walk(&efs_t_v, &cwd, "..", 0, &p, &n), 0);
	cr_assert_eq(p.depth, 1);
	cr_assert_eq(n.ino, 1);
}

Test(eclipsefs, lab6_missing_name_is_enoent)
{
	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/nope"), -ENOENT);
	cr_assert_eq(efs_t_ino_of("/bin/nope/x"), -ENOENT);
	cr_assert_eq(efs_t_ino_of(""), -ENOENT);
	cr_assert_eq(efs_t_ino_of("/bin/hell"), -ENOENT);
}

Test(eclipsefs, lab6_file_used_as_a_directory_is_enotdir)
{
	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/readme.txt/x"), -ENOTDIR);
	cr_assert_eq(efs_t_ino_of("/readme.txt/"), -ENOTDIR);
}

Test(eclipsefs, lab6_eight_symlinks_in_a_row_are_followed)
{
	static const struct efs_t_ent root[] = {{"l1", 2},  {"l2", 3}, {"l3", 4}, {"l4", 5},
	                                        {"l5", 6},  {"l6", 7}, {"l7", 8}, {"l8", 9},
	                                        {"l9", 10}, {"f", 11}};

	efs_t_begin(11);
	efs_t_dir(1, root, EFS_T_N(root));
	// inode i is l(i-1): l1 -> l2 -> ... -> l8 -> f, and l9 -> l1
	for (uint32_t i = 2; i <= 8; i++) {
		char t[4];

		snprintf(t, sizeof(t), "l%u", i);
		efs_t_symlink(i, t);
	}
	efs_t_symlink(9, "f");
	efs_t_symlink(10, "l1");
	efs_t_file(11, "end");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/l1"), 11);     // 8 links
	cr_assert_eq(efs_t_ino_of("/l9"), -ELOOP); // 9 links
}

Test(eclipsefs, lab6_symlink_loop_is_eloop)
{
	static const struct efs_t_ent root[] = {{"a", 2}, {"b", 3}, {"self", 4}};

	efs_t_begin(4);
	efs_t_dir(1, root, 3);
	efs_t_symlink(2, "b");
	efs_t_symlink(3, "/a");
	efs_t_symlink(4, "./self/x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/a"), -ELOOP);
	cr_assert_eq(efs_t_ino_of("/self"), -ELOOP);
	cr_assert_eq(efs_t_check(), 0); // a symlink loop is not a corrupt tree
}

Test(eclipsefs, lab6_path_too_long_is_enametoolong)
{
	char path[EFS_PATH_MAX + 8];
	char name[EFS_NAME_MAX + 3];

	efs_t_sample();
	efs_t_mount_ok();
	memset(path, '/', sizeof(path));
	path[EFS_PATH_MAX] = '\0'; // 1024 bytes: one too many
	cr_assert_eq(efs_t_ino_of(path), -ENAMETOOLONG);
	path[EFS_PATH_MAX - 1] = '\0'; // 1023 slashes: the root
	cr_assert_eq(efs_t_ino_of(path), 1);
	memset(name, 'n', sizeof(name));
	name[0] = '/';
	name[EFS_NAME_MAX + 2] = '\0'; // "/" and a 256-byte component
	cr_assert_eq(efs_t_ino_of(name), -ENAMETOOLONG);
}

Test(eclipsefs, lab6_symlink_expanding_past_the_path_limit_is_enametoolong)
{
	static const struct efs_t_ent root[] = {{"l", 2}};
	static char target[900];
	char path[300];

	memset(target, '/', sizeof(target) - 1);
	target[sizeof(target) - 1] = '\0';
	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_symlink(2, target);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/l"), 1);
	memset(path, '/', sizeof(path));
	memcpy(path, "/l", 2);
	path[sizeof(path) - 1] = '\0';
	cr_assert_eq(efs_t_ino_of(path), -ENAMETOOLONG);
}

// --- corrupt headers ----------------------------------------------------------

Test(eclipsefs, lab6_truncated_header_is_ebadmsg)
{
	efs_t_sample();
	efs_t_len = 40;
	cr_assert_eq(efs_t_mount(), -EBADMSG);
	efs_t_assert_error_mentions("too small");
}

Test(eclipsefs, lab6_empty_volume_is_ebadmsg)
{
	efs_t_len = 0;
	cr_assert_eq(efs_t_mount(), -EBADMSG);
}

Test(eclipsefs, lab6_image_cut_inside_the_table_is_ebadmsg)
{
	efs_t_sample();
	efs_t_len = 4096 + 20;
	cr_assert_eq(efs_t_mount(), -EBADMSG);
	efs_t_assert_error_mentions("inode table");
}

Test(eclipsefs, lab6_image_cut_inside_a_record_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_len = efs_t_rec[5] + 20;
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(5, &n), -EBADMSG);
	efs_t_assert_error_mentions("past the end of the volume");
	cr_assert_eq(efs_t_ino_of("/bin/hello"), 3); // the rest is still readable
}

Test(eclipsefs, lab6_bad_magic_is_ebadmsg)
{
	efs_t_sample();
	efs_t_img[8] = 'Z';
	cr_assert_eq(efs_t_mount(), -EBADMSG);
	efs_t_assert_error_mentions("magic");
}

Test(eclipsefs, lab6_version_1_0_is_enotsup)
{
	efs_t_sample();
	efs_t_le(EFS_T_VERSION, 0x00010000, 4);
	cr_assert_eq(efs_t_mount(), -ENOTSUP);
	efs_t_assert_error_mentions("version is 1.0");
}

Test(eclipsefs, lab6_version_3_0_is_enotsup)
{
	efs_t_sample();
	efs_t_le(EFS_T_VERSION, 0x00030000, 4);
	cr_assert_eq(efs_t_mount(), -ENOTSUP);
	efs_t_assert_error_mentions("version is 3.0");
}

Test(eclipsefs, lab6_version_2_1_is_enotsup)
{
	efs_t_sample();
	efs_t_le(EFS_T_VERSION, 0x00020001, 4);
	cr_assert_eq(efs_t_mount(), -ENOTSUP);
}

Test(eclipsefs, lab6_total_inodes_zero_is_ebadmsg)
{
	efs_t_sample();
	efs_t_le(EFS_T_TOTAL, 0, 4);
	efs_t_le(EFS_T_TABLE_SIZE, 0, 8);
	cr_assert_eq(efs_t_mount(), -EBADMSG);
	efs_t_assert_error_mentions("total_inodes is 0");
}

Test(eclipsefs, lab6_table_size_not_matching_total_inodes_is_ebadmsg)
{
	efs_t_sample();
	efs_t_le(EFS_T_TABLE_SIZE, 48, 8);
	cr_assert_eq(efs_t_mount(), -EBADMSG);
	efs_t_assert_error_mentions("inode_table_size");
}

Test(eclipsefs, lab6_inode_table_past_the_end_is_ebadmsg)
{
	efs_t_sample();
	efs_t_le(EFS_T_TABLE_OFF, efs_t_len - 39, 8);
	cr_assert_eq(efs_t_mount(), -EBADMSG);
	efs_t_assert_error_mentions("outside");
}

Test(eclipsefs, lab6_inode_table_offset_near_u64_max_is_ebadmsg)
{
	efs_t_sample();
	efs_t_le(EFS_T_TABLE_OFF, UINT64_MAX - 7, 8);
	cr_assert_eq(efs_t_mount(), -EBADMSG);
}

Test(eclipsefs, lab6_huge_total_inodes_is_ebadmsg)
{
	efs_t_sample();
	efs_t_le(EFS_T_TOTAL, UINT32_MAX, 4);
	efs_t_le(EFS_T_TABLE_SIZE, (uint64_t)UINT32_MAX * 8, 8);
	cr_assert_eq(efs_t_mount(), -EBADMSG);
}

// --- corrupt tables and records ---------------------------------------------

Test(eclipsefs, lab6_table_entry_inode_mismatch_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(4096 + 2 * 8, 7, 4); // the entry for inode 3 says 7
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("holds inode 7");
	cr_assert_eq(efs_t_ino_of("/bin/hello"), -EBADMSG);
}

Test(eclipsefs, lab6_inode_number_out_of_range_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(0, &n), -EBADMSG);
	cr_assert_eq(efs_t_get_inode(6, &n), -EBADMSG);
	cr_assert_eq(efs_t_get_inode(UINT32_MAX, &n), -EBADMSG);
}

Test(eclipsefs, lab6_rel_offset_past_the_end_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(4096 + 2 * 8 + 4, UINT32_MAX, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("rel_offset");
}

Test(eclipsefs, lab6_record_inode_mismatch_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(4096 + 2 * 8 + 4, efs_t_rec[4] - efs_t_nodes, 4); // 3 points at 4's record
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("belongs to inode 4");
}

Test(eclipsefs, lab6_record_size_below_8_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(efs_t_rec[3] + 4, 7, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("record_size 7");
}

Test(eclipsefs, lab6_record_size_over_32_mib_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(efs_t_rec[3] + 4, EFS_RECORD_MAX + 1, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("32 MiB");
}

Test(eclipsefs, lab6_record_size_past_the_end_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(efs_t_rec[5] + 4, efs_t_len - efs_t_rec[5] + 1, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(5, &n), -EBADMSG);
	efs_t_assert_error_mentions("past the end of the volume");
}

Test(eclipsefs, lab6_tlv_length_past_the_record_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	// CONTENT's length, at record offset 111 + 2, one more than there is
	efs_t_le(efs_t_rec[3] + 113, 18, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("past the end of the record");
}

Test(eclipsefs, lab6_tlv_length_near_u32_max_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(efs_t_rec[3] + 113, UINT32_MAX, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
}

Test(eclipsefs, lab6_tlv_head_cut_off_by_the_record_end_is_ebadmsg)
{
	static const struct efs_t_ent root[] = {{"f", 2}};
	struct efs_inode n;

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_rec_begin(2);
	efs_t_tlv_num(EFS_TAG_NODE_TYPE, EFS_FILE, 1);
	efs_t_append("\x02\x00\x04", 3); // half a TLV head
	efs_t_rec_end();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(2, &n), -EBADMSG);
	efs_t_assert_error_mentions("cut off");
}

Test(eclipsefs, lab6_fixed_size_tag_with_wrong_length_is_ebadmsg)
{
	static const struct efs_t_ent root[] = {{"f", 2}};
	struct efs_inode n;

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_rec_begin(2);
	efs_t_tlv_num(EFS_TAG_MODE, 0644, 2);
	efs_t_rec_end();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(2, &n), -EBADMSG);
	efs_t_assert_error_mentions("MODE has length 2, expected 4");
}

Test(eclipsefs, lab6_bad_node_type_is_ebadmsg)
{
	static const uint8_t bad[] = {0, 4, 255};
	struct efs_inode n;

	for (size_t i = 0; i < sizeof(bad); i++) {
		efs_t_sample();
		efs_t_img[efs_t_rec[3] + 14] = bad[i]; // NODE_TYPE's value
		efs_t_mount_ok();
		cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
		efs_t_assert_error_mentions("NODE_TYPE");
	}
}

Test(eclipsefs, lab6_size_disagreeing_with_content_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(efs_t_rec[3] + 8 + 7 + 30 + 6, 1000, 8); // SIZE's value
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("SIZE is 1000");
}

Test(eclipsefs, lab6_device_read_error_is_passed_up)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_mount_ok();
	efs_t_fail_off = efs_t_rec[3];
	cr_assert_eq(efs_t_get_inode(3, &n), -EIO);
	cr_assert_eq(efs_t_get_inode(2, &n), 0);
}

// --- corrupt directories ----------------------------------------------------

Test(eclipsefs, lab6_name_len_past_the_record_is_ebadmsg)
{
	char out[64];

	efs_t_sample();
	efs_t_le(efs_t_entries_at[1] + 11, 11, 4); // "readme.txt" claims 11 bytes
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), -EBADMSG);
	cr_assert_str_eq(out, "bin=2"); // the good entry before it came out
	efs_t_assert_error_mentions("name_len 11");
	cr_assert_eq(efs_t_ino_of("/readme.txt"), -EBADMSG);
}

Test(eclipsefs, lab6_name_len_near_u32_max_is_ebadmsg)
{
	char out[64];

	efs_t_sample();
	efs_t_le(efs_t_entries_at[1], UINT32_MAX, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), -EBADMSG);
	cr_assert_eq(efs_t_ino_of("/bin"), -EBADMSG);
}

Test(eclipsefs, lab6_entry_head_cut_off_is_ebadmsg)
{
	char out[64];

	efs_t_sample();
	// end the root's DIRECTORY_ENTRIES, and its record with it, 4 bytes
	// into the second entry's 8-byte head.
	efs_t_le(efs_t_entries_at[1] - 4, 11 + 4, 4);
	efs_t_le(efs_t_rec[1] + 4, efs_t_entries_at[1] + 15 - efs_t_rec[1], 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), -EBADMSG);
	efs_t_assert_error_mentions("cut off");
}

Test(eclipsefs, lab6_entry_naming_a_missing_inode_is_ebadmsg)
{
	static const struct efs_t_ent root[] = {{"ghost", 9}, {"zero", 0}};

	efs_t_begin(1);
	efs_t_dir(1, root, 2);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/ghost"), -EBADMSG);
	efs_t_assert_error_mentions("names inode 9");
}

Test(eclipsefs, lab6_empty_entry_name_is_ebadmsg)
{
	static const struct efs_t_ent root[] = {{"", 2}};

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/x"), -EBADMSG);
}

Test(eclipsefs, lab6_entry_name_over_255_bytes_is_enametoolong)
{
	static char name[257];
	struct efs_t_ent root[1] = {{name, 2}};
	char out[8];

	memset(name, 'n', 256);
	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), -ENAMETOOLONG);
}

Test(eclipsefs, lab6_directory_that_contains_itself_never_loops)
{
	static const struct efs_t_ent root[] = {{"a", 2}};
	static const struct efs_t_ent a[] = {{"self", 2}, {"f", 3}};
	char path[EFS_PATH_MAX];
	size_t n = 0;

	efs_t_begin(3);
	efs_t_dir(1, root, 1);
	efs_t_dir(2, a, 2);
	efs_t_file(3, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/a/self/self/f"), 3);
	cr_assert_eq(efs_t_ino_of("/a/self/self/.."), 2);
	// deeper than the chain of directories the reader keeps
	n += (size_t)snprintf(path, sizeof(path), "/a");
	while (n + 6 < sizeof(path))
		n += (size_t)snprintf(path + n, sizeof(path) - n, "/self");
	cr_assert_eq(efs_t_ino_of(path), -ENAMETOOLONG);
	cr_assert_eq(efs_t_check(), -EBADMSG);
	efs_t_assert_error_mentions("directory cycle");
}

Test(eclipsefs, lab6_directory_that_contains_the_root_is_ebadmsg_for_check)
{
	static const struct efs_t_ent root[] = {{"a", 2}};
	static const struct efs_t_ent a[] = {{"back", 1}};

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_dir(2, a, 1);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/a/back/a/back/a"), 2);
	cr_assert_eq(efs_t_check(), -EBADMSG);
	efs_t_assert_error_mentions("the root");
}

Test(eclipsefs, lab6_cycle_unreachable_from_the_root_is_ebadmsg_for_check)
{
	static const struct efs_t_ent x[] = {{"y", 3}}, y[] = {{"x", 2}};

	efs_t_begin(3);
	efs_t_dir(1, NULL, 0);
	efs_t_dir(2, x, 1);
	efs_t_dir(3, y, 1);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_check(), -EBADMSG);
	efs_t_assert_error_mentions("cycle");
}

Test(eclipsefs, lab6_inode_listed_twice_is_ebadmsg_for_check)
{
	static const struct efs_t_ent root[] = {{"a", 2}, {"b", 2}};

	efs_t_begin(2);
	efs_t_dir(1, root, 2);
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/b"), 2); // readable, but not a tree
	cr_assert_eq(efs_t_check(), -EBADMSG);
	efs_t_assert_error_mentions("already listed");
}

Test(eclipsefs, lab6_unreachable_inode_is_ebadmsg_for_check)
{
	static const struct efs_t_ent root[] = {{"a", 2}};

	efs_t_begin(3);
	efs_t_dir(1, root, 1);
	efs_t_file(2, "x");
	efs_t_file(3, "orphan");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_check(), -EBADMSG);
	efs_t_assert_error_mentions("inode 3: not listed");
}

Test(eclipsefs, lab6_root_that_is_not_a_directory_is_ebadmsg_for_check)
{
	efs_t_begin(1);
	efs_t_file(1, "root");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_ino_of("/x"), -ENOTDIR);
	cr_assert_eq(efs_t_check(), -EBADMSG);
}

Test(eclipsefs, lab6_entry_named_dotdot_is_ebadmsg_for_check)
{
	static const struct efs_t_ent root[] = {{"..", 2}};

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_check(), -EBADMSG);
}

Test(eclipsefs, lab6_check_accepts_a_valid_image)
{
	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_check(), 0);
	cr_assert_str_empty(efs_error(&efs_t_v));
}

Test(eclipsefs, lab6_check_refuses_too_little_memory)
{
	uint32_t mem[2];

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_check(&efs_t_v, mem, sizeof(mem)), -EINVAL);
}

// --- at the reader's limits -----------------------------------------------------

// A root of n entries whose names are len bytes ("<number>" padded with
// 'x' to len), in a scrambled stored order, entry k naming inode k + 2, an
// empty file whose record is only its head. Returns the names' memory.
static char (*efs_t_big_root(uint32_t n, size_t len))[EFS_NAME_MAX + 1]
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

static uint32_t efs_t_sort_mem[EFS_SORT_MEM / 4];

Test(eclipsefs, lab6_dir_sort_lists_4096_names_of_200_bytes_in_order_with_few_reads)
{
	struct efs_inode dir;
	struct efs_sorted s;
	unsigned reads;

	efs_t_big_root(EFS_DIR_MAX, 200);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(1, &dir), 0);
	reads = efs_t_reads;
	cr_assert_eq(efs_dir_sort(&efs_t_v, &dir, efs_t_sort_mem, sizeof(efs_t_sort_mem), &s), 0,
	             "%s", efs_error(&efs_t_v));
	// the whole value in one read, not a read an entry (or n of them)
	cr_assert_eq(efs_t_reads - reads, 1);
	cr_assert_eq(s.n, EFS_DIR_MAX);
	for (uint32_t i = 0; i < s.n; i++) {
		uint32_t la, lb;
		const char *a = efs_sorted_name(&s, i, &la);

		cr_assert_eq(la, 200);
		if (i + 1 < s.n) {
			const char *b = efs_sorted_name(&s, i + 1, &lb);
			cr_assert_lt(memcmp(a, b, 200), 0, "item %u is not before item %u", i,
			             i + 1);
		}
	}
}

Test(eclipsefs, lab6_dir_sort_at_the_limits_fits_its_memory)
{
	struct efs_inode dir;
	struct efs_sorted s;

	efs_t_big_root(EFS_DIR_MAX, EFS_NAME_MAX);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(1, &dir), 0);
	cr_assert_eq(efs_dir_sort(&efs_t_v, &dir, efs_t_sort_mem, sizeof(efs_t_sort_mem), &s), 0);
	cr_assert_eq(s.n, EFS_DIR_MAX);
	cr_assert_eq(efs_dir_sort(&efs_t_v, &dir, efs_t_sort_mem, EFS_SORT_MEM - 4, &s), -EINVAL);
}

Test(eclipsefs, lab6_dir_sort_keeps_the_first_of_duplicate_names)
{
	static const struct efs_t_ent root[] = {{"b", 2}, {"a", 3}, {"b", 4}, {"a", 5}, {"c", 6}};
	struct efs_inode dir;
	struct efs_sorted s;
	uint32_t len;

	efs_t_begin(6);
	efs_t_dir(1, root, EFS_T_N(root));
	for (uint32_t i = 2; i <= 6; i++)
		efs_t_file(i, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(1, &dir), 0);
	cr_assert_eq(efs_dir_sort(&efs_t_v, &dir, efs_t_sort_mem, sizeof(efs_t_sort_mem), &s), 0);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(efs_sorted_name(&s, 0, &len)[0], 'a');
	cr_assert_eq(efs_sorted_ino(&s, 0), 3);
	cr_assert_eq(efs_sorted_ino(&s, 1), 2);
	cr_assert_eq(efs_sorted_ino(&s, 2), 6);
}

Test(eclipsefs, lab6_dir_sort_stops_at_a_bad_entry_with_the_ones_before_it)
{
	static char name[301];
	struct efs_t_ent root[] = {{"b", 2}, {"a", 3}, {name, 2}, {"c", 3}};
	struct efs_inode dir;
	struct efs_sorted s;

	memset(name, 'n', 300);
	efs_t_begin(3);
	efs_t_dir(1, root, EFS_T_N(root));
	efs_t_file(2, "x");
	efs_t_file(3, "y");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(1, &dir), 0);
	cr_assert_eq(efs_dir_sort(&efs_t_v, &dir, efs_t_sort_mem, sizeof(efs_t_sort_mem), &s),
	             -ENAMETOOLONG);
	cr_assert_eq(s.n, 2);
	cr_assert_eq(efs_sorted_ino(&s, 0), 3); // "a"
	efs_t_assert_error_mentions("inode 1: ");
	efs_t_assert_error_mentions("300 bytes");
	efs_t_assert_error_mentions("255-byte name limit");
}

Test(eclipsefs, lab6_dir_sort_of_more_than_4096_entries_is_efbig)
{
	static struct efs_t_ent ents[EFS_DIR_MAX + 1];
	struct efs_inode dir;
	struct efs_sorted s;

	for (int i = 0; i <= EFS_DIR_MAX; i++)
		ents[i] = (struct efs_t_ent){"same", 2};
	efs_t_begin(2);
	efs_t_dir(1, ents, EFS_T_N(ents));
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(1, &dir), 0);
	cr_assert_eq(efs_dir_sort(&efs_t_v, &dir, efs_t_sort_mem, sizeof(efs_t_sort_mem), &s),
	             -EFBIG);
	cr_assert_eq(s.n, 1);
	efs_t_assert_error_mentions("4096");
}

Test(eclipsefs, lab6_check_of_4096_long_names_reads_each_record_a_bounded_number_of_times)
{
	efs_t_big_root(EFS_DIR_MAX, 200);
	efs_t_mount_ok();
	efs_t_reads = 0;
	cr_assert_eq(efs_t_check(), 0, "%s", efs_error(&efs_t_v));
	// a table entry and a record read per inode and one read of the
	// directory: linear. Looking back for duplicates made it millions.
	cr_assert_leq(efs_t_reads, 3 * (EFS_DIR_MAX + 1), "%u reads", efs_t_reads);
}

Test(eclipsefs, lab6_name_over_255_bytes_names_the_directory_and_the_limit)
{
	static char name[301];
	struct efs_t_ent root[1] = {{name, 2}};
	char out[8];

	memset(name, 'n', 300);
	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_list(1, out, sizeof(out)), -ENAMETOOLONG);
	efs_t_assert_error_mentions("inode 1: directory entry 'nnnn");
	efs_t_assert_error_mentions("300 bytes long, over the 255-byte name limit");
	cr_assert_eq(efs_t_ino_of("/x"), -ENAMETOOLONG);
	efs_t_assert_error_mentions("300 bytes");
	cr_assert_eq(efs_t_check(), -ENAMETOOLONG);
	efs_t_assert_error_mentions("255-byte name limit");
}

Test(eclipsefs, lab6_symlink_target_over_the_path_limit_names_the_link_and_the_limit)
{
	static const struct efs_t_ent root[] = {{"long", 2}};
	static char target[5002];
	char buf[EFS_PATH_MAX];
	struct efs_inode n;

	memset(target, 'a', 5001);
	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_symlink(2, target);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(2, &n), 0);
	cr_assert_eq(efs_readlink(&efs_t_v, &n, buf, sizeof(buf)), -ENAMETOOLONG);
	efs_t_assert_error_mentions("inode 2: symlink target is 5001 bytes, over the 1023-byte");
	cr_assert_eq(efs_t_ino_of("/long"), -ENAMETOOLONG);
	efs_t_assert_error_mentions("inode 2: symlink target is 5001 bytes");
	cr_assert_eq(efs_t_check(), -ENAMETOOLONG);
	efs_t_assert_error_mentions("inode 2: symlink target is 5001 bytes");
}

Test(eclipsefs, lab6_readlink_into_a_small_buffer_is_still_erange)
{
	struct efs_inode n;
	char buf[3];

	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(4, &n), 0);
	cr_assert_eq(efs_readlink(&efs_t_v, &n, buf, sizeof(buf)), -ERANGE);
}

static char efs_t_reports[8][sizeof(efs_t_v.error)];
static unsigned efs_t_nreports;

static void efs_t_report(void *ctx, const char *problem)
{
	(void)ctx;
	if (efs_t_nreports < 8)
		snprintf(efs_t_reports[efs_t_nreports], sizeof(efs_t_reports[0]), "%s", problem);
	efs_t_nreports++;
}

Test(eclipsefs, lab6_check_all_reports_a_long_name_and_a_long_target_both)
{
	static char name[301], target[5002];
	struct efs_t_ent root[] = {{"link", 2}, {"sub", 3}};
	struct efs_t_ent sub[] = {{name, 2}};

	memset(name, 'n', 300);
	memset(target, 't', 5001);
	efs_t_begin(3);
	efs_t_dir(1, root, EFS_T_N(root));
	efs_t_symlink(2, target);
	efs_t_dir(3, sub, 1);
	efs_t_mount_ok();
	efs_t_nreports = 0;
	{
		static uint32_t mem[(EFS_SORT_MEM + 4096) / 4];
		cr_assert_eq(efs_check_all(&efs_t_v, mem, sizeof(mem), efs_t_report, NULL),
		             -ENAMETOOLONG);
	}
	cr_assert_eq(efs_t_nreports, 2);
	cr_assert(strstr(efs_t_reports[0], "inode 2: symlink target is 5001 bytes"), "%s",
	          efs_t_reports[0]);
	cr_assert(strstr(efs_t_reports[1], "inode 3: directory entry 'nnn"), "%s",
	          efs_t_reports[1]);
}

Test(eclipsefs, lab6_check_reports_a_mode_that_disagrees_with_node_type)
{
	static const struct efs_t_ent root[] = {{"f", 2}};

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_data(2, EFS_FILE, EFS_MODE_DIR, "x", 1); // a flipped type bit
	efs_t_mount_ok();
	cr_assert_eq(efs_t_check(), -EBADMSG);
	efs_t_assert_error_mentions("inode 2: MODE");
}

Test(eclipsefs, lab6_check_reports_an_empty_symlink_target)
{
	static const struct efs_t_ent root[] = {{"l", 2}};

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_symlink(2, "");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_check(), -EBADMSG);
	efs_t_assert_error_mentions("inode 2: symlink target is empty");
}

Test(eclipsefs, lab6_an_error_sentence_never_outlives_its_call)
{
	static const struct efs_t_ent root[] = {{"a", 2}};
	struct efs_inode n;

	efs_t_begin(2);
	efs_t_dir(1, root, 1);
	efs_t_file(2, "x");
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	cr_assert_str_neq(efs_error(&efs_t_v), "");
	// a missing name is the caller's problem: no sentence from before
	cr_assert_eq(efs_t_ino_of("/b"), -ENOENT);
	cr_assert_str_empty(efs_error(&efs_t_v));
}

// The examples in the comment above efs_walk, one by one.
Test(eclipsefs, lab6_walk_follows_the_examples_in_its_comment)
{
	static const struct efs_t_ent root[] = {{"a", 2}, {"abs", 7}};
	static const struct efs_t_ent a[] = {{"b", 3}, {"l", 5}, {"up", 6}};
	static const struct efs_t_ent b[] = {{"f", 4}};
	struct efs_path cwd, p;
	struct efs_inode n;
	char path[EFS_PATH_MAX + 1];

	efs_t_begin(7);
	efs_t_dir(1, root, EFS_T_N(root));
	efs_t_dir(2, a, EFS_T_N(a));
	efs_t_dir(3, b, EFS_T_N(b));
	efs_t_file(4, "f");
	efs_t_symlink(5, "b");
	efs_t_symlink(6, "..");
	efs_t_symlink(7, "/a/b");
	efs_t_mount_ok();

	cr_assert_eq(efs_t_ino_of("/a/b/f"), 4);
	cr_assert_eq(efs_t_ino_of("a//b///f"), 4);
	cr_assert_eq(efs_t_ino_of("/a/./b/../b/f"), 4);
	cr_assert_eq(efs_t_ino_of("/.."), 1);
	cr_assert_eq(efs_t_ino_of("/../.."), 1);
	cr_assert_eq(efs_walk(&efs_t_v, NULL, "/a", 0, &cwd, NULL), 0);
	cr_assert_eq(efs_walk(&efs_t_v, &cwd, "b/f", 0, &p, &n), 0);
	cr_assert_eq(n.ino, 4);
	cr_assert_eq(efs_t_ino_of("/a/l/f"), 4);
	cr_assert_eq(efs_t_ino_of("/abs/f"), 4);
	cr_assert_eq(efs_t_ino_of("/a/up/a/b"), 3);
	cr_assert_eq(efs_t_ino_of("/a/l/.."), 2);
	cr_assert_eq(efs_t_ino_of("/a/l"), 3);
	cr_assert_eq(efs_walk(&efs_t_v, NULL, "/a/l", EFS_NOFOLLOW, &p, &n), 0);
	cr_assert_eq(n.ino, 5);
	cr_assert_eq(efs_walk(&efs_t_v, NULL, "/a/l/", EFS_NOFOLLOW, &p, &n), 0);
	cr_assert_eq(n.ino, 3);
	cr_assert_eq(efs_t_ino_of("/a/b/f/"), -ENOTDIR);
	cr_assert_eq(efs_t_ino_of("/a/b/f/x"), -ENOTDIR);
	cr_assert_eq(efs_t_ino_of("/a/b/f/.."), -ENOTDIR);
	cr_assert_eq(efs_t_ino_of(""), -ENOENT);
	memset(path, 'a', EFS_PATH_MAX);
	path[EFS_PATH_MAX] = '\0';
	efs_t_reads = 0;
	cr_assert_eq(efs_t_ino_of(path), -ENAMETOOLONG);
	cr_assert_eq(efs_t_reads, 0);
}

// --- finding the volume -------------------------------------------------------

#define EFS_T_SECTOR 512
#define EFS_T_PART   64 // first LBA of the EclipseFS partition in test disks

static uint8_t efs_t_disk[256 * 1024];
static uint64_t efs_t_disk_len;

static int efs_t_disk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	(void)ctx;
	if (off > efs_t_disk_len || len > efs_t_disk_len - off) {
		efs_t_oob++;
		return -EIO;
	}
	memcpy(buf, efs_t_disk + off, len);
	return 0;
}

static void efs_t_put(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

// Recompute both CRCs after a test has changed the header or the array.
static void efs_t_gpt_seal(void)
{
	uint8_t *h = efs_t_disk + EFS_T_SECTOR;
	uint32_t count, esize;

	count = (uint32_t)(h[80] | h[81] << 8);
	esize = (uint32_t)(h[84] | h[85] << 8);
	if (esize <= 4096 && count <= 1024 &&
	    2 * EFS_T_SECTOR + count * esize <= sizeof(efs_t_disk))
		efs_t_put(h + 88, crc32_update(0, efs_t_disk + 2 * EFS_T_SECTOR, count * esize), 4);
	efs_t_put(h + 16, 0, 4);
	efs_t_put(h + 16, crc32_update(0, h, 92), 4);
}

// A GPT disk: partition 1 (no magic) at LBA 40, partition 2 holding the
// sample volume at EFS_T_PART; 128 entries of 128 bytes from LBA 2.
static void efs_t_gpt(void)
{
	uint8_t *h = efs_t_disk + EFS_T_SECTOR, *e = efs_t_disk + 2 * EFS_T_SECTOR;
	uint64_t vol_sectors;

	efs_t_sample();
	vol_sectors = (efs_t_len + EFS_T_SECTOR - 1) / EFS_T_SECTOR;
	memset(efs_t_disk, 0, sizeof(efs_t_disk));
	efs_t_disk_len = (EFS_T_PART + vol_sectors + 40) * EFS_T_SECTOR;
	cr_assert_leq(efs_t_disk_len, sizeof(efs_t_disk));

	efs_t_disk[446 + 4] = 0xEE;
	efs_t_disk[510] = 0x55;
	efs_t_disk[511] = 0xAA;
	memcpy(h, "EFI PART", 8);
	efs_t_put(h + 8, 0x00010000, 4);
	efs_t_put(h + 12, 92, 4);
	efs_t_put(h + 24, 1, 8);
	efs_t_put(h + 72, 2, 8);
	efs_t_put(h + 80, 128, 4);
	efs_t_put(h + 84, 128, 4);
	memset(e, 0x11, 16); // any non-zero type GUID
	efs_t_put(e + 32, 40, 8);
	efs_t_put(e + 40, 63, 8);
	memset(e + 128, 0x22, 16);
	efs_t_put(e + 128 + 32, EFS_T_PART, 8);
	efs_t_put(e + 128 + 40, EFS_T_PART + vol_sectors - 1, 8);
	memcpy(efs_t_disk + EFS_T_PART * EFS_T_SECTOR, efs_t_img, efs_t_len);
	efs_t_gpt_seal();
}

static int efs_t_find(struct efs_location *loc)
{
	struct efs_io disk = {efs_t_disk_read, NULL, efs_t_disk_len};

	return efs_find_volume(&disk, loc);
}

TestSuite(eclipsefs_gpt, .init = efs_t_setup, .fini = efs_t_teardown);

Test(eclipsefs_gpt, lab0_whole_disk_volume_is_found_at_offset_0)
{
	struct efs_location loc;

	efs_t_sample();
	memcpy(efs_t_disk, efs_t_img, efs_t_len);
	efs_t_disk_len = efs_t_len;
	cr_assert_eq(efs_t_find(&loc), 0);
	cr_assert_eq(loc.offset, 0);
	cr_assert_eq(loc.partition, 0);
	cr_assert_eq(loc.io.size, efs_t_len);
	cr_assert_str_eq(loc.where, "whole disk");
}

Test(eclipsefs_gpt, lab6_partition_starting_with_the_magic_is_found)
{
	struct efs_location loc;
	struct efs_volume v;
	struct efs_inode n;
	char buf[32] = {0};

	efs_t_gpt();
	cr_assert_eq(efs_t_find(&loc), 0, "%s", loc.error);
	cr_assert_eq(loc.partition, 2);
	cr_assert_eq(loc.offset, EFS_T_PART * EFS_T_SECTOR);
	cr_assert_str_eq(loc.where, "GPT partition 2");
	cr_assert_eq(loc.io.size % EFS_T_SECTOR, 0);
	cr_assert_geq(loc.io.size, efs_t_len);
	cr_assert_eq(efs_mount(&v, &loc.io), 0);
	cr_assert_eq(efs_lookup(&v, "/bin/sh", &n), 0);
	cr_assert_eq(efs_read(&v, &n, 0, buf, sizeof(buf)), 17);
	cr_assert_str_eq(buf, "Hello, EclipseFS!");
}

Test(eclipsefs_gpt, lab0_volume_reader_refuses_reads_past_the_partition)
{
	struct efs_location loc;
	uint8_t b[2];

	efs_t_gpt();
	cr_assert_eq(efs_t_find(&loc), 0);
	cr_assert_eq(loc.io.read(loc.io.ctx, loc.io.size - 1, b, 2), -ERANGE);
	cr_assert_eq(loc.io.read(loc.io.ctx, loc.io.size - 2, b, 2), 0);
}

Test(eclipsefs_gpt, lab0_header_crc_mismatch_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[EFS_T_SECTOR + 40] ^= 1; // first usable LBA, after sealing
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert(strstr(loc.error, "header CRC32") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_entry_array_crc_mismatch_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[2 * EFS_T_SECTOR + 128 + 40] ^= 1; // partition 2's last LBA
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
	cr_assert(strstr(loc.error, "array CRC32") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_disk_without_protective_mbr_is_enoent)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[446 + 4] = 0x83;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	cr_assert(strstr(loc.error, "protective MBR") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_no_partition_with_the_magic_is_enoent)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_disk[EFS_T_PART * EFS_T_SECTOR] = 'X';
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	cr_assert(strstr(loc.error, "no GPT partition") != NULL, "%s", loc.error);
}

Test(eclipsefs_gpt, lab0_entry_size_below_128_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + EFS_T_SECTOR + 84, 64, 4);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_entry_count_over_the_limit_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + EFS_T_SECTOR + 80, 0xffffffff, 4);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_entry_array_past_the_disk_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + EFS_T_SECTOR + 72, UINT64_MAX / 256, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_partition_past_the_disk_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + 2 * EFS_T_SECTOR + 128 + 40, efs_t_disk_len / EFS_T_SECTOR, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_partition_with_first_after_last_is_ebadmsg)
{
	struct efs_location loc;

	efs_t_gpt();
	efs_t_put(efs_t_disk + 2 * EFS_T_SECTOR + 128 + 32, EFS_T_PART + 5, 8);
	efs_t_put(efs_t_disk + 2 * EFS_T_SECTOR + 128 + 40, EFS_T_PART + 4, 8);
	efs_t_gpt_seal();
	cr_assert_eq(efs_t_find(&loc), -EBADMSG);
}

Test(eclipsefs_gpt, lab0_tiny_disk_is_enoent)
{
	struct efs_location loc;

	efs_t_disk_len = 5;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
	efs_t_disk_len = 1000;
	cr_assert_eq(efs_t_find(&loc), -ENOENT);
}

// --- SHA-256 and CRC-32 known answers -----------------------------------------

static void efs_t_sha_hex(const void *data, size_t len, char hex[65])
{
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256(data, len, d);
	sha256_hex(d, hex);
}

Test(sha256, lab0_empty_message)
{
	char hex[65];

	efs_t_sha_hex("", 0, hex);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, lab0_abc)
{
	char hex[65];

	efs_t_sha_hex("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, lab0_two_block_message)
{
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[65];

	efs_t_sha_hex(m, strlen(m), hex);
	cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, lab0_million_a_fed_in_odd_pieces)
{
	static char a[1000];
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[65];
	struct sha256 s;
	size_t left = 1000000;

	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (size_t piece = 1; left > 0; piece = piece % 997 + 1) {
		size_t n = piece < left ? piece : left;

		sha256_update(&s, a, n);
		left -= n;
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
	cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, lab0_lengths_around_the_padding_boundary)
{
	static const struct {
		size_t len;
		const char *hex;
	} kat[] = {
	    {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
	    {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
	    {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
	    {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
	    {65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"},
	    {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
	    {120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"},
	};
	uint8_t m[120];
	char hex[65];

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i % 251);
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		efs_t_sha_hex(m, kat[i].len, hex);
		cr_assert_str_eq(hex, kat[i].hex, "length %zu", kat[i].len);
	}
}

Test(crc32, lab0_check_value)
{
	cr_assert_eq(crc32_update(0, "123456789", 9), 0xCBF43926u);
}

Test(crc32, lab0_empty_input_is_zero)
{
	cr_assert_eq(crc32_update(0, "", 0), 0);
}

Test(crc32, lab0_quick_brown_fox)
{
	static const char m[] = "The quick brown fox jumps over the lazy dog";

	cr_assert_eq(crc32_update(0, m, strlen(m)), 0x414FA339u);
}

Test(crc32, lab0_pieces_give_the_same_result)
{
	static const char m[] = "The quick brown fox jumps over the lazy dog";
	uint32_t crc = 0;

	for (size_t i = 0; i < strlen(m); i += 5)
		crc = crc32_update(crc, m + i, strlen(m) - i < 5 ? strlen(m) - i : 5);
	cr_assert_eq(crc, 0x414FA339u);
}
