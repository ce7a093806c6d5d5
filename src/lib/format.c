// A small printf: enough for a kernel log and a shell. Supported:
//   %d %i %u %x %X %p %s %c %%, length l / ll / z, width, '0' and '-' flags.
#include "lib/format.h"

#include <stdbool.h>
#include <stdint.h>

struct spec {
	int width;
	bool zero_pad;
	bool left;
};

static int emit_padded(format_putc_fn putc, void *ctx, const char *s, int len, struct spec sp,
                       bool negative)
{
	int pad = sp.width - len - (negative ? 1 : 0);
	int n = 0;

	if (!sp.left && !sp.zero_pad)
		for (; pad > 0; pad--, n++)
			putc(ctx, ' ');
	if (negative) {
		putc(ctx, '-');
		n++;
	}
	if (!sp.left && sp.zero_pad)
		for (; pad > 0; pad--, n++)
			putc(ctx, '0');
	for (int i = 0; i < len; i++, n++)
		putc(ctx, s[i]);
	for (; sp.left && pad > 0; pad--, n++)
		putc(ctx, ' ');
	return n;
}

/* BEGIN LAB 0 SOLUTION */
// Digits are produced backwards into a small buffer, then emitted padded.
static int emit_number(format_putc_fn putc, void *ctx, uint64_t v, unsigned base, bool upper,
                       struct spec sp, bool negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int len = 0;

	do {
		tmp[sizeof(tmp) - 1 - len++] = digits[v % base];
		v /= base;
	} while (v);
	return emit_padded(putc, ctx, tmp + sizeof(tmp) - len, len, sp, negative);
}
/* END LAB 0 SOLUTION */
/* BEGIN LAB 0 STUB
// TODO(lab 0): print v in the given base, honouring sp.width, sp.zero_pad
// and sp.left. Read lab-guides/lab0-boot.md, "Step 2: printing numbers".
static int emit_number(format_putc_fn putc, void *ctx, uint64_t v, unsigned base, bool upper,
		       struct spec sp, bool negative)
{
	(void)v, (void)base, (void)upper, (void)negative;
	return emit_padded(putc, ctx, "?", 1, sp, false);
}
END LAB 0 STUB */

int vformat(format_putc_fn putc, void *ctx, const char *fmt, va_list ap)
{
	int n = 0;

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putc(ctx, *fmt);
			n++;
			continue;
		}
		struct spec sp = {0, false, false};
		int longs = 0;
		bool size_t_arg = false;

		for (fmt++; *fmt == '0' || *fmt == '-'; fmt++) {
			if (*fmt == '0')
				sp.zero_pad = true;
			else
				sp.left = true;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			sp.width = sp.width * 10 + (*fmt - '0');
		for (; *fmt == 'l'; fmt++)
			longs++;
		if (*fmt == 'z') {
			size_t_arg = true;
			fmt++;
		}

		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = size_t_arg ? (int64_t)va_arg(ap, long)
			            : longs    ? (int64_t)va_arg(ap, long)
			                       : va_arg(ap, int);
			uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
			n += emit_number(putc, ctx, mag, 10, false, sp, v < 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = (size_t_arg || longs) ? va_arg(ap, unsigned long)
			                                   : va_arg(ap, unsigned int);
			n += emit_number(putc, ctx, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', sp,
			                 false);
			break;
		}
		case 'p': {
			uintptr_t v = (uintptr_t)va_arg(ap, void *);
			putc(ctx, '0');
			putc(ctx, 'x');
			n += 2;
			n += emit_number(putc, ctx, v, 16, false, sp, false);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);
			int len = 0;

			if (!s)
				s = "(null)";
			while (s[len])
				len++;
			sp.zero_pad = false;
			n += emit_padded(putc, ctx, s, len, sp, false);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			sp.zero_pad = false;
			n += emit_padded(putc, ctx, &c, 1, sp, false);
			break;
		}
		case '%':
			putc(ctx, '%');
			n++;
			break;
		case '\0':
			// a lone '%' at the end of the format: print it and stop
			putc(ctx, '%');
			return n + 1;
		default:
			// unknown conversion: show it as written so the bug is visible
			putc(ctx, '%');
			putc(ctx, *fmt);
			n += 2;
			break;
		}
	}
	return n;
}

struct buf_ctx {
	char *buf;
	size_t size;
	size_t len;
};

static void buf_putc(void *p, char c)
{
	struct buf_ctx *b = p;

	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

int vformat_buf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_ctx b = {buf, size, 0};
	int n = vformat(buf_putc, &b, fmt, ap);

	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}
