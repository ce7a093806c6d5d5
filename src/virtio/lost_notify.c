// Fault injection for tests (`faultinject kick N`): the nth notification
// of one device from now is not sent, as if the device had missed it, so
// a test can show that the driver recovers from a lost notification (see
// virtq_notify_again). The device's ops table is swapped for a copy whose notify
// counts down and, at the lost one, puts the real table back without
// calling it: the request path pays nothing for the hook.
#include "virtio/virtio_dev.h"

static struct virtio_transport_ops lossy_ops;
static const struct virtio_transport_ops *real_ops;
static struct virtio_dev *lossy_dev;
static unsigned lossy_left;

static void lossy_notify(struct virtio_dev *d, uint16_t queue)
{
	if (--lossy_left == 0) {
		d->ops = real_ops; // this one is lost; the next goes out
		lossy_dev = 0;
		return;
	}
	real_ops->notify(d, queue);
}

void vdev_lose_notify(struct virtio_dev *d, unsigned nth)
{
	if (lossy_dev) {
		lossy_dev->ops = real_ops; // a hook not yet sprung is taken off
		lossy_dev = 0;
	}
	if (nth == 0)
		return;
	real_ops = d->ops;
	lossy_ops = *d->ops;
	lossy_ops.notify = lossy_notify;
	lossy_left = nth;
	lossy_dev = d;
	d->ops = &lossy_ops;
}
