// What the benchmark commands (`bench`, `instret`) share: the bare loop,
// the fastest way to drive the disk, that the driver is measured against.
#ifndef BLK_BENCH_H
#define BLK_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vblk;
struct vblk_io;
struct virtq;

// Fill io[0..n-1] with reads of `size` bytes into buf (one buffer each)
// over a disk of `sectors`: sequential from 0, or at random size-aligned
// places drawn from *rng (xorshift64, so a seed gives the same places).
void bench_fill(struct vblk_io *io, int n, uint32_t size, bool random, uint8_t *buf,
                uint64_t sectors, uint64_t *rng);

// n requests and a buffer of n * size bytes for them, in DMA memory
// (bench_reads.c): 0, or -ENOMEM with nothing held. Give both back with
// bench_reads_free (also safe after a failed alloc).
struct bench_reads {
	struct vblk_io *io;
	uint8_t *buf;
	size_t io_bytes, buf_bytes;
};
int bench_reads_alloc(struct bench_reads *r, int n, uint32_t size);
void bench_reads_free(struct bench_reads *r);

// What one run took: time CSR ticks and instructions retired, the latter
// less the instructions spent polling an empty ring (exact under -icount).
struct bench_cost {
	uint64_t ticks;
	uint64_t instret;
};

// Read io[0..n-1] (type IN; each entry's sector and len, all len alike)
// on device v with at most `depth` in flight, the way nothing else in the
// kernel may: the driver's queue is borrowed, one 3-descriptor chain is built per
// depth slot before the clock starts, and from then on a request is its
// header's sector and its head republished in the available ring. No
// checks, no bookkeeping, one notification per batch. Every request lands
// in one of io[0..depth-1].buf, the buffers of the prebuilt chains. Returns 0 or -errno; the device is reset on a
// timeout.
int bare_run(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost);
// The same, except that each request's data lands in its own io[k].buf, as
// a driver's caller asks, rather than in one of the depth prebuilt
// buffers: one store more a request (the data descriptor's address). The
// two loops side by side say what the place the data lands costs the
// device (bench: minimal_bufs_qd1, minimal_bufs_qd32). Split ring only
// (-ENOTSUP on a packed one).
int bare_run_bufs(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost);

// The same on a packed ring, called by bare_run with the borrowed queue,
// which it hands back (bench_bare_packed.c): one ring slot per request,
// pointing at the buffer ID's prebuilt indirect table (without indirect
// descriptors, the three descriptors written into the ring each time).
int bare_run_packed(struct vblk *v, struct virtq *vq, struct vblk_io *io, int n, int depth,
                    struct bench_cost *cost);

// The floor loop (src/virtio/blk_floor.c): the same transfers, with what
// any complete driver must do per request and no more. Each request is
// checked as vblk_run checks it, described in its own chain (header,
// the caller's buffer, status), and every used entry and status byte is
// checked as the driver checks them; each io gets its result. Split ring
// only (-ENOTSUP on a packed one). Returns 0 or the first error; the
// device is reset on a timeout or a protocol error.
int floor_run(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost);

// One request's header and status (the split loop indexes them by the
// chain's head descriptor, the packed loop by buffer ID).
struct bare_slot {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
	uint8_t status;
	uint8_t pad[15];
};

#endif
