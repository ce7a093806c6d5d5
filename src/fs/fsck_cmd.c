// `fsck`: the whole-volume check (efs_check_all), every problem on its
// own line. What it cannot see: a changed byte inside a file's CONTENT,
// since the format keeps no checksum of file data.
#include "console.h"
#include "errno.h"
#include "fs/fs_cmd.h"
#include "mem.h"
#include "shell.h"

// Each problem on its own line, counted so that the end of the run knows
// whether the error it gets back was already said.
static void report(void *ctx, const char *problem)
{
	unsigned *reported = ctx;

	(*reported)++;
	kprintf("fsck: %s\n", problem);
}

static int cmd_fsck(int argc, char **argv)
{
	struct fs_mount *fs;
	unsigned reported = 0;
	size_t len;
	void *mem;
	int r;

	if (!shell_args_ok(argc, argv, 0, 0))
		return 1;
	fs = fs_mounted("fsck");
	if (!fs)
		return 1;
	len = efs_check_mem(&fs->vol);
	if (!(mem = dma_alloc(len))) {
		kprintf("fsck: out of memory (%lu KiB for %u inodes)\n", (unsigned long)(len >> 10),
		        fs->vol.total_inodes);
		return 1;
	}
	r = efs_check_all(&fs->vol, mem, len, report, &reported);
	dma_free(mem, len);
	if (r < 0) {
		// a problem is reported as it is found; an error without one
		// (a device error) is said here. (The reader's sentence is no
		// guide: a later inode that reads well clears it.)
		if (reported == 0)
			kprintf("fsck: %s\n", fs_reason(fs, r));
		kprintf("fsck: not clean (file contents are not checked: the format has no "
		        "data checksum)\n");
		return 1;
	}
	kprintf("fsck: clean: %u inodes, each reachable from / exactly once, no directory "
	        "cycles\n",
	        fs->vol.total_inodes);
	return 0;
}
SHELL_COMMAND("fsck", "", "check the whole volume (every inode, entry and link)", cmd_fsck);
