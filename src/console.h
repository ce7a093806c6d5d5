// Console output. kprintf understands %d %i %u %x %X %p %s %c %%, with the
// l and ll length modifiers, z for size_t, a field width, '0' padding and
// '-' for left alignment.
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

// One character to the console; the platform provides it.
void console_putc(char c);

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// Print the message and where it came from (file, line, function), then
// end QEMU with a failure status so a grader never mistakes a panic for
// success.
#define panic(...) panic_at(__FILE__, __LINE__, __func__, __VA_ARGS__)
void panic_at(const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

#endif
