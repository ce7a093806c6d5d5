// Lab 6: walking paths: symlinks relative and absolute, `.` and `..`, the
// working directory, loops and the path limit.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"

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
