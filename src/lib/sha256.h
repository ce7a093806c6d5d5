// SHA-256 (FIPS 180-4), incremental: init, update with any number of
// pieces, final. Used by the EclipseFS tools to print content checksums.
#ifndef LIB_SHA256_H
#define LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

struct sha256 {
	uint32_t h[8];     // the running hash state
	uint64_t total;    // bytes fed so far, for the final length field
	uint8_t block[64]; // bytes not yet hashed
	uint32_t used;     // how many bytes of block are filled
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[SHA256_DIGEST_SIZE]);

// One-shot helper: digest of a single buffer.
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

// Write the digest as 64 lowercase hex digits and a NUL into out[65].
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char out[2 * SHA256_DIGEST_SIZE + 1]);

#endif
