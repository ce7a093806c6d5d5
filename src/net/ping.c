// IPv4 (RFC 791) and ICMP echo (RFC 792): send a ping, recognise its
// reply, and answer pings sent to us. No options, no fragments, no routing
// beyond "off our /24, through the gateway".
#include "console.h"
#include "errno.h"
#include "hw/time.h"
#include "lib/string.h"
#include "net/net.h"
#include "virtio/net.h"

#define IP_PROTO_ICMP   1
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO       8
#define PING_ID         0x4543 // "EC"
#define PING_DATA       56     // bytes after the ICMP header, as ping(8)

static uint16_t ip_id;

// The Internet checksum (RFC 1071): the ones' complement of the ones'
// complement sum of 16-bit words.
static uint16_t csum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

// Send an IPv4 packet carrying `len` bytes of ICMP to ip via dst_mac.
static int ipv4_send(const uint8_t dst_mac[6], const uint8_t ip[4], const uint8_t *icmp,
                     uint32_t len)
{
	static uint8_t pkt[ETH_FRAME_MAX - 14];

	if (len > sizeof(pkt) - 20)
		return -E2BIG;
	memset(pkt, 0, 20);
	pkt[0] = 0x45; // version 4, 5 words of header
	put16(pkt + 2, (uint16_t)(20 + len));
	put16(pkt + 4, ip_id++);
	pkt[8] = 64; // TTL
	pkt[9] = IP_PROTO_ICMP;
	memcpy(pkt + 12, net_my_ip, 4);
	memcpy(pkt + 16, ip, 4);
	put16(pkt + 10, csum(pkt, 20));
	memcpy(pkt + 20, icmp, len);
	return net_eth_send(dst_mac, ETH_TYPE_IPV4, pkt, 20 + len);
}

// The MAC of the last sender of a ping to us, kept only while we answer.
static uint8_t reply_mac[6];

void ipv4_input(const uint8_t *p, uint32_t len, struct net_wait *w)
{
	if (len < 20 || p[0] >> 4 != 4)
		return;
	uint32_t hlen = (uint32_t)(p[0] & 0xf) * 4, total = get16(p + 2);
	// the header and total lengths must fit what we received; frames
	// may carry padding after the packet, which total excludes
	if (hlen < 20 || total < hlen || total > len || csum(p, hlen) != 0)
		return;
	if (p[9] != IP_PROTO_ICMP || memcmp(p + 16, net_my_ip, 4))
		return;
	if ((get16(p + 6) & 0x3fff) != 0)
		return; // a fragment: not reassembled here
	const uint8_t *icmp = p + hlen, *src = p + 12;
	uint32_t ilen = total - hlen;
	if (ilen < 8 || csum(icmp, ilen) != 0)
		return;
	if (icmp[0] == ICMP_ECHO_REPLY && w->what == WAIT_ECHO && !memcmp(src, w->ip, 4) &&
	    get16(icmp + 4) == w->id && get16(icmp + 6) == w->seq)
		w->done = true;
	else if (icmp[0] == ICMP_ECHO && ilen <= ETH_FRAME_MAX - 14 - 20) {
		// answer with the same identifier, sequence and data
		static uint8_t out[ETH_FRAME_MAX - 14 - 20];
		memcpy(out, icmp, ilen);
		out[0] = ICMP_ECHO_REPLY;
		put16(out + 2, 0);
		put16(out + 2, csum(out, ilen));
		// the frame's sender is who to answer: net_wait checked the
		// Ethernet header, and the IP header sits 14 bytes into it
		memcpy(reply_mac, p - 14 + 6, 6);
		ipv4_send(reply_mac, src, out, ilen);
	}
}

int icmp_ping(const uint8_t ip[4], uint16_t seq, uint32_t timeout_ms, uint64_t *rtt_us)
{
	static uint8_t gw_mac[6];
	static bool gw_known;
	uint8_t mac[6], msg[8 + PING_DATA];
	uint64_t start = time_now(), end = start + time_us_to_ticks((uint64_t)timeout_ms * 1000);
	int err;

	// on our /24 the target answers ARP itself; elsewhere the gateway
	// forwards. The gateway's MAC is asked for once.
	bool local = !memcmp(ip, net_my_ip, 3);
	if (local && memcmp(ip, net_gateway_ip, 4)) {
		if ((err = arp_resolve(ip, mac, timeout_ms)) < 0)
			return err;
	} else {
		if (!gw_known && (err = arp_resolve(net_gateway_ip, gw_mac, timeout_ms)) < 0)
			return err;
		gw_known = true;
		memcpy(mac, gw_mac, 6);
	}
	msg[0] = ICMP_ECHO;
	msg[1] = 0;
	put16(msg + 2, 0);
	put16(msg + 4, PING_ID);
	put16(msg + 6, seq);
	for (int i = 0; i < PING_DATA; i++)
		msg[8 + i] = (uint8_t)i;
	put16(msg + 2, csum(msg, sizeof(msg)));
	start = time_now();
	if ((err = ipv4_send(mac, ip, msg, sizeof(msg))) < 0)
		return err;
	struct net_wait w = {.what = WAIT_ECHO, .id = PING_ID, .seq = seq};
	memcpy(w.ip, ip, 4);
	if ((err = net_wait(&w, end)) < 0)
		return err;
	*rtt_us = time_ticks_to_us(time_now() - start);
	return 0;
}
