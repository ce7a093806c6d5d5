// The whole-volume check behind fsck and eclipsefs-dump: every node
// decodes and is sound on its own, every directory entry is, and the
// directories form one tree from the root. File bytes are not checked:
// the format keeps no checksum of them, so a flipped byte in a file's
// CONTENT is indistinguishable from data.
#include "errno.h"
#include "fs/efs_internal.h"
#include "lib/string.h"

enum { CHECK_UNSEEN, CHECK_WALKING, CHECK_ROOTED };

// The type bits of a Unix mode, and what each node type should have.
#define MODE_TYPE_MASK 0170000u

static uint32_t mode_type(uint8_t type)
{
	return type == EFS_DIR       ? EFS_MODE_DIR & MODE_TYPE_MASK
	       : type == EFS_SYMLINK ? EFS_MODE_SYMLINK & MODE_TYPE_MASK
	                             : EFS_MODE_FILE & MODE_TYPE_MASK;
}

size_t efs_check_mem(const struct efs_volume *v)
{
	// the sorted directory (EFS_SORT_MEM), then parent[] (u32) and
	// state[] (u8) indexed by inode number 1..total. total_inodes * 8 <=
	// the volume size, so this cannot overflow.
	return EFS_SORT_MEM + ((size_t)v->total_inodes + 1) * 5;
}

// A name the path syntax could never reach: ".", "..", or holding '/' or
// NUL (the entry check has refused empty and over-long names).
static bool bad_name(const char *name, uint32_t len)
{
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	for (uint32_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\0')
			return true;
	return false;
}

struct checker {
	struct efs_volume *v;
	efs_report_fn *report;
	void *ctx;
	unsigned problems;
	int first; // the first problem's error
};

// Note a problem whose sentence is in v->error. Returns true when the check
// must stop: there is no report function, so the first problem ends it.
static bool problem(struct checker *c, int err)
{
	if (c->problems++ == 0)
		c->first = err;
	if (!c->report)
		return true;
	if (c->problems <= EFS_CHECK_REPORTS)
		c->report(c->ctx, c->v->error);
	return false;
}

// The checks on one node that need nothing but the node.
static bool check_node(struct checker *c, const struct efs_inode *n)
{
	struct efs_volume *v = c->v;

	int err = n->ino == EFS_ROOT_INO ? efs_root_type_check(v, n) : 0;
	if (err)
		return problem(c, err);
	if ((n->mode & MODE_TYPE_MASK) && (n->mode & MODE_TYPE_MASK) != mode_type(n->type) &&
	    problem(c, efs_fail(v, -EBADMSG, n->ino,
	                        "MODE 0x%x has type bits 0x%x, but NODE_TYPE is %u (0x%x expected)",
	                        n->mode, n->mode & MODE_TYPE_MASK, n->type, mode_type(n->type))))
		return true;
	if (n->type != EFS_SYMLINK)
		return false;
	if (n->content_len == 0)
		return problem(c, efs_fail(v, -EBADMSG, n->ino, "symlink target is empty"));
	if (n->content_len >= EFS_PATH_MAX)
		return problem(c,
		               efs_fail(v, -ENAMETOOLONG, n->ino,
		                        "symlink target is %lu bytes, over the %u-byte path limit",
		                        (unsigned long)n->content_len, EFS_PATH_MAX - 1));
	return false;
}

// Each entry of dir: a name a path can reach, naming an inode no other
// entry names. Returns true when the check must stop.
static bool check_entries(struct checker *c, const struct efs_inode *dir, void *mem,
                          uint32_t *parent)
{
	struct efs_volume *v = c->v;
	struct efs_sorted s;
	int r = efs_dir_sort(v, dir, mem, EFS_SORT_MEM, &s);

	// the entries before a bad one are checked too, as readdir would have
	// returned them; the bad one is reported after them.
	char why[sizeof(v->error)];
	memcpy(why, v->error, sizeof(why));

	for (uint32_t k = 0; k < s.n; k++) {
		uint32_t len, child = efs_sorted_ino(&s, k);
		const char *name = efs_sorted_name(&s, k, &len);

		if (bad_name(name, len)) {
			if (problem(c, efs_fail(v, -EBADMSG, dir->ino,
			                        "directory entry name %s cannot appear in a path",
			                        efs_quote(name, len).s)))
				return true;
			continue;
		}
		if (child == EFS_ROOT_INO || parent[child]) {
			if (problem(c,
			            efs_fail(v, -EBADMSG, dir->ino, "entry %s names inode %u%s",
			                     efs_quote(name, len).s, child,
			                     child == EFS_ROOT_INO
			                         ? ", the root: a directory cycle"
			                         : ", already listed in another directory (a hard "
			                           "link or a directory cycle)")))
				return true;
			continue;
		}
		parent[child] = dir->ino;
	}
	if (r < 0) {
		memcpy(v->error, why, sizeof(why));
		return problem(c, r);
	}
	return false;
}

int efs_check_all(struct efs_volume *v, void *mem, size_t mem_len, efs_report_fn *report, void *ctx)
{
	struct checker c = {v, report, ctx, 0, 0};
	uint32_t total = v->total_inodes;
	uint32_t *parent = (uint32_t *)((uint8_t *)mem + EFS_SORT_MEM);
	uint8_t *state;
	struct efs_inode node;
	int r;

	v->error[0] = '\0';
	if (mem_len < efs_check_mem(v) || ((uintptr_t)mem & 3))
		return -EINVAL;
	state = (uint8_t *)(parent + (size_t)total + 1);
	memset(parent, 0, ((size_t)total + 1) * 5);

	// every inode decodes, and every directory entry names a new inode:
	// each inode but the root gets exactly one parent.
	for (uint32_t i = 1; i <= total; i++) {
		r = efs_inode_get(v, i, &node);
		if (r < 0) {
			if (problem(&c, r))
				return r;
			continue;
		}
		if (check_node(&c, &node))
			return c.first;
		if (node.type == EFS_DIR && check_entries(&c, &node, mem, parent))
			return c.first;
	}
	if (c.problems)
		goto done;

	for (uint32_t i = 2; i <= total; i++)
		if (!parent[i] &&
		    problem(&c, efs_fail(v, -EBADMSG, i, "not listed in any directory")))
			return c.first;
	if (c.problems)
		goto done;

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
		if (state[x] == CHECK_WALKING &&
		    problem(&c, efs_fail(v, -EBADMSG, x,
		                         "in a directory cycle that is not reachable from the "
		                         "root")))
			return c.first;
		for (x = i; state[x] == CHECK_WALKING; x = parent[x])
			state[x] = CHECK_ROOTED;
	}
done:
	if (c.problems > EFS_CHECK_REPORTS && report) {
		efs_fail(v, c.first, 0, "%u more problems not shown",
		         c.problems - EFS_CHECK_REPORTS);
		report(ctx, v->error);
	}
	if (!c.problems)
		v->error[0] = '\0';
	return c.problems ? c.first : 0;
}

int efs_check(struct efs_volume *v, void *mem, size_t mem_len)
{
	return efs_check_all(v, mem, mem_len, NULL, NULL);
}
