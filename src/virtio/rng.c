// virtio-rng (spec 5.4). The simplest virtio device there is: one queue
// (requestq, queue 0) to which the driver gives device-writable buffers,
// and the device hands them back filled with random bytes. No header, no
// status byte, no configuration space, no device features (5.4.3).
//
// The transport (virtio_dev.h, any of them) and the rings (virtqueue.c)
// are the block driver's, unchanged; only the protocol on the queue is
// this file's.
#include "console.h"
#include "errno.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/rng.h"
#include "virtio/virtio.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq.h"

#define RNG_QUEUE_SIZE 4      // one request at a time: a tiny queue does
#define RNG_CHUNK      256    // bytes asked for in one request
#define RNG_TIMEOUT_US 500000 // how long one rng_read waits for the device

// The driver's state. The device can write only `vq`'s used ring and
// `chunk`; how many bytes of `chunk` it filled is its word, checked.
static struct vrng {
	bool present;
	struct virtio_dev *dev; // the transport's, found in the registry
	struct virtq vq;
	uint8_t *chunk; // DMA: RNG_CHUNK bytes, device-writable
	// The device holds `chunk` (a request it has not answered yet). A
	// slow device is not a broken one: QEMU's max-bytes and period
	// options, which libvirt sets for its guests, let it answer only so
	// many bytes a period. So an unanswered request stays with the
	// device, and the next read waits for that one rather than resetting.
	bool posted;
	uint64_t requests, bytes, short_reads, timeouts, resets;
} vrng;

// Spec 3.1.1 for this device: no device features to want (VERSION_1 is
// added by vdev_init on the modern transport), one queue, DRIVER_OK.
static int vrng_start(void)
{
	struct virtio_dev *d = vrng.dev;
	int err;

	if ((err = vdev_init(d, 0, 0)) < 0)
		return err;
	if ((err = vdev_queue_setup(d, &vrng.vq, 0, RNG_QUEUE_SIZE)) < 0) {
		vdev_fail(d);
		return err;
	}
	// the block driver owns the interrupt path: we poll
	virtq_enable_interrupts(&vrng.vq, false);
	vdev_driver_ok(d);
	return 0;
}

static void vrng_stop(void)
{
	// a reset first: after it the device has forgotten the ring and
	// will not write `chunk` again, so both may be reused
	vdev_reset(vrng.dev);
	vdev_queue_release(vrng.dev, &vrng.vq);
}

// After a timeout or a protocol error the device may still hold our
// buffer: only a reset takes it back.
static int vrng_recover(int why)
{
	vrng.resets++;
	kprintf("virtio-rng: %s: resetting the device\n", errstr(why));
	vrng_stop();
	vrng.posted = false; // the reset took the buffer back
	vrng.present = vrng_start() == 0;
	return why;
}

// Give the device `want` bytes of `chunk` to fill: one request.
// Returns 0 or -errno.
static int vrng_request(uint32_t want)
{
	struct virtq_buf buf;
	int r;

	/* BEGIN LAB 9 SOLUTION */
	// a chain of one device-writable buffer: the whole request (5.4.6)
	buf = (struct virtq_buf){virt_to_phys(vrng.chunk), want, true};
	if ((r = virtq_add_chain(&vrng.vq, &buf, 1, &vrng)) < 0)
		return r;
	virtq_kick(&vrng.vq);
	/* END LAB 9 SOLUTION */
	/* BEGIN LAB 9 STUB
	// TODO(lab 9): describe vrng.chunk (want bytes, device-writable) in
	// buf, put it on the queue and kick. Read lab-guides/lab9-devices.md,
	// "Step 1: asking for random bytes".
	(void)buf, (void)want, (void)r;
	return -ENOSYS;
	END LAB 9 STUB */
	vrng.requests++;
	vrng.posted = true;
	return 0;
}

// Wait until `deadline` for the request the device holds. Returns the
// bytes it wrote (possibly fewer than asked, even 0: spec 5.4.6 lets the
// device fill only part of a buffer), -EAGAIN if it has not answered by
// the deadline (it keeps the buffer, and the next read waits for it), or
// -errno.
static int vrng_answer(uint64_t deadline)
{
	void *token;
	uint32_t written;
	uint64_t now, again = 0;
	int r;

	while ((r = virtq_get_used(&vrng.vq, &token, &written)) == 0) {
		if ((now = time_now()) > deadline) {
			vrng.timeouts++;
			return -EAGAIN;
		}
		// a lost notification would leave the request unseen for good
		virtq_notify_again(&vrng.vq, now, &again);
	}
	if (r < 0)
		return vrng_recover(r);
	vrng.posted = false;
	// virtq_get_used has checked that written is within the chain's
	// writable bytes, which are within `chunk`
	return (int)written;
}

int rng_read(void *buf, size_t len)
{
	uint8_t *out = buf;
	size_t done = 0;
	uint64_t deadline = time_now() + time_us_to_ticks(RNG_TIMEOUT_US);

	if (!vrng.present)
		return -ENODEV;
	if (len > 0x7fffffff)
		return -EINVAL;
	// a device that answers slowly, or keeps answering with nothing, must
	// not hold us past the deadline: what came by then is the answer
	while (done < len && time_now() <= deadline) {
		uint32_t want = len - done < RNG_CHUNK ? (uint32_t)(len - done) : RNG_CHUNK;
		// an earlier request the device has not answered is waited for
		// instead of a new one
		int got = vrng.posted ? 0 : vrng_request(want);
		if (got == 0)
			got = vrng_answer(deadline);
		if (got == -EAGAIN)
			break;
		if (got < 0)
			return got;
		if ((uint32_t)got < want)
			vrng.short_reads++;
		// an earlier, larger request may have brought more than we want
		size_t take = (size_t)got < len - done ? (size_t)got : len - done;
		memcpy(out + done, vrng.chunk, take);
		done += take;
		vrng.bytes += take;
	}
	return done > 0 || len == 0 ? (int)done : -ETIMEDOUT;
}

int rng_probe(void)
{
	memset(&vrng, 0, sizeof(vrng));
	int err;

	vrng.dev = virtio_claim_first(VIRTIO_ID_RNG, "virtio-rng");
	if (!vrng.dev) {
		kprintf("virtio-rng: no entropy device\n");
		return -ENODEV;
	}
	// the one buffer the device fills, for the driver's whole life
	vrng.chunk = dma_alloc(RNG_CHUNK);
	err = vrng.chunk ? vrng_start() : -ENOMEM;
	if (err < 0) {
		kprintf("virtio-rng: initialisation failed: %s\n", errstr(err));
		ksnprintf(vrng.dev->use, sizeof(vrng.dev->use), "virtio-rng failed to start it");
		dma_free(vrng.chunk, RNG_CHUNK);
		vrng.chunk = 0;
		return err;
	}
	vrng.present = true;
	kprintf("virtio-rng: %s, %s transport, up to %d bytes a request\n", vrng.dev->name,
	        vdev_transport(vrng.dev), RNG_CHUNK);
	return 0;
}

void rng_counters(struct rng_counters *out)
{
	*out = (struct rng_counters){vrng.requests, vrng.bytes, vrng.short_reads, vrng.timeouts,
	                             vrng.resets};
}

int rng_lose_notify(unsigned nth)
{
	if (!vrng.present)
		return -ENODEV;
	vdev_lose_notify(vrng.dev, nth);
	return 0;
}

bool rng_present(void)
{
	return vrng.present;
}

void rng_remove(void)
{
	if (vrng.present) {
		vrng_stop();
		vdev_dma_free(vrng.dev, vrng.chunk, RNG_CHUNK); // kept if the reset failed
	}
	memset(&vrng, 0, sizeof(vrng));
}
