// Parsing numbers from text: the shell's arguments and the boot arguments.
#ifndef LIB_NUMBER_H
#define LIB_NUMBER_H

// An unsigned number in decimal or 0x-prefixed hex. Returns 0, -EINVAL if
// malformed or -ERANGE if it does not fit.
int parse_u64(const char *s, unsigned long *out);
// The same, and -ERANGE above max: for a value that is stored in a
// narrower type or means nothing beyond a limit, so that what is typed is
// what is used ("poweroff 256" must not become status 0).
int parse_u64_max(const char *s, unsigned long max, unsigned long *out);

#endif
