// Boot arguments (/chosen/bootargs, QEMU's -append): "key=value" words
// separated by spaces. Portable so the host tests can set them too.
#include "console.h"
#include "fdt.h"
#include "lib/number.h"
#include "lib/string.h"

// Every argument the kernel reads, and what it takes. A word on the boot
// line that names none of them is a typo ("vqsize=16"), and a typo that
// boots as if it had been taken is worse than an error, so bootarg_check
// names it, as it names a value the argument does not take. max 0 marks a
// switch, "on" or "off".
static const struct known_arg {
	const char *key;
	uint64_t min, max;
	bool zero; // 0 is taken too, meaning the default
	// why the range starts where it does, for the message
	const char *why;
} known[] = {
    {"blk_max_kib", 1, 65536, false, 0},      // largest request: 64 MiB is far beyond any gain
    {"blk_spin_us", 0, 1000000, false, 0},    // hybrid polling before sleeping, at most 1 s
    {"blk_timeout_ms", 1, 3600000, false, 0}, // a request's deadline, at most an hour
    // 32768 is the split ring's largest. A request is 3 descriptors, and
    // no chain, an indirect table's entries included, may be longer than
    // the queue (spec 2.7.5.3.1); sizes are rounded down to a power of
    // two, so 1, 2 and 3 (-> 2) would leave every disk unusable.
    {"vq_size", 4, 32768, true,
     "a request is 3 descriptors, and no chain, an indirect table's included, may be "
     "longer than the queue, spec 2.7.5.3.1"},
    {"indirect", 0, 0, false, 0},
    {"event_idx", 0, 0, false, 0},
    {"packed", 0, 0, false, 0},
    {"irq", 0, 0, false, 0},
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

// The next word at *s, or 0 at the end: its start, and in *len its length.
static const char *next_word(const char **s, size_t *len)
{
	const char *p = *s;

	while (*p == ' ')
		p++;
	const char *word = p;
	while (*p && *p != ' ')
		p++;
	*s = p;
	*len = (size_t)(p - word);
	return *len ? word : 0;
}

// The length of a word's key: up to its '=', or all of it.
static size_t key_len(const char *word, size_t len)
{
	size_t k = 0;

	while (k < len && word[k] != '=')
		k++;
	return k;
}

// The word as a string of its own, in buf (as long as boot_info.bootargs,
// so any word fits): kprintf has no precision for %s.
static const char *copy_word(char *buf, const char *word, size_t len)
{
	memcpy(buf, word, len);
	buf[len] = '\0';
	return buf;
}

static const struct known_arg *lookup(const char *key, size_t klen)
{
	for (size_t i = 0; i < NKNOWN; i++)
		if (strlen(known[i].key) == klen && !strncmp(known[i].key, key, klen))
			return &known[i];
	return 0;
}

// The value of a word whose key is klen bytes long (what follows the '=',
// "" without one), copied into out and cut to outlen - 1 bytes.
static char *word_value(const char *word, size_t len, size_t klen, char *out, size_t outlen)
{
	size_t n = klen < len ? len - klen - 1 : 0;

	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, word + klen + (klen < len), n); // past the '=', if any
	out[n] = '\0';
	return out;
}

const char *bootarg(const char *key, char *out, int outlen)
{
	const char *s = boot_info.bootargs, *word;
	size_t klen = strlen(key), len;

	while ((word = next_word(&s, &len)))
		if (key_len(word, len) == klen && !strncmp(word, key, klen))
			return word_value(word, len, klen, out, (size_t)outlen);
	return 0;
}

// A number argument's value: 0, or -1 when it is not a number below 2^64,
// -2 when it is outside the argument's range.
static int number(const struct known_arg *a, const char *v, unsigned long *n)
{
	if (strlen(v) >= 21 || parse_u64(v, n) < 0) // 2^64 has 20 digits
		return -1;
	if (a && a->zero && *n == 0)
		return 0;
	return a && (*n < a->min || *n > a->max) ? -2 : 0;
}

uint64_t bootarg_u64(const char *key, uint64_t dflt)
{
	char v[32];
	unsigned long n;

	// a malformed value was named at boot (bootarg_check): the default
	if (!bootarg(key, v, sizeof(v)) || number(lookup(key, strlen(key)), v, &n) < 0)
		return dflt;
	return n;
}

bool bootarg_is_off(const char *key)
{
	char v[8];

	return bootarg(key, v, sizeof(v)) && !strcmp(v, "off");
}

// Examples, each a line of its own:
//   "vqsize=16"               -> not an argument this kernel knows
//   "packed=no", "irq"        -> a switch takes on or off
//   "blk_max_kib=0"           -> takes a number from 1 to 65536 (and
//                                bootarg_u64 gives the caller's default)
//   "irq=off irq=on"          -> given more than once; the first counts
//                                (bootarg reads the first)
int bootarg_check(void)
{
	const char *s = boot_info.bootargs, *word;
	size_t len;
	int bad = 0;
	char buf[sizeof(boot_info.bootargs)];

	if (boot_info.bootargs_cut) {
		kprintf("boot: the arguments are longer than %u bytes; the rest is not read\n",
		        (unsigned)sizeof(boot_info.bootargs) - 1);
		bad++;
	}
	while ((word = next_word(&s, &len))) {
		size_t klen = key_len(word, len);
		const struct known_arg *a = lookup(word, klen);
		if (!a) {
			kprintf(
			    "boot: \"%s\" is not an argument this kernel knows; ignored (known:",
			    copy_word(buf, word, len));
			for (size_t i = 0; i < NKNOWN; i++)
				kprintf(" %s", known[i].key);
			kprintf(")\n");
			bad++;
			continue;
		}
		// the value, cut to what any valid one fits in
		char v[32];
		unsigned long n;
		word_value(word, len, klen, v, sizeof(v));
		int err = a->max ? number(a, v, &n) : strcmp(v, "on") && strcmp(v, "off");
		if (err) {
			kprintf("boot: \"%s\": %s takes ", copy_word(buf, word, len), a->key);
			if (a->max)
				kprintf("%sa number from %lu to %lu",
				        a->zero ? "0 (the default) or " : "", (unsigned long)a->min,
				        (unsigned long)a->max);
			else
				kprintf("on or off");
			if (err == -2 && a->why)
				kprintf(" (%s)", a->why);
			kprintf("; ignored, the default stands\n");
			bad++;
		} else if (a->max && !strcmp(a->key, "vq_size") && n & (n - 1)) {
			// queue sizes are powers of two (the split ring's rule, spec
			// 2.7; the packed ring is sized the same way here)
			unsigned long p = 1;
			while (p * 2 <= n)
				p *= 2;
			kprintf("boot: vq_size=%lu is not a power of two; queues get at most %lu "
			        "entries\n",
			        n, p);
		}
		const char *t = boot_info.bootargs, *w;
		size_t wlen;
		// an earlier word with the same key: that one is the one read
		while ((w = next_word(&t, &wlen)) && w != word) {
			if (key_len(w, wlen) == klen && !strncmp(w, word, klen)) {
				kprintf(
				    "boot: %s given more than once; the first (\"%s\") counts\n",
				    a->key, copy_word(buf, w, wlen));
				bad++;
				break;
			}
		}
	}
	return bad;
}
