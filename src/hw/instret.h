// Instructions retired, from the instret CSR (OpenSBI lets S-mode read it).
// Under QEMU's TCG it counts guest instructions only when QEMU runs with
// -icount; without it the CSR returns host ticks, which vary from run to
// run. `instret` (src/blk/instret_cmd.c) is the command that relies on it.
#ifndef HW_INSTRET_H
#define HW_INSTRET_H

#include <stdint.h>

#ifdef HOST_BUILD
static inline uint64_t instret_now(void)
{
	return 0;
}
#else
static inline uint64_t instret_now(void)
{
	uint64_t n;

	__asm__ volatile("rdinstret %0" : "=r"(n));
	return n;
}
#endif

#endif
