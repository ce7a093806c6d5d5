// The fixture of the virtio-blk unit tests (test_virtio_blk*.c): a fake
// disk in slot 7 as QEMU lays it out, probing it, and the checks every
// test ends with. Each test file has its own copy of this state.
#ifndef BLK_FIXTURE_H
#define BLK_FIXTURE_H

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
#include "virtio/scan.h"
#include "virtio/mmio_regs.h"
#include "virtio/virtio.h"

#define BIT(b)   VIRTIO_BIT(b)
#define SECTORS  4096 // a 2 MiB disk
#define BLK_SLOT 7    // where QEMU puts a single disk

static struct fake_virtio *fv;
static uint8_t buf[256 * 1024];

static inline void setup(void)
{
	fake_mmio_reset();
	host_log_clear();
	host_time_reset();
	boot_info.bootargs[0] = '\0';
	host_idle_hook = NULL;
}

static inline void teardown(void)
{
	vblk_remove();
	fake_virtio_free_all();
	dma_fail_nth(0);
}

// A disk in slot 7 and empty transports in the others, as QEMU lays them out.
static inline struct fake_virtio *plug(uint32_t version)
{
	for (int i = 0; i < BLK_SLOT; i++)
		fake_mmio_set_ids(i, VIRTIO_MMIO_MAGIC, version, 0, 0x554d4551);
	fv = fake_virtio_blk(BLK_SLOT, version, SECTORS);
	return fv;
}

static inline void probe_ok(void)
{
	virtio_scan();
	int err = vblk_probe();
	cr_assert_eq(err, 0, "probe: %d\n%s", err, host_log());
	cr_assert(vblk_present(vblk_next(0)));
}

static inline struct fake_virtio *plug_and_probe(uint32_t version)
{
	plug(version);
	probe_ok();
	return fv;
}

static inline void assert_driver_followed_the_spec(void)
{
	cr_assert_eq(fv->errors, 0,
	             "the fake device saw %d protocol errors, the first: %s\nlog:\n%s", fv->errors,
	             fv->error, host_log());
}

// The end of every test: the device is let go, nothing is left allocated.
static inline void finish(void)
{
	assert_driver_followed_the_spec();
	vblk_remove();
	cr_assert_not(vblk_present(vblk_next(0)));
	cr_assert_eq(fv->status, 0, "vblk_remove resets the device");
	cr_assert_eq(host_dma_outstanding(), 0, "DMA memory leaked");
}

static inline void assert_disk_is(uint64_t sector, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (fv->disk[sector * 512 + i] != p[i])
			cr_assert_fail("disk byte %zu of sector %lu: 0x%02x, expected 0x%02x", i,
			               (unsigned long)sector, fv->disk[sector * 512 + i], p[i]);
}

static inline void assert_pattern(uint64_t sector, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != fake_virtio_pattern(sector * 512 + i))
			cr_assert_fail("byte %zu read from sector %lu: 0x%02x, expected 0x%02x", i,
			               (unsigned long)sector, p[i],
			               fake_virtio_pattern(sector * 512 + i));
}

static inline void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 9));
}

#endif
