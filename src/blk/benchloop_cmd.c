// `benchloop`: one of the bench's depth-32 loops, over and over, so that a
// tool on the host can watch QEMU's threads while only that loop runs
// (tools/bench_threads.py: how often QEMU's main loop wakes, and how often
// the vCPU thread waits for it, per batch of 32 reads). `bench` alternates
// the loops within each repetition, which is right for ratios and wrong
// for watching one loop from outside. The disk's notifications are timed
// meanwhile (notify_timing.c): the loop's own time between two, and the
// time inside one, where on virtio-mmio QEMU does the device's work; with
// PAUSE_US each waits until that long after the previous one returned.
#include "blk/bench.h"
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "hw/time.h"
#include "lib/errstr.h"
#include "lib/string.h"
#include "shell.h"
#include "virtio/blk.h"
#include "virtio/blk_state.h"
#include "virtio/virtio_dev.h"

#define IO_4K    4096
#define READS    4096 // a pass: as many random reads as `bench`'s rand4k_qd32 on 64 MiB
#define MIN_READ 128  // fewer, and depth 32 is barely reached (as `bench` warns)

static const char *const loops[] = {"driver", "poll", "floor", "bare"};
#define NLOOPS (int)(sizeof(loops) / sizeof(loops[0]))

// One pass of loop `which` over io[0..n-1] at depth 32.
static int pass(struct vblk *v, int which, struct vblk_io *io, int n)
{
	struct bench_cost cost;

	switch (which) {
	case 0:
	case 1: return vblk_run(v, io, n, 32); // by interrupt or polling, as set
	case 2: return floor_run(v, io, n, 32, &cost);
	default: return bare_run(v, io, n, 32, &cost);
	}
}

static int cmd_benchloop(int argc, char **argv)
{
	unsigned long passes = 20, pause_us = 0;
	int which = -1;
	struct blkdev *dev = blk_root();
	struct vblk *v = vblk_of(dev);

	for (int i = 0; argc > 1 && i < NLOOPS; i++)
		if (!strcmp(argv[1], loops[i]))
			which = i;
	if (which < 0 || (argc > 2 && parse_u64(argv[2], &passes) < 0) || passes < 1 ||
	    passes > 1000 || (argc > 3 && parse_u64(argv[3], &pause_us) < 0) || pause_us > 10000 ||
	    argc > 4) {
		kprintf("usage: benchloop driver|poll|floor|bare [PASSES [PAUSE_US]]   (passes "
		        "1..1000, default 20; pause 0..10000 us, default 0)\n");
		return 1;
	}
	if (!vblk_present(v)) {
		kprintf("benchloop: needs a virtio-blk disk\n");
		return 1;
	}
	if (IO_4K % dev->block_size) {
		kprintf("benchloop: reads 4 KiB at a time; this disk's blocks are %u bytes\n",
		        dev->block_size);
		return 1;
	}
	uint64_t places = dev->sectors / (IO_4K / SECTOR_SIZE);
	if (places < MIN_READ) {
		kprintf("benchloop: the disk has room for %lu 4 KiB reads; benchloop needs %d\n",
		        (unsigned long)places, MIN_READ);
		return 1;
	}
	int n = places < READS ? (int)places : READS;
	struct bench_reads mem;
	if (bench_reads_alloc(&mem, n, IO_4K) < 0) {
		kprintf("benchloop: no memory for %d reads of 4 KiB\n", n);
		return 1;
	}
	struct vblk_io *io = mem.io;
	uint64_t rng = 0x9e3779b97f4a7c15ULL; // `bench`'s seed: the same places
	bench_fill(io, n, IO_4K, true, mem.buf, dev->sectors, &rng);
	bool was_polling = vblk_polling();
	// the driver by interrupt where there are interrupts (`bench` does the same)
	vblk_set_polling(which != 0);
	const char *mode = which == 0 && vblk_polling() ? " (no interrupts here: polling)" : "";
	// a `faultinject kick` still pending is taken off: a lost
	// notification would time a 20 ms wait, not the loop
	vdev_lose_notify(v->dev, 0);
	struct vdev_notify_timing nt;
	vdev_time_notify(v->dev, (uint32_t)pause_us, &nt);
	uint64_t t0 = time_now(), best = ~0ULL;
	unsigned long done = 0;
	int err = 0;
	bool stop = false;
	while (done < passes && !(stop = shell_interrupted("benchloop"))) {
		uint64_t t = time_now();
		if ((err = pass(v, which, io, n)) < 0)
			break;
		t = time_now() - t;
		best = t < best ? t : best;
		done++;
	}
	uint64_t total = time_now() - t0;
	vdev_time_notify(v->dev, 0, 0);
	vblk_set_polling(was_polling);
	bench_reads_free(&mem);
	if (err == -ENOTSUP && which == 2)
		kprintf("benchloop: the floor loop drives a split ring; this disk's queue is "
		        "packed\n");
	else if (err < 0)
		kprintf("benchloop: %s: pass %lu failed: %s\n", loops[which], done + 1,
		        errstr(err));
	if (err < 0 || stop)
		return 1;
	// per notification, in hundredths of a microsecond
	uint64_t between = nt.count > 1 ? nt.between * 100 / (nt.count - 1) * 1000000 / time_hz : 0;
	uint64_t inside = nt.count ? nt.inside * 100 / nt.count * 1000000 / time_hz : 0;
	kprintf(
	    "benchloop: %s%s %lu passes of %d random 4 KiB reads at depth 32: ticks per pass %lu, "
	    "best %lu; %lu notifications, %lu.%02lu us apart (pause %lu us), %lu.%02lu us "
	    "inside one\n",
	    loops[which], mode, done, n, (unsigned long)(total / done), (unsigned long)best,
	    (unsigned long)nt.count, (unsigned long)(between / 100), (unsigned long)(between % 100),
	    pause_us, (unsigned long)(inside / 100), (unsigned long)(inside % 100));
	return 0;
}
SHELL_COMMAND("benchloop", "LOOP [PASSES [PAUSE_US]]",
              "one depth-32 loop of bench (driver, poll, floor, bare), repeated", cmd_benchloop);
