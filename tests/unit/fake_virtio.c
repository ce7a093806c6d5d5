// The fake virtio-mmio device (see fake_virtio.h). The driver's memory is
// the host's: a ring address the driver gives is a pointer here, which is
// why the rings must come from dma_alloc (below 4 GiB, so a legacy QueuePFN
// can name them) and are checked to lie in DMA memory before the device
// reads them. Everything the device reads from the rings is the driver's
// word and is bounds-checked first, as a real device must.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "fake_mmio.h"
#include "fake_packed.h"
#include "fake_virtio.h"
#include "host_kernel.h"
#include "virtio/blk.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

#define BLK_S_OK     0
#define BLK_S_IOERR  1
#define BLK_S_UNSUPP 2
#define SECTOR       512

static struct fake_virtio *devs[FAKE_SLOTS];
static uint64_t host_barriers; // virt_wmb and virt_mb calls so far (host_barrier)

// --- complaints ---------------------------------------------------------------

// The driver broke the protocol: count it, keep the first sentence, and
// say it in the log where a failing test prints it.
void driver_bug(struct fake_virtio *fv, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!fv->errors++)
		snprintf(fv->error, sizeof(fv->error), "%s", msg);
	kprintf("fake-virtio slot %d: DRIVER ERROR: %s\n", fv->slot, msg);
}

// A queue the driver corrupted: a real device (QEMU's virtio_error) stops
// it and asks for a reset.
void queue_broken(struct fake_virtio *fv, struct fv_queue *q)
{
	q->broken = true;
	fake_virtio_set_needs_reset(fv);
}

// --- memory the driver shares with us ----------------------------------------

static uint16_t ld16(uint64_t a)
{
	return __atomic_load_n((uint16_t *)(uintptr_t)a, __ATOMIC_ACQUIRE);
}

static void st16(uint64_t a, uint16_t v)
{
	__atomic_store_n((uint16_t *)(uintptr_t)a, v, __ATOMIC_RELEASE);
}

static void st32(uint64_t a, uint32_t v)
{
	__atomic_store_n((uint32_t *)(uintptr_t)a, v, __ATOMIC_RELEASE);
}

static struct virtq_desc ld_desc(uint64_t table, uint32_t i)
{
	struct virtq_desc d;

	memcpy(&d, (void *)(uintptr_t)(table + 16ULL * i), sizeof(d));
	return d;
}

bool fv_has_feature(const struct fake_virtio *fv, unsigned bit)
{
	return (fv->driver_features >> bit) & 1;
}

static bool has_feature(const struct fake_virtio *fv, unsigned bit)
{
	return fv_has_feature(fv, bit);
}

// Field addresses in the driver's rings, from the spec's layouts (2.7.6,
// 2.7.8): avail is flags, idx, ring[num], then used_event; used is flags,
// idx, ring[num] of struct virtq_used_elem, then avail_event.
static uint64_t avail_ring(const struct fv_queue *q, uint32_t i)
{
	return q->avail_addr + offsetof(struct virtq_avail, ring) + sizeof(uint16_t) * (i % q->num);
}

static uint64_t used_event_addr(const struct fv_queue *q)
{
	return q->avail_addr + offsetof(struct virtq_avail, ring) + sizeof(uint16_t) * q->num;
}

static uint64_t used_elem_addr(const struct fv_queue *q, uint32_t i)
{
	return q->used_addr + offsetof(struct virtq_used, ring) +
	       sizeof(struct virtq_used_elem) * (i % q->num);
}

static uint64_t avail_event_addr(const struct fv_queue *q)
{
	return q->used_addr + offsetof(struct virtq_used, ring) +
	       sizeof(struct virtq_used_elem) * q->num;
}

// --- queues ---------------------------------------------------------------------

static void queue_drop(struct fv_queue *q)
{
	free(q->owner);
	free(q->reqs);
	free(q->pending);
	free(q->published);
	q->owner = q->pending = q->published = NULL;
	q->published_idx = 0;
	q->reqs = NULL;
	q->npending = 0;
	q->live = q->broken = q->signalled_valid = q->packed = q->wrong_wrap = false;
	q->last_avail = q->used_idx = q->signalled_used = 0;
}

// Forget what the driver programmed; keep the test's settings and the counters.
static void queue_reset(struct fv_queue *q)
{
	queue_drop(q);
	q->num = q->ready = q->pfn = q->align = 0;
	q->desc = q->driver = q->device = 0;
	q->desc_addr = q->avail_addr = q->used_addr = 0;
}

// The driver says the queue is ready (QueueReady = 1, or a legacy QueuePFN):
// check what it programmed before believing any of it.
static void queue_go_live(struct fake_virtio *fv, struct fv_queue *q)
{
	uint32_t n = q->num;

	q->packed = has_feature(fv, VIRTIO_F_RING_PACKED);
	if (q->packed && (n == 0 || n > q->num_max || n > 32768)) {
		driver_bug(fv, "queue %u: QueueNum %u of a packed ring (QueueNumMax %u)",
		           fv->queue_sel, n, q->num_max);
		return;
	}
	if (q->packed) {
		if (!fp_check_areas(fv, q))
			return;
	} else if (n == 0 || n > q->num_max || (n & (n - 1))) {
		driver_bug(fv,
		           "queue %u: QueueNum %u (QueueNumMax %u) is not a power of two within "
		           "the maximum",
		           fv->queue_sel, n, q->num_max);
		return;
	} else if (q->desc_addr % 16 || q->avail_addr % 2 || q->used_addr % 4) {
		driver_bug(fv, "queue %u: ring alignment wrong: desc 0x%lx avail 0x%lx used 0x%lx",
		           fv->queue_sel, (unsigned long)q->desc_addr, (unsigned long)q->avail_addr,
		           (unsigned long)q->used_addr);
		return;
	} else if (!host_dma_owns((void *)(uintptr_t)q->desc_addr, 16UL * n) ||
	           !host_dma_owns((void *)(uintptr_t)q->avail_addr, 6 + 2UL * n) ||
	           !host_dma_owns((void *)(uintptr_t)q->used_addr, 6 + 8UL * n)) {
		driver_bug(
		    fv, "queue %u: a ring is not in DMA memory: desc 0x%lx avail 0x%lx used 0x%lx",
		    fv->queue_sel, (unsigned long)q->desc_addr, (unsigned long)q->avail_addr,
		    (unsigned long)q->used_addr);
		return;
	}
	q->owner = calloc(n, sizeof(*q->owner));
	q->reqs = calloc(n, sizeof(*q->reqs));
	q->pending = calloc(n, sizeof(*q->pending));
	q->published = calloc(n, sizeof(*q->published));
	if (!q->owner || !q->reqs || !q->pending || !q->published)
		abort();
	q->barriers_then = host_barriers;
	q->live = true;
	// 2.8.1: both sides' wrap counters start at 1
	q->avail_wrap = q->used_wrap = true;
}

// --- taking chains from the available ring (spec 2.7.5, 2.7.13) ----------------

bool add_seg(struct fake_virtio *fv, struct fv_req *r, uint64_t addr, uint32_t len, bool write,
             bool *seen_write)
{
	if (len == 0) {
		driver_bug(fv, "chain %u: a zero-length buffer", r->head);
		return false;
	}
	if (!write && *seen_write) {
		driver_bug(fv, "chain %u: a device-readable buffer after a device-writable one",
		           r->head);
		return false;
	}
	if (addr == 0) {
		driver_bug(fv, "chain %u: a buffer at address 0", r->head);
		return false;
	}
	if (r->nseg == FV_MAX_SEGS) {
		driver_bug(fv, "chain %u: more than %d buffers", r->head, FV_MAX_SEGS);
		return false;
	}
	*seen_write |= write;
	r->seg[r->nseg++] = (struct fv_seg){addr, len, write};
	if (write)
		r->writable += len;
	else
		r->readable += len;
	return true;
}

// Walk the chain at `head` into r, claiming its descriptors. False (and a
// complaint) if the driver wrote something no device may accept.
static bool parse_chain(struct fake_virtio *fv, struct fv_queue *q, uint16_t head, struct fv_req *r)
{
	bool seen_write = false;
	uint32_t i = head, steps = 0;

	memset(r, 0, sizeof(*r));
	r->head = head;
	if (head >= q->num) {
		driver_bug(fv, "available ring names descriptor %u of %u", head, q->num);
		return false;
	}
	for (;;) {
		if (q->owner[i] == head + 1 || ++steps > q->num) {
			driver_bug(fv, "chain %u loops back to descriptor %u", head, i);
			return false;
		}
		if (q->owner[i]) {
			driver_bug(fv, "descriptor %u is already part of chain %u in flight", i,
			           q->owner[i] - 1);
			return false;
		}
		q->owner[i] = (uint16_t)(head + 1);
		struct virtq_desc d = ld_desc(q->desc_addr, i);
		if (d.flags & ~(VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT)) {
			driver_bug(fv, "descriptor %u has unknown flags 0x%x", i, d.flags);
			return false;
		}
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			// spec 2.7.5.3: only with the feature, never with NEXT (so
			// it ends the chain), a whole number of descriptors, no
			// indirect inside, and the whole chain no longer than the
			// queue (2.7.5.3.1); the WRITE flag here is ignored
			if (!has_feature(fv, VIRTIO_F_INDIRECT_DESC)) {
				driver_bug(fv,
				           "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
				return false;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				driver_bug(fv, "indirect descriptor %u with NEXT", i);
				return false;
			}
			if (d.len == 0 || d.len % 16) {
				driver_bug(fv, "indirect table of %u bytes", d.len);
				return false;
			}
			if (steps - 1 + d.len / 16 > q->num) {
				driver_bug(
				    fv, "chain %u of %u descriptors is longer than the queue (%u)",
				    head, steps - 1 + d.len / 16, q->num);
				return false;
			}
			if (!host_dma_owns((void *)(uintptr_t)d.addr, d.len)) {
				driver_bug(fv, "indirect table at 0x%lx is not DMA memory",
				           (unsigned long)d.addr);
				return false;
			}
			r->indirect = true;
			uint32_t n = d.len / 16, j = 0;
			for (uint32_t k = 0;; k++) {
				if (k >= n) {
					driver_bug(fv,
					           "indirect chain %u loops or runs off its table",
					           head);
					return false;
				}
				struct virtq_desc e = ld_desc(d.addr, j);
				if (e.flags & VIRTQ_DESC_F_INDIRECT) {
					driver_bug(fv,
					           "indirect descriptor inside an indirect table");
					return false;
				}
				if (!add_seg(fv, r, e.addr, e.len, e.flags & VIRTQ_DESC_F_WRITE,
				             &seen_write))
					return false;
				if (!(e.flags & VIRTQ_DESC_F_NEXT))
					break;
				if (e.next >= n) {
					driver_bug(fv, "indirect next %u outside a %u-entry table",
					           e.next, n);
					return false;
				}
				j = e.next;
			}
			return true;
		}
		if (!add_seg(fv, r, d.addr, d.len, d.flags & VIRTQ_DESC_F_WRITE, &seen_write))
			return false;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return true;
		if (d.next >= q->num) {
			driver_bug(fv, "descriptor %u: next %u outside the table", i, d.next);
			return false;
		}
		i = d.next;
	}
}

static void release_chain(struct fv_queue *q, uint16_t head)
{
	for (uint32_t i = 0; i < q->num; i++)
		if (q->owner[i] == head + 1)
			q->owner[i] = 0;
}

void fake_virtio_fetch(struct fake_virtio *fv, int qi)
{
	struct fv_queue *q = &fv->q[qi];

	if (!q->live || q->broken || (fv->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return;
	if (q->packed) {
		fp_fetch(fv, q);
		return;
	}
	uint16_t avail_idx = ld16(q->avail_addr + offsetof(struct virtq_avail, idx));
	if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
		driver_bug(fv, "available index %u is more than %u ahead of %u", avail_idx, q->num,
		           q->last_avail);
		queue_broken(fv, q);
		return;
	}
	while (q->last_avail != avail_idx) {
		uint16_t head = ld16(avail_ring(q, q->last_avail));
		if ((uint16_t)(q->published_idx - q->last_avail - 1) < q->num &&
		    q->published[q->last_avail % q->num] != head) {
			driver_bug(
			    fv,
			    "available ring entry %u held %u when avail->idx published it and %u "
			    "later: the entry must be written before the index (spec 2.7.13)",
			    q->last_avail, q->published[q->last_avail % q->num], head);
			queue_broken(fv, q);
			return;
		}
		q->last_avail++;
		struct fv_req r;
		if (!parse_chain(fv, q, head, &r)) {
			queue_broken(fv, q); // until the driver resets the device
			return;
		}
		q->reqs[head] = r;
		q->pending[q->npending++] = head;
		q->chains++;
		q->indirect_chains += r.indirect;
		if (q->npending > q->max_pending)
			q->max_pending = q->npending;
	}
	// spec 2.7.10: with EVENT_IDX, tell the driver when to notify next
	if (has_feature(fv, VIRTIO_F_EVENT_IDX))
		st16(avail_event_addr(q), (uint16_t)(q->last_avail + q->avail_event_ahead));
	else
		st16(q->used_addr, q->no_notify ? VIRTQ_USED_F_NO_NOTIFY : 0);
}

// --- what a device on another hart could see (hw/barrier.h's host hooks) -------

void host_barrier(void)
{
	host_barriers++;
}

// A WRITE_ONCE landed at p. If it is a live queue's avail->idx, remember
// the ring entries it publishes as they are at this moment: a concurrent
// device may read them now, so fake_virtio_fetch checks that they have not
// changed since. The descriptors and entries must also have been ordered
// before the index by a barrier (spec 2.7.13.3.1): with none since the
// queue's last publication, a weakly ordered hart could show the index first.
void host_shared_store(const volatile void *p)
{
	for (int s = 0; s < FAKE_SLOTS; s++) {
		struct fake_virtio *fv = devs[s];
		for (int qi = 0; fv && qi < FV_QUEUES; qi++) {
			struct fv_queue *q = &fv->q[qi];
			// (a packed ring has no avail->idx: its driver area is the
			// event suppression structure)
			if (q->live && q->packed)
				fp_shared_store(fv, q, p, host_barriers);
			if (!q->live || q->packed || (uintptr_t)p != q->avail_addr + 2)
				continue;
			uint16_t idx = ld16(q->avail_addr + 2);
			if (idx == q->published_idx)
				continue;
			if (host_barriers == q->barriers_then)
				driver_bug(
				    fv,
				    "queue %d: avail->idx %u published with no write barrier "
				    "since the last one: the device could see the index before "
				    "the ring entry (spec 2.7.13.3.1)",
				    qi, idx);
			q->barriers_then = host_barriers;
			for (uint16_t i = q->published_idx; i != idx; i++)
				q->published[i % q->num] = ld16(avail_ring(q, i));
			q->published_idx = idx;
		}
	}
}

// --- completing chains (spec 2.7.8, 2.7.10) --------------------------------------

bool fv_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

static void maybe_interrupt(struct fake_virtio *fv, struct fv_queue *q)
{
	bool raise;

	if (has_feature(fv, VIRTIO_F_EVENT_IDX)) {
		bool valid = q->signalled_valid;
		uint16_t old = q->signalled_used;
		q->signalled_valid = true;
		q->signalled_used = q->used_idx;
		raise = !valid || fv_need_event(ld16(used_event_addr(q)), q->used_idx, old);
	} else {
		raise = !(ld16(q->avail_addr) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	if (raise) {
		fv->int_status |= VIRTIO_ISR_VQ;
		fv->irqs++;
	}
}

static int pending_index(const struct fv_queue *q, uint32_t id)
{
	for (uint32_t k = 0; k < q->npending; k++)
		if (q->pending[k] == id)
			return (int)k;
	return -1;
}

// A used entry names chain `id`: whatever the device meant, the driver may
// now take it back and reuse its descriptors, so the device lets go of it.
void retire(struct fv_queue *q, uint32_t id)
{
	int k = id < q->num ? pending_index(q, id) : -1;

	if (k < 0)
		return;
	memmove(&q->pending[k], &q->pending[k + 1], (q->npending - k - 1) * sizeof(uint16_t));
	q->npending--;
	release_chain(q, (uint16_t)id);
}

static void push_used(struct fake_virtio *fv, struct fv_queue *q, uint32_t id, uint32_t len,
                      uint16_t step)
{
	if (q->packed) {
		fp_push_used(fv, q, id, len, step ? step : 1);
		return;
	}
	uint64_t e = used_elem_addr(q, q->used_idx);

	st32(e + offsetof(struct virtq_used_elem, id), id);
	st32(e + offsetof(struct virtq_used_elem, len), len);
	retire(q, id);
	// a jump publishes the stale entries it skips as well
	for (uint32_t i = 1; i < step && i <= q->num; i++)
		retire(q, *(uint32_t *)(uintptr_t)(used_elem_addr(q, (uint16_t)(q->used_idx + i)) +
		                                   offsetof(struct virtq_used_elem, id)));
	// the entry is visible before the index that publishes it
	q->used_idx = (uint16_t)(q->used_idx + (step ? step : 1));
	st16(q->used_addr + offsetof(struct virtq_used, idx), q->used_idx);
	maybe_interrupt(fv, q);
}

static bool in_flight_head(const struct fv_queue *q, uint32_t id)
{
	return pending_index(q, id) >= 0;
}

int fake_virtio_complete_as(struct fake_virtio *fv, int qi, uint32_t k, const struct fv_answer *a)
{
	struct fv_queue *q = &fv->q[qi];

	if (!q->live || k >= q->npending)
		return -1;
	uint16_t head = q->pending[k];
	struct fv_req *r = &q->reqs[head];
	memmove(&q->pending[k], &q->pending[k + 1], (q->npending - k - 1) * sizeof(uint16_t));
	q->npending--;

	uint32_t written = fv->handler(fv, r);
	uint32_t id = head, step = q->packed ? r->slots : 1;
	bool twice = false;
	written = written > fv->short_by ? written - fv->short_by : 0;
	switch (fv->lie) {
	case FV_LIE_NONE: break;
	case FV_LIE_ID_RANGE: id = q->num + 7; break;
	case FV_LIE_ID_NOT_IN_FLIGHT:
		// the first descriptor that heads nothing the driver has out
		for (id = 0; id < q->num && (id == head || in_flight_head(q, id)); id++)
			;
		break;
	case FV_LIE_LEN_TOO_BIG: written = r->writable + 1; break;
	case FV_LIE_IDX_JUMP: step = q->num + 1; break;
	case FV_LIE_WRONG_WRAP: q->wrong_wrap = true; break;
	case FV_LIE_ID_TWICE: twice = true; break;
	}
	fv->lie = FV_LIE_NONE;
	if (a) {
		if (a->id >= 0)
			id = (uint32_t)a->id;
		if (a->len >= 0)
			written = (uint32_t)a->len;
		if (a->status >= 0 && r->writable > 0)
			fv_write(r, r->writable - 1, &(uint8_t){(uint8_t)a->status}, 1);
		if (a->idx_step)
			step = a->idx_step;
	}
	release_chain(q, head);
	q->completed++;
	if (q->norder_log < sizeof(q->order_log) / sizeof(q->order_log[0]))
		q->order_log[q->norder_log++] = head;
	push_used(fv, q, id, written, (uint16_t)step);
	if (twice) // the same buffer ID again, in the next slot
		push_used(fv, q, id, written, 1);
	return 0;
}

int fake_virtio_complete(struct fake_virtio *fv, int qi, uint32_t k)
{
	return fake_virtio_complete_as(fv, qi, k, NULL);
}

int fake_virtio_complete_all(struct fake_virtio *fv, int qi)
{
	struct fv_queue *q = &fv->q[qi];
	int n = 0;

	while (q->live && q->npending > 0) {
		uint32_t k = 0;
		if (fv->order == FV_REVERSE) {
			k = q->npending - 1;
		} else if (fv->order == FV_SHUFFLE) {
			// xorshift32: the same seed, the same order
			fv->seed ^= fv->seed << 13;
			fv->seed ^= fv->seed >> 17;
			fv->seed ^= fv->seed << 5;
			k = fv->seed % q->npending;
		}
		fake_virtio_complete(fv, qi, k);
		n++;
	}
	return n;
}

void fake_virtio_push_raw(struct fake_virtio *fv, int qi, uint32_t id, uint32_t len, uint16_t step)
{
	if (fv->q[qi].live)
		push_used(fv, &fv->q[qi], id, len, step);
}

void fake_virtio_set_needs_reset(struct fake_virtio *fv)
{
	// spec 2.1.2 / 4.2.2: the device also tells the driver by a
	// configuration change notification
	fv->status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	fv->int_status |= VIRTIO_ISR_CONFIG;
	fv->config_irqs++;
}

static void notify(struct fake_virtio *fv, uint32_t qi)
{
	if (!(fv->status & VIRTIO_STATUS_DRIVER_OK)) {
		driver_bug(fv, "QueueNotify %u before DRIVER_OK (status 0x%x)", qi, fv->status);
		return;
	}
	if (qi >= FV_QUEUES || !fv->q[qi].live) {
		driver_bug(fv, "QueueNotify for queue %u, which is not set up", qi);
		return;
	}
	fv->q[qi].notifies++;
	if (fv->needs_reset_at_notify) {
		fv->needs_reset_at_notify = false;
		fake_virtio_set_needs_reset(fv);
	}
	fake_virtio_fetch(fv, (int)qi);
	if (fv->turn_hook) {
		fv->turn_hook(fv, (int)qi, false);
		return;
	}
	if (fv->when != FV_NOW)
		return;
	if (fv->hold_notifies) {
		fv->hold_notifies--;
		return;
	}
	fake_virtio_complete_all(fv, (int)qi);
}

void fake_virtio_idle(void)
{
	for (int s = 0; s < FAKE_SLOTS; s++) {
		struct fake_virtio *fv = devs[s];
		if (!fv)
			continue;
		for (int qi = 0; qi < FV_QUEUES; qi++) {
			if (!fv->q[qi].live)
				continue;
			if (fv->turn_hook) {
				fv->turn_hook(fv, qi, true);
			} else if (fv->when == FV_ON_IDLE) {
				if (++fv->idle_calls < fv->idle_wait)
					continue;
				fv->idle_calls = 0;
				fake_virtio_complete_all(fv, qi);
			}
		}
	}
}

// --- the status register (spec 2.1, 3.1.1) -------------------------------------

static void device_reset(struct fake_virtio *fv)
{
	fv->resets++;
	fv->status = 0;
	fv->dev_feat_sel = fv->drv_feat_sel = 0;
	fv->driver_features = 0;
	fv->drv_feat_written = 0;
	fv->features_accepted = false;
	fv->guest_page_size = 0;
	fv->queue_sel = 0;
	fv->int_status = 0;
	for (int i = 0; i < FV_QUEUES; i++)
		queue_reset(&fv->q[i]);
}

static bool features_acceptable(struct fake_virtio *fv)
{
	uint64_t offered = fv->version == 1 ? (uint32_t)fv->offered : fv->offered;

	if (fv->refuse_features_ok)
		return false;
	if (fv->driver_features & ~offered)
		return false; // accepted something never offered
	if (fv->version == 2 && !has_feature(fv, VIRTIO_F_VERSION_1))
		return false; // a modern device cannot work in legacy mode here
	return !(fv->driver_features & fv->refuse_if_accepted);
}

static void write_status(struct fake_virtio *fv, uint32_t val)
{
	const uint32_t known = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	                       VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |
	                       VIRTIO_STATUS_DEVICE_NEEDS_RESET | VIRTIO_STATUS_FAILED;

	if (fv->nstatus_log < FV_STATUS_LOG)
		fv->status_log[fv->nstatus_log++] = val;
	if (val == 0) {
		bool stuck = fv->reset_stuck;
		uint32_t old = fv->status;
		device_reset(fv);
		if (stuck || fv->reset_reads) {
			// the old status stays visible until the reset is done
			fv->reset_pending = true;
			fv->reset_reads_left = fv->reset_reads;
			fv->status = old ? old : VIRTIO_STATUS_ACKNOWLEDGE;
		}
		return;
	}
	// giving up on a device whose reset never finishes (spec 2.1.1:
	// FAILED may be set at any time) is the one write allowed meanwhile
	if (fv->reset_pending && !(val & VIRTIO_STATUS_FAILED)) {
		driver_bug(fv, "Status written (0x%x) before the reset finished", val);
		return;
	}
	uint32_t old = fv->status, added = val & ~old;
	if (val & ~known)
		driver_bug(fv, "unknown status bits 0x%x", val & ~known);
	if (old & ~val & ~(uint32_t)VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		driver_bug(fv, "status bits 0x%x cleared without a reset (0x%x -> 0x%x)",
		           old & ~val, old, val);
	if (added & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
		driver_bug(fv, "the driver set DEVICE_NEEDS_RESET");
	if ((added & VIRTIO_STATUS_DRIVER) && !(val & VIRTIO_STATUS_ACKNOWLEDGE))
		driver_bug(fv, "DRIVER without ACKNOWLEDGE");
	fv->status = (val & known & ~(uint32_t)VIRTIO_STATUS_DEVICE_NEEDS_RESET) |
	             (old & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	if (added & fv->needs_reset_on_status)
		fake_virtio_set_needs_reset(fv);
	if (added & VIRTIO_STATUS_FEATURES_OK) {
		fv->features_ok_written = true;
		if (fv->version == 1)
			driver_bug(fv, "FEATURES_OK written to a legacy device");
		if (!(val & VIRTIO_STATUS_DRIVER))
			driver_bug(fv, "FEATURES_OK without DRIVER");
		if (fv->drv_feat_written != 3)
			driver_bug(fv, "FEATURES_OK before both DriverFeatures words were written");
		if (fv->version == 2 && features_acceptable(fv))
			fv->features_accepted = true;
		else
			fv->status &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	if (added & VIRTIO_STATUS_DRIVER_OK) {
		if (!(val & VIRTIO_STATUS_DRIVER))
			driver_bug(fv, "DRIVER_OK without DRIVER");
		if (fv->version == 2 && !fv->features_accepted)
			driver_bug(fv, "DRIVER_OK without FEATURES_OK accepted");
		if (fv->version == 1) {
			// the legacy device learns the final features here
			uint64_t offered = (uint32_t)fv->offered;
			if (fv->driver_features & ~offered)
				driver_bug(fv, "driver accepted features 0x%lx never offered",
				           (unsigned long)(fv->driver_features & ~offered));
			fv->features_accepted = true;
		}
		if (val & VIRTIO_STATUS_FAILED)
			driver_bug(fv, "DRIVER_OK together with FAILED");
	}
}

static uint32_t read_status(struct fake_virtio *fv)
{
	if (fv->reset_pending) {
		if (fv->reset_stuck || fv->reset_reads_left-- > 0)
			return fv->status;
		fv->reset_pending = false;
		fv->status = 0;
	}
	if (fv->features_ok_written)
		fv->status_reads_after_fok++;
	return fv->status;
}

// --- the register file (spec 4.2.2, 4.2.4) -----------------------------------

static bool modern_only(struct fake_virtio *fv, uint32_t off)
{
	if (fv->version == 2)
		return true;
	driver_bug(fv, "register 0x%03x does not exist on a legacy device", off);
	return false;
}

static bool legacy_only(struct fake_virtio *fv, uint32_t off)
{
	if (fv->version == 1)
		return true;
	driver_bug(fv, "register 0x%03x is legacy-only, this device is modern", off);
	return false;
}

static struct fv_queue *cur_queue(struct fake_virtio *fv)
{
	return fv->queue_sel < FV_QUEUES ? &fv->q[fv->queue_sel] : NULL;
}

static uint8_t config_byte(struct fake_virtio *fv, uint32_t off)
{
	// each change of the generation happens during some read of the
	// configuration, at most once between two reads of ConfigGeneration
	if (fv->config_changes && !fv->config_bumped) {
		fv->config_changes--;
		fv->config_gen++;
		fv->config_bumped = true;
	}
	return off < FV_CONFIG_BYTES ? fv->config[off] : 0;
}

static uint32_t dev_read32(void *dev, uint32_t off)
{
	struct fake_virtio *fv = dev;
	struct fv_queue *q = cur_queue(fv);

	if (off >= VIRTIO_MMIO_CONFIG) {
		uint32_t v = 0;
		for (int i = 0; i < 4; i++)
			v |= (uint32_t)config_byte(fv, off - VIRTIO_MMIO_CONFIG + i) << (8 * i);
		fv->config_reads[4]++;
		// a field caught mid-update: what a legacy driver, which has no
		// generation counter, must read twice to notice
		if (fv->config_torn_reads > 0)
			v ^= (uint32_t)fv->config_torn_reads--; // a different value each time
		return v;
	}
	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return fv->version;
	case VIRTIO_MMIO_DEVICE_ID: return fv->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return fv->vendor_id;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (fv->version == 1)
			return fv->dev_feat_sel == 0 ? (uint32_t)fv->offered : 0;
		if (fv->dev_feat_sel > 1)
			return 0;
		return (uint32_t)(fv->offered >> (32 * fv->dev_feat_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		if (q && q->live)
			driver_bug(fv, "QueueNumMax read of live queue %u", fv->queue_sel);
		return q ? q->num_max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return modern_only(fv, off) && q ? q->ready : 0;
	case VIRTIO_MMIO_QUEUE_PFN: return legacy_only(fv, off) && q ? q->pfn : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return fv->int_status;
	case VIRTIO_MMIO_STATUS: return read_status(fv);
	case VIRTIO_MMIO_CONFIG_GENERATION:
		if (!modern_only(fv, off))
			return 0;
		fv->gen_reads++;
		fv->config_bumped = false;
		return fv->config_gen;
	}
	driver_bug(fv, "read of write-only or unknown register 0x%03x", off);
	return 0;
}

static void set_low(uint64_t *v, uint32_t lo)
{
	*v = (*v & ~0xffffffffULL) | lo;
}

static void set_high(uint64_t *v, uint32_t hi)
{
	*v = (*v & 0xffffffffULL) | (uint64_t)hi << 32;
}

static void queue_write(struct fake_virtio *fv, uint32_t off, uint32_t val)
{
	struct fv_queue *q = cur_queue(fv);

	if (!q) {
		driver_bug(fv, "queue register 0x%03x written for queue %u, which does not exist",
		           off, fv->queue_sel);
		return;
	}
	if (!(fv->status & VIRTIO_STATUS_DRIVER) || (fv->version == 2 && !fv->features_accepted)) {
		driver_bug(fv, "queue register 0x%03x written before %s", off,
		           fv->version == 2 ? "FEATURES_OK" : "DRIVER");
		return;
	}
	if (q->live && off != VIRTIO_MMIO_QUEUE_READY && off != VIRTIO_MMIO_QUEUE_PFN) {
		driver_bug(fv, "register 0x%03x of live queue %u written", off, fv->queue_sel);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM: q->num = val; return;
	case VIRTIO_MMIO_QUEUE_ALIGN:
		if (legacy_only(fv, off))
			q->align = val;
		return;
	case VIRTIO_MMIO_QUEUE_PFN:
		if (!legacy_only(fv, off))
			return;
		if (val == 0) {
			queue_reset(q); // legacy: writing 0 stops the queue
			return;
		}
		if (q->live) {
			driver_bug(fv, "QueuePFN of live queue %u rewritten", fv->queue_sel);
			return;
		}
		if (fv->guest_page_size == 0 || (fv->guest_page_size & (fv->guest_page_size - 1)) ||
		    q->align == 0 || (q->align & (q->align - 1))) {
			driver_bug(
			    fv,
			    "QueuePFN before a power-of-two GuestPageSize (%u) and QueueAlign (%u)",
			    fv->guest_page_size, q->align);
			return;
		}
		q->pfn = val;
		// spec 2.7.2 (legacy layout): descriptors, available ring (with
		// used_event), padding to QueueAlign, used ring
		q->desc_addr = (uint64_t)val * fv->guest_page_size;
		q->avail_addr = q->desc_addr + 16ULL * q->num;
		q->used_addr =
		    (q->avail_addr + 6 + 2ULL * q->num + q->align - 1) & ~(uint64_t)(q->align - 1);
		queue_go_live(fv, q);
		return;
	case VIRTIO_MMIO_QUEUE_READY:
		if (!modern_only(fv, off))
			return;
		if (val == 0) {
			queue_drop(q);
			q->ready = 0;
			return;
		}
		if (q->live)
			return;
		q->ready = 1;
		q->desc_addr = q->desc;
		q->avail_addr = q->driver;
		q->used_addr = q->device;
		queue_go_live(fv, q);
		if (!q->live)
			q->ready = 0;
		return;
	}
	if (!modern_only(fv, off))
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW: set_low(&q->desc, val); break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: set_high(&q->desc, val); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW: set_low(&q->driver, val); break;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH: set_high(&q->driver, val); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW: set_low(&q->device, val); break;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: set_high(&q->device, val); break;
	}
}

static void dev_write32(void *dev, uint32_t off, uint32_t val)
{
	struct fake_virtio *fv = dev;

	if (off >= VIRTIO_MMIO_CONFIG) {
		for (int i = 0; i < 4; i++)
			if (off - VIRTIO_MMIO_CONFIG + i < FV_CONFIG_BYTES)
				fv->config[off - VIRTIO_MMIO_CONFIG + i] =
				    (uint8_t)(val >> (8 * i));
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: fv->dev_feat_sel = val; return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: fv->drv_feat_sel = val; return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (!(fv->status & VIRTIO_STATUS_DRIVER))
			driver_bug(fv, "DriverFeatures written before DRIVER");
		if (fv->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK))
			driver_bug(fv, "DriverFeatures written after FEATURES_OK/DRIVER_OK");
		if (fv->drv_feat_sel > 1 || (fv->version == 1 && fv->drv_feat_sel == 1)) {
			if (val)
				driver_bug(fv, "DriverFeatures word %u = 0x%x: no such features",
				           fv->drv_feat_sel, val);
			fv->drv_feat_written |= fv->drv_feat_sel == 1 ? 2 : 0;
			return;
		}
		if (fv->drv_feat_sel == 0)
			set_low(&fv->driver_features, val);
		else
			set_high(&fv->driver_features, val);
		fv->drv_feat_written |= 1U << fv->drv_feat_sel;
		return;
	case VIRTIO_MMIO_GUEST_PAGE_SIZE:
		if (legacy_only(fv, off))
			fv->guest_page_size = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL: fv->queue_sel = val; return;
	case VIRTIO_MMIO_QUEUE_NOTIFY: notify(fv, val); return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		if (val & ~(uint32_t)VIRTIO_ISR_MASK)
			driver_bug(fv, "InterruptACK with undefined bits 0x%x", val);
		fv->last_int_ack = val;
		fv->int_status &= ~val;
		return;
	case VIRTIO_MMIO_STATUS: write_status(fv, val); return;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_ALIGN:
	case VIRTIO_MMIO_QUEUE_PFN:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: queue_write(fv, off, val); return;
	}
	driver_bug(fv, "write of read-only or unknown register 0x%03x (0x%x)", off, val);
}

static uint8_t dev_read8(void *dev, uint32_t off)
{
	struct fake_virtio *fv = dev;

	if (off < VIRTIO_MMIO_CONFIG) {
		driver_bug(fv, "8-bit read of register 0x%03x", off);
		return 0;
	}
	fv->config_reads[1]++;
	return config_byte(fv, off - VIRTIO_MMIO_CONFIG);
}

static uint16_t dev_read16(void *dev, uint32_t off)
{
	struct fake_virtio *fv = dev;

	if (off < VIRTIO_MMIO_CONFIG) {
		driver_bug(fv, "16-bit read of register 0x%03x", off);
		return 0;
	}
	fv->config_reads[2]++;
	return (uint16_t)(config_byte(fv, off - VIRTIO_MMIO_CONFIG) |
	                  config_byte(fv, off - VIRTIO_MMIO_CONFIG + 1) << 8);
}

static void dev_write8(void *dev, uint32_t off, uint8_t val)
{
	struct fake_virtio *fv = dev;

	if (off < VIRTIO_MMIO_CONFIG) {
		driver_bug(fv, "8-bit write of register 0x%03x", off);
		return;
	}
	if (off - VIRTIO_MMIO_CONFIG < FV_CONFIG_BYTES)
		fv->config[off - VIRTIO_MMIO_CONFIG] = val;
}

static const struct fake_slot_ops fv_ops = {.read32 = dev_read32,
                                            .write32 = dev_write32,
                                            .read16 = dev_read16,
                                            .read8 = dev_read8,
                                            .write8 = dev_write8};

// --- device types ---------------------------------------------------------------

uint32_t fv_read(const struct fv_req *r, uint32_t off, void *dst, uint32_t len)
{
	uint32_t done = 0;

	for (int i = 0; i < r->nseg && done < len; i++) {
		const struct fv_seg *s = &r->seg[i];
		if (s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t n = s->len - off < len - done ? s->len - off : len - done;
		memcpy((uint8_t *)dst + done, (void *)(uintptr_t)(s->addr + off), n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t fv_write(const struct fv_req *r, uint32_t off, const void *src, uint32_t len)
{
	uint32_t done = 0;

	for (int i = 0; i < r->nseg && done < len; i++) {
		const struct fv_seg *s = &r->seg[i];
		if (!s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t n = s->len - off < len - done ? s->len - off : len - done;
		memcpy((void *)(uintptr_t)(s->addr + off), (const uint8_t *)src + done, n);
		done += n;
		off = 0;
	}
	return done;
}

// Any device but a disk: fill every writable byte (an entropy source would).
static uint32_t generic_handler(struct fake_virtio *fv, const struct fv_req *r)
{
	(void)fv;
	for (uint32_t off = 0; off < r->writable; off++)
		fv_write(r, off, &(uint8_t){(uint8_t)(0xa5 ^ off)}, 1);
	return r->writable;
}

uint8_t fake_virtio_pattern(uint64_t off)
{
	uint64_t x = off / SECTOR * 0x9e3779b97f4a7c15ULL + off % SECTOR;
	return (uint8_t)(x ^ x >> 29 ^ off >> 9);
}

static uint64_t le_bytes(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

// virtio-blk (spec 5.2.6): header (device-readable, 16 bytes), data,
// status (the last device-writable byte).
static uint32_t blk_handler(struct fake_virtio *fv, const struct fv_req *r)
{
	uint8_t hdr[16];
	uint8_t status = BLK_S_OK;
	uint32_t written = 1;

	if (r->readable < 16 || r->writable < 1) {
		driver_bug(fv, "blk request %u without a 16-byte header and a status byte",
		           r->head);
		return 0;
	}
	fv_read(r, 0, hdr, 16);
	uint32_t type = (uint32_t)le_bytes(hdr, 4);
	uint64_t sector = le_bytes(hdr + 8, 8);
	uint32_t in_len = r->writable - 1, out_len = r->readable - 16;
	uint32_t blk = (uint32_t)le_bytes(fv->config + 20, 4);
	uint64_t per_block =
	    has_feature(fv, VIRTIO_BLK_F_BLK_SIZE) && blk >= SECTOR ? blk / SECTOR : 1;
	uint64_t capacity = fv->disk_bytes / SECTOR;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		uint32_t len = type == VIRTIO_BLK_T_IN ? in_len : out_len;
		if (type == VIRTIO_BLK_T_IN && out_len)
			driver_bug(fv, "blk read %u carries %u device-readable data bytes", r->head,
			           out_len);
		if (type == VIRTIO_BLK_T_OUT && in_len)
			driver_bug(fv, "blk write %u carries %u device-writable data bytes",
			           r->head, in_len);
		if (len > fv->blk_max_data)
			fv->blk_max_data = len;
		// the limits it published (5.2.4): data segments of at most
		// size_max bytes, at most seg_max of them
		uint32_t size_max = (uint32_t)le_bytes(fv->config + 8, 4);
		uint32_t seg_max = (uint32_t)le_bytes(fv->config + 12, 4);
		if (has_feature(fv, VIRTIO_BLK_F_SEG_MAX) && r->nseg > 2 && r->nseg - 2u > seg_max)
			driver_bug(fv, "blk request %u has %u data segments, seg_max is %u",
			           r->head, r->nseg - 2u, seg_max);
		for (uint16_t i = 1; has_feature(fv, VIRTIO_BLK_F_SIZE_MAX) && i + 1 < r->nseg; i++)
			if (r->seg[i].len > size_max)
				driver_bug(fv,
				           "blk request %u: a %u-byte data segment, size_max is %u",
				           r->head, r->seg[i].len, size_max);
		// what QEMU checks: whole logical blocks, inside the disk
		if (len == 0 || len % (SECTOR * per_block) || sector % per_block ||
		    sector > capacity || len / SECTOR > capacity - sector) {
			status = BLK_S_IOERR;
			break;
		}
		if (type == VIRTIO_BLK_T_OUT && has_feature(fv, VIRTIO_BLK_F_RO)) {
			status = BLK_S_IOERR;
			break;
		}
		for (int i = 0; i < fv->nrules; i++)
			if (fv->rules[i].sector >= sector &&
			    fv->rules[i].sector < sector + len / SECTOR)
				status = fv->rules[i].status;
		if (status != BLK_S_OK)
			break;
		if (type == VIRTIO_BLK_T_IN) {
			fv_write(r, 0, fv->disk + sector * SECTOR, len);
			fv->blk_reads++;
			fv->blk_bytes_read += len;
			written = len + 1;
		} else {
			fv_read(r, 16, fv->disk + sector * SECTOR, len);
			fv->blk_writes++;
			fv->blk_bytes_written += len;
		}
		break;
	}
	case VIRTIO_BLK_T_FLUSH: fv->blk_flushes++; break;
	case VIRTIO_BLK_T_GET_ID: {
		if (fv->no_get_id) {
			status = BLK_S_UNSUPP;
			break;
		}
		uint8_t id[VIRTIO_BLK_ID_BYTES] = {0};
		uint32_t n = in_len < VIRTIO_BLK_ID_BYTES ? in_len : VIRTIO_BLK_ID_BYTES;
		memcpy(id, fv->serial, strnlen(fv->serial, VIRTIO_BLK_ID_BYTES));
		fv_write(r, 0, id, n);
		fv->blk_get_ids++;
		written = n + 1;
		break;
	}
	default: fv->blk_other++; status = BLK_S_UNSUPP;
	}
	fv_write(r, in_len, &status, 1);
	return written;
}

// --- setting up -------------------------------------------------------------------

void fake_virtio_config_set(struct fake_virtio *fv, uint32_t off, uint64_t val, int bytes)
{
	for (int i = 0; i < bytes && off + i < FV_CONFIG_BYTES; i++)
		fv->config[off + i] = (uint8_t)(val >> (8 * i));
}

void fake_virtio_blk_fail_sector(struct fake_virtio *fv, uint64_t sector, uint8_t status)
{
	if (fv->nrules < FV_SECTOR_RULES)
		fv->rules[fv->nrules++] = (struct fv_sector_rule){sector, status};
}

struct fake_virtio *fake_virtio_new(int slot, uint32_t version, uint32_t device_id)
{
	struct fake_virtio *fv;

	if (slot < 0 || slot >= FAKE_SLOTS)
		abort();
	if (devs[slot])
		fake_virtio_free(devs[slot]);
	fv = calloc(1, sizeof(*fv));
	if (!fv)
		abort();
	fv->slot = slot;
	fv->version = version;
	fv->device_id = device_id;
	fv->vendor_id = 0x554d4551; // "QEMU"
	fv->offered = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if (version == 2)
		fv->offered |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	fv->q[0].num_max = 256;
	fv->handler = generic_handler;
	devs[slot] = fv;
	fake_mmio_attach(slot, &fv_ops, fv);
	return fv;
}

struct fake_virtio *fake_virtio_blk(int slot, uint32_t version, uint64_t sectors)
{
	struct fake_virtio *fv = fake_virtio_new(slot, version, VIRTIO_ID_BLOCK);

	fv->handler = blk_handler;
	fv->offered |= VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
	               VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	fv->disk_bytes = sectors * SECTOR;
	fv->disk = malloc(fv->disk_bytes ? fv->disk_bytes : 1);
	if (!fv->disk)
		abort();
	for (uint64_t i = 0; i < fv->disk_bytes; i++)
		fv->disk[i] = fake_virtio_pattern(i);
	fake_virtio_config_set(fv, 0, sectors, 8); // capacity
	fake_virtio_config_set(fv, 8, 1 << 20, 4); // size_max (not offered)
	fake_virtio_config_set(fv, 12, 126, 4);    // seg_max
	fake_virtio_config_set(fv, 20, SECTOR, 4); // blk_size
	snprintf(fv->serial, sizeof(fv->serial), "fake-virtio-blk");
	return fv;
}

void fake_virtio_free(struct fake_virtio *fv)
{
	if (!fv)
		return;
	for (int i = 0; i < FV_QUEUES; i++)
		queue_drop(&fv->q[i]);
	if (devs[fv->slot] == fv) {
		devs[fv->slot] = NULL;
		fake_mmio_attach(fv->slot, NULL, NULL);
	}
	free(fv->disk);
	free(fv);
}

void fake_virtio_free_all(void)
{
	for (int s = 0; s < FAKE_SLOTS; s++)
		fake_virtio_free(devs[s]);
}
