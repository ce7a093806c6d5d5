// The virtio-blk device type of the fake (spec 5.2): a disk in memory,
// filled with a known pattern, that does what QEMU's does with each request
// and checks it as strictly as the rest of the fake: the header, the data
// buffers' directions, the limits the device published (size_max, seg_max),
// whole logical blocks inside the disk. A test fails chosen sectors with
// fake_virtio_blk_fail_sector.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_virtio.h"
#include "fake_virtio_internal.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"

#define BLK_S_OK     0
#define BLK_S_IOERR  1
#define BLK_S_UNSUPP 2
#define SECTOR       512

// The part of a request the device reads before the data (spec 5.2.6),
// little-endian.
struct fv_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
} __attribute__((packed));

uint8_t fake_virtio_pattern(uint64_t off)
{
	uint64_t x = off / SECTOR * 0x9e3779b97f4a7c15ULL + off % SECTOR;
	return (uint8_t)(x ^ x >> 29 ^ off >> 9);
}

static uint64_t le_bytes(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

// virtio-blk (spec 5.2.6): header (device-readable, 16 bytes), data,
// status (the last device-writable byte).
static uint32_t blk_handler(struct fake_virtio *fv, const struct fv_req *r)
{
	uint8_t hdr[sizeof(struct fv_blk_req_hdr)];
	uint8_t status = BLK_S_OK;
	uint32_t written = 1;

	if (r->readable < sizeof(hdr) || r->writable < 1) {
		driver_bug(fv, "blk request %u without a 16-byte header and a status byte",
		           r->head);
		return 0;
	}
	fv_read(r, 0, hdr, sizeof(hdr));
	uint32_t type = (uint32_t)le_bytes(hdr + offsetof(struct fv_blk_req_hdr, type), 4);
	uint64_t sector = le_bytes(hdr + offsetof(struct fv_blk_req_hdr, sector), 8);
	uint32_t in_len = r->writable - 1, out_len = r->readable - (uint32_t)sizeof(hdr);
	uint32_t blk = (uint32_t)le_bytes(fv->config + FV_BLK_CONFIG(blk_size), 4);
	uint64_t per_block =
	    fv_has_feature(fv, VIRTIO_BLK_F_BLK_SIZE) && blk >= SECTOR ? blk / SECTOR : 1;
	uint64_t capacity = fv->disk_bytes / SECTOR;

	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		uint32_t len = type == VIRTIO_BLK_T_IN ? in_len : out_len;
		if (type == VIRTIO_BLK_T_IN && out_len)
			driver_bug(fv, "blk read %u carries %u device-readable data bytes", r->head,
			           out_len);
		if (type == VIRTIO_BLK_T_OUT && in_len)
			driver_bug(fv, "blk write %u carries %u device-writable data bytes",
			           r->head, in_len);
		if (len > fv->blk_max_data)
			fv->blk_max_data = len;
		// the limits it published (5.2.4): data segments of at most
		// size_max bytes, at most seg_max of them
		uint32_t size_max = (uint32_t)le_bytes(fv->config + FV_BLK_CONFIG(size_max), 4);
		uint32_t seg_max = (uint32_t)le_bytes(fv->config + FV_BLK_CONFIG(seg_max), 4);
		if (fv_has_feature(fv, VIRTIO_BLK_F_SEG_MAX) && r->nseg > 2 &&
		    r->nseg - 2u > seg_max)
			driver_bug(fv, "blk request %u has %u data segments, seg_max is %u",
			           r->head, r->nseg - 2u, seg_max);
		for (uint16_t i = 1; fv_has_feature(fv, VIRTIO_BLK_F_SIZE_MAX) && i + 1 < r->nseg;
		     i++)
			if (r->seg[i].len > size_max)
				driver_bug(fv,
				           "blk request %u: a %u-byte data segment, size_max is %u",
				           r->head, r->seg[i].len, size_max);
		// what QEMU checks: whole logical blocks, inside the disk
		if (len == 0 || len % (SECTOR * per_block) || sector % per_block ||
		    sector > capacity || len / SECTOR > capacity - sector) {
			status = BLK_S_IOERR;
			break;
		}
		if (type == VIRTIO_BLK_T_OUT && fv_has_feature(fv, VIRTIO_BLK_F_RO)) {
			status = BLK_S_IOERR;
			break;
		}
		for (int i = 0; i < fv->nrules; i++)
			if (fv->rules[i].sector >= sector &&
			    fv->rules[i].sector < sector + len / SECTOR)
				status = fv->rules[i].status;
		if (status != BLK_S_OK)
			break;
		if (type == VIRTIO_BLK_T_IN) {
			fv_write(r, 0, fv->disk + sector * SECTOR, len);
			fv->blk_reads++;
			fv->blk_bytes_read += len;
			written = len + 1;
		} else {
			fv_read(r, sizeof(hdr), fv->disk + sector * SECTOR, len);
			fv->blk_writes++;
			fv->blk_bytes_written += len;
		}
		break;
	}
	case VIRTIO_BLK_T_FLUSH: fv->blk_flushes++; break;
	case VIRTIO_BLK_T_GET_ID: {
		if (fv->no_get_id) {
			status = BLK_S_UNSUPP;
			break;
		}
		uint8_t id[VIRTIO_BLK_ID_BYTES] = {0};
		uint32_t n = in_len < VIRTIO_BLK_ID_BYTES ? in_len : VIRTIO_BLK_ID_BYTES;
		memcpy(id, fv->serial, strnlen(fv->serial, VIRTIO_BLK_ID_BYTES));
		fv_write(r, 0, id, n);
		fv->blk_get_ids++;
		written = n + 1;
		break;
	}
	default: fv->blk_other++; status = BLK_S_UNSUPP;
	}
	fv_write(r, in_len, &status, 1);
	return written;
}

void fake_virtio_blk_fail_sector(struct fake_virtio *fv, uint64_t sector, uint8_t status)
{
	if (fv->nrules < FV_SECTOR_RULES)
		fv->rules[fv->nrules++] = (struct fv_sector_rule){sector, status};
}

struct fake_virtio *fake_virtio_blk(int slot, uint32_t version, uint64_t sectors)
{
	struct fake_virtio *fv = fake_virtio_new(slot, version, VIRTIO_ID_BLOCK);

	fv->handler = blk_handler;
	fv->offered |= VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
	               VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	fv->disk_bytes = sectors * SECTOR;
	fv->disk = malloc(fv->disk_bytes ? fv->disk_bytes : 1);
	if (!fv->disk)
		abort();
	for (uint64_t i = 0; i < fv->disk_bytes; i++)
		fv->disk[i] = fake_virtio_pattern(i);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(capacity), sectors, 8);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(size_max), 1 << 20, 4); // (not offered)
	fake_virtio_config_set(fv, FV_BLK_CONFIG(seg_max), 126, 4);
	fake_virtio_config_set(fv, FV_BLK_CONFIG(blk_size), SECTOR, 4);
	snprintf(fv->serial, sizeof(fv->serial), "fake-virtio-blk");
	return fv;
}
