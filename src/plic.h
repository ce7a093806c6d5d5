// The platform-level interrupt controller of QEMU virt (PLIC spec 1.0).
#ifndef PLIC_H
#define PLIC_H

#include <stdint.h>

// Use the PLIC whose registers are at base (boot_info.plic_base) and choose
// the S-mode context of the boot hart: fdt_context from the device tree
// (boot_info.plic_s_context), or when that is -1 QEMU virt's 2*hart+1.
// Returns the context chosen, or -ENODEV when base is 0 (no PLIC: the
// other functions must not be called).
int plic_init(uint64_t base, int fdt_context, unsigned long hart);
// Enable source irq for this hart's S-mode context with priority 1.
// Returns 0, or -ENOSYS in a handout where lab 7 is not done yet.
int plic_enable(unsigned irq);
// The highest-priority pending source (0: none), and its completion.
unsigned plic_claim(void);
void plic_complete(unsigned irq);

#endif
