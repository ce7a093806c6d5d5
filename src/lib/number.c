// Numbers typed at the shell or given on the kernel command line.
#include "errno.h"
#include "lib/number.h"

int parse_u64(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (v > (~0UL - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int parse_u64_max(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	int err = parse_u64(s, &v);

	if (err < 0)
		return err;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
