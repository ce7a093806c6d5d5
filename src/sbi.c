// SBI calls: a0..a5 carry arguments, a7 the extension id, a6 the function
// id; OpenSBI returns an error code in a0 and a value in a1.
#include "sbi.h"

#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_BASE           0x10
#define SBI_EXT_TIME           0x54494D45 // "TIME"
#define SBI_EXT_SRST           0x53525354 // "SRST"
#define SBI_EXT_HSM            0x48534D   // "HSM", hart state management

static struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2)
{
	register long r_a0 __asm__("a0") = a0;
	register long r_a1 __asm__("a1") = a1;
	register long r_a2 __asm__("a2") = a2;
	register long r_a6 __asm__("a6") = fid;
	register long r_a7 __asm__("a7") = ext;

	__asm__ volatile("ecall"
	                 : "+r"(r_a0), "+r"(r_a1)
	                 : "r"(r_a2), "r"(r_a6), "r"(r_a7)
	                 : "memory");
	return (struct sbiret){r_a0, r_a1};
}

void sbi_console_putchar(int c)
{
	// the legacy extension is the one console call OpenSBI 1.1 offers
	sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, c, 0, 0);
}

void sbi_set_timer(uint64_t when)
{
	sbi_call(SBI_EXT_TIME, 0, (long)when, 0, 0);
}

void sbi_shutdown(void)
{
	// reset type 0 = shutdown, reason 0 = no reason
	sbi_call(SBI_EXT_SRST, 0, 0, 0, 0);
}

long sbi_spec_version(void)
{
	return sbi_call(SBI_EXT_BASE, 0, 0, 0, 0).value;
}

long sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque)
{
	return sbi_call(SBI_EXT_HSM, 0, (long)hartid, (long)start_addr, (long)opaque).error;
}
