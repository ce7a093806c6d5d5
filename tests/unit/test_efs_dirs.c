// Lab 6: directory entries: corrupt ones, names over the limit, and
// sorting a directory at the reader's limits (efs_dir_sort).
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"

// --- corrupt directories ----------------------------------------------------

Test(eclipsefs, lab6_name_len_past_the_record_is_ebadmsg)
{
	char out[64];

	efs_t_sample();
	// the second entry's name_len (the first is "bin"): "readme.txt"
	// claims 11 bytes
	efs_t_le(efs_t_entries_at[1] + EFS_DIRENT_HEAD + strlen("bin") +
	             offsetof(struct efs_entry_head, name_len),
	         11, 4);
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
	uint64_t cut = efs_t_entries_at[1] + EFS_DIRENT_HEAD + strlen("bin") + 4;
	efs_t_le(efs_t_length_at(1, EFS_TAG_DIRECTORY_ENTRIES), cut - efs_t_entries_at[1], 4);
	efs_t_le(EFS_T_RECORD_SIZE(1), cut - efs_t_rec[1], 4);
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

// --- sorting at the reader's limits ---------------------------------------------

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
