// The fallback disk: when no virtio-blk device is found, the kernel serves
// a copy of the course's sample EclipseFS image, built into the kernel.
#ifndef BLK_RAMDISK_H
#define BLK_RAMDISK_H

struct blkdev *ramdisk_init(void);

#endif
