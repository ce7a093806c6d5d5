// virtio-net (spec 5.1). Two queues where the block device had one:
//
//   receiveq1 (queue 0)  buffers the device writes: a header, then a frame
//   transmitq1 (queue 1) buffers the device reads: a header, then a frame
//
// Every packet, both ways, starts with a struct virtio_net_hdr (5.1.6). We
// negotiate no offloads, so on transmit it is all zeros and on receive we
// only skip it; what matters is its size, which depends on the features:
//
//   12 bytes with VERSION_1 (the modern transport): num_buffers is always
//      there, even without MRG_RXBUF (5.1.6);
//   10 bytes on a legacy device without MRG_RXBUF: num_buffers is absent
//      (5.1.6.1, "Legacy Interface: Device Operation").
//
// Get it wrong and every frame is shifted by two bytes.
//
// The header goes in its own descriptor, followed by the frame: a legacy
// device without ANY_LAYOUT requires exactly that (5.1.6, "Legacy
// Interface: Framing Requirements"), and a modern one accepts any
// layout, so one layout serves both transports.
#include "console.h"
#include "errno.h"
#include "hw/time.h"
#include "lib/string.h"
#include "mem.h"
#include "virtio/net.h"
#include "virtio/virtio.h"
#include "virtio/virtio_dev.h"
#include "virtio/virtq.h"

#define VNET_RXQ 0
#define VNET_TXQ 1
// Small queues on purpose: a burst of a few dozen packets goes round the
// receive ring several times, which is what recycling must survive.
#define VNET_RXQ_SIZE      32
#define VNET_TXQ_SIZE      16
#define VNET_HDR_MAX       12
#define VNET_FRAME_BUF     1536 // >= ETH_FRAME_MAX (+ a VLAN tag); 5.1.6.3.1 asks 1526 with the header
#define VNET_TX_TIMEOUT_US 200000

// One packet buffer: the header and the frame, in two descriptors.
struct vnet_buf {
	uint8_t hdr[16]; // VNET_HDR_MAX used, rounded up
	uint8_t frame[VNET_FRAME_BUF];
};

// The driver's state. The device writes the rx buffers and both used
// rings, and reads the tx buffers; everything else is ours.
static struct vnet {
	bool present;
	struct virtio_dev *dev; // the transport's, found in the registry
	struct virtq rxq, txq;
	struct vnet_buf *rx, *tx; // DMA: nrx and ntx buffers
	bool *tx_busy;            // tx buffer i is on the transmit queue
	void *mem;                // one allocation for the three arrays above
	size_t mem_bytes;
	uint16_t nrx, ntx; // buffers: one per two ring entries
	uint32_t hdr_len;  // 10 or 12, see above
	uint8_t mac[ETH_ALEN];
	bool mac_from_device; // VIRTIO_NET_F_MAC negotiated

	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t rx_bad;     // frames with a length we cannot believe
	uint64_t tx_dropped; // frames we could not queue
	uint64_t tx_again;   // when to notify the transmit queue again (vnet_send)
	uint64_t rx_empty;   // times we found every rx buffer taken: the
	                     // device drops frames while the ring is empty
	uint64_t resets;
} vnet;

static const uint64_t vnet_wanted = VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS);

// The header size for the features agreed on (5.1.6 and 5.1.6.1).
static uint32_t vnet_hdr_len(const struct virtio_dev *d)
{
	/* BEGIN LAB 9 SOLUTION */
	return vdev_has(d, VIRTIO_F_VERSION_1) || vdev_has(d, VIRTIO_NET_F_MRG_RXBUF) ? 12 : 10;
	/* END LAB 9 SOLUTION */
	/* BEGIN LAB 9 STUB
	// TODO(lab 9): 12 or 10 bytes, depending on the features. Read
	// lab-guides/lab9-devices.md, "Step 2: the net header".
	(void)d;
	return 0;
	END LAB 9 STUB */
}

// Give rx buffer i (back) to the device: a device-writable chain of
// header and frame (5.1.6.3).
static int vnet_rx_give(uint16_t i)
{
	struct vnet_buf *b = &vnet.rx[i];
	struct virtq_buf bufs[2];

	/* BEGIN LAB 9 SOLUTION */
	bufs[0] = (struct virtq_buf){virt_to_phys(b->hdr), vnet.hdr_len, true};
	bufs[1] = (struct virtq_buf){virt_to_phys(b->frame), VNET_FRAME_BUF, true};
	return virtq_add_chain(&vnet.rxq, bufs, 2, b);
	/* END LAB 9 SOLUTION */
	/* BEGIN LAB 9 STUB
	// TODO(lab 9): describe buffer i's header and frame, both written by
	// the device, and add them as one chain whose token is b. Read
	// lab-guides/lab9-devices.md, "Step 3: keeping the receive queue full".
	(void)b, (void)bufs;
	return -ENOSYS;
	END LAB 9 STUB */
}

// Reset the device, then free what vnet_start set up: after the reset
// the device touches neither rings nor buffers. Safe on a half-started
// device: it frees only what exists.
static void vnet_stop(void)
{
	vdev_reset(vnet.dev);
	if (vnet.mem)
		vdev_dma_free(vnet.dev, vnet.mem, vnet.mem_bytes); // kept if the reset failed
	vnet.mem = 0;
	if (vnet.rxq.num)
		vdev_queue_release(vnet.dev, &vnet.rxq);
	if (vnet.txq.num)
		vdev_queue_release(vnet.dev, &vnet.txq);
}

// Spec 3.1.1 and 5.1.5 for this device: features, MAC, queues, fill the
// receive queue, DRIVER_OK. Used at probe time and after a reset.
static int vnet_start(void)
{
	struct virtio_dev *d = vnet.dev;
	int err;

	// no MRG_RXBUF, no checksum or segmentation offloads, no control
	// queue: we implement none of them, so we accept none of them
	if ((err = vdev_init(d, vnet_wanted, 0)) < 0)
		goto fail;
	vnet.hdr_len = vnet_hdr_len(d);
	// 5.1.4: mac is valid only with VIRTIO_NET_F_MAC; otherwise pick a
	// locally administered address of our own (5.1.5)
	vnet.mac_from_device = vdev_has(d, VIRTIO_NET_F_MAC);
	if (vnet.mac_from_device) {
		if ((err = vdev_config_read(d, offsetof(struct virtio_net_config, mac), vnet.mac,
		                            ETH_ALEN)) < 0)
			goto fail;
	} else {
		static const uint8_t own[ETH_ALEN] = {0x02, 0, 0, 0, 0, 0x0f};
		memcpy(vnet.mac, own, ETH_ALEN);
	}
	if ((err = vdev_queue_setup(d, &vnet.rxq, VNET_RXQ, VNET_RXQ_SIZE)) < 0)
		goto fail;
	if ((err = vdev_queue_setup(d, &vnet.txq, VNET_TXQ, VNET_TXQ_SIZE)) < 0)
		goto fail;
	virtq_enable_interrupts(&vnet.rxq, false);
	virtq_enable_interrupts(&vnet.txq, false);
	vnet.nrx = vnet.rxq.num / 2;
	vnet.ntx = vnet.txq.num / 2;
	if (vnet.nrx == 0 || vnet.ntx == 0) {
		err = -ENOSPC; // a 1-entry queue cannot hold a 2-descriptor chain
		goto fail;
	}
	vnet.mem_bytes = (sizeof(struct vnet_buf)) * (vnet.nrx + vnet.ntx) + vnet.ntx;
	vnet.mem = dma_alloc(vnet.mem_bytes);
	if (!vnet.mem) {
		err = -ENOMEM;
		goto fail;
	}
	vnet.rx = vnet.mem;
	vnet.tx = vnet.rx + vnet.nrx;
	vnet.tx_busy = (bool *)(vnet.tx + vnet.ntx);
	// 5.1.5: fill the receive queue, so the device has somewhere to put
	// the first frame. Buffers may be made available before DRIVER_OK;
	// the notification must wait for it (3.1.1), hence the kick below.
	for (uint16_t i = 0; i < vnet.nrx; i++)
		if ((err = vnet_rx_give(i)) < 0)
			goto fail;
	vdev_driver_ok(d);
	virtq_kick(&vnet.rxq);
	if ((err = vdev_check_needs_reset(d)) < 0)
		goto fail;
	return 0;

fail:
	// undo whatever was set up, then tell the device we gave up
	vnet_stop();
	vdev_fail(d);
	return err;
}

// A protocol error leaves both rings in doubt: reset and start over.
// Frames in flight are lost, which a network tolerates.
static int vnet_recover(int why)
{
	vnet.resets++;
	kprintf("virtio-net: %s: resetting the device\n", errstr(why));
	vnet_stop();
	vnet.present = vnet_start() == 0;
	if (!vnet.present)
		kprintf("virtio-net: the device did not come back\n");
	return why;
}

// Take back the tx buffers the device has finished reading.
static int vnet_tx_reap(void)
{
	void *token;
	uint32_t len;
	int r;

	while ((r = virtq_get_used(&vnet.txq, &token, &len)) > 0)
		vnet.tx_busy[(struct vnet_buf *)token - vnet.tx] = false;
	return r;
}

int vnet_send(const void *frame, size_t len)
{
	struct virtq_buf bufs[2];
	uint64_t deadline = time_now() + time_us_to_ticks(VNET_TX_TIMEOUT_US);
	uint16_t i;
	int r;

	if (!vnet.present)
		return -ENODEV;
	if (len < 14 || len > ETH_FRAME_MAX)
		return -EINVAL;
	if ((r = vnet_tx_reap()) < 0)
		return vnet_recover(r);
	// frames from earlier sends still out 20 ms after their notification:
	// it may have been lost, and with EVENT_IDX every later one with it
	if (virtq_in_flight(&vnet.txq))
		virtq_notify_again(&vnet.txq, time_now(), &vnet.tx_again);
	// a free tx buffer, waiting (bounded) for the device to finish one
	for (uint64_t now;;) {
		if ((r = vnet_tx_reap()) < 0)
			return vnet_recover(r);
		for (i = 0; i < vnet.ntx && vnet.tx_busy[i]; i++)
			;
		if (i < vnet.ntx)
			break;
		if ((now = time_now()) > deadline) {
			vnet.tx_dropped++;
			return -ETIMEDOUT;
		}
		// every buffer out and none back: as above, each 20 ms
		virtq_notify_again(&vnet.txq, now, &vnet.tx_again);
	}
	struct vnet_buf *b = &vnet.tx[i];
	size_t n = len < ETH_FRAME_MIN ? ETH_FRAME_MIN : len;
	memcpy(b->frame, frame, len);
	memset(b->frame + len, 0, n - len);
	/* BEGIN LAB 9 SOLUTION */
	// no offloads: flags 0, gso_type NONE, every field 0 (5.1.6.2)
	memset(b->hdr, 0, sizeof(b->hdr));
	bufs[0] = (struct virtq_buf){virt_to_phys(b->hdr), vnet.hdr_len, false};
	bufs[1] = (struct virtq_buf){virt_to_phys(b->frame), (uint32_t)n, false};
	r = virtq_add_chain(&vnet.txq, bufs, 2, b);
	/* END LAB 9 SOLUTION */
	/* BEGIN LAB 9 STUB
	// TODO(lab 9): a zeroed header and the frame, both read by the device,
	// as one chain on the transmit queue with token b. Read
	// lab-guides/lab9-devices.md, "Step 4: sending a frame".
	(void)bufs;
	r = -ENOSYS;
	END LAB 9 STUB */
	if (r < 0) {
		vnet.tx_dropped++;
		return r == -EPROTO ? vnet_recover(r) : r;
	}
	vnet.tx_busy[i] = true;
	virtq_kick(&vnet.txq);
	vnet.tx_again = 0; // the 20 ms start at this notification
	virtq_notify_again(&vnet.txq, time_now(), &vnet.tx_again);
	vnet.tx_packets++;
	vnet.tx_bytes += n;
	return 0;
}

int vnet_poll(void *frame, size_t cap)
{
	void *token;
	uint32_t written;
	int r;

	if (!vnet.present)
		return -ENODEV;
	for (;;) {
		if ((r = virtq_get_used(&vnet.rxq, &token, &written)) == 0)
			return 0;
		if (r < 0)
			return vnet_recover(r);
		// we give every buffer back at once, so if none is left with
		// the device now, it had run out, and drops frames until then
		if (virtq_in_flight(&vnet.rxq) == 0)
			vnet.rx_empty++;
		struct vnet_buf *b = token;
		uint16_t i = (uint16_t)(b - vnet.rx);
		// written counts header and frame, and is at most the chain's
		// size (virtq_get_used checked that); it must hold a header and
		// an Ethernet header to be a frame at all
		bool ok = written >= vnet.hdr_len + 14;
		uint32_t len = ok ? written - vnet.hdr_len : 0;
		if (ok) {
			memcpy(frame, b->frame, len < cap ? len : cap);
			vnet.rx_packets++;
			vnet.rx_bytes += len;
		} else {
			vnet.rx_bad++;
		}
		// recycle: the same buffer goes straight back on the ring
		if ((r = vnet_rx_give(i)) < 0)
			return vnet_recover(r);
		virtq_kick(&vnet.rxq);
		if (ok)
			return (int)len;
	}
}

int vnet_probe(void)
{
	memset(&vnet, 0, sizeof(vnet));
	vnet.dev = virtio_claim_first(VIRTIO_ID_NET, "virtio-net");
	int err = vnet.dev ? vnet_start() : -ENODEV;
	if (err == -ENODEV) {
		kprintf("virtio-net: no network device\n");
	} else if (err < 0) {
		kprintf("virtio-net: initialisation failed: %s\n", errstr(err));
		ksnprintf(vnet.dev->use, sizeof(vnet.dev->use), "virtio-net failed to start it");
	} else {
		vnet.present = true;
		kprintf("virtio-net: %s, %s transport, MAC %02x:%02x:%02x:%02x:%02x:%02x%s, "
		        "header %u bytes, %u rx buffers\n",
		        vnet.dev->name, vdev_transport(vnet.dev), vnet.mac[0], vnet.mac[1],
		        vnet.mac[2], vnet.mac[3], vnet.mac[4], vnet.mac[5],
		        vnet.mac_from_device ? "" : " (our own: the device has none)", vnet.hdr_len,
		        vnet.nrx);
	}
	return err;
}

int vnet_lose_notify(unsigned nth)
{
	if (!vnet.present)
		return -ENODEV;
	vdev_lose_notify(vnet.dev, nth);
	return 0;
}

bool vnet_present(void)
{
	return vnet.present;
}

void vnet_mac(uint8_t mac[ETH_ALEN])
{
	memcpy(mac, vnet.mac, ETH_ALEN);
}

void vnet_info(void)
{
	if (!vnet.present) {
		kprintf("net: no virtio-net device (start QEMU with -netdev user,id=n0 "
		        "-device virtio-net-device,netdev=n0)\n");
		return;
	}
	const char *link = "unknown (no STATUS feature)";
	uint16_t status;
	if (vdev_has(vnet.dev, VIRTIO_NET_F_STATUS) &&
	    vdev_config_read(vnet.dev, offsetof(struct virtio_net_config, status), &status,
	                     sizeof(status)) == 0)
		link = status & VIRTIO_NET_S_LINK_UP ? "up" : "down";
	kprintf("net: virtio-net (%s), %s transport, header %u bytes\n", vnet.dev->name,
	        vdev_transport(vnet.dev), vnet.hdr_len);
	kprintf("net: MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s\n", vnet.mac[0], vnet.mac[1],
	        vnet.mac[2], vnet.mac[3], vnet.mac[4], vnet.mac[5], link);
	kprintf("net: rx queue %u entries, %u buffers; tx queue %u entries, %u buffers\n",
	        vnet.rxq.num, vnet.nrx, vnet.txq.num, vnet.ntx);
	kprintf("net: rx %lu packets, %lu bytes; tx %lu packets, %lu bytes\n",
	        (unsigned long)vnet.rx_packets, (unsigned long)vnet.rx_bytes,
	        (unsigned long)vnet.tx_packets, (unsigned long)vnet.tx_bytes);
	kprintf("net: drops: %lu bad rx, %lu tx, rx ring empty %lu times, %lu resets\n",
	        (unsigned long)vnet.rx_bad, (unsigned long)vnet.tx_dropped,
	        (unsigned long)vnet.rx_empty, (unsigned long)vnet.resets);
}

void vnet_remove(void)
{
	if (vnet.present)
		vnet_stop();
	memset(&vnet, 0, sizeof(vnet));
}
