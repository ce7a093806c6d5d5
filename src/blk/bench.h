// What the benchmark commands (`bench`, `instret`) share: the bare loop,
// the fastest way to drive the disk, that the driver is measured against.
#ifndef BLK_BENCH_H
#define BLK_BENCH_H

#include <stdbool.h>
#include <stdint.h>

struct vblk;
struct vblk_io;

// Fill io[0..n-1] with reads of `size` bytes into buf (one buffer each)
// over a disk of `sectors`: sequential from 0, or at random size-aligned
// places drawn from *rng (xorshift64, so a seed gives the same places).
void bench_fill(struct vblk_io *io, int n, uint32_t size, bool random, uint8_t *buf,
                uint64_t sectors, uint64_t *rng);

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
// checks, no bookkeeping, one notification per batch. Request k lands in
// io[k % depth].buf. Returns 0 or -errno; the device is reset on a
// timeout.
int bare_run(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost);

#endif
