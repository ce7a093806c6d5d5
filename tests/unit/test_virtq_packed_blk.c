// Lab 11: virtio-blk, unchanged, on a packed ring: byte-exact transfers
// with many requests in flight completed out of order, a full ring that
// waits, and a device that breaks the packed ring's rules being reset and
// recovered exactly as on the split ring.
#include <criterion/criterion.h>
#include <string.h>

#include "blk/blkdev.h"
#include "errno.h"
#include "fake_mmio.h"
#include "fake_virtio.h"
#include "fdt.h"
#include "host_kernel.h"
#include "mem.h"
#include "virtio/blk.h"
#include "virtio/mmio_regs.h"
#include "virtio/scan.h"
#include "virtio/virtio.h"

#define SECTORS  4096
#define BLK_SLOT 7

static struct fake_virtio *fv;
static uint8_t buf[128 * 1024];

static void setup(void)
{
	fake_mmio_reset();
	host_log_clear();
	host_time_reset();
	boot_info.bootargs[0] = '\0';
	host_idle_hook = NULL;
}

static void teardown(void)
{
	vblk_remove();
	fake_virtio_free_all();
	boot_info.bootargs[0] = '\0';
}

TestSuite(packed_blk, .init = setup, .fini = teardown, .timeout = 60);

// A modern disk in slot 7 offering the packed ring, probed.
static void plug_and_probe(const char *bootargs)
{
	strcpy(boot_info.bootargs, bootargs);
	for (int i = 0; i < BLK_SLOT; i++)
		fake_mmio_set_ids(i, VIRTIO_MMIO_MAGIC, 2, 0, 0x554d4551);
	fv = fake_virtio_blk(BLK_SLOT, 2, SECTORS);
	fv->offered |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	virtio_scan();
	int err = vblk_probe();
	cr_assert_eq(err, 0, "probe: %d\n%s", err, host_log());
	cr_assert(fv->q[0].packed, "the disk runs a packed ring");
	cr_assert(host_log_has("packed ring: desc"), "%s", host_log());
}

static void finish(void)
{
	cr_assert_eq(fv->errors, 0, "the fake device saw %d protocol errors, the first: %s\n%s",
	             fv->errors, fv->error, host_log());
	vblk_remove();
	cr_assert_eq(host_dma_outstanding(), 0, "DMA memory leaked");
}

static void assert_pattern(uint64_t sector, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != fake_virtio_pattern(sector * 512 + i))
			cr_assert_fail("byte %zu read from sector %lu: 0x%02x, expected 0x%02x", i,
			               (unsigned long)sector, p[i],
			               fake_virtio_pattern(sector * 512 + i));
}

// n single-sector requests, half reads, half writes, to scattered sectors
static void run_many(int n)
{
	static struct vblk_io io[256];

	for (int i = 0; i < n; i++) {
		uint8_t *p = buf + (size_t)i * 512;
		for (int k = 0; k < 512; k++)
			p[k] = i % 2 ? (uint8_t)(i * 3 + k) : 0;
		io[i] = (struct vblk_io){i % 2 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
		                         (uint64_t)(i * 37) % SECTORS, p, 512, 0};
	}
	cr_assert_eq(vblk_run(vblk_next(0), io, n, 0), 0, "%s", host_log());
	for (int i = 0; i < n; i++) {
		cr_assert_eq(io[i].result, 0, "request %d: %d", i, io[i].result);
		if (i % 2)
			cr_assert_eq(memcmp(fv->disk + io[i].sector * 512, io[i].buf, 512), 0,
			             "write %d reached the disk", i);
		else
			assert_pattern(io[i].sector, io[i].buf, 512);
	}
}

Test(packed_blk, lab11_read_is_byte_exact)
{
	plug_and_probe("");
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 100, buf, 64 * 1024), 0, "%s",
	             host_log());
	assert_pattern(100, buf, 64 * 1024);
	finish();
}

Test(packed_blk, lab11_many_requests_completed_in_random_order_are_all_correct)
{
	plug_and_probe("");
	fv->order = FV_SHUFFLE;
	fv->seed = 2024;
	run_many(200);
	cr_assert_geq(fv->q[0].max_pending, 32, "the requests were in flight together");
	finish();
}

Test(packed_blk, lab11_full_ring_without_indirect_waits_for_completions)
{
	plug_and_probe("vq_size=16 indirect=off");
	vblk_irqs_ready(); // what the boot does once the interrupt is wired
	vblk_set_polling(false);
	host_idle_hook = fake_virtio_idle;
	fv->when = FV_ON_IDLE;
	fv->idle_wait = 3;
	fv->order = FV_REVERSE;
	run_many(100);
	cr_assert_eq(fv->q[0].max_pending, 5, "five 3-slot chains fill a 16-slot ring");
	cr_assert_eq(fv->q[0].indirect_chains, 0);
	finish();
}

Test(packed_blk, lab11_bad_buffer_id_fails_the_request_and_recovers)
{
	plug_and_probe("");
	fv->lie = FV_LIE_ID_RANGE;
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), -EPROTO);
	cr_assert(host_log_has("used buffer ID out of range"), "%s", host_log());
	cr_assert(vblk_present(vblk_next(0)));
	cr_assert(fv->q[0].packed, "the packed ring again after the reset");
	memset(buf, 0, 512);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 3, buf, 512), 0, "%s", host_log());
	assert_pattern(3, buf, 512);
	finish();
}

Test(packed_blk, lab11_used_descriptor_with_wrong_wrap_bits_times_out_and_recovers)
{
	plug_and_probe("blk_timeout_ms=20");
	fv->lie = FV_LIE_WRONG_WRAP;
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 0, buf, 512), -ETIMEDOUT, "%s",
	             host_log());
	cr_assert(host_log_has("resetting the device"), "%s", host_log());
	memset(buf, 0, 512);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 5, buf, 512), 0, "%s", host_log());
	assert_pattern(5, buf, 512);
	finish();
}

Test(packed_blk, lab11_packed_off_runs_the_same_disk_on_a_split_ring)
{
	strcpy(boot_info.bootargs, "packed=off");
	for (int i = 0; i < BLK_SLOT; i++)
		fake_mmio_set_ids(i, VIRTIO_MMIO_MAGIC, 2, 0, 0x554d4551);
	fv = fake_virtio_blk(BLK_SLOT, 2, SECTORS);
	fv->offered |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	virtio_scan();
	cr_assert_eq(vblk_probe(), 0, "%s", host_log());
	cr_assert_not(fv->q[0].packed);
	cr_assert_eq(vblk_rw(vblk_next(0), VIRTIO_BLK_T_IN, 1, buf, 512), 0, "%s", host_log());
	assert_pattern(1, buf, 512);
	finish();
}
