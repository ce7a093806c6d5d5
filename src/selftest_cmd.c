// Commands that exist so a grader can check lab 0 from outside: the
// formatter's output and the panic path.
#include "console.h"
#include "lib/string.h"
#include "shell.h"

static int cmd_fmt(int argc, char **argv)
{
	if (!shell_args_ok(argc, argv, 0, 0))
		return 1;
	kprintf("d=[%d] u=[%u] x=[%x] X=[%X]\n", -42, 42u, 42u, 42u);
	kprintf("width=[%5d] zero=[%05d] left=[%-5d] neg0=[%05d]\n", 42, 42, 42, -42);
	kprintf("lx=[%lx] lu=[%lu] ld=[%ld]\n", 0xdeadbeefcafeUL, ~0UL, (long)(1UL << 63));
	kprintf("p=[%p] s=[%s] s5=[%5s] c=[%c]\n", (void *)0x80200000UL, "virtio", "ab", 'Z');
	return 0;
}
SHELL_COMMAND("fmt", "", "print kprintf's test line (lab 0)", cmd_fmt);

static int cmd_panic(int argc, char **argv)
{
	char msg[128] = "";

	// a panic with no words would print "panic: " and nothing: the
	// message is what says the panic was asked for
	if (!shell_args_ok(argc, argv, 1, SHELL_ARGS_MAX))
		return 1;
	for (int i = 1; i < argc; i++) {
		size_t n = strlen(msg);
		ksnprintf(msg + n, sizeof(msg) - n, "%s%s", i > 1 ? " " : "", argv[i]);
	}
	panic("%s", msg);
}
SHELL_COMMAND("panic", "MESSAGE", "panic on purpose (tests the failure exit)", cmd_panic);

static int cmd_crash(int argc, char **argv)
{
	if (!shell_args_ok(argc, argv, 0, 0))
		return 1;
	// an illegal instruction: the trap handler must report it and exit
	__asm__ volatile("unimp");
	return 0;
}
SHELL_COMMAND("crash", "", "execute an illegal instruction (tests the trap report)", cmd_crash);
