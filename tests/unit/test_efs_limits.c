// Lab 6: the reader at its depth limit, and the root check mount makes.
//
// The format sets no depth; this reader's path chain (struct efs_path)
// holds the root and EFS_DEPTH_MAX - 1 = 63 names below it, files and
// symlinks included, and mkfs-eclipsefs refuses a deeper tree
// (tests/tools/roundtrip.sh). A volume whose root record cannot be read
// passes efs_mount, which reads only the header; efs_root_check is what
// the kernel's mount adds so that boot moves on to the next disk.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"

// A chain of `dirs` directories named "d" below the root (inodes 2 ..
// dirs + 1), the innermost holding a file "f" (inode dirs + 2).
static void deep_chain(uint32_t dirs)
{
	static const struct efs_t_ent root[] = {{"d", 2}};
	struct efs_t_ent e[1];

	efs_t_begin(dirs + 2);
	efs_t_dir(1, root, 1);
	for (uint32_t i = 2; i <= dirs + 1; i++) {
		e[0].name = i == dirs + 1 ? "f" : "d";
		e[0].ino = i + 1;
		efs_t_dir(i, e, 1);
	}
	efs_t_file(dirs + 2, "deep\n");
	efs_t_mount_ok();
}

// "/d/d/.../d" with n names, then "/f" if file.
static const char *chain_path(uint32_t n, bool file)
{
	static char path[EFS_PATH_MAX];
	size_t len = 0;

	for (uint32_t i = 0; i < n; i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len, "/d");
	if (file)
		snprintf(path + len, sizeof(path) - len, "/f");
	return path;
}

Test(eclipsefs, lab6_deepest_legal_tree_is_read_whole)
{
	// 62 directories and a file: 63 names below /, the most a path holds
	deep_chain(EFS_DEPTH_MAX - 2);
	cr_assert_eq(efs_t_ino_of(chain_path(EFS_DEPTH_MAX - 2, true)), EFS_DEPTH_MAX);
	cr_assert_eq(efs_t_ino_of(chain_path(EFS_DEPTH_MAX - 2, false)), EFS_DEPTH_MAX - 1);
	cr_assert_eq(efs_t_check(), 0, "%s", efs_error(&efs_t_v));
}

Test(eclipsefs, lab6_a_name_past_63_below_the_root_is_refused_by_name)
{
	// 63 directories and a file: the directories are reachable, the file
	// is the 64th name below / and is refused with the limit named
	deep_chain(EFS_DEPTH_MAX - 1);
	cr_assert_eq(efs_t_ino_of(chain_path(EFS_DEPTH_MAX - 1, false)), EFS_DEPTH_MAX);
	cr_assert_eq(efs_t_ino_of(chain_path(EFS_DEPTH_MAX - 1, true)), -ENAMETOOLONG);
	cr_assert_str_eq(efs_error(&efs_t_v),
	                 "path goes more than 63 names below /, the reader's depth limit");
	// ".." on the way back does not count: the chain is what is deep
	cr_assert_eq(efs_t_ino_of("/d/../d/../d"), 2);
}

Test(eclipsefs, lab6_root_check_passes_a_sound_root)
{
	efs_t_sample();
	efs_t_mount_ok();
	cr_assert_eq(efs_root_check(&efs_t_v), 0, "%s", efs_error(&efs_t_v));
}

Test(eclipsefs, lab6_root_with_record_size_0_mounts_but_fails_the_root_check)
{
	efs_t_sample();
	efs_t_le(EFS_T_RECORD_SIZE(1), 0, 4);
	// the header is sound, so the header alone cannot tell
	efs_t_mount_ok();
	cr_assert_eq(efs_root_check(&efs_t_v), -EBADMSG);
	efs_t_assert_error_mentions("inode 1: record_size 0");
}

Test(eclipsefs, lab6_root_that_is_a_file_fails_the_root_check)
{
	efs_t_begin(1);
	efs_t_file(1, "not a directory\n");
	efs_t_mount_ok();
	cr_assert_eq(efs_root_check(&efs_t_v), -EBADMSG);
	cr_assert_str_eq(efs_error(&efs_t_v), "inode 1: the root is not a directory");
}
