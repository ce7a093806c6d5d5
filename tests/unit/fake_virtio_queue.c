// A queue of the fake virtio device, whichever its ring layout: its life
// (made live when the driver says it is ready and what it programmed holds,
// dropped at a reset), the chains it holds in flight, and the completion
// policy a test sets in struct fake_virtio: when held requests complete
// (`when`, `hold_notifies`), in which order (`order`), and the lies told in
// the used ring (`lie`, `short_by`). The ring itself is fake_virtio_split.c's
// or fake_packed.c's.
#include <stdlib.h>
#include <string.h>

#include "fake_packed.h"
#include "fake_virtio.h"
#include "fake_virtio_internal.h"
#include "host_kernel.h"
#include "virtio/virtio.h"

// --- queues ---------------------------------------------------------------------

void queue_drop(struct fv_queue *q)
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
void queue_reset(struct fv_queue *q)
{
	queue_drop(q);
	q->num = q->ready = q->pfn = q->align = 0;
	q->desc = q->driver = q->device = 0;
	q->desc_addr = q->avail_addr = q->used_addr = 0;
}

// The driver says the queue is ready (QueueReady = 1, or a legacy QueuePFN):
// check what it programmed before believing any of it.
void queue_go_live(struct fake_virtio *fv, struct fv_queue *q)
{
	uint32_t n = q->num;

	q->packed = fv_has_feature(fv, VIRTIO_F_RING_PACKED);
	if (q->packed && (n == 0 || n > q->num_max || n > 32768)) {
		driver_bug(fv, "queue %u: QueueNum %u of a packed ring (QueueNumMax %u)",
		           fv->queue_sel, n, q->num_max);
		return;
	}
	if (q->packed ? !fp_check_areas(fv, q) : !split_check_areas(fv, q))
		return;
	q->owner = calloc(n, sizeof(*q->owner));
	q->reqs = calloc(n, sizeof(*q->reqs));
	q->pending = calloc(n, sizeof(*q->pending));
	q->published = calloc(n, sizeof(*q->published));
	if (!q->owner || !q->reqs || !q->pending || !q->published)
		abort();
	q->barriers_then = fv_host_barriers;
	q->live = true;
	// 2.8.1: both sides' wrap counters start at 1
	q->avail_wrap = q->used_wrap = true;
}

// --- chains in flight ------------------------------------------------------------

static void release_chain(struct fv_queue *q, uint16_t head)
{
	for (uint32_t i = 0; i < q->num; i++)
		if (q->owner[i] == head + 1)
			q->owner[i] = 0;
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

void fake_virtio_fetch(struct fake_virtio *fv, int qi)
{
	struct fv_queue *q = &fv->q[qi];

	if (!q->live || q->broken || (fv->status & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
		return;
	if (q->packed)
		fp_fetch(fv, q);
	else
		split_fetch(fv, q);
}

static void push_used(struct fake_virtio *fv, struct fv_queue *q, uint32_t id, uint32_t len,
                      uint16_t step)
{
	if (q->packed)
		fp_push_used(fv, q, id, len, step ? step : 1);
	else
		split_push_used(fv, q, id, len, step);
}

// --- the completion policy, and the lies --------------------------------------------

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

// --- the device's turns -------------------------------------------------------------

// QueueNotify written: take the new chains, then complete them if the policy says now.
void queue_notify(struct fake_virtio *fv, uint32_t qi)
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

// The driver idles: devices completing FV_ON_IDLE get their turn.
void fake_virtio_idle(void)
{
	for (int s = 0; s < FAKE_SLOTS; s++) {
		struct fake_virtio *fv = fv_devs[s];
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
