// The only place that touches a device register. Every MMIO access in the
// kernel (virtio, UART, PLIC, the test device) goes through these.
//
// On RISC-V, device registers and normal memory are ordered separately:
// a plain store to a ring followed by a store to a register may reach the
// device in either order. So, like Linux's readl/writel, each accessor
// carries the fence it needs:
//   mmio_write*: "fence w,o" first, so every earlier memory write (the
//                descriptors, the available index) is visible before the
//                device sees the register write (for example a notify);
//   mmio_read*:  "fence i,r" after, so no later memory read (the used ring)
//                is performed before the register read that told us to.
//
// The host build (HOST_BUILD) sends every access to the fake device in
// tests/unit instead of memory.
#ifndef HW_MMIO_H
#define HW_MMIO_H

#include <stdint.h>

#ifdef HOST_BUILD
uint32_t host_mmio_read32(uintptr_t addr);
void host_mmio_write32(uintptr_t addr, uint32_t val);
uint16_t host_mmio_read16(uintptr_t addr);
void host_mmio_write16(uintptr_t addr, uint16_t val);
uint8_t host_mmio_read8(uintptr_t addr);
void host_mmio_write8(uintptr_t addr, uint8_t val);

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return host_mmio_read32(addr);
}
static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
	host_mmio_write32(addr, val);
}
static inline uint16_t mmio_read16(uintptr_t addr)
{
	return host_mmio_read16(addr);
}
static inline void mmio_write16(uintptr_t addr, uint16_t val)
{
	host_mmio_write16(addr, val);
}
static inline uint8_t mmio_read8(uintptr_t addr)
{
	return host_mmio_read8(addr);
}
static inline void mmio_write8(uintptr_t addr, uint8_t val)
{
	host_mmio_write8(addr, val);
}
#else
static inline uint32_t mmio_read32(uintptr_t addr)
{
	uint32_t val = *(volatile uint32_t *)addr;
	// the register read completes before later memory reads
	__asm__ volatile("fence i,r" ::: "memory");
	return val;
}
static inline void mmio_write32(uintptr_t addr, uint32_t val)
{
	// earlier memory writes are visible before the device sees this one
	__asm__ volatile("fence w,o" ::: "memory");
	*(volatile uint32_t *)addr = val;
}
static inline uint16_t mmio_read16(uintptr_t addr)
{
	uint16_t val = *(volatile uint16_t *)addr;
	// the register read completes before later memory reads
	__asm__ volatile("fence i,r" ::: "memory");
	return val;
}
static inline void mmio_write16(uintptr_t addr, uint16_t val)
{
	// earlier memory writes are visible before the device sees this one
	__asm__ volatile("fence w,o" ::: "memory");
	*(volatile uint16_t *)addr = val;
}
static inline uint8_t mmio_read8(uintptr_t addr)
{
	uint8_t val = *(volatile uint8_t *)addr;
	// the register read completes before later memory reads
	__asm__ volatile("fence i,r" ::: "memory");
	return val;
}
static inline void mmio_write8(uintptr_t addr, uint8_t val)
{
	// earlier memory writes are visible before the device sees this one
	__asm__ volatile("fence w,o" ::: "memory");
	*(volatile uint8_t *)addr = val;
}
#endif

// An access of `width` bytes (1, 2 or 4), for device configuration
// fields, which are read and written at their own width (virtio 4.1.3.1,
// 4.2.2.2). The caller has checked width and alignment.
static inline uint32_t mmio_read_width(uintptr_t addr, unsigned width)
{
	return width == 4 ? mmio_read32(addr) : width == 2 ? mmio_read16(addr) : mmio_read8(addr);
}
static inline void mmio_write_width(uintptr_t addr, unsigned width, uint32_t val)
{
	if (width == 4)
		mmio_write32(addr, val);
	else if (width == 2)
		mmio_write16(addr, (uint16_t)val);
	else
		mmio_write8(addr, (uint8_t)val);
}

#endif
