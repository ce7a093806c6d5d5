// Sentences for error numbers, written for the person at the shell.
#include "errno.h"

const char *errstr(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0: return "success";
	case ENOENT: return "no such file or directory";
	case EIO: return "I/O error reported by the device";
	case ENXIO: return "no such device or address";
	case EAGAIN: return "no answer yet, try again";
	case E2BIG: return "request too large for the device";
	case ENOMEM: return "out of memory";
	case EFAULT: return "bad buffer address";
	case EBUSY: return "device or resource busy";
	case EEXIST: return "already exists";
	case ENODEV: return "no such device";
	case ENOTDIR: return "not a directory";
	case EISDIR: return "is a directory";
	case EINVAL: return "invalid argument";
	case EFBIG: return "too large";
	case ENOSPC: return "no free descriptors in the queue";
	case EROFS: return "device is read-only";
	case ERANGE: return "out of range";
	case ENAMETOOLONG: return "name too long";
	case ENOSYS: return "not implemented yet";
	case ELOOP: return "too many levels of symbolic links";
	case EPROTO: return "device broke the virtio protocol";
	case EBADMSG: return "corrupt file system";
	case ENOTSUP: return "not supported";
	case ETIMEDOUT: return "device timed out";
	case ECANCELED: return "request cancelled by device reset";
	default: return "unknown error";
	}
}
