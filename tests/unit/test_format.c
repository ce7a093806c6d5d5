// The printf engine behind kprintf (lab 0).
#include <criterion/criterion.h>
#include <stdarg.h>

#include "lib/format.h"

static char out[256];

static void fmt(const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vformat_buf(out, sizeof(out), f, ap);
	va_end(ap);
}

Test(format, lab0_decimal_signed_and_unsigned)
{
	fmt("%d %i %u %d", -42, 7, 42u, 0);
	cr_assert_str_eq(out, "-42 7 42 0");
}

Test(format, lab0_hex_lower_and_upper)
{
	fmt("%x %X %lx", 0xbeefu, 0xbeefu, 0xdeadbeefcafeUL);
	cr_assert_str_eq(out, "beef BEEF deadbeefcafe");
}

Test(format, lab0_width_zero_padding_and_left_alignment)
{
	fmt("[%5d][%05d][%-5d][%05d][%08x]", 42, 42, 42, -42, 0x1234u);
	cr_assert_str_eq(out, "[   42][00042][42   ][-0042][00001234]");
}

Test(format, lab0_extreme_64_bit_values)
{
	fmt("%lu %ld %ld", ~0UL, (long)(1UL << 63), 9223372036854775807L);
	cr_assert_str_eq(out, "18446744073709551615 -9223372036854775808 9223372036854775807");
}

Test(format, lab0_pointer_string_char)
{
	fmt("%p %s %5s %-3s| %c %s", (void *)0x80200000UL, "virtio", "ab", "x", 'Z', (char *)0);
	cr_assert_str_eq(out, "0x80200000 virtio    ab x  | Z (null)");
}

Test(format, lab0_size_t_and_percent)
{
	fmt("%zu%% %zx", (size_t)100, (size_t)255);
	cr_assert_str_eq(out, "100% ff");
}

Test(format, lab0_unknown_conversion_is_shown_not_swallowed)
{
	fmt("a%qb");
	cr_assert_str_eq(out, "a%qb");
}

static int fmt_into(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vformat_buf(buf, size, f, ap);
	va_end(ap);
	return n;
}

Test(format, lab0_truncates_terminates_and_reports_full_length)
{
	char small[6];

	memset(small, 'X', sizeof(small));
	int n = fmt_into(small, sizeof(small), "%s-%d", "abcd", 1234);
	cr_assert_eq(n, 9, "returns the length the whole output would have had");
	cr_assert_str_eq(small, "abcd-");
}
