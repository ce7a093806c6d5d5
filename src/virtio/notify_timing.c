// Bench only (`benchloop`): time one device's notifications, and hold
// each one back until a given pause has passed since the previous one
// returned. Like lost_notify.c, it swaps the device's ops table for a
// copy whose notify does the timing, so the request path pays nothing
// while no one is timing it.
//
// Why a pause: on virtio-mmio under TCG, QEMU does the device's work inside
// the notification, and what the guest does between two notifications
// decides how often QEMU's main loop gets its lock in between
// (docs/measurements.md, "What depth 32 is made of"). Padding the fastest checking loop's gaps
// to the driver's length, and past it, shows what that gap costs by
// itself, whoever spends it.
#include "hw/time.h"
#include "virtio/virtio_dev.h"

static struct virtio_transport_ops timed_ops;
static const struct virtio_transport_ops *real_ops;
static struct virtio_dev *timed_dev;
static struct vdev_notify_timing *timing;
static uint64_t pause_ticks, last_return;

static void timed_notify(struct virtio_dev *d, uint16_t queue)
{
	uint64_t t = time_now();

	if (timing->count) {
		// the gap before a queue's first notification is not the loop's
		timing->between += t - last_return;
		while (t - last_return < pause_ticks)
			t = time_now();
	}
	real_ops->notify(d, queue);
	last_return = time_now();
	timing->inside += last_return - t;
	timing->count++;
}

void vdev_time_notify(struct virtio_dev *d, uint32_t pause_us, struct vdev_notify_timing *t)
{
	if (timed_dev) {
		timed_dev->ops = real_ops;
		timed_dev = 0;
	}
	if (!t)
		return;
	*t = (struct vdev_notify_timing){0};
	timing = t;
	pause_ticks = time_us_to_ticks(pause_us);
	real_ops = d->ops;
	timed_ops = *d->ops;
	timed_ops.notify = timed_notify;
	timed_dev = d;
	d->ops = &timed_ops;
}
