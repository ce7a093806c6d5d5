// Boot arguments (/chosen/bootargs, QEMU's -append): "key=value" words
// separated by spaces. Portable so the host tests can set them too.
#include "console.h"
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
	char v[32];
	unsigned long n;

	if (!bootarg(key, v, sizeof(v)))
		return dflt;
	// not a number, or too big for 64 bits: say so, then use the default
	// (silently ignoring "vq_size=1k" would look like the value had taken)
	if (strlen(v) == sizeof(v) - 1 || parse_u64(v, &n) < 0) {
		kprintf("boot: %s=%s is not a number below 2^64; using %lu\n", key, v,
		        (unsigned long)dflt);
		return dflt;
	}
	return n;
}

bool bootarg_is_off(const char *key)
{
	char v[8];

	return bootarg(key, v, sizeof(v)) && !strcmp(v, "off");
}
