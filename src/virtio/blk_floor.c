// The floor loop behind `instret` and `bench`: the least a complete
// virtio-blk driver can do per request, measured beside the bare loop
// (src/blk/bench_bare.c) so that the distance between them is a figure,
// not an estimate. Where the bare loop republishes prebuilt chains into
// the same few buffers and believes whatever the device writes, this loop
// does for every request what any driver must do for a caller:
//   - checks the caller's transfer, with the driver's own vblk_check_io,
//   - describes that transfer (its header, and its buffer, length and
//     direction in the data descriptor), since each caller's request
//     lands somewhere else,
//   - checks each used entry as split_get_used does (the index not ahead
//     of the chains in flight, the id a head in flight, the length within
//     the chain's writable bytes),
//   - and turns the status byte into the caller's result, with the
//     driver's own vblk_status_result.
// It leaves out what this driver adds on top: the layers (block driver,
// virtqueue API, ring, transport ops), the counters `blk` and `vq` print,
// request slots searched for and slot chains rebuilt, messages. Like the
// bare loop it takes the driver's queue while idle, split ring only, and
// hands it back as the driver would have left it.
#include "blk/bench.h"
#include "blk/bench_ring.h"
#include "errno.h"
#include "hw/barrier.h"
#include "hw/instret.h"
#include "hw/time.h"
#include "hotpath.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/blk_checks.h"
#include "virtio/blk_state.h"

#define FLOOR_TIMEOUT_US 5000000
#define FLOOR_DEPTH_MAX  64 // the deepest `bench` asks for

/* BEGIN LAB 4 SOLUTION */
// What the loop knows of one chain in flight, by head descriptor.
struct floor_head {
	struct vblk_io *io; // the caller's transfer; NULL: not in flight
	uint32_t writable;  // bytes the device may write into the chain
};

// Describe the caller's transfer in head h's chain and put it in the
// available ring. The floor handles what the bench sends, a read or a
// write of one data descriptor; anything else is refused, not sent.
static int put(struct virtq *vq, struct bare_slot *hdr, struct floor_head *fh, uint16_t h,
               struct vblk_io *io, uint32_t seg_size)
{
	bool in = io->type == VIRTIO_BLK_T_IN;
	if ((!in && io->type != VIRTIO_BLK_T_OUT) || io->len > seg_size)
		return -ENOTSUP;
	hdr[h].type = io->type;
	hdr[h].sector = io->sector;
	hdr[h].status = VBLK_STATUS_UNWRITTEN;
	struct virtq_desc *d = &vq->desc[h + 1];
	d->addr = virt_to_phys(io->buf);
	d->len = io->len;
	d->flags = in ? VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT : VIRTQ_DESC_F_NEXT;
	fh[h] = (struct floor_head){io, in ? io->len + 1 : 1};
	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = h;
	vq->avail_idx++;
	return 0;
}

// Take every used entry up to `used`, checked as split_get_used checks
// them; each puts its head back on `idle_heads`. Returns how many, or -EPROTO.
static int take(struct virtq *vq, struct bare_slot *hdr, struct floor_head *fh, uint16_t *seen,
                uint16_t used, int in_flight, uint16_t *idle_heads, int *nfree)
{
	uint16_t pending = (uint16_t)(used - *seen);
	if (pending > in_flight)
		return -EPROTO; // more entries than chains in flight
	// the used entries after the index that published them (2.7.14)
	virt_rmb();
	for (uint16_t k = 0; k < pending; k++, (*seen)++) {
		struct virtq_used_elem *e = &vq->used->ring[*seen & (vq->num - 1)];
		uint32_t id = READ_ONCE(e->id), written = READ_ONCE(e->len);
		if (id >= vq->num || !fh[id].io)
			return -EPROTO; // not the head of a chain in flight
		if (written > fh[id].writable) {
			if (!vq->legacy)
				return -EPROTO;
			written = fh[id].writable; // 2.7.8.1: legacy may count it all
		}
		struct vblk_io *io = fh[id].io;
		io->result = vblk_status_result(io, READ_ONCE(hdr[id].status), written);
		fh[id].io = 0;
		idle_heads[(*nfree)++] = (uint16_t)id;
	}
	return pending;
}

HOT_LOOP int floor_run(struct vblk *v, struct vblk_io *io, int n, int depth,
                       struct bench_cost *cost)
{
	if (n < 1)
		return -EINVAL; // nothing to time
	struct virtq *vq = vblk_borrow_queue(v);
	if (!vq)
		return -EBUSY;
	if (vq->packed) {
		// the chains below are a split ring's descriptors (direct ones,
		// which a device takes whether or not it offered indirect)
		vblk_return_queue(v, 0);
		return -ENOTSUP;
	}
	if (depth > vq->num / 3)
		depth = vq->num / 3;
	if (depth > FLOOR_DEPTH_MAX)
		depth = FLOOR_DEPTH_MAX;
	if (depth > n)
		depth = n;
	size_t hdr_bytes = sizeof(struct bare_slot) * vq->num;
	size_t fh_bytes = sizeof(struct floor_head) * vq->num;
	struct bare_slot *hdr = dma_alloc(hdr_bytes);
	struct floor_head *fh = dma_alloc(fh_bytes);
	if (!hdr || !fh || depth < 1) {
		dma_free(hdr, hdr_bytes);
		dma_free(fh, fh_bytes);
		vblk_return_queue(v, 0);
		return -ENOMEM;
	}
	memset(hdr, 0, hdr_bytes);
	memset(fh, 0, fh_bytes);
	// before the clock: each depth slot's chain linked, its header and
	// status descriptors filled; a request fills the data descriptor
	uint16_t idle_heads[FLOOR_DEPTH_MAX]; // heads not in flight
	int nfree = 0;
	for (int k = depth - 1; k >= 0; k--) {
		uint16_t h = (uint16_t)(3 * k);
		vq->desc[h] = (struct virtq_desc){virt_to_phys(&hdr[h]), 16, VIRTQ_DESC_F_NEXT,
		                                  (uint16_t)(h + 1)};
		vq->desc[h + 1].next = (uint16_t)(h + 2);
		vq->desc[h + 2] =
		    (struct virtq_desc){virt_to_phys(&hdr[h].status), 1, VIRTQ_DESC_F_WRITE, 0};
		idle_heads[nfree++] = h;
	}

	uint64_t t0 = time_now(), i0 = instret_now(), idle = 0;
	uint64_t deadline = t0 + time_us_to_ticks(FLOOR_TIMEOUT_US);
	uint16_t seen = vq->last_used;
	int next = 0, in_flight = 0, sent = 0, err = 0;

	while (next < n || in_flight) {
		uint16_t old = vq->avail_idx;
		for (; nfree && next < n; next++) {
			int bad = vblk_check_io(v, &io[next]);
			if (!bad)
				bad =
				    put(vq, hdr, fh, idle_heads[nfree - 1], &io[next], v->seg_size);
			if (bad) {
				io[next].result = bad;
				continue;
			}
			nfree--;
			in_flight++;
			sent++;
		}
		if (vq->avail_idx != old)
			bench_publish(vq, old);
		if (!in_flight)
			continue; // everything left was refused
		uint16_t used = bench_wait_used(vq, seen, deadline, &idle);
		if (used == seen) {
			err = -ETIMEDOUT;
			break;
		}
		int got = take(vq, hdr, fh, &seen, used, in_flight, idle_heads, &nfree);
		if (got < 0) {
			err = got;
			break;
		}
		in_flight -= got;
	}
	cost->instret = instret_now() - i0 - idle;
	cost->ticks = time_now() - t0;

	// hand the queue back as the driver would have left it
	vq->last_used = seen;
	vq->added += (uint64_t)sent;
	vq->completed += (uint64_t)(sent - in_flight);
	if (err < 0) {
		// what was in flight or never sent gets no answer now
		for (uint16_t h = 0; h < vq->num; h++)
			if (fh[h].io)
				fh[h].io->result = -ECANCELED;
		for (int i = next; i < n; i++)
			io[i].result = -ECANCELED;
	}
	for (int i = 0; err == 0 && i < n; i++)
		if (io[i].result < 0)
			err = io[i].result; // the first error, looked for after the clock
	dma_free(hdr, hdr_bytes);
	dma_free(fh, fh_bytes);
	// a broken or silent device is reset, as the driver would
	vblk_return_queue(v, err == -ETIMEDOUT || err == -EPROTO ? err : 0);
	return err;
}
/* END LAB 4 SOLUTION */
/* BEGIN LAB 4 STUB
// The floor loop is lab 4's request path in its smallest form, so it
// comes with lab 4's solution; until then `bench` and `instret` say so.
int floor_run(struct vblk *v, struct vblk_io *io, int n, int depth, struct bench_cost *cost)
{
	(void)v, (void)io, (void)n, (void)depth, (void)cost;
	return -ENOSYS;
}
END LAB 4 STUB */
