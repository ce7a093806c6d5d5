// The packed ring (spec 2.8) of the fake virtio device: fake_virtio.c hands
// a queue here when the driver negotiated VIRTIO_F_RING_PACKED. The device
// side of the ring, as strict as the split one: every descriptor the driver
// makes available is checked (ownership bits of its lap, flags, lengths,
// buffer IDs not reused while in flight) before the chain is taken.
#ifndef FAKE_PACKED_H
#define FAKE_PACKED_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_virtio.h"

// Whether the driver's three areas are aligned and in DMA memory (2.8.10.1).
bool fp_check_areas(struct fake_virtio *fv, struct fv_queue *q);
// Take newly available chains (as fake_virtio_fetch does for a split ring).
void fp_fetch(struct fake_virtio *fv, struct fv_queue *q);
// Write one used descriptor for buffer `id` at the device's next slot, then
// skip `slots` slots (the chain's); a lie set in q->wrong_wrap is told here.
void fp_push_used(struct fake_virtio *fv, struct fv_queue *q, uint32_t id, uint32_t len,
                  uint16_t slots);

// A WRITE_ONCE of the driver landed at p while q is a live packed ring:
// check a head made available there as a concurrent device would see it.
void fp_shared_store(struct fake_virtio *fv, struct fv_queue *q, const volatile void *p,
                     uint64_t barriers);

// Shared with fake_virtio.c.
void driver_bug(struct fake_virtio *fv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void queue_broken(struct fake_virtio *fv, struct fv_queue *q);
bool add_seg(struct fake_virtio *fv, struct fv_req *r, uint64_t addr, uint32_t len, bool write,
             bool *seen_write);
void retire(struct fv_queue *q, uint32_t id);
bool fv_has_feature(const struct fake_virtio *fv, unsigned bit);
bool fv_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx);

#endif
