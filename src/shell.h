// Shell commands register themselves: each subsystem declares its commands
// with SHELL_COMMAND in its own *_cmd.c file, and the linker gathers them
// into one table (section "shell_cmds", see kernel.ld). Adding a command
// never means editing shell.c.
#ifndef SHELL_H
#define SHELL_H

#include <stdbool.h>

#include "lib/number.h" // parse_u64, for the commands

struct shell_cmd {
	const char *name;                  // what the user types
	const char *usage;                 // arguments, e.g. "[-l] [PATH]"
	const char *help;                  // one line for `help`
	int (*run)(int argc, char **argv); // 0 on success, else non-zero
};

#define SHELL_COMMAND(name_, usage_, help_, fn_)                                                   \
	static const struct shell_cmd shell_cmd_##fn_                                              \
	    __attribute__((used, section("shell_cmds"), aligned(8))) = {name_, usage_, help_, fn_}

// The most words a command line may have, the command's name included.
#define SHELL_ARGS_MAX 32

void shell_run(void);
// Whether a command got between min and max words after its name. If
// not, prints its usage line from its own table entry ("usage: irq
// (takes no arguments)", "usage: panic MESSAGE") and returns false: a
// word the command would not read is refused, never silently dropped.
bool shell_args_ok(int argc, char **argv, int min, int max);
// Whether Ctrl-C was typed to stop the running command; if so, prints
// "cmd: interrupted". For the commands that may run long (ping, bench,
// cat, hexdump), at points where stopping leaves nothing half done.
bool shell_interrupted(const char *cmd);

#endif
