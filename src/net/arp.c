// Ethernet framing, the receive loop, and ARP (RFC 826) for IPv4 over
// Ethernet. Every field of a received frame came from the network: lengths
// are checked before anything is read.
#include "console.h"
#include "errno.h"
#include "hw/time.h"
#include "lib/string.h"
#include "net/net.h"
#include "virtio/net.h"

#define ARP_REQUEST  1
#define ARP_REPLY    2
#define ARP_LEN      28 // the IPv4-over-Ethernet ARP packet
#define ARP_RETRY_MS 250

const uint8_t net_my_ip[4] = {10, 0, 2, 15};
const uint8_t net_gateway_ip[4] = {10, 0, 2, 2};
static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int net_eth_send(const uint8_t dst[6], uint16_t type, const void *payload, uint32_t len)
{
	static uint8_t frame[ETH_FRAME_MAX];

	if (len > ETH_FRAME_MAX - 14)
		return -E2BIG;
	memcpy(frame, dst, 6);
	vnet_mac(frame + 6);
	put16(frame + 12, type);
	memcpy(frame + 14, payload, len);
	return vnet_send(frame, 14 + len);
}

int net_wait(struct net_wait *w, uint64_t deadline)
{
	static uint8_t frame[ETH_FRAME_MAX];

	while (!w->done) {
		int n = vnet_poll(frame, sizeof(frame));
		if (n < 0)
			return n;
		if (n == 0) {
			if (time_now() > deadline)
				return -ETIMEDOUT;
			continue;
		}
		// vnet_poll copied at most sizeof(frame); a longer frame is cut
		uint32_t len = (uint32_t)n < sizeof(frame) ? (uint32_t)n : sizeof(frame);
		uint8_t me[6];
		vnet_mac(me);
		if (len < 14 || (memcmp(frame, me, 6) && memcmp(frame, broadcast, 6)))
			continue; // not for us
		uint16_t type = get16(frame + 12);
		if (type == ETH_TYPE_ARP)
			arp_input(frame + 14, len - 14, w);
		else if (type == ETH_TYPE_IPV4)
			ipv4_input(frame + 14, len - 14, w);
	}
	return 0;
}

static int arp_send(uint16_t op, const uint8_t tha[6], const uint8_t tpa[4], const uint8_t dst[6])
{
	uint8_t p[ARP_LEN];

	put16(p, 1); // hardware: Ethernet
	put16(p + 2, ETH_TYPE_IPV4);
	p[4] = 6; // hardware address length
	p[5] = 4; // protocol address length
	put16(p + 6, op);
	vnet_mac(p + 8); // sender: us
	memcpy(p + 14, net_my_ip, 4);
	memcpy(p + 18, tha, 6); // target
	memcpy(p + 24, tpa, 4);
	return net_eth_send(dst, ETH_TYPE_ARP, p, ARP_LEN);
}

void arp_input(const uint8_t *p, uint32_t len, struct net_wait *w)
{
	if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETH_TYPE_IPV4 || p[4] != 6 ||
	    p[5] != 4)
		return;
	uint16_t op = get16(p + 6);
	const uint8_t *sha = p + 8, *spa = p + 14, *tpa = p + 24;
	if (op == ARP_REQUEST && !memcmp(tpa, net_my_ip, 4))
		arp_send(ARP_REPLY, sha, spa, sha); // someone asks for us: answer
	else if (op == ARP_REPLY && w->what == WAIT_ARP && !memcmp(spa, w->ip, 4)) {
		memcpy(w->mac, sha, 6);
		w->done = true;
	}
}

int arp_resolve(const uint8_t ip[4], uint8_t mac[6], uint32_t timeout_ms)
{
	static const uint8_t unknown[6];
	struct net_wait w = {.what = WAIT_ARP};
	uint64_t end = time_now() + time_us_to_ticks((uint64_t)timeout_ms * 1000);
	int err = -ETIMEDOUT;

	memcpy(w.ip, ip, 4);
	// ask, wait a little, ask again: the first request or its answer
	// may be lost
	while (!w.done && time_now() <= end) {
		if ((err = arp_send(ARP_REQUEST, unknown, ip, broadcast)) < 0)
			return err;
		uint64_t retry = time_now() + time_us_to_ticks(ARP_RETRY_MS * 1000);
		err = net_wait(&w, retry < end ? retry : end);
		if (err < 0 && err != -ETIMEDOUT)
			return err;
	}
	if (!w.done)
		return -ETIMEDOUT;
	memcpy(mac, w.mac, 6);
	return 0;
}

int net_parse_ip(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0;
		int digits = 0;
		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			v = v * 10 + (unsigned)(*s - '0');
		if (digits == 0 || v > 255 || *s != (i < 3 ? '.' : '\0'))
			return -EINVAL;
		ip[i] = (uint8_t)v;
		if (i < 3)
			s++;
	}
	return 0;
}
