// Boot arguments (/chosen/bootargs, QEMU's -append): "key=value" words
// separated by spaces. Portable so the host tests can set them too.
#include "fdt.h"
#include "lib/number.h"
#include "lib/string.h"

const char *bootarg(const char *key, char *out, int outlen)
{
	const char *s = boot_info.bootargs;
	size_t klen = strlen(key);

	while (*s) {
		while (*s == ' ')
			s++;
		const char *word = s;
		while (*s && *s != ' ')
			s++;
		if ((size_t)(s - word) >= klen && !strncmp(word, key, klen) &&
		    (word[klen] == '=' || word + klen == s)) {
			const char *v = word[klen] == '=' ? word + klen + 1 : "1";
			int n = word[klen] == '=' ? (int)(s - v) : 1;
			if (n >= outlen)
				n = outlen - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return out;
		}
	}
	return 0;
}

uint64_t bootarg_u64(const char *key, uint64_t dflt)
{
	char v[24];
	unsigned long n;

	// absent or not a number: as if absent
	if (!bootarg(key, v, sizeof(v)) || parse_u64(v, &n) < 0)
		return dflt;
	return n;
}

bool bootarg_is_off(const char *key)
{
	char v[8];

	return bootarg(key, v, sizeof(v)) && !strcmp(v, "off");
}
