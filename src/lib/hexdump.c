// The shell's one hexdump format (see lib/hexdump.h).
#include "console.h"
#include "lib/hexdump.h"

void hexdump_line(uint64_t off, const uint8_t *p, size_t n)
{
	kprintf("%08lx  ", (unsigned long)off);
	for (size_t j = 0; j < 16; j++) {
		if (j < n)
			kprintf("%02x ", p[j]);
		else
			kprintf("   ");
		if (j == 7)
			kprintf(" ");
	}
	kprintf(" |");
	for (size_t j = 0; j < n; j++)
		kprintf("%c", p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.');
	kprintf("|\n");
}
