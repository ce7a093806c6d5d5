// The virtio entropy device (spec 5.4): random bytes from the host.
#ifndef VIRTIO_RNG_H
#define VIRTIO_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Find the first virtio-rng device and start it. Without one, prints a
// single line and returns -ENODEV; the rest of the kernel does not care.
int rng_probe(void);
bool rng_present(void);

// Fill buf with up to len random bytes from the device, waiting at most
// half a second. Returns how many it gave (len, or fewer when the device
// went quiet: a rate-limited one gives only so many bytes a period), or
// -errno: -ENODEV without the device, -ETIMEDOUT if it gave none in time.
int rng_read(void *buf, size_t len);

// What the driver has done since it started (`random stats`): requests
// put on the queue, bytes handed to callers, answers shorter than asked,
// waits that ran out with a request still with the device, and resets.
struct rng_counters {
	uint64_t requests, bytes, short_reads, timeouts, resets;
};
void rng_counters(struct rng_counters *out);

// For tests: reset the device and free its queue.
void rng_remove(void);
// Tests only (`faultinject kick N rng`): the device's nth notification from
// now is not sent. -ENODEV without a device.
int rng_lose_notify(unsigned nth);

#endif
