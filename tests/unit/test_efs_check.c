// Lab 6: checking a whole volume (efs_check, efs_check_all; the shell's
// fsck): directory cycles, inodes listed twice or never, what it reports.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"

// --- cycles, and inodes listed twice or never ------------------------------------

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

// --- at the reader's limits, and what it reports --------------------------------

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
