// src/harts.c on the host. SBI's hart_start is a fake that answers what
// each test says, so every line harts_park_others can print happens here:
// under QEMU, OpenSBI starts every hart it is asked to.
#include <criterion/criterion.h>

#include "fdt.h"
#include "harts.h"
#include "host_kernel.h"
#include "sbi.h"

char hart_park[4]; // entry.S's idle loop; here only its address is used

#define HARTS 4
static long answer[HARTS]; // what hart_start says for each hart (0: started)
static unsigned long asked[HARTS];
static int nasked;

long sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque)
{
	cr_assert_lt(hartid, HARTS);
	cr_assert_eq(start_addr, (unsigned long)hart_park, "every hart starts on hart_park");
	cr_assert_eq(opaque, 0);
	asked[nasked++] = hartid;
	return answer[hartid];
}

// A tree with harts 0-3, booted on `boot`.
static void park(unsigned long boot, unsigned nharts)
{
	static struct boot_info bi; // 4 KiB of hart table: not on the stack
	bi.boot_hart = boot;
	bi.nharts = nharts;
	for (unsigned i = 0; i < nharts; i++)
		bi.harts[i].hart = i;
	harts_park_others(&bi);
}

Test(harts, lab0_given_every_hart_but_the_boot_hart_starts_on_hart_park)
{
	park(2, HARTS);
	cr_assert_eq(nasked, 3);
	cr_assert(asked[0] == 0 && asked[1] == 1 && asked[2] == 3, "harts 0, 1 and 3, in order");
	cr_assert(host_log_has("boot: 3 other harts parked in wfi; the kernel runs on hart 2\n"),
	          "%s", host_log());
}

Test(harts, lab0_given_one_hart_alone_asks_nothing_and_says_nothing)
{
	park(0, 1);
	cr_assert_eq(nasked, 0);
	cr_assert_str_empty(host_log());
}

Test(harts, lab0_given_a_hart_already_running_is_named_and_not_counted)
{
	answer[1] = SBI_ERR_ALREADY_AVAILABLE;
	park(0, HARTS);
	cr_assert(host_log_has("boot: hart 1 was already running"), "%s", host_log());
	cr_assert(host_log_has("boot: 2 other harts parked in wfi"), "%s", host_log());
}

Test(harts, lab0_given_firmware_without_hsm_is_said_once)
{
	for (int h = 0; h < HARTS; h++)
		answer[h] = SBI_ERR_NOT_SUPPORTED;
	park(0, HARTS);
	cr_assert_eq(nasked, 1, "one refusal is enough: the others would say the same");
	cr_assert(host_log_has("boot: the firmware has no SBI HSM"), "%s", host_log());
	cr_assert(!host_log_has("parked in wfi"), "%s", host_log());
}

Test(harts, lab0_given_other_sbi_errors_name_the_hart_and_the_error)
{
	answer[3] = -3; // SBI_ERR_INVALID_PARAM: say, a hart the firmware disabled
	park(0, HARTS);
	cr_assert(
	    host_log_has("boot: hart 3 not parked (SBI error -3); it stays in the firmware\n"),
	    "%s", host_log());
	cr_assert(host_log_has("boot: 2 other harts parked in wfi"), "%s", host_log());
}
