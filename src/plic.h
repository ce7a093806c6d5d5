// The platform-level interrupt controller of QEMU virt (PLIC spec 1.0).
#ifndef PLIC_H
#define PLIC_H

// Enable source irq for this hart's S-mode context with priority 1.
// Returns 0, or -ENOSYS in a handout where lab 7 is not done yet.
int plic_enable(unsigned irq);
// The highest-priority pending source (0: none), and its completion.
unsigned plic_claim(void);
void plic_complete(unsigned irq);

#endif
