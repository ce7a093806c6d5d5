// Error numbers. Every fallible kernel function returns 0 (or a count) on
// success and a negative errno on failure, so a caller can pass the value
// up unchanged until someone prints errstr() of it.
#ifndef ERRNO_H
#define ERRNO_H

#define ENOENT       2   // no such file or directory
#define EIO          5   // the device reported an I/O error
#define ENXIO        6   // no such device or address
#define EAGAIN       11  // not yet: the device has not answered, try again
#define E2BIG        7   // request larger than the device accepts
#define ENOMEM       12  // out of (DMA) memory
#define EFAULT       14  // buffer address the device cannot use
#define EBUSY        16  // resource in use
#define EEXIST       17  // already exists
#define ENODEV       19  // no such device
#define ENOTDIR      20  // not a directory
#define EISDIR       21  // is a directory
#define EINVAL       22  // invalid argument
#define EFBIG        27  // too large
#define ENOSPC       28  // no free descriptors in the queue
#define EROFS        30  // read-only device
#define ERANGE       34  // outside the device or the record
#define ENAMETOOLONG 36  // name too long
#define ENOSYS       38  // not implemented (a handout stub)
#define ELOOP        40  // too many symbolic links
#define EPROTO       71  // the device broke the protocol
#define EBADMSG      74  // corrupt on-disk data
#define ENOTSUP      95  // operation or feature not supported
#define ETIMEDOUT    110 // the device did not answer in time
#define ECANCELED    125 // request abandoned by a device reset

#include "lib/errstr.h"

#endif
