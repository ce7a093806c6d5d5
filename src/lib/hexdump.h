// One line of `hexdump -C`: the format of every dump the shell prints
// (`blk read`, `hexdump`), so graders and students read one format.
#ifndef LIB_HEXDUMP_H
#define LIB_HEXDUMP_H

#include <stddef.h>
#include <stdint.h>

// Offset, n (1..16) bytes in two groups of 8, and the bytes as ASCII
// between bars; a short line is padded to the same width.
void hexdump_line(uint64_t off, const uint8_t *p, size_t n);

#endif
