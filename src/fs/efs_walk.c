// EclipseFS path walking: a path (absolute, or relative to a resolved
// directory) to the chain of directories that leads to its node. The
// format stores no "." or ".." entries, so both are handled here, with the
// chain standing in for the parent links the format does not have.
#include "errno.h"
#include "fs/efs_internal.h"
#include "lib/string.h"

// The contract, by example. The tree is
//
//   /a/b/f     a file            /a/up -> ..        a relative symlink
//   /a/l -> b  a relative link   /abs  -> /a/b      an absolute symlink
//
// with the walk starting at the root unless a cwd is named:
//
//   "/a/b/f"            -> f          every component looked up in turn
//   "a//b///f"          -> f          runs of '/' are one separator
//   "/a/./b/../b/f"     -> f          "." stays, ".." goes up the chain
//   "/.." and "/../.."  -> /          the root is its own parent
//   "b/f" from cwd /a   -> f          relative paths start at cwd
//   "/a/l/f"            -> f          a relative target starts in the link's
//                                     directory (/a), so l means /a/b
//   "/abs/f"            -> f          an absolute target restarts at /
//   "/a/up/a/b"         -> /a/b       ".." in a target leaves the link's
//                                     directory: /a/up is /
//   "/a/l/.."           -> /a         ".." after a followed link goes up
//                                     from where the link led (/a/b), as
//                                     Linux does, not back over the link
//   "/a/l"              -> /a/b       a last symlink is followed ...
//   "/a/l" NOFOLLOW     -> l itself   ... unless the caller says not to,
//   "/a/l/" NOFOLLOW    -> /a/b       but a trailing slash still follows it
//   "/a/b/f/"           -> -ENOTDIR   a trailing slash needs a directory
//   "/a/b/f/x"          -> -ENOTDIR   so does any component after a file
//   "/a/b/f/.."         -> -ENOTDIR   even "." and ".."
//   ""                  -> -ENOENT
//   a 1024-byte path    -> -ENAMETOOLONG, before anything is read
//   64 names below /    -> -ENAMETOOLONG ("path goes more than 63 names
//                          below /"): 63 is the deepest, files included
//   a link to itself    -> -ELOOP after EFS_SYMLINK_MAX links

int efs_walk(struct efs_volume *v, const struct efs_path *cwd, const char *path, unsigned flags,
             struct efs_path *out, struct efs_inode *node)
{
	// buf holds what is left to resolve. When a symlink is met, its target
	// replaces the part already consumed, so buf always reads as "target
	// followed by the rest of the path".
	char buf[EFS_PATH_MAX];
	struct efs_inode cur;
	size_t len = strlen(path), pos = 0;
	int links = 0, r;

	v->error[0] = '\0';
	if (len == 0)
		return -ENOENT;
	if (len >= EFS_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, path, len);

	if (buf[0] == '/' || cwd == NULL) {
		out->ino[0] = EFS_ROOT_INO;
		out->depth = 1;
	} else {
		if (cwd->depth == 0 || cwd->depth > EFS_DEPTH_MAX)
			return -EINVAL;
		*out = *cwd;
	}
	r = efs_inode_get(v, out->ino[out->depth - 1], &cur);
	if (r < 0)
		return r;

	for (;;) {
		size_t start, n, rest;
		bool last;
		uint32_t child;

		while (pos < len && buf[pos] == '/')
			pos++;
		if (pos == len)
			break;
		start = pos;
		while (pos < len && buf[pos] != '/')
			pos++;
		n = pos - start;
		rest = pos;
		while (rest < len && buf[rest] == '/')
			rest++;
		last = rest == len;

		// every component, "." and ".." included, is looked up in
		// the node reached so far, which must be a directory.
		if (cur.type != EFS_DIR)
			return -ENOTDIR;
		if (n == 1 && buf[start] == '.')
			continue;
		if (n == 2 && buf[start] == '.' && buf[start + 1] == '.') {
			// ".." of the root is the root, as in Unix.
			if (out->depth > 1)
				out->depth--;
			r = efs_inode_get(v, out->ino[out->depth - 1], &cur);
			if (r < 0)
				return r;
			continue;
		}
		if (n > EFS_NAME_MAX)
			return -ENAMETOOLONG;

		r = efs_dir_find(v, &cur, buf + start, n, &child);
		if (r < 0)
			return r;
		// a directory that lists itself or an ancestor would let a
		// path go as deep as it is long; the chain bounds that. The
		// chain holds the root and EFS_DEPTH_MAX - 1 names below it,
		// the last of which may be a file or a symlink.
		if (out->depth >= EFS_DEPTH_MAX)
			return efs_fail(v, -ENAMETOOLONG, 0,
			                "path goes more than %u names below /, the reader's "
			                "depth limit",
			                EFS_DEPTH_MAX - 1);
		out->ino[out->depth++] = child;
		r = efs_inode_get(v, child, &cur);
		if (r < 0)
			return r;

		// a symlink is followed unless it ends the path and the
		// caller asked not to; a trailing slash always follows it.
		if (cur.type != EFS_SYMLINK || (last && pos == len && (flags & EFS_NOFOLLOW)))
			continue;
		if (++links > EFS_SYMLINK_MAX)
			return -ELOOP;
		if (cur.content_len == 0)
			return -ENOENT;
		if (cur.content_len >= EFS_PATH_MAX)
			return efs_fail(v, -ENAMETOOLONG, cur.ino,
			                "symlink target is %lu bytes, over the %u-byte path limit",
			                (unsigned long)cur.content_len, EFS_PATH_MAX - 1);
		if (len - pos > EFS_PATH_MAX - 1 - cur.content_len)
			return -ENAMETOOLONG;
		n = (size_t)cur.content_len;
		memmove(buf + n, buf + pos, len - pos);
		len = n + (len - pos);
		pos = 0;
		r = efs_vol_read(v, cur.content_off, buf, n);
		if (r < 0)
			return r;
		// a relative target starts from the directory holding the
		// link, an absolute one from the root.
		out->depth--;
		if (buf[0] == '/')
			out->depth = 1;
		r = efs_inode_get(v, out->ino[out->depth - 1], &cur);
		if (r < 0)
			return r;
	}

	// "name/" must name a directory (after following a symlink).
	if (buf[len - 1] == '/' && cur.type != EFS_DIR)
		return -ENOTDIR;
	if (node)
		*node = cur;
	return 0;
}

int efs_lookup(struct efs_volume *v, const char *path, struct efs_inode *node)
{
	struct efs_path p;

	return efs_walk(v, NULL, path, 0, &p, node);
}

int efs_root_type_check(struct efs_volume *v, const struct efs_inode *root)
{
	if (root->type != EFS_DIR)
		return efs_fail(v, -EBADMSG, EFS_ROOT_INO, "the root is not a directory");
	return 0;
}

int efs_root_check(struct efs_volume *v)
{
	struct efs_inode root;
	int r = efs_inode_get(v, EFS_ROOT_INO, &root);

	return r < 0 ? r : efs_root_type_check(v, &root);
}
