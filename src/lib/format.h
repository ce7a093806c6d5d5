// The printf engine behind kprintf and ksnprintf, separate from any output
// device so the host unit tests can check it.
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_putc_fn)(void *ctx, char c);

// Format into putc(ctx, c) one character at a time; returns the count.
int vformat(format_putc_fn putc, void *ctx, const char *fmt, va_list ap);
// Like vsnprintf: always NUL-terminates when size > 0; returns the length
// the full output would have had.
int vformat_buf(char *buf, size_t size, const char *fmt, va_list ap);

#endif
