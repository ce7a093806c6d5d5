// `bench`: the measurements behind `make bench` (lab 8). Each line it prints
// is one repetition of one pattern, timed with the time CSR inside the
// guest; tools/bench.py turns them into medians and ratios. The command
// only measures: every pattern reads the same disk, in one boot.
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "fs/fs.h"
#include "fs/fs_cmd.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"
#include "virtio/blk.h"
#include "blk/bench.h"

#define IO_4K    4096
#define MIB_MAX  256      // bytes read by each pattern, at most
#define REPS_MAX 100      // make bench takes 3 to 5
#define QD32_MIN (4 * 32) // 4 KiB reads each random pattern needs to be worth timing

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL; // a fixed sequence: every run reads alike

static void report(const char *mode, const char *test, int rep, uint64_t bytes, uint64_t ticks,
                   int err)
{
	if (err < 0)
		kprintf("bench: %s %s rep %d failed: %s\n", mode, test, rep, errstr(err));
	else
		kprintf("bench: %s %s rep %d bytes %lu ticks %lu\n", mode, test, rep,
		        (unsigned long)bytes, (unsigned long)ticks);
}

// The 4 KiB patterns, for the driver in each mode and for the bare loop.
static const struct {
	const char *name;
	int depth;
	bool random;
} pat4k[] = {{"seq4k_qd1", 1, false},
             {"seq4k_qd32", 32, false},
             {"rand4k_qd1", 1, true},
             {"rand4k_qd32", 32, true}};
#define NPAT4K (int)(sizeof(pat4k) / sizeof(pat4k[0]))

// random patterns: a quarter of the 4 KiB reads is plenty, but never none
// (a 12 KiB disk has three 4 KiB places, and a quarter of that is 0)
static int pat_count(int p, int n4k)
{
	return pat4k[p].random && n4k >= 4 ? n4k / 4 : n4k;
}

// Read every regular file in dir into buf, one after another, up to cap
// bytes in all: what `cat` of a large file costs, without the printing.
static int fs_read_dir_files(struct fs_mount *fs, struct efs_inode *dir, uint8_t *buf, uint64_t cap,
                             uint64_t *done)
{
	struct efs_dir_iter it;
	struct efs_dirent de;
	struct efs_inode f;
	int r = efs_opendir(&fs->vol, dir, &it);

	while (r >= 0 && (r = efs_readdir(&fs->vol, &it, &de)) > 0) {
		if (efs_inode_get(&fs->vol, de.ino, &f) < 0 || f.type != EFS_FILE)
			continue;
		uint64_t len = f.size < cap - *done ? f.size : cap - *done;
		long got = efs_read(&fs->vol, &f, 0, buf + *done, len);
		if (got < 0)
			return (int)got;
		*done += (uint64_t)got;
		if (*done == cap)
			break;
	}
	return r < 0 ? r : 0;
}

// What one `bench` run works with.
struct bench_ctx {
	struct vblk *v;     // the disk's driver
	struct vblk_io *io; // requests, up to n4k of them
	int n4k;            // 4 KiB requests in `bytes`
	uint8_t *buf;       // bytes of DMA memory
	uint64_t bytes;
	struct blkdev *dev;
	struct fs_mount *fs; // NULL: no fs_seq figures
	struct efs_inode dir;
	bool irq; // interrupts are available
};

// The driver's completion modes: polling, then interrupts if there are any.
static int set_mode(const struct bench_ctx *c, int m)
{
	vblk_set_polling(m == 0);
	return m == 0 || c->irq;
}

static const char *const mode_name[2] = {"poll", "irq"};

// One 4 KiB pattern, through the driver in each mode and then, for the
// random ones, through the bare loop (bench_bare.c), on the same sectors
// and one right after the other, so that the ratios bench.py takes within
// a repetition compare runs under the same load.
static void bench_4k(struct bench_ctx *c, int p, int rep)
{
	int n = pat_count(p, c->n4k);
	uint64_t bytes = (uint64_t)n * IO_4K;

	bench_fill(c->io, n, IO_4K, pat4k[p].random, c->buf, c->dev->sectors, &rng_state);
	for (int m = 0; m < 2 && set_mode(c, m); m++) {
		uint64_t t0 = time_now();
		int err = vblk_run(c->v, c->io, n, pat4k[p].depth);
		report(mode_name[m], pat4k[p].name, rep, bytes, time_now() - t0, err);
	}
	if (pat4k[p].random) {
		struct bench_cost cost;
		vblk_set_polling(true);
		int err = bare_run(c->v, c->io, n, pat4k[p].depth, &cost);
		report("bare", pat4k[p].depth == 1 ? "minimal_qd1" : "minimal_qd32", rep, bytes,
		       cost.ticks, err);
		// the bare loop again, each read into its own buffer as the
		// driver's and the floor's are (the bare loop above reuses
		// `depth` buffers, which stay in the host's caches)
		err = bare_run_bufs(c->v, c->io, n, pat4k[p].depth, &cost);
		if (err != -ENOTSUP)
			report("bare",
			       pat4k[p].depth == 1 ? "minimal_bufs_qd1" : "minimal_bufs_qd32", rep,
			       bytes, cost.ticks, err);
		// and the floor loop (blk_floor.c), on the same sectors (it
		// writes only the results)
		const char *floor = pat4k[p].depth == 1 ? "floor_qd1" : "floor_qd32";
		err = floor_run(c->v, c->io, n, pat4k[p].depth, &cost);
		if (err == -ENOTSUP)
			kprintf(
			    "bench: bare %s rep %d skipped: the floor loop drives a split ring\n",
			    floor, rep);
		else
			report("bare", floor, rep, bytes, cost.ticks, err);
	}
}

// The large transfers: the block layer's own path, the file system's, and
// the device's limit, the bare loop's best over large request sizes with
// all of them in flight at once.
static void bench_large(struct bench_ctx *c, int rep)
{
	for (int m = 0; m < 2 && set_mode(c, m); m++) {
		uint64_t t0 = time_now();
		int err = blk_read(c->dev, 0, c->buf, c->bytes);
		report(mode_name[m], "raw_seq", rep, c->bytes, time_now() - t0, err);
	}
	for (int m = 0; c->fs && m < 2 && set_mode(c, m); m++) {
		uint64_t done = 0, t0 = time_now();
		int err = fs_read_dir_files(c->fs, &c->dir, c->buf, c->bytes, &done);
		report(mode_name[m], "fs_seq", rep, done, time_now() - t0, err);
	}
	uint64_t best = ~0ULL;
	struct bench_cost cost;
	vblk_set_polling(true);
	for (uint32_t size = 1U << 20; size <= 16U << 20 && size <= c->bytes; size <<= 2) {
		int k = (int)(c->bytes / size);
		bench_fill(c->io, k, size, false, c->buf, c->dev->sectors, &rng_state);
		if (bare_run(c->v, c->io, k, 64, &cost) == 0 && cost.ticks < best)
			best = cost.ticks;
	}
	if (c->bytes < 1U << 20)
		kprintf(
		    "bench: bare device_limit rep %d skipped: the disk is smaller than one 1 MiB "
		    "request\n",
		    rep);
	else
		report("bare", "device_limit", rep, c->bytes, best, best == ~0ULL ? -EIO : 0);
}

static int cmd_bench(int argc, char **argv)
{
	unsigned long mib = 64, reps = 5;
	const char *path = argc > 1 ? argv[1] : "/bench";
	bool only4k = argc > 4 && !strcmp(argv[4], "4k");

	// both are bounded where they are read: a count past the loop's
	// type ran nothing and still said "done"
	if ((argc > 2 && parse_u64_max(argv[2], MIB_MAX, &mib) < 0) ||
	    (argc > 3 && parse_u64_max(argv[3], REPS_MAX, &reps) < 0) || mib == 0 || reps == 0 ||
	    (argc > 4 && !only4k) || argc > 5) {
		kprintf(
		    "usage: bench [DIR] [MIB] [REPS] [4k]   (MIB 1..%d, default 64; REPS 1..%d, "
		    "default 5)\n",
		    MIB_MAX, REPS_MAX);
		return 1;
	}
	struct blkdev *dev = blk_root();
	struct vblk *v = vblk_of(dev);
	if (!vblk_present(v)) {
		kprintf("bench: needs a virtio-blk disk\n");
		return 1;
	}
	struct bench_ctx c = {.v = v, .bytes = mib << 20, .dev = dev};
	// what the disk has room for, in whole 4 KiB reads: MIB or the disk,
	// whichever is smaller, bounds the run, and the messages name which
	uint64_t disk_bytes = dev->sectors * SECTOR_SIZE / IO_4K * IO_4K;
	bool disk_bound = c.bytes > disk_bytes;
	if (disk_bound)
		c.bytes = disk_bytes;
	// nothing to measure: say why rather than time failures
	if (IO_4K % dev->block_size) {
		kprintf("bench: bench reads 4 KiB at a time; this disk's blocks are %u bytes\n",
		        dev->block_size);
		return 1;
	}
	if (c.bytes == 0) {
		kprintf("bench: the disk holds %lu bytes; bench needs at least 4 KiB\n",
		        (unsigned long)(dev->sectors * SECTOR_SIZE));
		return 1;
	}
	c.n4k = (int)(c.bytes / IO_4K);
	struct bench_reads mem;
	if (bench_reads_alloc(&mem, c.n4k, IO_4K) < 0) {
		kprintf("bench: no memory for %lu MiB (boot QEMU with -m 512M)\n", mib);
		return 1;
	}
	c.io = mem.io;
	c.buf = mem.buf;
	// EclipseFS v2 caps a record, so a file, at 32 MiB: fs_seq reads
	// every file of a directory, back to back
	c.fs = fs_root();
	if (!only4k &&
	    !(c.fs && efs_lookup(&c.fs->vol, path, &c.dir) == 0 && c.dir.type == EFS_DIR)) {
		kprintf("bench: directory %s not found: no fs_seq figures\n", path);
		c.fs = 0;
	}
	bool was_polling = vblk_polling();
	vblk_set_polling(false);
	c.irq = !vblk_polling();
	// a disk smaller than MIB is read whole: its size in KiB, not "0 MiB"
	if (c.bytes % (1U << 20))
		kprintf("bench: %lu KiB", (unsigned long)(c.bytes >> 10));
	else
		kprintf("bench: %lu MiB", (unsigned long)(c.bytes >> 20));
	kprintf(", %lu repetition%s, timebase %lu Hz\n", reps, reps == 1 ? "" : "s",
	        (unsigned long)time_hz);
	if (pat_count(NPAT4K - 1, c.n4k) < QD32_MIN && disk_bound)
		kprintf("bench: the disk has room for %d 4 KiB reads; with fewer than %d for each "
		        "random pattern, depth 32 is barely reached and the figures mean little\n",
		        c.n4k, QD32_MIN);
	else if (pat_count(NPAT4K - 1, c.n4k) < QD32_MIN)
		kprintf(
		    "bench: MIB %lu gives %d 4 KiB reads (the disk has room for %lu); with fewer "
		    "than %d for each random pattern, depth 32 is barely reached and the figures "
		    "mean little%s\n",
		    mib, c.n4k, (unsigned long)(disk_bytes / IO_4K), QD32_MIN,
		    disk_bytes / IO_4K >= 4 * QD32_MIN ? ": give MIB 2 or more" : "");

	bool stop = false;
	for (int rep = 1; rep <= (int)reps && !stop; rep++) { // reps <= REPS_MAX
		for (int p = 0; p < NPAT4K && !(stop = shell_interrupted("bench")); p++)
			bench_4k(&c, p, rep);
		if (!only4k && !stop && !(stop = shell_interrupted("bench")))
			bench_large(&c, rep);
	}
	vblk_set_polling(was_polling);
	bench_reads_free(&mem);
	if (stop)
		return 1;
	kprintf("bench: done\n");
	return 0;
}
SHELL_COMMAND("bench", "[DIR] [MIB] [REPS] [4k]", "measure the disk (see make bench)", cmd_bench);

static int cmd_fsread(int argc, char **argv)
{
	const uint64_t cap = 64UL << 20;
	static uint8_t *buf; // kept: allocating 64 MiB is not what we time
	struct fs_mount *fs;
	struct efs_inode dir;
	uint64_t done = 0;

	if (!shell_args_ok(argc, argv, 1, 1) || !(fs = fs_mounted("fsread")))
		return 1;
	int err = efs_lookup(&fs->vol, argv[1], &dir);
	if (err == 0 && dir.type != EFS_DIR)
		err = -ENOTDIR;
	if (err == 0 && !buf && !(buf = dma_alloc(cap)))
		err = -ENOMEM;
	if (err == 0)
		err = fs_read_dir_files(fs, &dir, buf, cap, &done);
	if (err < 0) {
		fs_perror("fsread", argv[1], err);
		return 1;
	}
	kprintf("fsread: %lu bytes\n", (unsigned long)done);
	return 0;
}
SHELL_COMMAND("fsread", "DIR", "read every file in DIR, up to 64 MiB (for make bench)", cmd_fsread);
