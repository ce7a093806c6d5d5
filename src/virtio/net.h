// The virtio network device (spec 5.1): Ethernet frames in and out, with
// receive queue 0 kept full of buffers and transmit queue 1. Polled: the
// block driver owns the interrupt path.
#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Feature bits (spec 5.1.3)
#define VIRTIO_NET_F_MAC       5  // config.mac is valid
#define VIRTIO_NET_F_MRG_RXBUF 15 // a packet may span rx buffers (not used)
#define VIRTIO_NET_F_STATUS    16 // config.status is valid

#define VIRTIO_NET_S_LINK_UP 1 // config.status bit (5.1.4)

// The start of the device configuration (spec 5.1.4), in its order; the
// fields after status exist only with features we do not accept.
struct virtio_net_config {
	uint8_t mac[6];  // valid with VIRTIO_NET_F_MAC
	uint16_t status; // valid with VIRTIO_NET_F_STATUS
} __attribute__((packed));

#define ETH_ALEN      6
#define ETH_FRAME_MAX 1514 // header + 1500 bytes of payload, no FCS
#define ETH_FRAME_MIN 60   // shorter frames are padded with zeros

// Find the first virtio-net device and start it: features, MAC, both
// queues, the receive queue filled. Without one, prints a single line and
// returns -ENODEV.
int vnet_probe(void);
bool vnet_present(void);
void vnet_mac(uint8_t mac[ETH_ALEN]);

// Queue one frame (destination MAC first, no FCS) for sending. Returns 0,
// or -errno (-ETIMEDOUT: the transmit queue stayed full).
int vnet_send(const void *frame, size_t len);
// Take one received frame, if any: returns its length (at most cap bytes
// are copied), 0 if none is waiting, or -errno. Never waits.
int vnet_poll(void *frame, size_t cap);

// Print the device's facts and counters for the `net` command.
void vnet_info(void);
// For tests: reset the device and free everything.
void vnet_remove(void);
// Tests only (`faultinject kick N net`): the device's nth notification from
// now is not sent. -ENODEV without a device.
int vnet_lose_notify(unsigned nth);

#endif
