// A fake virtio-mmio device for the host tests, both register layouts
// (version 1 legacy, version 2 modern). It is stricter than QEMU: every
// step of the driver is checked against the spec (status order, features,
// queue registers, ring contents) and each violation is counted in
// `errors` with a sentence in `error`, so a test can assert there were
// none. On QueueNotify it walks the available ring as a device would,
// following NEXT and INDIRECT descriptors with every index and length
// bounds-checked, and hands each chain to a device-type handler: a
// virtio-blk disk in memory, or a generic device that fills every
// device-writable byte.
//
// A test makes the device misbehave by setting fields of struct
// fake_virtio: refuse FEATURES_OK, hold requests, complete them out of
// order, lie in the used ring (`lie`), fail chosen sectors, never finish
// a reset, ... Requests the device has taken but not completed are held
// until the completion policy (`when`) or the test releases them.
#ifndef FAKE_VIRTIO_H
#define FAKE_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FV_QUEUES       2   // queues per device; QueueNumMax of others reads 0
#define FV_CONFIG_BYTES 256 // device-specific configuration space
#define FV_MAX_SEGS     16  // buffers in one chain the fake accepts
#define FV_SECTOR_RULES 8
#define FV_STATUS_LOG   32

// One buffer of a chain, as the device found it.
struct fv_seg {
	uint64_t addr;
	uint32_t len;
	bool write; // device-writable
};

// A chain the device took from the available ring.
struct fv_req {
	uint16_t head;
	uint16_t nseg;
	uint16_t slots;    // packed ring: the ring slots the chain took
	bool indirect;     // it came through an indirect table
	uint32_t readable; // bytes the device may read
	uint32_t writable; // bytes the device may write
	struct fv_seg seg[FV_MAX_SEGS];
};

// When held requests complete.
enum fv_when {
	FV_NOW,     // at the notify that made them available (after hold_notifies)
	FV_HOLD,    // never, until the test calls fake_virtio_complete*()
	FV_ON_IDLE, // when the driver idles (fake_virtio_idle as host_idle_hook)
};

// Which held request completes first.
enum fv_order {
	FV_FIFO,    // the order they were made available
	FV_REVERSE, // newest first
	FV_SHUFFLE, // a pseudo-random order from `seed`
};

// A lie in the used ring, told once, at the next completion.
enum fv_lie {
	FV_LIE_NONE,
	FV_LIE_ID_RANGE,         // used id >= queue size
	FV_LIE_ID_NOT_IN_FLIGHT, // used id that heads no chain in flight
	FV_LIE_LEN_TOO_BIG,      // used len = the chain's writable bytes + 1
	FV_LIE_IDX_JUMP,         // used idx moves by queue size + 1 instead of 1
	FV_LIE_WRONG_WRAP,       // packed: the used descriptor carries the last lap's bits
	FV_LIE_ID_TWICE,         // the buffer ID is reported used twice in a row
};

// How one completion is answered (the fuzzer's hook); -1 = what the
// handler decided.
struct fv_answer {
	int64_t id;        // used id to report
	int64_t len;       // used length to report
	int status;        // virtio-blk status byte to write instead of the handler's
	uint16_t idx_step; // how far used idx moves (0 = 1)
};

struct fv_queue {
	// Set by the test.
	uint32_t num_max;           // QueueNumMax: 0 = no such queue
	uint16_t avail_event_ahead; // EVENT_IDX: ask for a notify only this many chains later
	bool no_notify;             // no EVENT_IDX: set VIRTQ_USED_F_NO_NOTIFY in used->flags

	// Programmed by the driver.
	uint32_t num;                              // QueueNum
	uint32_t ready;                            // QueueReady (modern)
	uint32_t pfn, align;                       // QueuePFN, QueueAlign (legacy)
	uint64_t desc, driver, device;             // modern addresses as written (Low/High)
	bool live;                                 // ready (modern) or PFN set (legacy) and checked
	uint64_t desc_addr, avail_addr, used_addr; // where the device reads and writes

	// Device-side state.
	bool broken;             // the driver broke the protocol on this queue
	uint16_t last_avail;     // next available entry to take
	uint16_t used_idx;       // next used entry to write
	uint16_t signalled_used; // EVENT_IDX bookkeeping (QEMU's signalled_used)
	bool signalled_valid;
	bool packed;         // VIRTIO_F_RING_PACKED: last_avail and used_idx are ring slots
	bool avail_wrap;     // packed: the wrap counter of the slot at last_avail
	bool used_wrap;      // packed: the device ring wrap counter (2.8.1)
	bool wrong_wrap;     // packed: the next used descriptor gets the wrong bits
	uint16_t *owner;     // per descriptor: head + 1 of the chain holding it, 0 = free
	struct fv_req *reqs; // indexed by head (packed: by buffer ID)
	uint16_t *pending;   // heads taken and not completed, oldest first
	uint32_t npending;
	// What avail->idx published, seen at the store itself (host_shared_store;
	// a packed ring keeps its next head to publish here, fp_shared_store):
	// the ring entries as they were then, and the barrier count.
	uint16_t *published;
	uint16_t published_idx;
	uint64_t barriers_then;

	// Counters (kept across resets).
	uint64_t notifies, chains, indirect_chains, completed;
	uint32_t max_pending;   // most chains held at once
	uint16_t order_log[64]; // heads in completion order (the first 64)
	uint32_t norder_log;
};

struct fake_virtio;
// Device-type handler: do the request, return the bytes written into the
// chain (the used length). fv_read/fv_write move the bytes.
typedef uint32_t (*fv_handler)(struct fake_virtio *fv, const struct fv_req *r);

struct fv_sector_rule {
	uint64_t sector;
	uint8_t status; // VIRTIO_BLK_S_* or any garbage value
};

struct fake_virtio {
	// Identification registers.
	int slot;
	uint32_t version, device_id, vendor_id;

	// Set by the test.
	uint64_t offered;                // DeviceFeatures (legacy: the low 32 bits only)
	uint8_t config[FV_CONFIG_BYTES]; // device configuration, little-endian
	uint32_t config_changes;         // ConfigGeneration changes during this many reads
	bool refuse_features_ok;         // FEATURES_OK never sticks
	uint64_t refuse_if_accepted;     // FEATURES_OK does not stick if these were accepted
	bool reset_stuck;                // Status never reads 0 after a reset
	uint32_t reset_reads;            // Status reads 0 only after this many reads
	bool needs_reset_at_notify;      // set DEVICE_NEEDS_RESET at the next notify
	uint32_t needs_reset_on_status;  // set it when the driver adds one of these status bits
	enum fv_when when;
	uint32_t hold_notifies; // FV_NOW: the next this many notifies only take chains
	uint32_t idle_wait;     // FV_ON_IDLE: complete at every this-many-th idle call
	enum fv_order order;
	uint32_t seed;
	enum fv_lie lie;    // told at the next completion, then cleared
	uint32_t short_by;  // every used length is this much smaller than the truth
	fv_handler handler; // set by fake_virtio_new for the device type
	// Fuzzing: when set, runs on each device turn (notify, idle) instead of
	// the completion policy; `idle` says which.
	void (*turn_hook)(struct fake_virtio *fv, int queue, bool idle);

	// Registers and transport state.
	uint32_t status;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint64_t driver_features;  // DriverFeatures as written
	uint32_t drv_feat_written; // bit w: word w of DriverFeatures was written
	bool features_accepted;    // FEATURES_OK stuck (modern) / legacy DRIVER_OK
	uint32_t guest_page_size;  // legacy
	uint32_t queue_sel;
	uint32_t int_status;
	uint32_t config_gen;
	int config_torn_reads; // this many 32-bit config reads return a changing value
	bool config_bumped;    // the generation changed since the driver last read it
	bool reset_pending;    // a reset the driver has not yet seen complete
	uint32_t reset_reads_left;
	uint32_t idle_calls;
	struct fv_queue q[FV_QUEUES];

	// What the driver did.
	uint32_t status_log[FV_STATUS_LOG]; // every value written to Status
	uint32_t nstatus_log;
	bool features_ok_written;        // FEATURES_OK ever written (a legacy driver must not)
	uint32_t status_reads_after_fok; // Status reads after FEATURES_OK was written
	uint32_t gen_reads;              // ConfigGeneration reads
	uint32_t config_reads[5];        // device-config reads by width (1, 2, 4 bytes)
	uint32_t last_int_ack;           // the last value written to InterruptACK
	uint32_t resets;                 // 0 written to Status
	uint64_t irqs;                   // times the device raised a used-buffer interrupt
	uint64_t config_irqs;
	int errors;      // protocol violations by the driver
	char error[256]; // the first one

	// virtio-blk.
	uint8_t *disk;
	uint64_t disk_bytes;
	char serial[21];
	bool no_get_id; // answer GET_ID with UNSUPP, as an old device would
	struct fv_sector_rule rules[FV_SECTOR_RULES];
	int nrules;
	uint64_t blk_reads, blk_writes, blk_flushes, blk_get_ids, blk_other;
	uint64_t blk_bytes_read, blk_bytes_written;
	uint32_t blk_max_data; // largest data buffer seen in one request
};

// Attach a fresh device to slot (0..7) of the fake MMIO space. A block
// device gets a disk of `sectors` 512-byte sectors filled with a known
// pattern (fake_virtio_pattern), serial "fake-virtio-blk", features
// SEG_MAX, BLK_SIZE (512), FLUSH; every device offers INDIRECT_DESC,
// EVENT_IDX and, when modern, VERSION_1, and has queue 0 of 256 entries.
// Any other device ID gets the generic handler.
struct fake_virtio *fake_virtio_new(int slot, uint32_t version, uint32_t device_id);
struct fake_virtio *fake_virtio_blk(int slot, uint32_t version, uint64_t sectors);
// Detach and free everything.
void fake_virtio_free(struct fake_virtio *fv);
// Free every device still attached (for a test's fini).
void fake_virtio_free_all(void);

// The byte the pattern puts at disk offset off.
uint8_t fake_virtio_pattern(uint64_t off);

// Configuration space, little-endian.
void fake_virtio_config_set(struct fake_virtio *fv, uint32_t off, uint64_t val, int bytes);
// Fail requests touching `sector` with this status byte.
void fake_virtio_blk_fail_sector(struct fake_virtio *fv, uint64_t sector, uint8_t status);

// Device side of the ring, for tests and the fuzzer.
// Take newly available chains as a notify would (without counting one).
void fake_virtio_fetch(struct fake_virtio *fv, int queue);
// Complete the k-th held request (0 = oldest), with a lie if one is set.
// Returns 0, or -1 if there is no such request.
int fake_virtio_complete(struct fake_virtio *fv, int queue, uint32_t k);
// The same with the answer given (NULL: the truth).
int fake_virtio_complete_as(struct fake_virtio *fv, int queue, uint32_t k,
                            const struct fv_answer *a);
// Complete every held request in `order`; returns how many.
int fake_virtio_complete_all(struct fake_virtio *fv, int queue);
// Write a used entry the device never took (fuzzing).
void fake_virtio_push_raw(struct fake_virtio *fv, int queue, uint32_t id, uint32_t len,
                          uint16_t idx_step);
// Set DEVICE_NEEDS_RESET and raise a configuration interrupt.
void fake_virtio_set_needs_reset(struct fake_virtio *fv);
// The host_idle_hook: every device in FV_ON_IDLE mode gets a turn.
void fake_virtio_idle(void);

// Move bytes between a chain and the device: off counts from the start
// of the readable (fv_read) or writable (fv_write) buffers. Return the
// bytes moved.
uint32_t fv_read(const struct fv_req *r, uint32_t off, void *dst, uint32_t len);
uint32_t fv_write(const struct fv_req *r, uint32_t off, const void *src, uint32_t len);

#endif
