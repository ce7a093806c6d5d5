// virtio-blk (spec 5.2). A request is a chain of three buffers:
//
//   header (16 bytes, device reads)  type, reserved, sector
//   data   (len bytes)               device writes it for IN, reads it for OUT
//   status (1 byte, device writes)   OK, IOERR or UNSUPP
//
// The data buffer is the caller's own memory (zero copy); header and status
// live in a DMA slot of ours, one slot per request in flight.
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "fdt.h"
#include "hw/barrier.h"
#include "hw/cpu.h"
#include "hw/instret.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/blk.h"
#include "virtio/mmio.h"
#include "virtio/scan.h"
#include "virtio/virtio.h"
#include "virtio/virtqueue.h"

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2
#define STATUS_UNWRITTEN    0xff // what we put in status, so a device that never writes it is seen

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_SPIN_US    0          // blk_spin_us=N: spin first (hybrid polling)
#define DEFAULT_MAX_REQ    (1U << 20) // bytes per request when the device sets no size_max

// The part of each request the device sees besides the data (spec 5.2.6).
struct vblk_slot {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
	uint8_t status;
	uint8_t pad[15]; // 32 bytes a slot: header and status never share a slot
};

// The driver's state, in one place. The device can touch only `vq`'s rings,
// `slots` and the callers' data buffers.
static struct vblk {
	bool present;
	struct virtio_dev dev;
	struct virtq vq;
	struct vblk_slot *slots;  // DMA: nslots request headers and statuses
	struct vblk_io **slot_io; // the transfer each busy slot carries, or NULL
	void *slot_mem;           // one allocation for both arrays above
	size_t slot_bytes;
	uint16_t nslots; // requests that fit in the queue at once
	uint16_t in_flight;

	uint64_t capacity;     // 512-byte sectors (config, checked)
	uint32_t blk_size;     // logical block size in bytes, >= 512
	uint32_t max_req;      // bytes of data in one request
	bool read_only, flush; // VIRTIO_BLK_F_RO, VIRTIO_BLK_F_FLUSH
	bool polling;          // completions by polling (true) or interrupt
	uint64_t timeout_ticks;
	uint64_t spin_ticks; // interrupt mode: spin this long before sleeping
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	struct blkdev bdev;

	uint64_t requests, irqs, irq_completions, errors, timeouts, resets;
	uint16_t max_in_flight; // the most requests the device held at once
	uint64_t idle_instret;  // instructions spent polling an empty ring (see vblk_wait)
	bool needs_reset;       // the device said DEVICE_NEEDS_RESET
} vblk;

static const uint64_t vblk_wanted =
    VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
    VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) |
    VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_RO) |
    VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);

// Read the configuration (spec 5.2.4) and believe none of it unchecked.
static int read_config(void)
{
	struct virtio_dev *d = &vblk.dev;
	uint32_t v;
	int err;

	if ((err = vdev_config_read(d, 0, &vblk.capacity, 8)) < 0)
		return err;
	vblk.blk_size = SECTOR_SIZE;
	if (vdev_has(d, VIRTIO_BLK_F_BLK_SIZE) && (err = vdev_config_read(d, 20, &v, 4)) == 0) {
		if (v >= SECTOR_SIZE && v <= 65536 && !(v & (v - 1)))
			vblk.blk_size = v;
		else
			kprintf(
			    "virtio-blk: ignoring block size %u (not a power of two in 512..64K)\n",
			    v);
	}
	vblk.max_req = (uint32_t)bootarg_u64("blk_max_kib", DEFAULT_MAX_REQ / 1024) * 1024;
	if (vdev_has(d, VIRTIO_BLK_F_SIZE_MAX) && (err = vdev_config_read(d, 8, &v, 4)) == 0 &&
	    v >= vblk.blk_size && v < vblk.max_req)
		vblk.max_req = v; // one data descriptor, so size_max bounds the request
	vblk.max_req -= vblk.max_req % vblk.blk_size;
	if (vblk.max_req == 0)
		vblk.max_req = vblk.blk_size;
	vblk.read_only = vdev_has(d, VIRTIO_BLK_F_RO);
	vblk.flush = vdev_has(d, VIRTIO_BLK_F_FLUSH);
	return err;
}

// Spec 3.1.1 in full for this device: init, queue 0, request slots,
// DRIVER_OK. Used at probe time and again after a reset.
static int vblk_start(void)
{
	struct virtio_dev *d = &vblk.dev;
	uint64_t wanted = vblk_wanted;
	int err;

	if (bootarg_is_off("indirect"))
		wanted &= ~VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (bootarg_is_off("event_idx"))
		wanted &= ~VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if ((err = vdev_init(d, wanted, 0)) < 0)
		return err;
	if ((err = read_config()) < 0)
		goto fail;
	uint16_t qmax = (uint16_t)bootarg_u64("vq_size", VIRTQ_DEFAULT_SIZE);
	if ((err = vdev_queue_setup(d, &vblk.vq, 0, qmax ? qmax : VIRTQ_DEFAULT_SIZE)) < 0)
		goto fail;
	// without indirect descriptors a request takes three ring entries; with
	// them, one, but its table may still not be longer than the queue
	// (spec 2.7.5.3.1)
	vblk.nslots = vblk.vq.use_indirect ? vblk.vq.num : (uint16_t)(vblk.vq.num / 3);
	if (vblk.vq.num < 3) {
		kprintf("virtio-blk: a %u-entry queue cannot hold a 3-descriptor request\n",
		        vblk.vq.num);
		err = -ENOSPC;
		goto fail_queue;
	}
	vblk.slot_bytes = (sizeof(struct vblk_slot) + sizeof(struct vblk_io *)) * vblk.nslots;
	vblk.slot_mem = dma_alloc(vblk.slot_bytes);
	if (!vblk.slot_mem) {
		kprintf("virtio-blk: no memory for %u request slots\n", vblk.nslots);
		err = -ENOMEM;
		goto fail_queue;
	}
	vblk.slots = vblk.slot_mem;
	vblk.slot_io = (struct vblk_io **)(vblk.slots + vblk.nslots);
	vblk.in_flight = 0;
	// pure interrupt mode asks for one per completion; polling and hybrid
	// mode ask only when a waiter is about to sleep (vblk_wait)
	virtq_enable_interrupts(&vblk.vq, !vblk.polling && vblk.spin_ticks == 0);
	// 3.1.1 step 8: the driver is ready
	vdev_driver_ok(d);
	if ((err = vdev_check_needs_reset(d)) < 0)
		goto fail_slots;
	return 0;

fail_slots:
	dma_free(vblk.slot_mem, vblk.slot_bytes);
	vblk.slot_mem = 0;
fail_queue:
	vdev_reset(d);
	vdev_queue_release(d, &vblk.vq);
fail:
	vdev_fail(d);
	return err;
}

static void vblk_stop(void)
{
	vdev_reset(&vblk.dev);
	if (vblk.slot_mem)
		dma_free(vblk.slot_mem, vblk.slot_bytes);
	vblk.slot_mem = 0;
	vdev_queue_release(&vblk.dev, &vblk.vq);
}

// After a timeout or a protocol error nothing the device holds can be
// trusted: reset it (which makes it drop every request), fail what was in
// flight, and start it again so later requests work.
static int vblk_recover(int why)
{
	vblk.needs_reset = false;
	for (uint16_t i = 0; i < vblk.nslots; i++) {
		if (vblk.slot_io[i]) {
			vblk.slot_io[i]->result = why;
			vblk.slot_io[i] = 0;
		}
	}
	vblk.resets++;
	kprintf("virtio-blk: resetting the device (%s)\n", errstr(why));
	vblk_stop();
	int err = vblk_start();
	if (err < 0) {
		kprintf("virtio-blk: device did not come back: %s\n", errstr(err));
		vblk.present = false;
	}
	return why;
}

static int check_io(const struct vblk_io *io)
{
	uint64_t sectors = io->len / SECTOR_SIZE;

	if (io->type == VIRTIO_BLK_T_FLUSH)
		return 0;
	if (io->type == VIRTIO_BLK_T_GET_ID)
		return io->buf && io->len == VIRTIO_BLK_ID_BYTES ? 0 : -EINVAL;
	if (io->type != VIRTIO_BLK_T_IN && io->type != VIRTIO_BLK_T_OUT)
		return -EINVAL;
	if (io->len == 0 || io->len % vblk.blk_size || io->sector % (vblk.blk_size / SECTOR_SIZE))
		return -EINVAL;
	if (io->len > vblk.max_req)
		return -E2BIG;
	if (io->sector > vblk.capacity || sectors > vblk.capacity - io->sector)
		return -ERANGE;
	if (io->type == VIRTIO_BLK_T_OUT && vblk.read_only)
		return -EROFS;
	if (!io->buf || !dma_addressable(io->buf, io->len))
		return -EFAULT;
	return 0;
}

// Put one request on the queue. -ENOSPC: no free slot or descriptors.
static int vblk_submit(struct vblk_io *io, uint16_t slot)
{
	struct vblk_slot *s = &vblk.slots[slot];
	struct virtq_buf bufs[3];
	int n = 0;

	/* BEGIN LAB 4 SOLUTION */
	s->type = io->type;
	s->reserved = 0;
	s->sector = io->type == VIRTIO_BLK_T_IN || io->type == VIRTIO_BLK_T_OUT ? io->sector : 0;
	s->status = STATUS_UNWRITTEN;
	bufs[n++] = (struct virtq_buf){virt_to_phys(s), 16, false};
	if (io->type != VIRTIO_BLK_T_FLUSH)
		bufs[n++] = (struct virtq_buf){virt_to_phys(io->buf), io->len,
		                               io->type != VIRTIO_BLK_T_OUT};
	bufs[n++] = (struct virtq_buf){virt_to_phys(&s->status), 1, true};
	/* END LAB 4 SOLUTION */
	/* BEGIN LAB 4 STUB
	// TODO(lab 4): fill the slot's header and describe header, data and
	// status in bufs[]. Read lab-guides/lab4-read.md, "Step 3: the request".
	(void)s, (void)bufs;
	return -ENOSYS;
	END LAB 4 STUB */
	int err = virtq_add_chain(&vblk.vq, bufs, n, &vblk.slot_io[slot]);
	if (err < 0)
		return err;
	vblk.slot_io[slot] = io;
	vblk.in_flight++;
	if (vblk.in_flight > vblk.max_in_flight)
		vblk.max_in_flight = vblk.in_flight;
	vblk.requests++;
	return 0;
}

// Take every finished request off the used ring. Returns how many, or
// -EPROTO if the device wrote nonsense.
static int vblk_collect(void)
{
	int got = 0;
	void *token;
	uint32_t written;
	int r;

	while ((r = virtq_get_used(&vblk.vq, &token, &written)) > 0) {
		struct vblk_io **slot_io = token;
		uint16_t slot = (uint16_t)(slot_io - vblk.slot_io);
		struct vblk_io *io = *slot_io;
		// the status byte was written by the device: read it once, after
		// the used entry that says it is there
		uint8_t status = READ_ONCE(vblk.slots[slot].status);
		uint32_t expect = io->type == VIRTIO_BLK_T_IN ? io->len + 1 : 1;

		if (status == VIRTIO_BLK_S_OK && written < expect &&
		    io->type != VIRTIO_BLK_T_GET_ID)
			io->result = -EIO; // the device says OK but wrote less than asked
		else if (status == VIRTIO_BLK_S_OK)
			io->result = 0;
		else if (status == VIRTIO_BLK_S_IOERR)
			io->result = -EIO;
		else if (status == VIRTIO_BLK_S_UNSUPP)
			io->result = -ENOTSUP;
		else
			io->result = -EPROTO; // never written, or a value the spec does not have
		if (io->result < 0) {
			vblk.errors++;
			kprintf(
			    "virtio-blk: request type %u sector %lu: status %u, %u bytes written: "
			    "%s\n",
			    io->type, (unsigned long)io->sector, status, written,
			    errstr(io->result));
		}
		*slot_io = 0;
		vblk.in_flight--;
		got++;
	}
	return r < 0 ? r : got;
}

// Wait until at least one request finishes, or the timeout passes. In
// interrupt mode the hart sleeps, and the device's interrupt or the timer
// armed for the deadline wakes it (see hw/cpu.h for why interrupts are
// masked around the check and the wfi). With blk_spin_us=N it first spins
// for N microseconds with interrupts suppressed, because a fast device
// often finishes sooner than an interrupt and a wake-up take (hybrid
// polling); the default, 0, is pure interrupts, as lab 7 teaches.
static int vblk_wait(void)
{
	uint64_t now = time_now();
	uint64_t deadline = now + vblk.timeout_ticks, spin_until = now + vblk.spin_ticks;
	uint64_t mark = instret_now();

	for (;;) {
		// an empty look costs as many instructions as the device makes
		// us wait, so `instret` leaves out everything from one look to
		// the next. Counting here, before each look, makes the look
		// that finds something cost the same whether or not empty ones
		// came before it: the figure then repeats exactly.
		uint64_t i = instret_now();
		vblk.idle_instret += i - mark;
		mark = i;
		int got = vblk_collect();
		if (got != 0)
			return got;
		if (vblk.needs_reset)
			return -EIO; // nothing in flight will complete
		now = time_now();
		if (now > deadline)
			return -ETIMEDOUT;
		if (!vblk.polling && now >= spin_until) {
			// hybrid mode spun with interrupts suppressed: ask for one
			// now; the check after asking (the barrier is inside
			// virtq_enable_interrupts) catches a completion that came
			// just before
			bool hybrid = vblk.spin_ticks != 0;
			if (hybrid)
				virtq_enable_interrupts(&vblk.vq, true);
			unsigned long was_on = cpu_intr_off();
			if (!virtq_has_used(&vblk.vq)) {
				cpu_wake_at(deadline);
				cpu_idle();
				cpu_wake_at(~0ULL); // disarm: the deadline may not have come
			}
			cpu_intr_restore(was_on); // the interrupt handler runs here
			if (hybrid)
				virtq_enable_interrupts(&vblk.vq, false);
		}
	}
}

int vblk_run(struct vblk_io *io, int n, int depth)
{
	int next = 0, first_err = 0;
	uint16_t slot = 0;

	if (!vblk.present)
		return -ENODEV;
	/* BEGIN LAB 8 SOLUTION */
	// as many in flight as asked, up to one per request slot
	if (depth < 1 || depth > vblk.nslots)
		depth = vblk.nslots;
	/* END LAB 8 SOLUTION */
	/* BEGIN LAB 8 STUB
	// TODO(lab 8): let up to `depth` requests be in flight at once (at
	// most vblk.nslots). Read lab-guides/lab8-inflight.md, "Step 1: a deeper queue".
	depth = 1;
	END LAB 8 STUB */
	for (int i = 0; i < n; i++)
		io[i].result = 1; // not finished
	for (;;) {
		// start as many as the queue and the depth allow (never more
		// than the request slots, whatever depth says)
		while (next < n && vblk.in_flight < depth && vblk.in_flight < vblk.nslots) {
			int err = check_io(&io[next]);
			if (err == 0) {
				while (vblk.slot_io[slot]) // a free slot exists: in_flight < nslots
					slot = (uint16_t)((slot + 1) % vblk.nslots);
				err = vblk_submit(&io[next], slot);
				if (err == -ENOSPC)
					break; // full: wait for a completion, then go on
			}
			if (err < 0)
				io[next].result = err;
			next++;
		}
		virtq_kick(&vblk.vq);
		if (vblk.in_flight == 0 && next == n)
			break;
		int got = vblk_wait();
		if (got < 0) {
			if (got == -ETIMEDOUT) {
				vblk.timeouts++;
				kprintf("virtio-blk: no completion in %lu ms\n",
				        (unsigned long)time_ticks_to_us(vblk.timeout_ticks) / 1000);
			}
			vblk_recover(got);
			for (int i = next; i < n; i++)
				io[i].result = -ECANCELED;
			break;
		}
	}
	for (int i = 0; i < n; i++)
		if (io[i].result < 0 && !first_err)
			first_err = io[i].result;
	return first_err;
}

int vblk_rw(uint32_t type, uint64_t sector, void *buf, uint64_t len)
{
	struct vblk_io batch[32];
	uint8_t *p = buf;

	if (!vblk.present)
		return -ENODEV;

	// Send the transfer as requests of up to max_req bytes, a batch of
	// them in flight at once. QEMU serves requests in parallel, so a large
	// transfer goes out as at least sixteen pieces (of 256 KiB or more)
	// rather than one or two huge ones that it would serve one by one.
	uint64_t piece = len / 16;
	piece = piece < (256U << 10) ? (256U << 10) : piece;
	piece -= piece % vblk.blk_size;
	if (piece > vblk.max_req)
		piece = vblk.max_req;
	while (len > 0) {
		int n = 0;
		for (; n < 32 && len > 0; n++) {
			uint32_t chunk = len < piece ? (uint32_t)len : (uint32_t)piece;
			batch[n] = (struct vblk_io){type, sector, p, chunk, 0};
			sector += chunk / SECTOR_SIZE;
			p += chunk;
			len -= chunk;
		}
		int err = vblk_run(batch, n, 0);
		if (err < 0)
			return err;
	}
	return 0;
}

static int vblk_read(struct blkdev *bd, uint64_t sector, void *buf, size_t len)
{
	(void)bd;
	return vblk_rw(VIRTIO_BLK_T_IN, sector, buf, len);
}

static int vblk_write(struct blkdev *bd, uint64_t sector, const void *buf, size_t len)
{
	(void)bd;
	/* BEGIN LAB 5 SOLUTION */
	return vblk_rw(VIRTIO_BLK_T_OUT, sector, (void *)buf, len);
	/* END LAB 5 SOLUTION */
	/* BEGIN LAB 5 STUB
	// TODO(lab 5): send an OUT request. Read lab-guides/lab5-write.md,
	// "Step 1: writing".
	(void)sector, (void)buf, (void)len;
	return -ENOSYS;
	END LAB 5 STUB */
}

static int vblk_flush(struct blkdev *bd)
{
	(void)bd;
	/* BEGIN LAB 5 SOLUTION */
	// a device that did not offer VIRTIO_BLK_F_FLUSH has no flush request
	// to send; it promises nothing more (spec 5.2.6.2), and QEMU always
	// offers it, so this is for other devices
	if (!vblk.flush)
		return 0;
	struct vblk_io io = {VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0};
	return vblk_run(&io, 1, 1);
	/* END LAB 5 SOLUTION */
	/* BEGIN LAB 5 STUB
	// TODO(lab 5): send a FLUSH request. Read lab-guides/lab5-write.md,
	// "Step 2: flushing".
	return -ENOSYS;
	END LAB 5 STUB */
}

static const struct blkdev_ops vblk_ops = {vblk_read, vblk_write, vblk_flush};

int vblk_probe(void)
{
	const struct virtio_slot *s = virtio_find(VIRTIO_ID_BLOCK);
	int err;

	if (!s) {
		kprintf("virtio-blk: no block device found\n");
		return -ENODEV;
	}
	memset(&vblk, 0, sizeof(vblk));
	vdev_open(&vblk.dev, s);
	vblk.polling = true; // until lab 7's interrupt path is switched on
	vblk.timeout_ticks =
	    time_us_to_ticks(bootarg_u64("blk_timeout_ms", DEFAULT_TIMEOUT_MS) * 1000);
	vblk.spin_ticks = time_us_to_ticks(bootarg_u64("blk_spin_us", DEFAULT_SPIN_US));
	kprintf("virtio-blk: slot %d, %s transport\n", s->index,
	        s->version == 1 ? "legacy" : "modern");
	if ((err = vblk_start()) < 0) {
		kprintf("virtio-blk: initialisation failed: %s\n", errstr(err));
		return err;
	}
	vblk.present = true;
	kprintf("virtio-blk: capacity %lu sectors (%lu KiB), block size %u, max request %u "
	        "bytes%s%s\n",
	        (unsigned long)vblk.capacity, (unsigned long)(vblk.capacity / 2), vblk.blk_size,
	        vblk.max_req, vblk.read_only ? ", read-only" : "", vblk.flush ? ", flush" : "");
	kprintf("virtio: slot %d: DRIVER_OK, status 0x%x\n", s->index, vdev_status(&vblk.dev));

	// the serial number, if the device will tell (GET_ID is optional)
	struct vblk_io id = {VIRTIO_BLK_T_GET_ID, 0, vblk.serial, VIRTIO_BLK_ID_BYTES, 0};
	if (vblk_run(&id, 1, 1) < 0 || vblk.serial[0] == '\0')
		memcpy(vblk.serial, "(none)", 7);
	if (!vblk.present) // lost while asking: the reset in vblk_recover failed
		return -ENODEV;
	vblk.serial[VIRTIO_BLK_ID_BYTES] = '\0';
	for (char *c = vblk.serial; *c; c++)
		if (*c < ' ' || *c > '~')
			*c = '?'; // untrusted bytes, printed raw
	kprintf("virtio-blk: serial \"%s\"\n", vblk.serial);

	static char name[32];
	ksnprintf(name, sizeof(name), "virtio-blk (slot %d)", s->index);
	vblk.bdev = (struct blkdev){.name = name,
	                            .sectors = vblk.capacity,
	                            .block_size = vblk.blk_size,
	                            .read_only = vblk.read_only,
	                            .ops = &vblk_ops,
	                            .priv = &vblk};
	blk_root_set(&vblk.bdev);
	return 0;
}

bool vblk_present(void)
{
	return vblk.present;
}

int vblk_irq(void)
{
	return vblk.present ? VIRTIO_MMIO_IRQ(vblk.dev.slot) : -ENODEV;
}

void vblk_remove(void)
{
	if (vblk.present)
		vblk_stop();
	vblk.present = false;
}

void vblk_set_polling(bool poll)
{
	vblk.polling = poll;
	if (vblk.present)
		virtq_enable_interrupts(&vblk.vq, !poll && vblk.spin_ticks == 0);
}

bool vblk_polling(void)
{
	return vblk.polling;
}

uint64_t vblk_idle_instret(void)
{
	return vblk.idle_instret;
}

struct virtq *vblk_borrow_queue(void)
{
	if (!vblk.present || vblk.in_flight || vblk.vq.broken)
		return 0;
	virtq_enable_interrupts(&vblk.vq, false);
	return &vblk.vq;
}

void vblk_return_queue(int err)
{
	if (err < 0)
		vblk_recover(err);
	else
		virtq_enable_interrupts(&vblk.vq, !vblk.polling && vblk.spin_ticks == 0);
}

void vblk_set_timeout_ms(uint32_t ms)
{
	vblk.timeout_ticks = time_us_to_ticks((uint64_t)ms * 1000);
}

void vblk_interrupt(void)
{
	// only acknowledge here: the waiting loop collects the completions
	uint32_t bits = vdev_ack_interrupt(&vblk.dev);

	vblk.irqs++;
	if (bits & VIRTIO_MMIO_INT_VRING)
		vblk.irq_completions++;
	if (bits & VIRTIO_MMIO_INT_CONFIG) {
		// a broken device says so with a configuration interrupt and
		// DEVICE_NEEDS_RESET (spec 2.1.2); the waiter then resets it
		// instead of waiting out its timeout
		if (vdev_check_needs_reset(&vblk.dev) < 0)
			vblk.needs_reset = true;
		else
			kprintf("virtio-blk: configuration changed (capacity may differ)\n");
	}
}

void vblk_info(void)
{
	if (!vblk.present) {
		kprintf("blk: no virtio-blk device\n");
		return;
	}
	kprintf("blk: %s, %s transport\n", vblk.bdev.name,
	        vblk.dev.version == 1 ? "legacy" : "modern");
	kprintf("blk: capacity %lu sectors (%lu KiB), block size %u, max request %u bytes\n",
	        (unsigned long)vblk.capacity, (unsigned long)(vblk.capacity / 2), vblk.blk_size,
	        vblk.max_req);
	vdev_print_features("accepted", vblk.dev.features, VIRTIO_ID_BLOCK);
	kprintf("blk: queue size %u, %u request slots, serial \"%s\", %s%s\n", vblk.vq.num,
	        vblk.nslots, vblk.serial, vblk.read_only ? "read-only" : "read-write",
	        vblk.flush ? ", flush" : "");
	kprintf("blk: %lu requests, %lu errors, %lu timeouts, %lu resets, at most %u in flight\n",
	        (unsigned long)vblk.requests, (unsigned long)vblk.errors,
	        (unsigned long)vblk.timeouts, (unsigned long)vblk.resets, vblk.max_in_flight);
	kprintf("blk: %lu interrupts (%lu with used buffers), completions by %s\n",
	        (unsigned long)vblk.irqs, (unsigned long)vblk.irq_completions,
	        vblk.polling ? "polling" : "interrupt");
}

void vblk_dump_queue(void)
{
	if (vblk.present)
		virtq_dump(&vblk.vq);
	else
		kprintf("vq: no virtio-blk device\n");
}
