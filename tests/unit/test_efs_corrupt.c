// Lab 6: corrupt headers, inode tables and records: each is refused with
// its own error, and the reader never reads outside the image.
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "efs_fixture.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"

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
	efs_t_img[offsetof(struct efs_header, magic) + EFS_MAGIC_LEN - 1] = 'Z';
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
	efs_t_le(EFS_T_TABLE_REL(3), efs_t_rec[4] - efs_t_nodes, 4); // 3 points at 4's record
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("belongs to inode 4");
}

Test(eclipsefs, lab6_record_size_below_8_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(EFS_T_RECORD_SIZE(3), 7, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("record_size 7");
}

Test(eclipsefs, lab6_record_size_over_32_mib_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(EFS_T_RECORD_SIZE(3), EFS_RECORD_MAX + 1, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("32 MiB");
}

Test(eclipsefs, lab6_record_size_past_the_end_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(EFS_T_RECORD_SIZE(5), efs_t_len - efs_t_rec[5] + 1, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(5, &n), -EBADMSG);
	efs_t_assert_error_mentions("past the end of the volume");
}

Test(eclipsefs, lab6_tlv_length_past_the_record_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	// CONTENT's length, one more than there is ("Hello, EclipseFS!" is 17)
	efs_t_le(efs_t_length_at(3, EFS_TAG_CONTENT), 17 + 1, 4);
	efs_t_mount_ok();
	cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
	efs_t_assert_error_mentions("past the end of the record");
}

Test(eclipsefs, lab6_tlv_length_near_u32_max_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(efs_t_length_at(3, EFS_TAG_CONTENT), UINT32_MAX, 4);
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
		efs_t_img[efs_t_value_at(3, EFS_TAG_NODE_TYPE)] = bad[i];
		efs_t_mount_ok();
		cr_assert_eq(efs_t_get_inode(3, &n), -EBADMSG);
		efs_t_assert_error_mentions("NODE_TYPE");
	}
}

Test(eclipsefs, lab6_size_disagreeing_with_content_is_ebadmsg)
{
	struct efs_inode n;

	efs_t_sample();
	efs_t_le(efs_t_value_at(3, EFS_TAG_SIZE), 1000, 8);
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
