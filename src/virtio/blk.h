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

// Find the first virtio-blk device, initialise it and register it as a
// block device. Prints the lab 2-4 checkpoint lines. Returns 0 or -errno.
int vblk_probe(void);
bool vblk_present(void);
// The PLIC source the device interrupts on, or -ENODEV.
int vblk_irq(void);

// Run n transfers with at most `depth` in flight at once, completing them
// in whatever order the device finishes; waits for free descriptors when
// the queue is full. Returns 0, or the first error (each io has its own).
int vblk_run(struct vblk_io *io, int n, int depth);
// Read or write len bytes (any multiple of the block size), split into
// requests within the device's limits and all sent at once.
int vblk_rw(uint32_t type, uint64_t sector, void *buf, uint64_t len);

// Run-time switches (`blk mode`, boot arguments): completions by polling
// or by interrupt, and the request timeout.
void vblk_set_polling(bool poll);
bool vblk_polling(void);
void vblk_set_timeout_ms(uint32_t ms);
// The driver's interrupt handler (trap.c calls it for the device's IRQ).
void vblk_interrupt(void);

// For `bench` and `instret` (src/blk/bench_*.c). Instructions vblk_run
// spent polling an empty used ring, so far: they measure the device's
// speed, not the driver's. And the bare loop's access to the queue: lend
// it out while nothing is in flight (NULL otherwise), interrupts off;
// take it back, resetting the device if the borrower failed (err < 0).
uint64_t vblk_idle_instret(void);
struct virtq *vblk_borrow_queue(void);
void vblk_return_queue(int err);

// Print the device's facts for the `blk` command.
void vblk_info(void);
void vblk_dump_queue(void);

// For tests: tear down (reset the device, free the rings).
void vblk_remove(void);

#endif
