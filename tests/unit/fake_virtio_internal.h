// Inside the fake virtio device: what its files share and no test needs.
//
//   fake_virtio.c        the devices in the slots, complaints, moving bytes
//                        in and out of a chain, the generic device type
//   fake_virtio_regs.c   the virtio-mmio register file and Status
//   fake_virtio_queue.c  a queue's life, notify, and when and how the held
//                        requests complete (the completion policy, the lies)
//   fake_virtio_split.c  the split ring's layout (spec 2.7)
//   fake_packed.c        the packed ring's layout (spec 2.8)
//   fake_virtio_blk.c    the virtio-blk device type
#ifndef FAKE_VIRTIO_INTERNAL_H
#define FAKE_VIRTIO_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fake_mmio.h"
#include "fake_virtio.h"

// The device attached to each slot, or NULL (fake_virtio_new sets it).
extern struct fake_virtio *fv_devs[FAKE_SLOTS];
// virt_wmb and virt_mb calls so far (host_barrier, fake_virtio_split.c).
extern uint64_t fv_host_barriers;
// What fake_virtio_new attaches to the slot (fake_virtio_regs.c).
extern const struct fake_slot_ops fv_mmio_ops;

// The driver broke the protocol: counted in fv->errors, the first sentence
// kept in fv->error.
void driver_bug(struct fake_virtio *fv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Stop a queue the driver corrupted and ask for a reset.
void queue_broken(struct fake_virtio *fv, struct fv_queue *q);
bool fv_has_feature(const struct fake_virtio *fv, unsigned bit);

// A queue's life (fake_virtio_queue.c).
void queue_drop(struct fv_queue *q);
void queue_reset(struct fv_queue *q);
void queue_go_live(struct fake_virtio *fv, struct fv_queue *q);
void queue_notify(struct fake_virtio *fv, uint32_t qi);
// The device lets go of chain `id`, named by a used entry.
void retire(struct fv_queue *q, uint32_t id);

// The split ring (fake_virtio_split.c).
// Whether QueueNum and the three areas the driver programmed are usable.
bool split_check_areas(struct fake_virtio *fv, struct fv_queue *q);
// Take newly available chains.
void split_fetch(struct fake_virtio *fv, struct fv_queue *q);
// Write one used entry and move used->idx by `step`.
void split_push_used(struct fake_virtio *fv, struct fv_queue *q, uint32_t id, uint32_t len,
                     uint16_t step);
// Append one buffer to r, refusing what no device may accept.
bool add_seg(struct fake_virtio *fv, struct fv_req *r, uint64_t addr, uint32_t len, bool write,
             bool *seen_write);
// EVENT_IDX (spec 2.7.10): did moving old_idx to new_idx pass event?
bool fv_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx);

#endif
