// Boot arguments (lab 0): what the kernel reads from the boot line, and
// what it says about a word it will not take as written.
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fdt.h"
#include "host_kernel.h"

static void line(const char *args)
{
	host_log_clear();
	memset(&boot_info, 0, sizeof(boot_info));
	strcpy(boot_info.bootargs, args);
}

Test(bootarg, lab0_given_values_switches_and_defaults)
{
	line("vq_size=16 irq=off blk_spin_us=0 packed=on");
	cr_assert_eq(bootarg_check(), 0, "%s", host_log());
	cr_assert_str_eq(host_log(), "");
	cr_assert_eq(bootarg_u64("vq_size", 256), 16);
	cr_assert_eq(bootarg_u64("blk_spin_us", 7), 0, "0 is a value, not absence");
	cr_assert_eq(bootarg_u64("blk_max_kib", 1024), 1024, "absent: the default");
	cr_assert(bootarg_is_off("irq"));
	cr_assert(!bootarg_is_off("packed"));
	cr_assert(!bootarg_is_off("indirect"));
}

Test(bootarg, lab0_given_a_typo_is_named_and_the_rest_still_taken)
{
	line("vqsize=16 irq=off =5");
	cr_assert_eq(bootarg_check(), 2, "%s", host_log());
	cr_assert(host_log_has("boot: \"vqsize=16\" is not an argument this kernel knows; ignored "
	                       "(known: blk_max_kib blk_spin_us blk_timeout_ms vq_size indirect "
	                       "event_idx packed irq)\n"),
	          "%s", host_log());
	cr_assert(host_log_has("boot: \"=5\" is not an argument"), "%s", host_log());
	cr_assert_eq(bootarg_u64("vq_size", 256), 256);
	cr_assert(bootarg_is_off("irq"));
}

Test(bootarg, lab0_given_values_an_argument_does_not_take_leave_its_default)
{
	line("blk_max_kib=0 blk_timeout_ms=99999999999999999999 vq_size=1k packed=no irq "
	     "blk_spin_us=1000001");
	cr_assert_eq(bootarg_check(), 6, "%s", host_log());
	cr_assert(host_log_has("boot: \"blk_max_kib=0\": blk_max_kib takes a number from 1 to "
	                       "65536; ignored, the default stands\n"),
	          "%s", host_log());
	cr_assert(host_log_has("\"blk_timeout_ms=99999999999999999999\": blk_timeout_ms takes a "
	                       "number from 1 to 3600000"),
	          "%s", host_log());
	cr_assert(host_log_has("\"vq_size=1k\": vq_size takes 0 (the default) or a number"), "%s",
	          host_log());
	cr_assert(host_log_has("\"packed=no\": packed takes on or off"), "%s", host_log());
	cr_assert(host_log_has("\"irq\": irq takes on or off"), "%s", host_log());
	cr_assert(host_log_has("\"blk_spin_us=1000001\""), "%s", host_log());
	cr_assert_eq(bootarg_u64("blk_max_kib", 1024), 1024);
	cr_assert_eq(bootarg_u64("blk_timeout_ms", 5000), 5000);
	cr_assert_eq(bootarg_u64("vq_size", 256), 256);
	cr_assert_eq(bootarg_u64("blk_spin_us", 0), 0);
	cr_assert(!bootarg_is_off("packed"));
	cr_assert(!bootarg_is_off("irq"));
	// a number's key alone is no value either (it once read as 1)
	line("vq_size");
	cr_assert_eq(bootarg_check(), 1, "%s", host_log());
	cr_assert_eq(bootarg_u64("vq_size", 256), 256);
}

Test(bootarg, lab0_given_the_edges_of_a_range_are_taken)
{
	line("blk_max_kib=65536 blk_timeout_ms=1 vq_size=32768");
	cr_assert_eq(bootarg_check(), 0, "%s", host_log());
	cr_assert_eq(bootarg_u64("blk_max_kib", 1024), 65536);
	cr_assert_eq(bootarg_u64("blk_timeout_ms", 5000), 1);
	cr_assert_eq(bootarg_u64("vq_size", 256), 32768);
	line("vq_size=32769");
	cr_assert_eq(bootarg_u64("vq_size", 256), 256);
}

Test(bootarg, lab0_given_an_argument_given_twice_counts_once)
{
	line("irq=off vq_size=16 irq=on vq_size=64 vq_size=128");
	cr_assert_eq(bootarg_check(), 3, "%s", host_log());
	cr_assert(host_log_has("boot: irq given more than once; the first (\"irq=off\") counts\n"),
	          "%s", host_log());
	cr_assert(host_log_has("boot: vq_size given more than once; the first (\"vq_size=16\")"),
	          "%s", host_log());
	cr_assert(bootarg_is_off("irq"));
	cr_assert_eq(bootarg_u64("vq_size", 256), 16);
}

Test(bootarg, lab0_given_a_line_too_long_to_keep_is_said)
{
	line("irq=off");
	boot_info.bootargs_cut = true;
	cr_assert_eq(bootarg_check(), 1, "%s", host_log());
	cr_assert(host_log_has("boot: the arguments are longer than 255 bytes; the rest is not "
	                       "read\n"),
	          "%s", host_log());
}

// A queue of 1, 2 or 3 (rounded down to 2) entries cannot carry one
// 3-descriptor request, indirect or not (spec 2.7.5.3.1): the boot line's
// check refuses them with that reason and the default stands, so a disk
// is never dropped for it. 0 still means the default; a size that is not
// a power of two is taken and its rounding said.
Test(bootarg, lab0_given_a_queue_too_small_for_a_request_is_refused_and_rounding_said)
{
	for (int n = 1; n <= 3; n++) {
		char arg[24];
		snprintf(arg, sizeof(arg), "vq_size=%d", n);
		line(arg);
		cr_assert_eq(bootarg_check(), 1, "%s", host_log());
		cr_assert(host_log_has("vq_size takes 0 (the default) or a number from 4 to 32768 "
		                       "(a request is 3 descriptors"),
		          "%s", host_log());
		cr_assert(host_log_has("spec 2.7.5.3.1); ignored, the default stands\n"), "%s",
		          host_log());
		cr_assert_eq(bootarg_u64("vq_size", 256), 256);
	}
	line("vq_size=0");
	cr_assert_eq(bootarg_check(), 0, "%s", host_log());
	cr_assert_eq(bootarg_u64("vq_size", 256), 0, "0 is taken: the caller's default");
	line("vq_size=4");
	cr_assert_eq(bootarg_check(), 0, "%s", host_log());
	cr_assert_str_eq(host_log(), "");
	cr_assert_eq(bootarg_u64("vq_size", 256), 4);
	line("vq_size=7");
	cr_assert_eq(bootarg_check(), 0, "%s", host_log());
	cr_assert(host_log_has("boot: vq_size=7 is not a power of two; queues get at most 4 "
	                       "entries\n"),
	          "%s", host_log());
	cr_assert_eq(bootarg_u64("vq_size", 256), 7);
}
