// Shell commands for the network: `net` (device facts and counters),
// `arp` and `ping` (over src/net/).
#include "console.h"
#include "errno.h"
#include "lib/string.h"
#include "net/net.h"
#include "shell.h"
#include "virtio/net.h"

#define NET_TIMEOUT_MS 1000
#define PING_MAX       1000

static int cmd_net(int argc, char **argv)
{
	(void)argc, (void)argv;
	vnet_info();
	return vnet_present() ? 0 : 1;
}
SHELL_COMMAND("net", "", "print the network device's MAC, link and counters", cmd_net);

static bool need_device(const char *cmd)
{
	if (vnet_present())
		return true;
	kprintf("%s: no virtio-net device (start QEMU with -netdev user,id=n0 -device "
	        "virtio-net-device,netdev=n0)\n",
	        cmd);
	return false;
}

static int cmd_arp(int argc, char **argv)
{
	uint8_t ip[4], mac[6];

	if (argc != 2 || net_parse_ip(argv[1], ip) < 0) {
		kprintf("usage: arp A.B.C.D\n");
		return 1;
	}
	if (!need_device("arp"))
		return 1;
	int err = arp_resolve(ip, mac, NET_TIMEOUT_MS);
	if (err == -ETIMEDOUT) {
		kprintf("arp: no answer from %s in %d ms\n", argv[1], NET_TIMEOUT_MS);
		return 1;
	}
	if (err < 0) {
		kprintf("arp: %s\n", errstr(err));
		return 1;
	}
	kprintf("arp: %s is at %02x:%02x:%02x:%02x:%02x:%02x\n", argv[1], mac[0], mac[1], mac[2],
	        mac[3], mac[4], mac[5]);
	return 0;
}
SHELL_COMMAND("arp", "A.B.C.D", "ask who has an IPv4 address (we are 10.0.2.15)", cmd_arp);

static int cmd_ping(int argc, char **argv)
{
	unsigned long count = 4;
	uint8_t ip[4];
	int a = 1;

	if (argc == 4 && !strcmp(argv[1], "-c")) {
		if (parse_u64(argv[2], &count) < 0 || count == 0 || count > PING_MAX)
			goto usage;
		a = 3;
	}
	if (a != argc - 1 || net_parse_ip(argv[a], ip) < 0)
		goto usage;
	if (!need_device("ping"))
		return 1;
	unsigned long received = 0, sent = 0;
	for (unsigned long seq = 1; seq <= count; seq++) {
		uint64_t rtt;
		if (shell_interrupted("ping"))
			break;
		sent++;
		int err = icmp_ping(ip, (uint16_t)seq, NET_TIMEOUT_MS, &rtt);
		if (err == 0) {
			received++;
			kprintf("ping: reply from %s: seq %lu, %lu us\n", argv[a], seq,
			        (unsigned long)rtt);
		} else if (err == -ETIMEDOUT) {
			kprintf("ping: no reply from %s to seq %lu in %d ms\n", argv[a], seq,
			        NET_TIMEOUT_MS);
		} else {
			kprintf("ping: %s\n", errstr(err));
			break;
		}
	}
	kprintf("ping: %lu sent, %lu received\n", sent, received);
	return received == count ? 0 : 1;
usage:
	kprintf("usage: ping [-c N] A.B.C.D, 1 <= N <= %d\n", PING_MAX);
	return 1;
}
SHELL_COMMAND("ping", "[-c N] A.B.C.D", "send ICMP echo requests and wait for replies", cmd_ping);
