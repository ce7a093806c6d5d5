// The split-virtqueue tests' fixture (test_virtqueue.c and
// test_virtqueue_notify.c): one device in slot 0 of the fake MMIO space, its
// queue 0, and buffers shaped like virtio-blk's. Each test file that
// includes it gets its own copy, as with any static test helper.
#ifndef VQ_FIXTURE_H
#define VQ_FIXTURE_H

#include <criterion/criterion.h>
#include <string.h>

#include "fake_mmio.h"
#include "fake_virtio.h"
#include "host_kernel.h"
#include "mem.h"
#include "virtio/mmio.h"
#include "virtio/scan.h"
#include "virtio/virtio.h"
#include "virtio/virtq.h"

#define BIT(b)   VIRTIO_BIT(b)
#define INDIRECT BIT(VIRTIO_F_INDIRECT_DESC)
#define EVENTIDX BIT(VIRTIO_F_EVENT_IDX)

static __attribute__((unused)) struct fake_virtio *fv;
static __attribute__((unused)) struct virtio_dev dev;
static __attribute__((unused)) struct virtq vq;

// Buffers the device reads and writes; the tokens are their addresses.
static __attribute__((unused)) uint8_t hdr[64][16], data[64][512], status[64];

static __attribute__((unused)) void vq_setup(void)
{
	fake_mmio_reset();
	host_log_clear();
	host_time_reset();
	memset(&vq, 0, sizeof(vq));
}

static __attribute__((unused)) void vq_teardown(void)
{
	if (vq.ring_mem) {
		vdev_reset(&dev);
		vdev_queue_release(&dev, &vq);
	}
	fake_virtio_free_all();
	dma_fail_nth(0);
}

// An entropy-like device (the generic handler fills every writable byte)
// in slot 0, initialised with `wanted` features.
static __attribute__((unused)) struct fake_virtio *plug(uint32_t version, uint64_t wanted)
{
	struct virtio_slot s;

	fv = fake_virtio_new(0, version, VIRTIO_ID_RNG);
	virtio_probe_slot(0, fake_mmio_base(0), &s);
	cr_assert_eq(vmmio_open(&dev, &s), 0);
	cr_assert_eq(vdev_init(&dev, wanted, 0), 0, "%s", host_log());
	return fv;
}

// plug, then queue 0 of at most max entries, then DRIVER_OK.
static __attribute__((unused)) void plug_queue(uint32_t version, uint64_t wanted, uint16_t max)
{
	plug(version, wanted);
	int err = vdev_queue_setup(&dev, &vq, 0, max);
	cr_assert_eq(err, 0, "queue setup: %d\n%s", err, host_log());
	vdev_driver_ok(&dev);
}

static __attribute__((unused)) void assert_driver_followed_the_spec(void)
{
	cr_assert_eq(fv->errors, 0,
	             "the fake device saw %d protocol errors, the first: %s\nlog:\n%s", fv->errors,
	             fv->error, host_log());
}

// A blk-shaped chain: 16 bytes out, 512 in, 1 status byte in.
static __attribute__((unused)) int add3(int i)
{
	struct virtq_buf b[3] = {
	    {virt_to_phys(hdr[i]), 16, false},
	    {virt_to_phys(data[i]), 512, true},
	    {virt_to_phys(&status[i]), 1, true},
	};
	return virtq_add_chain(&vq, b, 3, data[i]);
}

static __attribute__((unused)) int add1(int i)
{
	struct virtq_buf b = {virt_to_phys(data[i]), 512, true};

	return virtq_add_chain(&vq, &b, 1, data[i]);
}

#endif
