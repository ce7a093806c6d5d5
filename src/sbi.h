// Calls into OpenSBI, the M-mode firmware below us (SBI spec v1.0).
#ifndef SBI_H
#define SBI_H

#include <stdint.h>

struct sbiret {
	long error;
	long value;
};

void sbi_console_putchar(int c);
void sbi_set_timer(uint64_t when);
// System reset extension: shutdown. QEMU exits with status 0 whatever the
// reason given, so failures use the sifive_test device instead (power.c).
void sbi_shutdown(void);
long sbi_spec_version(void);
// Hart state management: start a stopped hart at start_addr in S-mode,
// translation and interrupts off, a0 = its hart id, a1 = opaque.
// Returns 0 or an SBI error (negative).
long sbi_hart_start(unsigned long hartid, unsigned long start_addr, unsigned long opaque);
#define SBI_ERR_NOT_SUPPORTED     (-2) // no such extension or function
#define SBI_ERR_ALREADY_AVAILABLE (-6) // hart_start: the hart is running

#endif
