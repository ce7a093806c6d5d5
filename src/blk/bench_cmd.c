// `bench`: the measurements behind `make bench` (lab 8). Each line it prints
// is one repetition of one pattern, timed with the time CSR inside the
// guest; tools/bench.py turns them into medians and ratios. The command
// only measures: every pattern reads the same disk, in one boot.
#include "blk/blkdev.h"
#include "console.h"
#include "errno.h"
#include "fs/fs.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "shell.h"
#include "virtio/blk.h"

#define IO_4K 4096

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng_next(void)
{
	// xorshift64: a fixed sequence, so every run reads the same sectors
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void report(const char *mode, const char *test, int rep, uint64_t bytes, uint64_t ticks,
                   int err)
{
	if (err < 0)
		kprintf("bench: %s %s rep %d failed: %s\n", mode, test, rep, errstr(err));
	else
		kprintf("bench: %s %s rep %d bytes %lu ticks %lu\n", mode, test, rep,
		        (unsigned long)bytes, (unsigned long)ticks);
}

// n requests of `size` bytes at `depth`, sequential or random, into buf.
static int run_pattern(struct vblk *v, struct vblk_io *io, int n, uint32_t size, int depth,
                       bool random, uint8_t *buf, uint64_t sectors)
{
	uint64_t per = size / SECTOR_SIZE, slots = sectors / per;

	for (int i = 0; i < n; i++) {
		uint64_t s = random ? (rng_next() % slots) * per : (uint64_t)i * per;
		io[i] = (struct vblk_io){VIRTIO_BLK_T_IN, s, buf + (size_t)i * size, size, 0};
	}
	return vblk_run(v, io, n, depth);
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

static int cmd_bench(int argc, char **argv)
{
	unsigned long mib = 64, reps = 5;
	const char *path = argc > 1 ? argv[1] : "/bench";

	if ((argc > 2 && parse_u64(argv[2], &mib) < 0) ||
	    (argc > 3 && parse_u64(argv[3], &reps) < 0) || mib == 0 || mib > 256) {
		kprintf("usage: bench [DIR] [MIB] [REPS]\n");
		return 1;
	}
	struct blkdev *dev = blk_root();
	struct vblk *v = vblk_of(dev);
	if (!vblk_present(v)) {
		kprintf("bench: needs a virtio-blk disk\n");
		return 1;
	}
	uint64_t bytes = mib << 20;
	if (bytes > dev->sectors * SECTOR_SIZE)
		bytes = dev->sectors * SECTOR_SIZE / IO_4K * IO_4K;
	// nothing to measure: say why rather than time failures
	if (IO_4K % dev->block_size) {
		kprintf("bench: bench reads 4 KiB at a time; this disk's blocks are %u bytes\n",
		        dev->block_size);
		return 1;
	}
	if (bytes == 0) {
		kprintf("bench: the disk holds %lu bytes; bench needs at least 4 KiB\n",
		        (unsigned long)(dev->sectors * SECTOR_SIZE));
		return 1;
	}
	int n4k = (int)(bytes / IO_4K);
	uint8_t *buf = dma_alloc(bytes);
	struct vblk_io *io = dma_alloc(sizeof(*io) * (size_t)n4k);
	if (!buf || !io) {
		kprintf("bench: no memory for %lu MiB (boot QEMU with -m 512M)\n", mib);
		dma_free(buf, bytes);
		dma_free(io, sizeof(*io) * (size_t)n4k);
		return 1;
	}
	// EclipseFS v2 caps a record, so a file, at 32 MiB: fs_seq reads
	// every file of a directory, back to back
	struct fs_mount *fs = fs_root();
	struct efs_inode dir;
	int have_dir = fs && efs_lookup(&fs->vol, path, &dir) == 0 && dir.type == EFS_DIR;
	if (!have_dir)
		kprintf("bench: directory %s not found: no fs_seq figures\n", path);
	bool was_polling = vblk_polling();
	kprintf("bench: %lu MiB, %lu repetitions, timebase %lu Hz\n", (unsigned long)(bytes >> 20),
	        reps, (unsigned long)time_hz);

	// modes alternate within each repetition, so a change in the host's
	// load during the run weighs on both alike
	for (int rep = 1; rep <= (int)reps; rep++) {
		for (int m = 0; m < 2; m++) {
			const char *mode = m == 0 ? "poll" : "irq";
			vblk_set_polling(m == 0);
			if (m == 1 && vblk_polling())
				break; // interrupts not available
			static const struct {
				const char *name;
				int depth;
				bool random;
			} pat[] = {{"seq4k_qd1", 1, false},
			           {"seq4k_qd32", 32, false},
			           {"rand4k_qd1", 1, true},
			           {"rand4k_qd32", 32, true}};
			for (unsigned p = 0; p < sizeof(pat) / sizeof(pat[0]); p++) {
				// random patterns: a quarter of the 4 KiB reads is plenty
				int n = pat[p].random ? n4k / 4 : n4k;
				uint64_t t0 = time_now();
				int err = run_pattern(v, io, n, IO_4K, pat[p].depth, pat[p].random,
				                      buf, dev->sectors);
				report(mode, pat[p].name, rep, (uint64_t)n * IO_4K, time_now() - t0,
				       err);
			}
			// the block layer's own large-transfer path
			uint64_t t0 = time_now();
			int err = blk_read(dev, 0, buf, bytes);
			report(mode, "raw_seq", rep, bytes, time_now() - t0, err);
			// the device's limit: the largest requests, all at once
			uint64_t best = ~0ULL;
			for (uint32_t size = 1U << 20; size <= 16U << 20 && size <= bytes;
			     size <<= 2) {
				int k = (int)(bytes / size);
				t0 = time_now();
				err = run_pattern(v, io, k, size, 64, false, buf, dev->sectors);
				uint64_t t = time_now() - t0;
				if (err == 0 && t < best)
					best = t;
			}
			if (bytes < 1U << 20)
				kprintf(
				    "bench: %s device_limit rep %d skipped: the disk is smaller "
				    "than one 1 MiB request\n",
				    mode, rep);
			else
				report(mode, "device_limit", rep, bytes, best,
				       best == ~0ULL ? -EIO : 0);
			if (have_dir) {
				uint64_t done = 0;
				t0 = time_now();
				err = fs_read_dir_files(fs, &dir, buf, bytes, &done);
				report(mode, "fs_seq", rep, done, time_now() - t0, err);
			}
		}
	}
	vblk_set_polling(was_polling);
	dma_free(buf, bytes);
	dma_free(io, sizeof(*io) * (size_t)n4k);
	kprintf("bench: done\n");
	return 0;
}
SHELL_COMMAND("bench", "[DIR] [MIB] [REPS]", "measure the disk (see make bench)", cmd_bench);

static int cmd_fsread(int argc, char **argv)
{
	const uint64_t cap = 64UL << 20;
	static uint8_t *buf; // kept: allocating 64 MiB is not what we time
	struct fs_mount *fs = fs_root();
	struct efs_inode dir;
	uint64_t done = 0;

	if (argc != 2 || !fs) {
		kprintf("usage: fsread DIR   (needs a mounted volume)\n");
		return 1;
	}
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
