// libFuzzer harness for the virtqueue and virtio-blk driver against a
// device that answers whatever the input says: which request completes
// when, with which used id, length, index step and status byte, a device
// that needs a reset, a slow reset or one that never ends, a generation
// that keeps changing, an odd QueueNumMax; on modern devices a split or a
// packed ring (spec 2.8), whose used descriptors can also carry the wrong
// wrap bits or name a buffer ID twice. The driver must never crash,
// trip a sanitizer, hang, break the virtio protocol (the fake device
// checks), leak DMA memory, or leave a request unfinished; and after the
// storm, if it still has the device, an honest read must return the
// disk's bytes.
//
//   make fuzz-virtqueue FUZZ_SECONDS=60
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk/blkdev.h"
#include "fake_mmio.h"
#include "fake_virtio.h"
#include "fdt.h"
#include "host_kernel.h"
#include "virtio/blk.h"
#include "virtio/scan.h"
#include "virtio/virtio.h"

#define DISK_SECTORS 64
#define MAX_IO       24

// The input, read front to back; past its end every byte is 0.
static const uint8_t *in;
static size_t in_len, in_pos;

static uint8_t take(void)
{
	return in_pos < in_len ? in[in_pos++] : 0;
}

static uint16_t take16(void)
{
	uint16_t lo = take();

	return (uint16_t)(lo | take() << 8);
}

static bool exhausted(void)
{
	return in_pos >= in_len;
}

static void die(const char *what, struct fake_virtio *fv)
{
	fprintf(stderr, "fuzz_virtqueue: %s\n", what);
	if (fv)
		fprintf(stderr, "fake device: %d errors, first: %s\n", fv->errors, fv->error);
	fprintf(stderr, "--- driver log ---\n%s\n", host_log());
	abort();
}

// One device turn (a notify, or the driver idling): a few actions, each
// chosen by the input. Once the input runs out the device turns honest
// and finishes everything, so every run ends.
static void turn(struct fake_virtio *fv, int qi, bool idle)
{
	struct fv_queue *q = &fv->q[qi];

	(void)idle;
	if (exhausted()) {
		fake_virtio_complete_all(fv, qi);
		return;
	}
	for (int n = take() % 4; n > 0 && q->live; n--) {
		uint8_t op = take();
		uint32_t k = q->npending ? take() % q->npending : 0;
		struct fv_answer a = {-1, -1, -1, 0};
		switch (op % 14) {
		case 0: break; // not yet
		case 1:
		case 2:
		case 3: fake_virtio_complete(fv, qi, k); break;
		case 4: fake_virtio_complete_all(fv, qi); break;
		case 5:
			a.status = take();
			fake_virtio_complete_as(fv, qi, k, &a);
			break;
		case 6:
			a.len = take16();
			fake_virtio_complete_as(fv, qi, k, &a);
			break;
		case 7:
			a.id = take16() % (q->num + 4);
			fake_virtio_complete_as(fv, qi, k, &a);
			break;
		case 8:
			a.idx_step = (uint16_t)(take() % 3 + 2);
			if (take() & 1)
				a.idx_step = take16();
			fake_virtio_complete_as(fv, qi, k, &a);
			break;
		case 9: {
			uint16_t id = take16(), len = take16();
			fake_virtio_push_raw(fv, qi, id % (q->num + 4), len, 1);
			break;
		}
		case 10: {
			uint8_t b = take();
			if (b < 32)
				fake_virtio_set_needs_reset(fv);
			else if (b < 40)
				fv->reset_stuck = true; // the device is about to be lost
			break;
		}
		case 11: fv->order = (enum fv_order)(take() % 3); break;
		case 12:
			fv->lie = FV_LIE_WRONG_WRAP; // packed: a completion the driver cannot see
			fake_virtio_complete(fv, qi, k);
			break;
		case 13:
			fv->lie = FV_LIE_ID_TWICE;
			fake_virtio_complete(fv, qi, k);
			break;
		}
	}
}

static uint8_t bufs[MAX_IO][4096];

static void run_round(struct fake_virtio *fv)
{
	struct vblk_io io[MAX_IO];
	int n = take() % MAX_IO + 1, depth = take() % 9;

	for (int i = 0; i < n; i++) {
		uint8_t t = take();
		static const uint32_t types[] = {VIRTIO_BLK_T_IN,     VIRTIO_BLK_T_OUT,
		                                 VIRTIO_BLK_T_IN,     VIRTIO_BLK_T_FLUSH,
		                                 VIRTIO_BLK_T_GET_ID, 3};
		uint32_t type = types[t % 6];
		uint32_t len = (uint32_t)((t >> 3) % 8 + 1) * 512;
		if (type == VIRTIO_BLK_T_GET_ID)
			len = VIRTIO_BLK_ID_BYTES;
		if (t == 0xff)
			len = 700; // not a whole sector
		io[i] = (struct vblk_io){type, take() % (DISK_SECTORS + 8), bufs[i], len, 0};
	}
	int first = vblk_run(vblk_next(0), io, n, depth);
	int seen = 0;
	for (int i = 0; i < n; i++) {
		if (io[i].result > 0)
			die("vblk_run returned with a request unfinished", fv);
		if (io[i].result < 0 && !seen)
			seen = io[i].result;
	}
	if (first != seen)
		die("vblk_run's result is not the first request's error", fv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	// vq_size 3, 2 and 1 are refused by bootarg.c (the default stands);
	// nummax's 3 and 1 still give the driver queues that small
	static const uint16_t qsizes[] = {256, 16, 8, 4, 3, 2, 1, 0};
	static const uint32_t nummax[] = {256, 128, 100, 16, 5, 3, 1, 0};

	in = data;
	in_len = size;
	in_pos = 0;
	fake_mmio_reset();
	host_log_clear();
	host_time_reset();
	host_time_step = 10000; // 1 ms a clock read: timeouts end quickly
	host_idle_hook = NULL;

	uint8_t cfg = take(), cfg2 = take();
	uint16_t qsize = qsizes[cfg2 % 8];
	uint32_t qmax = nummax[(cfg2 >> 3) % 8];
	snprintf(boot_info.bootargs, sizeof(boot_info.bootargs), "blk_timeout_ms=2 vq_size=%u%s%s",
	         qsize, cfg & 2 ? " indirect=off" : "", cfg & 4 ? " event_idx=off" : "");
	struct fake_virtio *fv = fake_virtio_blk(7, cfg & 1 ? 2 : 1, DISK_SECTORS);
	if (cfg & 128) // a modern device then runs the packed ring
		fv->offered |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	fv->q[0].num_max = qmax;
	if (cfg & 8) {
		fv->offered |= VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE);
		fake_virtio_config_set(fv, FV_BLK_CONFIG(blk_size), 4096, 4);
	}
	if (cfg & 16) {
		fv->offered |= VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX);
		fake_virtio_config_set(fv, FV_BLK_CONFIG(size_max), 1024, 4);
	}
	if (cfg & 64)
		fv->offered |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	fv->config_changes = cfg2 >> 6;
	fv->reset_reads = take() % 8;
	fv->turn_hook = turn;

	virtio_scan();
	if (vblk_probe() == 0) {
		if (cfg & 32) {
			vblk_set_polling(false);
			host_idle_hook = fake_virtio_idle;
		}
		for (int r = take() % 4 + 1; r > 0 && vblk_present(vblk_next(0)); r--)
			run_round(fv);

		// the storm is over: an honest device must get honest answers
		fv->turn_hook = NULL;
		fv->when = FV_NOW;
		fv->lie = FV_LIE_NONE;
		fv->hold_notifies = 0;
		static uint8_t check[4096];
		int err = -1;
		for (int tries = 0; tries < 2 && err != 0 && vblk_present(vblk_next(0)); tries++)
			err = vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 8, check, 4096);
		if (vblk_present(vblk_next(0))) {
			if (err != 0)
				die("an honest device's read failed after recovery", fv);
			if (memcmp(check, fv->disk + 8 * 512, sizeof(check)))
				die("an honest read returned the wrong bytes", fv);
		}
	}
	vblk_remove();
	host_idle_hook = NULL;
	if (fv->errors)
		die("the driver broke the virtio protocol", fv);
	fake_virtio_free_all();
	if (host_dma_outstanding() != 0) {
		// a device whose reset never finished keeps its rings and
		// buffers forever (spec 2.4: it may still write them)
		if (!host_log_has("its memory kept"))
			die("DMA memory leaked", NULL);
		host_dma_release_all();
	}
	return 0;
}
