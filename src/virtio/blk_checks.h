// What the virtio-blk driver checks on every request: the caller's
// transfer before it goes to the device, and the device's status byte when
// it comes back. Inline, and in a header of their own, so that the request
// path (blk_req.c) and the bench's floor loop (blk_floor.c), which measures
// what these checks cost at the least, run the same code.
#ifndef VIRTIO_BLK_CHECKS_H
#define VIRTIO_BLK_CHECKS_H

#include "errno.h"
#include "mem.h"
#include "virtio/blk_state.h"

// What a request's status byte holds until the device writes it: not a
// status the spec defines, so a device that never writes it is seen.
#define VBLK_STATUS_UNWRITTEN 0xff

// Whether the device may be asked to do io. The common case, a read or
// a write, is tested first. blk_size is a power of two (read_config), so
// "len and the byte offset are multiples of the block size" is one mask:
// with 4096-byte blocks, sector 8 (byte 4096) and len 8192 pass, sector
// 1 (byte 512) or len 512 do not.
static inline int vblk_check_io(const struct vblk *v, const struct vblk_io *io)
{
	uint32_t type = io->type;

	if (type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_OUT) {
		if (type == VIRTIO_BLK_T_FLUSH)
			return 0;
		if (type == VIRTIO_BLK_T_GET_ID)
			return io->buf && io->len == VIRTIO_BLK_ID_BYTES ? 0 : -EINVAL;
		return -EINVAL;
	}
	if (io->len == 0 || ((io->len | (io->sector * SECTOR_SIZE)) & (v->blk_size - 1)))
		return -EINVAL;
	if (io->len > v->max_req)
		return -E2BIG;
	if (io->sector > v->capacity || io->len / SECTOR_SIZE > v->capacity - io->sector)
		return -ERANGE;
	if (type == VIRTIO_BLK_T_OUT && v->read_only)
		return -EROFS;
	if (!io->buf || !dma_addressable(io->buf, io->len))
		return -EFAULT;
	return 0;
}

// A finished request's result, from the status byte the device wrote
// (read once, after the used entry that says it is there) and the bytes
// it says it wrote (already checked against the chain's writable bytes).
// A read of 4096 bytes must come back with 4097 written, the data and the
// status byte:
//   status 0 (OK), written 4097   -> 0
//   status 0 (OK), written 1      -> -EIO: "done", but the data never came
//   status 1 (IOERR)              -> -EIO
//   status 2 (UNSUPP)             -> -ENOTSUP
//   status 0xff (never written)   -> -EPROTO, as any value the spec lacks
// GET_ID is exempt from the length test: a device may write the serial
// only up to its NUL (QEMU does), not all 20 bytes, and blk.c zeroes the
// buffer first.
static inline int vblk_status_result(const struct vblk_io *io, uint8_t status, uint32_t written)
{
	uint32_t expect = io->type == VIRTIO_BLK_T_IN ? io->len + 1 : 1;

	if (status == VIRTIO_BLK_S_OK)
		return written < expect && io->type != VIRTIO_BLK_T_GET_ID ? -EIO : 0;
	if (status == VIRTIO_BLK_S_IOERR)
		return -EIO;
	if (status == VIRTIO_BLK_S_UNSUPP)
		return -ENOTSUP;
	return -EPROTO;
}

#endif
