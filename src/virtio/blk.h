// The virtio-blk driver (spec 5.2): requests as header + data + status
// chains on queue 0, any number in flight, completions by polling or by
// interrupt, every failure turned into an error the caller can print.
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

// Request types (spec 5.2.6)
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

// Feature bits (spec 5.2.3)
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_ID_BYTES 20

// One transfer for vblk_run: the caller fills the first four fields, the
// driver sets result (0 or -errno) when it completes.
struct vblk_io {
	uint32_t type;   // VIRTIO_BLK_T_*
	uint64_t sector; // in 512-byte units
	void *buf;       // data (NULL for FLUSH)
	uint32_t len;    // bytes
	int result;
};

struct vblk;
struct blkdev;

// Find every virtio-blk device (in discovery order), initialise each and
// register it as a block device named vda, vdb, ... Prints the lab 2-4
// checkpoint lines. Returns 0 if at least one came up, or -errno for the
// first device's failure when none did (-ENODEV: there is none).
int vblk_probe(void);
// The devices that came up, in order: vblk_next(NULL) is the first.
struct vblk *vblk_next(struct vblk *prev);
// The virtio-blk device behind a block device, or NULL if it is another.
struct vblk *vblk_of(struct blkdev *bd);
struct blkdev *vblk_blkdev(struct vblk *v);
// The device is working (a failed recovery takes it out of service).
bool vblk_present(struct vblk *v);
// The PLIC source the device interrupts on, or -ENODEV.
int vblk_irq(struct vblk *v);
// Tests only (`faultinject kick N`): the device's nth notification from
// now is not sent (vdev_lose_notify); 0 takes a pending one off. -ENODEV
// without a device.
int vblk_lose_notify(struct vblk *v, unsigned nth);

// Run n transfers with at most `depth` in flight at once, completing them
// in whatever order the device finishes; waits for free descriptors when
// the queue is full. Returns 0, or the first error (each io has its own).
int vblk_run(struct vblk *v, struct vblk_io *io, int n, int depth);
// Read or write len bytes (any multiple of the block size), split into
// requests within the device's limits and all sent at once.
int vblk_rw(struct vblk *v, uint32_t type, uint64_t sector, void *buf, uint64_t len);

// Run-time switches for every device (`blk mode`, boot arguments):
// completions by polling or by interrupt, and the request timeout.
// Interrupt mode can be chosen only after the boot has given every disk's
// interrupt its handler and turned interrupts on (vblk_irqs_ready, from
// main.c). Before that, or where that never happens (no PLIC, a line wired
// elsewhere, a handout before lab 7), vblk_set_polling(false) leaves the
// disks polling, since a waiter asleep for an interrupt nobody sends
// wakes only for its timer; vblk_polling() says which mode holds.
void vblk_irqs_ready(void);
void vblk_set_polling(bool poll);
bool vblk_polling(void);
void vblk_set_timeout_ms(uint32_t ms);
// The interrupt handler of one device (irq_register's argument is the
// struct vblk *): acknowledges its interrupt status, counts completions,
// and handles a configuration change.
void vblk_interrupt(void *vblk);

// For `bench` and `instret` (src/blk/bench_cmd.c, bench_bare.c and
// instret_cmd.c). Instructions vblk_run spent polling an empty used ring,
// so far, on every device: they measure the device's speed, not the
// driver's. And the bare loop's access to a
// device's queue: lend it out while nothing is in flight (NULL otherwise),
// interrupts off; take it back, rebuilding the request slots' chains the
// borrower wrote over, or resetting the device if the borrower failed
// (err < 0).
uint64_t vblk_idle_instret(void);
struct virtq *vblk_borrow_queue(struct vblk *v);
void vblk_return_queue(struct vblk *v, int err);

// Print the device's facts for the `blk` command.
void vblk_info(struct vblk *v);
void vblk_dump_queue(struct vblk *v);

// For tests: tear every device down (reset it, free the rings).
void vblk_remove(void);

#endif
