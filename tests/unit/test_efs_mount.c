// Lab 6: mounting a valid EclipseFS image: the header, inodes and every
// tag of their records, reading files, listing directories.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"

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
	cr_assert_eq(n.content_off, efs_t_value_at(3, EFS_TAG_CONTENT));
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
