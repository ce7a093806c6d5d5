// PCI on QEMU virt (lab 10): the host bridge the device tree describes, the
// functions on its first bus and behind its PCI-to-PCI bridges, and the
// addresses and interrupts we give them. No firmware has set anything up:
// every BAR starts unassigned and every function starts with decoding off.
#ifndef PCI_PCI_H
#define PCI_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_MAX_FUNCS 64 // functions we remember (bus 0 has at most 256)
#define PCI_MAX_INTX  32 // interrupt-map entries (QEMU virt has 16)

// One address window of the host bridge, from `ranges`: PCI addresses
// [pci, pci + size) appear to the CPU at [cpu, cpu + size). size 0: absent.
struct pci_window {
	uint64_t cpu, pci, size;
	bool prefetch;
	uint64_t next; // the allocator: first free PCI address
};

// One interrupt-map entry: a masked (phys.hi, phys.mid, phys.lo, pin)
// child specifier, the interrupt controller it is wired to (its phandle)
// and the source there.
struct pci_intx_entry {
	uint32_t child[4];
	uint32_t parent;
	uint32_t irq;
};

struct pci_host {
	uint64_t ecam, ecam_size; // CPU address of bus bus_first's configuration space
	unsigned bus_first, bus_last;
	struct pci_window io, mem32, mem64;
	uint32_t intx_mask[4]; // interrupt-map-mask
	struct pci_intx_entry intx[PCI_MAX_INTX];
	int nintx;
	// The interrupt controller the kernel drives (its phandle; 0: any).
	// An INTx line wired to another one is no interrupt for us.
	uint32_t irq_parent;
};

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_kind kind;
	bool prefetch;
	uint64_t size; // from the all-ones write; 0 when not implemented
	uint64_t pci;  // what we programmed into the BAR
	uint64_t cpu;  // where the kernel reaches it; 0 while unassigned
};

struct pci_func {
	uint8_t bus, dev, fn;
	uint16_t vendor, device, subsys_vendor, subsys_id;
	uint8_t class, subclass, progif, revision, header_type;
	uint8_t pin; // 1..4 = INTA..INTD, 0 = no interrupt
	int irq;     // PLIC source from interrupt-map, -1 when none
	uintptr_t cfg;
	struct pci_bar bar[6];
	bool enabled; // BARs placed and decoding on (bus mastering: pci_set_master)
	bool claimed; // the virtio transport took it (a driver may not: pci_func_use)
	// Behind a PCI-to-PCI bridge (pci_bridge.c): the bridge above, as an
	// index into the enumeration's array (-1 on the root bus); where this
	// function's INTx reaches the root bus (the root-bus bridge's address
	// and the pin there, after every bridge's swizzle); and whether its
	// memory BARs must stay below 4 GiB, where the bridges above forward.
	int parent;
	bool behind; // set by pci_bridge_route; the fields below mean something then
	uint8_t route_bus, route_dev, route_fn, route_pin;
	bool mem32_only;
	// A bridge: its bus numbers, and for the functions behind it which
	// root-bus pin each of its own pins (INTA..INTD, 1..4) becomes.
	uint8_t secondary, subordinate;
	uint8_t pinmap[5];
	bool pref64; // its prefetchable window takes 64-bit addresses
};

// The host bridge's own function (class 06, subclass 00; QEMU's is at
// 00:00.0): nothing to place, nothing for a driver.
static inline bool pci_is_host_bridge(const struct pci_func *f)
{
	return f->class == 0x06 && f->subclass == 0x00;
}

// A PCI-to-PCI bridge, known by its header's layout (type 1) whatever
// class it reports.
static inline bool pci_is_bridge(const struct pci_func *f)
{
	return (f->header_type & 0x7f) == 1;
}

// Configuration space header (PCI Local Bus 3.0, 6.1), type 0.
#define PCI_VENDOR_ID       0x00
#define PCI_DEVICE_ID       0x02
#define PCI_COMMAND         0x04
#define PCI_STATUS          0x06
#define PCI_REVISION_ID     0x08
#define PCI_PROG_IF         0x09
#define PCI_SUBCLASS        0x0a
#define PCI_CLASS           0x0b
#define PCI_HEADER_TYPE     0x0e
#define PCI_BAR0            0x10
#define PCI_SUBSYS_VENDOR   0x2c
#define PCI_SUBSYS_ID       0x2e
#define PCI_CAP_PTR         0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d
#define PCI_BRIDGE_BUSES    0x18 // type 1: primary, secondary, subordinate
#define PCI_BRIDGE_IO_BASE  0x1c // type 1: I/O window, 4 KiB units (+ limit at 0x1d)
#define PCI_BRIDGE_MEM_BASE 0x20 // type 1: memory window, 1 MiB units (+ limit at 0x22)
#define PCI_BRIDGE_PREF     0x24 // type 1: prefetchable window (+ limit, upper halves)
#define PCI_BRIDGE_IO_UPPER 0x30 // type 1: I/O base and limit, bits 16-31
#define PCI_MAX_DEPTH       8    // bridges below bridges we follow
#define PCI_CMD_IO          0x1
#define PCI_CMD_MEMORY      0x2
#define PCI_CMD_MASTER      0x4
#define PCI_CMD_INTX_OFF    0x400
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_HEADER_MULTI    0x80
#define PCI_CFG_SIZE        4096 // per function, in ECAM
#define PCI_VENDOR_NONE     0xffff

// The device tree's `pci-host-ecam-generic` node into *h. -ENODEV when
// the tree has none, -EINVAL when its properties do not make sense.
int pci_host_from_fdt(const void *fdt, struct pci_host *h);

// ECAM (PCIe 4.0, 7.2.2): the CPU address of (bus, dev, fn)'s
// configuration space, or 0 when the bus is outside the window.
uintptr_t pci_ecam_addr(const struct pci_host *h, unsigned bus, unsigned dev, unsigned fn);
uint8_t pci_cfg_read8(const struct pci_func *f, unsigned off);
uint16_t pci_cfg_read16(const struct pci_func *f, unsigned off);
uint32_t pci_cfg_read32(const struct pci_func *f, unsigned off);
void pci_cfg_write16(const struct pci_func *f, unsigned off, uint16_t v);
void pci_cfg_write32(const struct pci_func *f, unsigned off, uint32_t v);

// Read the functions on bus h->bus_first into out (at most max), print
// each, and return how many there are. Behind each PCI-to-PCI bridge the
// next bus number is given and scanned too, depth first, so out holds a
// bus's functions, then those behind its first bridge, and so on.
int pci_enumerate(struct pci_host *h, struct pci_func *out, int max);

// Size, place and program f's BARs (a bridge has two), then turn on
// decoding. A BAR that fits no window: -ENOSPC with a message naming the
// function and the BAR, and f stays disabled.
int pci_assign(struct pci_host *h, struct pci_func *f);
// Let f read and write memory (DMA): only for a function a driver has
// taken, since one nobody drives has no business in our memory.
void pci_set_master(const struct pci_func *f);
// Every function of out[0..n) whose parent is `parent` (-1: the root
// bus), and behind each bridge among them its functions, inside windows
// the bridge is then programmed to forward (pci_bridge.c).
void pci_assign_below(struct pci_host *h, struct pci_func *out, int n, int parent);

// Bridges (pci_bridge.c). pci_bridge_open gives bridge b the bus number
// `bus` (-ENOSPC when the host has no such bus, -ELOOP deeper than
// PCI_MAX_DEPTH); pci_bridge_route records, for c found behind b, where
// its INTx reaches the root bus; pci_bridge_close sets the last bus
// behind b once everything below it is scanned.
int pci_bridge_open(const struct pci_host *h, struct pci_func *b, unsigned bus, int depth);
void pci_bridge_route(const struct pci_func *b, struct pci_func *c);
void pci_bridge_close(struct pci_func *b, unsigned last_bus);

// The PLIC source of (f, f->pin) from the interrupt map, or -1. Behind a
// bridge, the lookup is the root-bus bridge's with the swizzled pin.
int pci_intx_irq(const struct pci_host *h, const struct pci_func *f);

// The capability list (PCI 3.0, 6.7): the offset of the next capability
// after `pos` (0: the first), or 0 at the end. A list that loops, points
// into the header or is longer than the space allows ends with -EIO.
// *steps is the walk's counter: set it to 0 before the first call.
int pci_cap_next(const struct pci_func *f, int pos, int *steps);

// "network controller" and the like, for the listing.
const char *pci_class_name(uint8_t class, uint8_t subclass);

// Kernel glue (pci_kern.c): find the bridge, enumerate, assign, print.
extern struct pci_host pci_host;
extern struct pci_func pci_funcs[PCI_MAX_FUNCS];
extern int pci_nfuncs;
void pci_init(const void *fdt);
void pci_print_map(void);
// What drives a function the virtio transport took, in words (kernel
// glue, src/virtio/pci_attach_kern.c): "driven by virtio-blk vda",
// "virtio transport, no driver for device type 16 (gpu)", ...
const char *pci_func_use(const struct pci_func *f);

#endif
