// The reads every bench command times: n requests of one size over the
// disk, each into its own part of one buffer, and the memory they take.
#include "blk/bench.h"
#include "errno.h"
#include "mem.h"
#include "virtio/blk.h"

void bench_fill(struct vblk_io *io, int n, uint32_t size, bool random, uint8_t *buf,
                uint64_t sectors, uint64_t *rng)
{
	uint64_t per = size / 512, places = sectors / per;

	for (int i = 0; i < n; i++) {
		uint64_t s = (uint64_t)i * per;
		if (random) {
			*rng ^= *rng << 13;
			*rng ^= *rng >> 7;
			*rng ^= *rng << 17;
			s = (*rng % places) * per;
		}
		io[i] = (struct vblk_io){VIRTIO_BLK_T_IN, s, buf + (size_t)i * size, size, 0};
	}
}

int bench_reads_alloc(struct bench_reads *r, int n, uint32_t size)
{
	*r = (struct bench_reads){.io_bytes = sizeof(struct vblk_io) * (size_t)n,
	                          .buf_bytes = (size_t)size * (size_t)n};
	r->io = dma_alloc(r->io_bytes);
	r->buf = dma_alloc(r->buf_bytes);
	if (r->io && r->buf)
		return 0;
	bench_reads_free(r);
	return -ENOMEM;
}

void bench_reads_free(struct bench_reads *r)
{
	dma_free(r->io, r->io_bytes);
	dma_free(r->buf, r->buf_bytes);
	r->io = 0;
	r->buf = 0;
}
