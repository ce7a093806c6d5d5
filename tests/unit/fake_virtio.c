// The fake virtio-mmio device (see fake_virtio.h): making and freeing
// devices, the complaints a test asserts on, and moving bytes in and out of
// a chain. The driver's memory is the host's: a ring address the driver
// gives is a pointer here, which is why the rings must come from dma_alloc
// (below 4 GiB, so a legacy QueuePFN can name them) and are checked to lie
// in DMA memory before the device reads them. Everything the device reads
// from the rings is the driver's word and is bounds-checked first, as a
// real device must. fake_virtio_internal.h says which file does the rest.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "fake_mmio.h"
#include "fake_virtio.h"
#include "fake_virtio_internal.h"
#include "virtio/virtio.h"

struct fake_virtio *fv_devs[FAKE_SLOTS];

// --- complaints ---------------------------------------------------------------

// The driver broke the protocol: count it, keep the first sentence, and
// say it in the log where a failing test prints it.
void driver_bug(struct fake_virtio *fv, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!fv->errors++)
		snprintf(fv->error, sizeof(fv->error), "%s", msg);
	kprintf("fake-virtio slot %d: DRIVER ERROR: %s\n", fv->slot, msg);
}

// A queue the driver corrupted: a real device (QEMU's virtio_error) stops
// it and asks for a reset.
void queue_broken(struct fake_virtio *fv, struct fv_queue *q)
{
	q->broken = true;
	fake_virtio_set_needs_reset(fv);
}

bool fv_has_feature(const struct fake_virtio *fv, unsigned bit)
{
	return (fv->driver_features >> bit) & 1;
}

// --- device types ---------------------------------------------------------------

uint32_t fv_read(const struct fv_req *r, uint32_t off, void *dst, uint32_t len)
{
	uint32_t done = 0;

	for (int i = 0; i < r->nseg && done < len; i++) {
		const struct fv_seg *s = &r->seg[i];
		if (s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t n = s->len - off < len - done ? s->len - off : len - done;
		memcpy((uint8_t *)dst + done, (void *)(uintptr_t)(s->addr + off), n);
		done += n;
		off = 0;
	}
	return done;
}

uint32_t fv_write(const struct fv_req *r, uint32_t off, const void *src, uint32_t len)
{
	uint32_t done = 0;

	for (int i = 0; i < r->nseg && done < len; i++) {
		const struct fv_seg *s = &r->seg[i];
		if (!s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		uint32_t n = s->len - off < len - done ? s->len - off : len - done;
		memcpy((void *)(uintptr_t)(s->addr + off), (const uint8_t *)src + done, n);
		done += n;
		off = 0;
	}
	return done;
}

// Any device but a disk: fill every writable byte (an entropy source would).
static uint32_t generic_handler(struct fake_virtio *fv, const struct fv_req *r)
{
	(void)fv;
	for (uint32_t off = 0; off < r->writable; off++)
		fv_write(r, off, &(uint8_t){(uint8_t)(0xa5 ^ off)}, 1);
	return r->writable;
}

// --- setting up -------------------------------------------------------------------

void fake_virtio_config_set(struct fake_virtio *fv, uint32_t off, uint64_t val, int bytes)
{
	for (int i = 0; i < bytes && off + i < FV_CONFIG_BYTES; i++)
		fv->config[off + i] = (uint8_t)(val >> (8 * i));
}

struct fake_virtio *fake_virtio_new(int slot, uint32_t version, uint32_t device_id)
{
	struct fake_virtio *fv;

	if (slot < 0 || slot >= FAKE_SLOTS)
		abort();
	if (fv_devs[slot])
		fake_virtio_free(fv_devs[slot]);
	fv = calloc(1, sizeof(*fv));
	if (!fv)
		abort();
	fv->slot = slot;
	fv->version = version;
	fv->device_id = device_id;
	fv->vendor_id = 0x554d4551; // "QEMU"
	fv->offered = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if (version == 2)
		fv->offered |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	fv->q[0].num_max = 256;
	fv->handler = generic_handler;
	fv_devs[slot] = fv;
	fake_mmio_attach(slot, &fv_mmio_ops, fv);
	return fv;
}

void fake_virtio_free(struct fake_virtio *fv)
{
	if (!fv)
		return;
	for (int i = 0; i < FV_QUEUES; i++)
		queue_drop(&fv->q[i]);
	if (fv_devs[fv->slot] == fv) {
		fv_devs[fv->slot] = NULL;
		fake_mmio_attach(fv->slot, NULL, NULL);
	}
	free(fv->disk);
	free(fv);
}

void fake_virtio_free_all(void)
{
	for (int s = 0; s < FAKE_SLOTS; s++)
		fake_virtio_free(fv_devs[s]);
}
