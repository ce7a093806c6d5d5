// What the `blk` and `vq` commands print about a virtio-blk device: its
// facts, its counters, and the state of its queue.
#include "console.h"
#include "virtio/blk_state.h"
#include "virtio/virtio.h"

void vblk_info(struct vblk *v)
{
	if (!vblk_present(v)) {
		kprintf("blk: no virtio-blk device\n");
		return;
	}
	// a polled driver sees no configuration interrupt: look again
	vblk_config_changed(v);
	kprintf("blk: %s: %s, %s transport\n", v->id, v->desc, vdev_transport(v->dev));
	kprintf("blk: capacity %lu sectors (%lu KiB), block size %u, max request %u bytes\n",
	        (unsigned long)v->capacity, (unsigned long)(v->capacity / 2), v->blk_size,
	        v->max_req);
	vdev_print_features("accepted", v->dev->features, VIRTIO_ID_BLOCK);
	kprintf("blk: queue size %u, %u request slots, serial \"%s\", %s%s\n", v->vq.num, v->nslots,
	        v->serial, v->read_only ? "read-only" : "read-write", v->flush ? ", flush" : "");
	kprintf("blk: %lu requests, %lu errors, %lu timeouts, %lu resets, at most %u in flight\n",
	        (unsigned long)v->requests, (unsigned long)v->errors, (unsigned long)v->timeouts,
	        (unsigned long)v->resets, v->max_in_flight);
	if (v->renotifies)
		kprintf("blk: notifications sent again after %u ms with nothing back: %lu\n",
		        VIRTQ_RENOTIFY_MS, (unsigned long)v->renotifies);
	kprintf("blk: %lu interrupts (%lu with used buffers), completions by %s\n",
	        (unsigned long)v->irqs, (unsigned long)v->irq_completions,
	        vblk_mode.polling ? "polling" : "interrupt");
}

void vblk_dump_queue(struct vblk *v)
{
	if (vblk_present(v))
		virtq_dump(&v->vq);
	else
		kprintf("vq: no virtio-blk device\n");
}
