// CRC-32 computed bit by bit. GPT checks one 92-byte header and one
// partition array per boot, so a 1 KiB lookup table would buy nothing.
#include "lib/crc32.h"

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	// the stored value is the register inverted, so undo that first and
	// redo it at the end; this is what lets calls be chained.
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int bit = 0; bit < 8; bit++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
	}
	return ~crc;
}
