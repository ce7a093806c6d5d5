// The EclipseFS reader's error sentences and its one way of reading the
// volume. A failure caused by the image leaves a sentence in v->error
// naming the inode, the field and the limit, for the caller to print.
#include <stdarg.h>

#include "errno.h"
#include "fs/efs_internal.h"
#include "lib/format.h"
#include "lib/string.h"

// ksnprintf's engine (lib/format.c), called directly so that the host
// tools can link the reader without the kernel's console.
static size_t put(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vformat_buf(buf, cap, fmt, ap);
	va_end(ap);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

int efs_fail(struct efs_volume *v, int err, uint32_t ino, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	v->error[0] = '\0';
	if (ino)
		n = put(v->error, sizeof(v->error), "inode %u: ", ino);
	va_start(ap, fmt);
	vformat_buf(v->error + n, sizeof(v->error) - n, fmt, ap);
	va_end(ap);
	return err;
}

struct efs_quoted efs_quote(const char *name, size_t len)
{
	struct efs_quoted q;
	size_t k = 0;

	q.s[k++] = '\'';
	for (size_t i = 0; i < len && i < 40; i++) {
		char c = name[i];
		q.s[k++] = (c >= 0x20 && c < 0x7f) ? c : '?';
	}
	if (len > 40) {
		memcpy(q.s + k, "...", 3);
		k += 3;
	}
	q.s[k++] = '\'';
	q.s[k] = '\0';
	return q;
}

const char *efs_error(const struct efs_volume *v)
{
	return v->error;
}

int efs_vol_read(struct efs_volume *v, uint64_t off, void *buf, size_t len)
{
	int r;

	if (off > v->io.size || len > v->io.size - off)
		return efs_fail(v, -ERANGE, 0, "internal: read past the end of the volume");
	if (len == 0)
		return 0;
	r = v->io.read(v->io.ctx, off, buf, len);
	if (r < 0)
		return efs_fail(v, r, 0, "the device could not read the volume (%s)", errstr(r));
	return 0;
}
