// The few facts we read from the flattened device tree OpenSBI passes in a1.
#ifndef FDT_H
#define FDT_H

#include <stdbool.h>
#include <stdint.h>

// cpu nodes remembered: QEMU virt's most (512 harts, 4 KiB of table).
// Every hart must be known: harts.c parks each one the kernel does not
// use, and a hart left out would spin in the firmware (-smp 20 left 4).
#define FDT_MAX_HARTS 512

// The flattened tree's header magic and structure tokens (devicetree
// spec 0.4, 5.1 and 5.4.1), for every walker of the tree.
#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

struct boot_info {
	uint64_t fdt_addr, fdt_size; // where the tree lies; never reused
	uint64_t ram_base, ram_size; // from /memory
	uint64_t timebase_hz;        // from /cpus/timebase-frequency
	char bootargs[256];          // from /chosen/bootargs ("" when absent)
	bool bootargs_cut;           // they were longer: only the first 255 bytes are here
	uint64_t boot_hart;          // the hart we run on (a0 at entry)
	// The PLIC context that delivers S-mode external interrupts to the
	// boot hart: the index of the pair <boot hart's intc phandle, 9> in
	// the PLIC node's interrupts-extended; -1 when the tree does not say.
	int plic_s_context;
	// What that answer is made of, kept for every hart (`irq` shows them):
	// each cpu node's hart id and interrupt-controller phandle, and the
	// PLIC's interrupts-extended (a pointer into the tree, never reused).
	struct fdt_hart {
		uint32_t hart, intc_phandle;
	} harts[FDT_MAX_HARTS];
	unsigned nharts;
	const uint8_t *plic_ints;
	uint32_t plic_ints_len;
	// The PLIC's registers (its reg), 0 when the tree has no PLIC (of
	// several, the one the virtio devices interrupt through: fdt.c): with
	// `-machine virt,aia=aplic` (or aplic-imsic) QEMU puts an APLIC where
	// the PLIC was, and `aplic` says so. Without a valid tree, QEMU virt's
	// 0x0c000000 is assumed, like the RAM.
	uint64_t plic_base;
	uint32_t plic_phandle; // its phandle: PCI's interrupt-map names it too
	bool aplic;
	// The first 16550 UART (compatible "ns16550a"), the serial line
	// OpenSBI prints on: its registers' address, 0 when there is none.
	uint64_t uart_base;
	// The board is QEMU's virt machine (root compatible "riscv-virtio"):
	// uart.c relies on how QEMU models its 16550 only there.
	bool qemu_virt;
};

// The S-mode PLIC context of any hart listed in the tree, or -1.
int fdt_plic_s_context(const struct boot_info *bi, unsigned long hart);

// Fill *bi from the tree at fdt for the boot hart `hartid`; defaults (128
// MiB at 0x80000000, 10 MHz, no PLIC context) stand for whatever the tree
// does not say. Returns 0 or -EINVAL when there is no valid tree there.
int fdt_read(const void *fdt, unsigned long hartid, struct boot_info *bi);

// Boot arguments: "key=value" words separated by spaces. Returns the value
// of key copied into out, or NULL when absent. "key" alone gives "", which
// no argument takes (bootarg_check says so).
const char *bootarg(const char *key, char *out, int outlen);

// A numeric argument ("vq_size=64"), or dflt when absent, not a number,
// or outside the argument's range (bootarg.c's table).
uint64_t bootarg_u64(const char *key, uint64_t dflt);
// Whether the argument is present and says "off" ("irq=off").
bool bootarg_is_off(const char *key);
// Say what on the boot line will not be taken as written: a word no
// argument is called, a value its argument does not take, an argument
// given twice, a line too long to read whole. Returns how many such.
int bootarg_check(void);

extern struct boot_info boot_info;

// Whose sources the tree's interrupt numbers are, for messages: the
// PLIC's, or, with QEMU's aia= option, an APLIC's (which this kernel does
// not drive: it polls there, main.c).
static inline const char *irq_chip_name(void)
{
	return boot_info.aplic ? "APLIC" : "PLIC";
}

#endif
