// RISC-V supervisor CSRs the kernel uses (privileged spec, chapter 4).
#ifndef RISCV_H
#define RISCV_H

#include <stdint.h>

#define SSTATUS_SIE (1UL << 1) // interrupts enabled in S-mode
#define SIE_SSIE    (1UL << 1) // software interrupts
#define SIE_STIE    (1UL << 5) // timer interrupts
#define SIE_SEIE    (1UL << 9) // external interrupts (from the PLIC)

#define SCAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_TIMER      5
#define IRQ_S_EXTERNAL   9

#define csr_read(csr)                                                                              \
	({                                                                                         \
		unsigned long v_;                                                                  \
		__asm__ volatile("csrr %0, " #csr : "=r"(v_));                                     \
		v_;                                                                                \
	})
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"r"((unsigned long)(v)))
#define csr_set(csr, v)   __asm__ volatile("csrs " #csr ", %0" ::"r"((unsigned long)(v)))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"r"((unsigned long)(v)))

static inline void intr_on(void)
{
	csr_set(sstatus, SSTATUS_SIE);
}

static inline void intr_off(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
}

#endif
