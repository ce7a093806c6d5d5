// The virtio-blk request path (spec 5.2.6): check a transfer, put it on
// the queue as a chain, wait for completions (by polling or interrupt),
// and turn each status byte into an error a caller can print.
#include "console.h"
#include "errno.h"
#include "hw/barrier.h"
#include "hw/cpu.h"
#include "hw/instret.h"
#include "hw/time.h"
#include "hotpath.h"
#include "mem.h"
#include "virtio/blk_checks.h"
#include "virtio/blk_state.h"

static uint64_t idle_instret; // see vblk_wait and vblk_idle_instret

// A hart asleep for a completion looks at the ring after this long even
// without an interrupt: a completion found then came without one. After
// LOST_IRQS_MAX in a row the interrupts are not arriving (a PLIC context
// that is not this hart's, a line wired elsewhere: QEMU 7.2 with -numa
// leaves the second node's PLIC unconnected to its hart), and the disks
// are polled instead of each request sleeping until its timeout.
#define LOST_IRQ_SLICE_US 20000
#define LOST_IRQS_MAX     2

int vblk_slots_build(struct vblk *v)
{
	int err = 0;

	/* BEGIN LAB 4 SOLUTION */
	// every request of slot s reads its header from and writes its
	// status into slot s: those two descriptors are built once, here
	for (uint16_t i = 0; i < v->nslots && err == 0; i++) {
		struct vblk_slot *s = &v->slots[i];
		err = virtq_slot_set(&v->vq, i, (struct virtq_buf){virt_to_phys(s), 16, false},
		                     (struct virtq_buf){virt_to_phys(&s->status), 1, true});
	}
	/* END LAB 4 SOLUTION */
	/* BEGIN LAB 4 STUB
	// TODO(lab 4): give the queue each slot's header and status buffers.
	// Read lab-guides/lab4-read.md, "Step 3: the request".
	(void)v;
	END LAB 4 STUB */
	return err;
}

// Put one request on the queue. -ENOSPC: no free slot or descriptors.
static int vblk_submit(struct vblk *v, struct vblk_io *io, uint16_t slot)
{
	struct vblk_slot *s = &v->slots[slot];
	struct virtq_buf data[VBLK_MAX_SEGS];
	int n = 0;

	/* BEGIN LAB 4 SOLUTION */
	s->type = io->type;
	s->reserved = 0;
	s->sector = io->type == VIRTIO_BLK_T_IN || io->type == VIRTIO_BLK_T_OUT ? io->sector : 0;
	s->status = VBLK_STATUS_UNWRITTEN;
	if (io->type != VIRTIO_BLK_T_FLUSH) {
		// the data, in segments of at most seg_size bytes (one, unless
		// the device set size_max): check_io kept len within max_req
		bool device_writes = io->type != VIRTIO_BLK_T_OUT;
		uint64_t addr = virt_to_phys(io->buf);
		uint32_t left = io->len;
		for (; left > v->seg_size; left -= v->seg_size, addr += v->seg_size)
			data[n++] = (struct virtq_buf){addr, v->seg_size, device_writes};
		data[n++] = (struct virtq_buf){addr, left, device_writes};
	}
	/* END LAB 4 SOLUTION */
	/* BEGIN LAB 4 STUB
	// TODO(lab 4): fill the slot's header and describe the data in
	// data[]. Read lab-guides/lab4-read.md, "Step 3: the request".
	(void)s, (void)data;
	return -ENOSYS;
	END LAB 4 STUB */
	int err = virtq_add_slot(&v->vq, slot, data, n, &v->slot_io[slot]);
	if (err < 0)
		return err;
	io->result = 1; // not finished
	v->slot_io[slot] = io;
	v->nfree--; // slot was the top of the free stack (vblk_run)
	v->in_flight++;
	if (v->in_flight > v->max_in_flight)
		v->max_in_flight = v->in_flight;
	v->requests++;
	return 0;
}

// Take every finished request off the used ring. Returns how many, or
// -EPROTO if the device wrote nonsense.
static int vblk_collect(struct vblk *v)
{
	int got = 0;
	void *token;
	uint32_t written;
	int r = 0;

	// stop once nothing is in flight rather than look at the ring once
	// more: at depth 1 that look was 15 of the 530 instructions a request
	// (a device that runs ahead is still caught, by the next look)
	while (v->in_flight && (r = virtq_get_used(&v->vq, &token, &written)) > 0) {
		struct vblk_io **slot_io = token;
		uint16_t slot = (uint16_t)(slot_io - v->slot_io);
		struct vblk_io *io = *slot_io;
		// the status byte was written by the device: read it once, after
		// the used entry that says it is there
		uint8_t status = READ_ONCE(v->slots[slot].status);
		io->result = vblk_status_result(io, status, written);
		if (io->result < 0) {
			v->errors++;
			kprintf(
			    "virtio-blk: request type %u sector %lu: status %u, %u bytes written: "
			    "%s\n",
			    io->type, (unsigned long)io->sector, status, written,
			    errstr(io->result));
		}
		*slot_io = 0;
		v->free_slots[v->nfree++] = slot;
		v->in_flight--;
		got++;
	}
	return r < 0 ? r : got;
}

// After a sleep in vblk_wait: a completion waiting, no interrupt from the
// device since `irqs`, and the look-again time past means the interrupt
// was lost, not late.
static void lost_interrupt_check(struct vblk *v, uint64_t irqs, uint64_t look)
{
	if (v->irqs != irqs) {
		v->lost_irqs = 0; // they arrive
		return;
	}
	if (time_now() < look || !virtq_has_used(&v->vq))
		return;
	if (++v->lost_irqs < LOST_IRQS_MAX)
		return;
	kprintf("irq: %s: %u completions in a row came without their interrupt; completions by "
	        "polling\n",
	        vblk_blkdev(v)->id, v->lost_irqs);
	vblk_set_polling(true);
}

// Wait until at least one request finishes, or the timeout passes. In
// interrupt mode the hart sleeps, and the device's interrupt or the timer
// armed for the next look at the ring (LOST_IRQ_SLICE_US on, or the
// deadline) wakes it (see hw/cpu.h for why interrupts are masked around
// the check and the wfi). With blk_spin_us=N it first spins
// for N microseconds with interrupts suppressed, because a fast device
// often finishes sooner than an interrupt and a wake-up take (hybrid
// polling); the default, 0, is pure interrupts, as lab 7 teaches.
static int vblk_wait(struct vblk *v)
{
	uint64_t now, deadline = 0, spin_until = 0, again = 0; // set at the first empty look
	uint64_t mark = instret_now();

	for (;;) {
		// an empty look costs as many instructions as the device makes
		// us wait, so `instret` leaves out everything from one look to
		// the next. Counting here, before each look, makes the look
		// that finds something cost the same whether or not empty ones
		// came before it: the figure then repeats exactly.
		uint64_t i = instret_now();
		idle_instret += i - mark;
		mark = i;
		int got = vblk_collect(v);
		if (got != 0)
			return got;
		if (v->needs_reset)
			return -EIO; // nothing in flight will complete
		now = time_now();
		if (!deadline) {
			deadline = now + vblk_mode.timeout_ticks;
			spin_until = now + vblk_mode.spin_ticks;
		} else if (now > deadline) {
			return -ETIMEDOUT;
		}
		// nothing back for a while: a notification may have been lost
		// (QEMU before 8.1 loses one now and then: README, "Lost
		// notifications"), and a slow device only looks at the ring once
		// more; counted, not announced
		if (virtq_notify_again(&v->vq, now, &again))
			v->renotifies++;
		if (!vblk_mode.polling && now >= spin_until) {
			// hybrid mode spun with interrupts suppressed: ask for one
			// now; the check after asking (the barrier is inside
			// virtq_enable_interrupts) catches a completion that came
			// just before
			bool hybrid = vblk_mode.spin_ticks != 0;
			if (hybrid)
				virtq_enable_interrupts(&v->vq, true);
			uint64_t irqs = v->irqs, look = now + time_us_to_ticks(LOST_IRQ_SLICE_US);
			unsigned long was_on = cpu_intr_off();
			if (!virtq_has_used(&v->vq)) {
				cpu_wake_at(look < deadline ? look : deadline);
				cpu_idle();
				cpu_wake_at(~0ULL); // disarm: the deadline may not have come
			}
			cpu_intr_restore(was_on); // the interrupt handler runs here
			if (hybrid)
				virtq_enable_interrupts(&v->vq, false);
			lost_interrupt_check(v, irqs, look);
		}
	}
}

// A throttled disk (QEMU's throttling.bps-total, libvirt's iotune) can
// take longer than the deadline to finish anything while it works through
// a large read: 24 requests of 1 MiB at 250 KB/s did. The deadline is
// what keeps a dead device from hanging the kernel, so it stays; the user
// is told, once a boot, how to give a slow disk more.
static void timeout_hint(void)
{
	static bool said;

	if (!said)
		kprintf("virtio-blk: if the disk is only slow (throttled, or the host busy), "
		        "blk_timeout_ms=N on the boot line gives it longer\n");
	said = true;
}

HOT_LOOP_FLAT int vblk_run(struct vblk *v, struct vblk_io *io, int n, int depth)
{
	int next = 0, first_err = 0;

	if (!vblk_present(v))
		return -ENODEV;
	/* BEGIN LAB 8 SOLUTION */
	// as many in flight as asked, up to one per request slot
	if (depth < 1 || depth > v->nslots)
		depth = v->nslots;
	/* END LAB 8 SOLUTION */
	/* BEGIN LAB 8 STUB
	// TODO(lab 8): let up to `depth` requests be in flight at once (at
	// most v->nslots). Read lab-guides/lab8-inflight.md, "Step 1: a deeper queue".
	depth = 1;
	END LAB 8 STUB */
	// every request gets a result: its own, -ECANCELED if never sent;
	// the first error is looked for only if something failed
	uint64_t failures = v->errors + v->resets;
	bool refused = false;
	// never more in flight than the request slots, whatever depth says
	int most = depth < v->nslots ? depth : v->nslots;
	for (;;) {
		// start as many as the queue and the depth allow
		while (next < n && v->in_flight < most) {
			int err = vblk_check_io(v, &io[next]);
			if (err == 0) {
				// the free stack is not empty: fewer than nslots in flight
				uint16_t slot = v->free_slots[v->nfree - 1];
				err = vblk_submit(v, &io[next], slot);
				if (err == -ENOSPC)
					break; // full: wait for a completion, then go on
			}
			if (err < 0) {
				io[next].result = err;
				refused = true;
			}
			next++;
		}
		virtq_kick(&v->vq);
		if (v->in_flight == 0 && next == n)
			break;
		int got = vblk_wait(v);
		if (got < 0) {
			if (got == -ETIMEDOUT) {
				v->timeouts++;
				kprintf("virtio-blk: no completion in %lu ms\n",
				        (unsigned long)time_ticks_to_us(vblk_mode.timeout_ticks) /
				            1000);
				timeout_hint();
			}
			vblk_recover(v, got);
			for (int i = next; i < n; i++)
				io[i].result = -ECANCELED;
			break;
		}
	}
	if (!refused && v->errors + v->resets == failures)
		return 0;
	for (int i = 0; i < n && !first_err; i++)
		if (io[i].result < 0)
			first_err = io[i].result;
	return first_err;
}

int vblk_rw(struct vblk *v, uint32_t type, uint64_t sector, void *buf, uint64_t len)
{
	struct vblk_io batch[32];
	uint8_t *p = buf;

	if (!vblk_present(v))
		return -ENODEV;

	// Send the transfer as requests of up to max_req bytes, a batch of
	// them in flight at once. QEMU serves requests in parallel, so a large
	// transfer goes out as at least sixteen pieces (of 256 KiB or more)
	// rather than one or two huge ones that it would serve one by one.
	uint64_t piece = len / 16;
	piece = piece < (256U << 10) ? (256U << 10) : piece;
	piece -= piece % v->blk_size;
	if (piece > v->max_req)
		piece = v->max_req;
	while (len > 0) {
		int n = 0;
		for (; n < 32 && len > 0; n++) {
			uint32_t chunk = len < piece ? (uint32_t)len : (uint32_t)piece;
			batch[n] = (struct vblk_io){type, sector, p, chunk, 0};
			sector += chunk / SECTOR_SIZE;
			p += chunk;
			len -= chunk;
		}
		int err = vblk_run(v, batch, n, 0);
		if (err < 0)
			return err;
	}
	return 0;
}

uint64_t vblk_idle_instret(void)
{
	return idle_instret;
}

struct virtq *vblk_borrow_queue(struct vblk *v)
{
	if (!vblk_present(v) || v->in_flight || v->vq.broken)
		return 0;
	virtq_enable_interrupts(&v->vq, false);
	return &v->vq;
}

void vblk_return_queue(struct vblk *v, int err)
{
	// the borrower wrote its own chains over the slots' (a reset builds
	// them anew)
	if (err < 0 || (err = vblk_slots_build(v)) < 0)
		vblk_recover(v, err);
	else
		virtq_enable_interrupts(&v->vq, !vblk_mode.polling && vblk_mode.spin_ticks == 0);
}
