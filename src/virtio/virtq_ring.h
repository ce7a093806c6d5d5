// The two ring implementations behind virtq.h, for virtq.c only: the split
// ring (virtq_split.c, spec 2.7) and the packed ring (virtq_packed.c, spec
// 2.8). virtq.c checks the caller's arguments and picks one; these do the
// ring work and check everything the device writes.
#ifndef VIRTIO_VIRTQ_RING_H
#define VIRTIO_VIRTQ_RING_H

#include "virtio/virtq.h"

// Both: allocate the rings and the private state (vq's common fields are
// set), add a checked chain (writable = its device-writable bytes), build
// a slot's fixed descriptors, add a slot's checked chain, notify if the
// device wants it, take a used chain, peek, switch interrupts, print
// state, give the three addresses.
int split_alloc(struct virtq *vq);
int split_add(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token,
              uint32_t writable);
void split_slot_set(struct virtq *vq, uint16_t slot);
int split_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data, int n,
                   void *token, uint32_t writable);
void split_kick(struct virtq *vq);
int split_get_used(struct virtq *vq, void **token, uint32_t *len);
bool split_has_used(struct virtq *vq);
void split_enable_interrupts(struct virtq *vq, bool on);
void split_dump(struct virtq *vq);
void split_dump_ring(struct virtq *vq, uint16_t first, uint16_t count);
void split_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device);

int packed_alloc(struct virtq *vq);
int packed_add(struct virtq *vq, const struct virtq_buf *bufs, int n, void *token,
               uint32_t writable);
void packed_slot_set(struct virtq *vq, uint16_t slot);
int packed_add_slot(struct virtq *vq, uint16_t slot, const struct virtq_buf *data, int n,
                    void *token, uint32_t writable);
void packed_kick(struct virtq *vq);
int packed_get_used(struct virtq *vq, void **token, uint32_t *len);
bool packed_has_used(struct virtq *vq);
void packed_enable_interrupts(struct virtq *vq, bool on);
void packed_dump(struct virtq *vq);
void packed_dump_ring(struct virtq *vq, uint16_t first, uint16_t count);
void packed_addrs(const struct virtq *vq, uint64_t *desc, uint64_t *driver, uint64_t *device);

// Mark the queue broken with a message naming what the device did wrong
// and the two numbers that show it; returns -EPROTO.
int virtq_broken(struct virtq *vq, const char *what, unsigned a, unsigned b);

// Spec 2.7.10.1 (and 2.8.10 with ring offsets): the other side just
// published entries old .. new-1; whether `event`, the entry it asked to
// hear about, is one of them. 16-bit modular arithmetic throughout:
//   need_event(5, 6, 4)         -> true   (4 and 5 published)
//   need_event(4, 6, 4)         -> true
//   need_event(6, 6, 4)         -> false  (6 is the next one, not yet there)
//   need_event(65535, 1, 65534) -> true   (65534, 65535, 0: wraps past 0)
//   need_event(4, 4, 4)         -> false  (nothing published)
bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx);

#endif
