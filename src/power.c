// QEMU virt has a "sifive_test" device at 0x100000 whose one register ends
// the emulator: 0x5555 exits with status 0, (code << 16) | 0x3333 exits
// with status `code`. SBI's system reset always exits with 0, so it is only
// the fallback for machines without the test device.
#include "console.h"
#include "hw/mmio.h"
#include "power.h"
#include "sbi.h"

#define SIFIVE_TEST      0x100000UL
#define SIFIVE_TEST_PASS 0x5555
#define SIFIVE_TEST_FAIL 0x3333

void power_exit(int status)
{
	/* BEGIN LAB 0 SOLUTION */
	// QEMU keeps 8 bits of the code; a failure must never read as 0
	uint32_t code = (uint32_t)status & 0xff;
	if (status != 0 && code == 0)
		code = 1;
	if (status == 0)
		mmio_write32(SIFIVE_TEST, SIFIVE_TEST_PASS);
	else
		mmio_write32(SIFIVE_TEST, code << 16 | SIFIVE_TEST_FAIL);
	/* END LAB 0 SOLUTION */
	/* BEGIN LAB 0 STUB
	// TODO(lab 0): end QEMU with `status` through the sifive_test device.
	// Read lab-guides/lab0-boot.md, "Step 4: leaving QEMU with a status".
	(void)status;
	END LAB 0 STUB */
	sbi_shutdown();
	for (;;)
		__asm__ volatile("wfi");
}
