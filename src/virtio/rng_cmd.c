// The `random` command: bytes from the virtio entropy device, in hex.
#include "console.h"
#include "errno.h"
#include "lib/string.h"
#include "shell.h"
#include "virtio/rng.h"

#define RANDOM_MAX 1024

static int cmd_random(int argc, char **argv)
{
	static unsigned char buf[RANDOM_MAX];
	unsigned long n = 16;

	bool stats = argc == 2 && !strcmp(argv[1], "stats");
	if (argc > 2 ||
	    (argc == 2 && !stats && (parse_u64(argv[1], &n) < 0 || n == 0 || n > RANDOM_MAX))) {
		kprintf("usage: random [N | stats], 1 <= N <= %d\n", RANDOM_MAX);
		return 1;
	}
	if (!rng_present()) {
		kprintf("random: no virtio-rng device (start QEMU with -device "
		        "virtio-rng-device)\n");
		return 1;
	}
	if (stats) {
		struct rng_counters c;
		rng_counters(&c);
		kprintf("random: %lu requests, %lu bytes, %lu short answers, %lu waits ran out, "
		        "%lu resets\n",
		        (unsigned long)c.requests, (unsigned long)c.bytes,
		        (unsigned long)c.short_reads, (unsigned long)c.timeouts,
		        (unsigned long)c.resets);
		return 0;
	}
	int got = rng_read(buf, n);
	if (got == -ETIMEDOUT) {
		kprintf("random: the device gave no bytes within half a second (a rate-limited "
		        "source, as with QEMU's max-bytes and period options?)\n");
		return 1;
	}
	if (got < 0) {
		kprintf("random: %s\n", errstr(got));
		return 1;
	}
	for (int i = 0; i < got; i++)
		kprintf("%02x%s", buf[i], i % 32 == 31 || i == got - 1 ? "\n" : "");
	if ((unsigned long)got < n) {
		kprintf("random: %d of %lu bytes: the device gave no more within half a second "
		        "(a rate-limited source, as with QEMU's max-bytes and period options?)\n",
		        got, n);
		return 1;
	}
	return 0;
}
SHELL_COMMAND("random", "[N | stats]",
              "print N random bytes (default 16) from virtio-rng, or its counters", cmd_random);
