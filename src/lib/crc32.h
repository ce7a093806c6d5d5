// CRC-32 as used by GPT, zlib and Ethernet (reflected polynomial
// 0xEDB88320, initial value and final xor 0xFFFFFFFF).
#ifndef LIB_CRC32_H
#define LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

// Continue a CRC over len more bytes. Start with crc = 0; feeding a buffer
// in pieces gives the same result as feeding it at once, so a caller can
// checksum data it reads in chunks.
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
