// Parsing numbers from text: the shell's arguments and the boot arguments.
#ifndef LIB_NUMBER_H
#define LIB_NUMBER_H

// An unsigned number in decimal or 0x-prefixed hex. Returns 0, -EINVAL if
// malformed or -ERANGE if it does not fit.
int parse_u64(const char *s, unsigned long *out);

#endif
