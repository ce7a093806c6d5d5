// `instret`: guest instructions per 4 KiB random read, from submission to
// completion, for the driver (vblk_run), for the bare loop (bench_bare.c)
// and for the floor loop (blk_floor.c: what any complete driver must do),
// at depth 1 and 32. Instructions spent polling an empty
// used ring are left out: they count how long the device took, not what
// the driver does. Under QEMU with -icount the figures are exact and
// repeat from run to run (tests/tools/instret.sh checks a bound on them);
// without -icount the instret CSR reads host ticks and they mean nothing.
#include "blk/bench.h"
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "lib/errstr.h"
#include "hw/instret.h"
#include "shell.h"
#include "virtio/blk.h"

#define IO_4K 4096

static void show(const char *who, int depth, int n, uint64_t instret, int err)
{
	if (err < 0) {
		kprintf("instret: %s rand4k_qd%d failed: %s\n", who, depth, errstr(err));
		return;
	}
	uint64_t per100 = instret * 100 / (uint64_t)n;
	kprintf("instret: %s rand4k_qd%d requests %d instructions %lu per_request %lu.%02lu\n", who,
	        depth, n, (unsigned long)instret, (unsigned long)(per100 / 100),
	        (unsigned long)(per100 % 100));
}

static int cmd_instret(int argc, char **argv)
{
	unsigned long n = 256;
	struct blkdev *dev = blk_root();
	struct vblk *v = vblk_of(dev);

	if ((argc > 1 && parse_u64(argv[1], &n) < 0) || n < 32 || n > 4096 || argc > 2) {
		kprintf("usage: instret [REQUESTS]   (32..4096, default 256)\n");
		return 1;
	}
	if (!vblk_present(v) || dev->sectors < IO_4K / SECTOR_SIZE * 64) {
		kprintf("instret: needs a virtio-blk disk of 256 KiB or more\n");
		return 1;
	}
	struct bench_reads mem;
	if (bench_reads_alloc(&mem, (int)n, IO_4K) < 0) {
		kprintf("instret: no memory for %lu requests\n", n);
		return 1;
	}
	struct vblk_io *io = mem.io;
	uint8_t *buf = mem.buf;
	// polling: an interrupt would add its handler's instructions
	bool was_polling = vblk_polling();
	vblk_set_polling(true);
	static const int depths[] = {1, 32};
	int failed = 0;
	for (int d = 0; d < 2; d++) {
		uint64_t rng = 0x9e3779b97f4a7c15ULL; // the same places every run
		bench_fill(io, (int)n, IO_4K, true, buf, dev->sectors, &rng);
		uint64_t idle0 = vblk_idle_instret(), i0 = instret_now();
		int err = vblk_run(v, io, (int)n, depths[d]);
		uint64_t spent = instret_now() - i0 - (vblk_idle_instret() - idle0);
		show("driver", depths[d], (int)n, spent, err);

		rng = 0x9e3779b97f4a7c15ULL;
		bench_fill(io, (int)n, IO_4K, true, buf, dev->sectors, &rng);
		struct bench_cost c;
		int err2 = bare_run(v, io, (int)n, depths[d], &c);
		show("minimal", depths[d], (int)n, c.instret, err2);

		rng = 0x9e3779b97f4a7c15ULL;
		bench_fill(io, (int)n, IO_4K, true, buf, dev->sectors, &rng);
		int err3 = floor_run(v, io, (int)n, depths[d], &c);
		if (err3 == -ENOTSUP)
			kprintf("instret: floor rand4k_qd%d skipped: the floor loop drives a split "
			        "ring, this queue is packed\n",
			        depths[d]);
		else
			show("floor", depths[d], (int)n, c.instret, err3);
		failed |= err < 0 || err2 < 0 || (err3 < 0 && err3 != -ENOTSUP);
	}
	vblk_set_polling(was_polling);
	bench_reads_free(&mem);
	return failed;
}
SHELL_COMMAND("instret", "[REQUESTS]", "instructions per 4 KiB read: driver, bare loop, floor",
              cmd_instret);
