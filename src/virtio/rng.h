// The virtio entropy device (spec 5.4): random bytes from the host.
#ifndef VIRTIO_RNG_H
#define VIRTIO_RNG_H

#include <stdbool.h>
#include <stddef.h>

// Find the first virtio-rng device and start it. Without one, prints a
// single line and returns -ENODEV; the rest of the kernel does not care.
int rng_probe(void);
bool rng_present(void);

// Fill buf with len random bytes from the device. Returns len, or -errno:
// -ENODEV without the device, -ETIMEDOUT if it gave too little in time.
int rng_read(void *buf, size_t len);

// For tests: reset the device and free its queue.
void rng_remove(void);

#endif
