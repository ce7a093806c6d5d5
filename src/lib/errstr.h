// A sentence for an error number, for the person at the shell. Separate
// from errno.h so host tools, which have the C library's errno.h, can use
// it too.
#ifndef LIB_ERRSTR_H
#define LIB_ERRSTR_H

const char *errstr(int err);

#endif
