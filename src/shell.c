// A line-oriented shell on the serial console. Commands live in the
// "shell_cmds" linker section (see shell.h), so this file only reads a
// line, splits it into words and finds the command.
#include "console.h"
#include "errno.h"
#include "fs/eclipsefs.h"
#include "lib/string.h"
#include "power.h"
#include "shell.h"
#include "uart.h"

// A line must hold a command with the longest path EclipseFS allows
// (EFS_PATH_MAX bytes, names up to 255 bytes each) and a few options.
// Longer lines and more words are refused whole, never cut short: a cut
// path could name another file.
#define LINE_MAX (EFS_PATH_MAX + 128)

extern const struct shell_cmd __shell_cmds_start[], __shell_cmds_end[];

static const struct shell_cmd *find_command(const char *name)
{
	for (const struct shell_cmd *c = __shell_cmds_start; c < __shell_cmds_end; c++)
		if (!strcmp(c->name, name))
			return c;
	return 0;
}

// Read one line with echo and backspace. Returns its length, or -1 when
// it did not fit in size - 1 bytes: the rest of the line is read and
// dropped so that it does not run as a command of its own.
static int read_line(char *buf, int size)
{
	static int last_cr;
	int n = 0, overflow = 0;
	// A terminal sends a cursor key as an escape sequence: ESC [ A for up,
	// ESC [ 1 ; 5 C for Ctrl-right, ESC O P for F1. There is no history or
	// cursor to move, so the whole sequence is dropped, up to its final
	// byte (0x40-0x7e); without this, up-arrow then Enter ran "[A".
	enum { TEXT, ESC, CSI } state = TEXT;

	for (;;) {
		int c = uart_getc_wait();
		if (state == ESC) {
			state = c == '[' || c == 'O' ? CSI : TEXT;
			continue;
		}
		if (state == CSI) {
			if (c >= 0x40 && c <= 0x7e)
				state = TEXT;
			continue;
		}
		if (c == 0x1b) {
			state = ESC;
			continue;
		}
		// "\r\n" from a file or a terminal ends one line, not two
		if (c == '\n' && last_cr) {
			last_cr = 0;
			continue;
		}
		last_cr = c == '\r';
		if (c == '\r' || c == '\n') {
			kprintf("\n");
			buf[n] = '\0';
			return overflow ? -1 : n;
		}
		if (c == 0x7f || c == '\b') {
			if (n > 0 && !overflow) {
				n--;
				kprintf("\b \b");
			}
			continue;
		}
		if (c == 0x03) { // Ctrl-C: drop the line, run nothing
			kprintf("^C\n");
			buf[0] = '\0';
			return 0;
		}
		if (c == 0x15) { // Ctrl-U: erase the line
			for (; n > 0; n--)
				kprintf("\b \b");
			overflow = 0;
			continue;
		}
		if (c == '\t') // a tab separates words like a space
			c = ' ';
		if (c < ' ')
			continue;
		if (n == size - 1) {
			overflow = 1;
			continue;
		}
		buf[n++] = (char)c;
		kprintf("%c", c);
	}
}

bool shell_interrupted(const char *cmd)
{
	if (!uart_interrupted())
		return false;
	kprintf("^C\n%s: interrupted\n", cmd);
	return true;
}

bool shell_args_ok(int argc, char **argv, int min, int max)
{
	if (argc - 1 >= min && argc - 1 <= max)
		return true;
	const struct shell_cmd *c = find_command(argv[0]);
	if (c && c->usage[0])
		kprintf("usage: %s %s\n", c->name, c->usage);
	else
		kprintf("usage: %s   (takes no arguments)\n", argv[0]);
	return false;
}

// Split on spaces; "double quotes" keep spaces inside one word. Returns
// the number of words, or -1 when there are more than max.
static int split_words(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	while (*p) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (argc == max)
			return -1;
		if (*p == '"') {
			argv[argc++] = ++p;
			while (*p && *p != '"')
				p++;
		} else {
			argv[argc++] = p;
			while (*p && *p != ' ')
				p++;
		}
		if (*p)
			*p++ = '\0';
	}
	return argc;
}

void shell_run(void)
{
	static char line[LINE_MAX];
	char *argv[SHELL_ARGS_MAX + 1];

	kprintf("shell: type 'help' for commands\n");
	for (;;) {
		kprintf("eclipse> ");
		if (read_line(line, sizeof(line)) < 0) {
			kprintf("shell: line too long (at most %d bytes); nothing run\n",
			        LINE_MAX - 1);
			continue;
		}
		int argc = split_words(line, argv, SHELL_ARGS_MAX);
		if (argc < 0) {
			kprintf("shell: too many words (at most %d); nothing run\n",
			        SHELL_ARGS_MAX);
			continue;
		}
		if (argc == 0)
			continue;
		argv[argc] = 0;
		const struct shell_cmd *c = find_command(argv[0]);
		if (!c) {
			kprintf("%s: command not found (try 'help')\n", argv[0]);
			continue;
		}
		c->run(argc, argv);
	}
}

static int cmd_help(int argc, char **argv)
{
	if (!shell_args_ok(argc, argv, 0, 0))
		return 1;
	for (const struct shell_cmd *c = __shell_cmds_start; c < __shell_cmds_end; c++) {
		char left[48];
		ksnprintf(left, sizeof(left), "%s %s", c->name, c->usage);
		kprintf("  %-28s %s\n", left, c->help);
	}
	kprintf("Ctrl-C drops the line being typed, or stops ping, bench, cat or hexdump;\n"
	        "Ctrl-U erases the line; Ctrl-A then X quits QEMU\n");
	return 0;
}
SHELL_COMMAND("help", "", "list the commands", cmd_help);

static int cmd_poweroff(int argc, char **argv)
{
	unsigned long status = 0;

	// QEMU's exit status is 8 bits: a larger number would be cut, and
	// 256 would read as success
	if (argc > 2 || (argc == 2 && parse_u64_max(argv[1], 255, &status) < 0)) {
		kprintf("usage: poweroff [STATUS]   (STATUS 0..255)\n");
		return 1;
	}
	kprintf("poweroff: status %lu\n", status);
	power_exit((int)status);
}
SHELL_COMMAND("poweroff", "[STATUS]", "leave QEMU with an exit status (default 0)", cmd_poweroff);

static int cmd_echo(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		kprintf("%s%s", argv[i], i + 1 < argc ? " " : "");
	kprintf("\n");
	return 0;
}
SHELL_COMMAND("echo", "WORDS...", "print the words (graders use it as a marker)", cmd_echo);
