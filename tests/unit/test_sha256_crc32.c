// SHA-256 (the shell's sha256) and CRC-32 (GPT's checksums) against
// known answers.
#include <criterion/criterion.h>
#include <stdint.h>

#include "lib/crc32.h"
#include "lib/sha256.h"
#include "lib/string.h"

// --- SHA-256 and CRC-32 known answers -----------------------------------------

static void efs_t_sha_hex(const void *data, size_t len, char hex[65])
{
	uint8_t d[SHA256_DIGEST_SIZE];

	sha256(data, len, d);
	sha256_hex(d, hex);
}

Test(sha256, lab0_given_empty_message)
{
	char hex[65];

	efs_t_sha_hex("", 0, hex);
	cr_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Test(sha256, lab0_given_abc)
{
	char hex[65];

	efs_t_sha_hex("abc", 3, hex);
	cr_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(sha256, lab0_given_two_block_message)
{
	static const char m[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char hex[65];

	efs_t_sha_hex(m, strlen(m), hex);
	cr_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

Test(sha256, lab0_given_million_a_fed_in_odd_pieces)
{
	static char a[1000];
	uint8_t d[SHA256_DIGEST_SIZE];
	char hex[65];
	struct sha256 s;
	size_t left = 1000000;

	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (size_t piece = 1; left > 0; piece = piece % 997 + 1) {
		size_t n = piece < left ? piece : left;

		sha256_update(&s, a, n);
		left -= n;
	}
	sha256_final(&s, d);
	sha256_hex(d, hex);
	cr_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

Test(sha256, lab0_given_lengths_around_the_padding_boundary)
{
	static const struct {
		size_t len;
		const char *hex;
	} kat[] = {
	    {55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"},
	    {56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"},
	    {63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"},
	    {64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"},
	    {65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"},
	    {119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"},
	    {120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"},
	};
	uint8_t m[120];
	char hex[65];

	for (size_t i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)(i % 251);
	for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
		efs_t_sha_hex(m, kat[i].len, hex);
		cr_assert_str_eq(hex, kat[i].hex, "length %zu", kat[i].len);
	}
}

Test(crc32, lab0_given_check_value)
{
	cr_assert_eq(crc32_update(0, "123456789", 9), 0xCBF43926u);
}

Test(crc32, lab0_given_empty_input_is_zero)
{
	cr_assert_eq(crc32_update(0, "", 0), 0);
}

Test(crc32, lab0_given_quick_brown_fox)
{
	static const char m[] = "The quick brown fox jumps over the lazy dog";

	cr_assert_eq(crc32_update(0, m, strlen(m)), 0x414FA339u);
}

Test(crc32, lab0_given_pieces_give_the_same_result)
{
	static const char m[] = "The quick brown fox jumps over the lazy dog";
	uint32_t crc = 0;

	for (size_t i = 0; i < strlen(m); i += 5)
		crc = crc32_update(crc, m + i, strlen(m) - i < 5 ? strlen(m) - i : 5);
	cr_assert_eq(crc, 0x414FA339u);
}
