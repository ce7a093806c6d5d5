// Just enough of Ethernet, ARP (RFC 826), IPv4 and ICMP echo (RFC 792) to
// talk to QEMU's user-mode network: we are 10.0.2.15, the gateway 10.0.2.2.
// Everything is polled over virtio/net.h; every wait ends at a deadline.
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP  0x0806

extern const uint8_t net_my_ip[4];      // 10.0.2.15, QEMU's first DHCP lease
extern const uint8_t net_gateway_ip[4]; // 10.0.2.2

// What net_wait is waiting for; the receive path fills in the answer.
struct net_wait {
	// NONE: nothing awaited; the wait only answers ARP and pings to us
	enum { WAIT_ARP, WAIT_ECHO, WAIT_NONE } what;
	uint8_t ip[4];    // ARP: whose MAC; ECHO: who should reply
	uint16_t id, seq; // ECHO: the request's identifier and sequence
	bool done;        // the answer arrived
	uint8_t mac[6];   // ARP: the answer
};

// Receive frames until w->done or the deadline (in time_now() ticks),
// answering ARP requests and pings for our address on the way. Returns 0
// when done, -ETIMEDOUT, or the device's -errno.
int net_wait(struct net_wait *w, uint64_t deadline);
// Ethernet: send a frame with our MAC as the source.
int net_eth_send(const uint8_t dst[6], uint16_t type, const void *payload, uint32_t len);

// ARP: ask who has ip, and wait up to timeout_ms (asking again now and then).
int arp_resolve(const uint8_t ip[4], uint8_t mac[6], uint32_t timeout_ms);
void arp_input(const uint8_t *pkt, uint32_t len, struct net_wait *w);

// ICMP echo: send one request, wait for its reply; *rtt_us on success.
int icmp_ping(const uint8_t ip[4], uint16_t seq, uint32_t timeout_ms, uint64_t *rtt_us);
void ipv4_input(const uint8_t *pkt, uint32_t len, struct net_wait *w);

// Parse "a.b.c.d"; -EINVAL if malformed.
int net_parse_ip(const char *s, uint8_t ip[4]);

#endif
