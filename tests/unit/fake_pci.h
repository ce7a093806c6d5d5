// A fake PCI bus for the host tests: an ECAM configuration space with the
// real semantics of the registers the kernel writes (BARs keep only the
// bits their size allows, Command turns decoding on and off), BAR windows
// at QEMU virt's addresses, a capability list built by the test, and a
// device tree that describes it all (fake_pci_fdt.c).
//
// A function's BARs can be backed by a virtio function built over a fake
// virtio-mmio device (fake_virtio.c): modern (spec 4.1.4.3, common, notify,
// ISR and device configuration in BAR 4) or legacy (4.1.4.8, I/O BAR 0).
// The wrapper translates each PCI register access into the matching
// virtio-mmio register of the fake, so one device model checks the driver
// on every transport.
#ifndef FAKE_PCI_H
#define FAKE_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_ECAM       0x30000000UL
#define FAKE_ECAM_SIZE  0x10000000UL
#define FAKE_IO_CPU     0x03000000UL
#define FAKE_IO_SIZE    0x10000UL
#define FAKE_MEM32      0x40000000UL
#define FAKE_MEM32_SIZE 0x40000000UL
#define FAKE_MEM64      0x400000000UL
#define FAKE_MEM64_SIZE 0x400000000UL

struct fake_virtio;
struct fake_pci_fn;

// What answers in a BAR: width 1, 2 or 4; off from the BAR's start.
struct fake_pci_bar_ops {
	uint32_t (*read)(struct fake_pci_fn *f, int bar, uint32_t off, unsigned width);
	void (*write)(struct fake_pci_fn *f, int bar, uint32_t off, unsigned width, uint32_t v);
};

enum fake_bar_kind { FAKE_BAR_NONE, FAKE_BAR_IO, FAKE_BAR_MEM32, FAKE_BAR_MEM64 };

struct fake_pci_fn {
	bool present;
	unsigned seg, dev, fn; // seg: which bus of the fake (0: the root bus)
	unsigned behind;       // a bridge: the segment behind it
	uint8_t cfg[256];      // the header and the capabilities, little-endian
	enum fake_bar_kind kind[6];
	bool prefetch[6];
	uint64_t size[6];
	uint32_t size_mask_lo[6]; // 0: derive from size; else what all-ones reads back
	uint8_t next_cap;         // where fake_pci_cap puts the next one
	uint8_t last_cap;
	const struct fake_pci_bar_ops *ops;
	// virtio wrapper state
	struct fake_virtio *fv;
	uintptr_t fv_base; // the fake virtio-mmio registers behind it
	bool legacy;
	uint16_t queue_sel;     // queue_select as the driver wrote it
	uint16_t queue_size[8]; // modern queue_size as the driver wrote it
	uint32_t notify_mult;
	uint32_t legacy_pfn_pages; // QueueAddress writes seen
	int errors;
	char error[200];
};

// Empty bus; hooks the fake into src/hw/mmio.h's host accessors.
void fake_pci_reset(void);
// A function with these IDs and class (header type 0, no BARs, no caps),
// on the root bus or (fake_pci_add_on) on segment seg, the bus behind a
// bridge made by fake_pci_bridge.
struct fake_pci_fn *fake_pci_add(unsigned dev, unsigned fn, uint16_t vendor, uint16_t device,
                                 uint8_t class, uint8_t subclass);
struct fake_pci_fn *fake_pci_add_on(unsigned seg, unsigned dev, unsigned fn, uint16_t vendor,
                                    uint16_t device, uint8_t class, uint8_t subclass);

// Bridges (segments 1 .. FAKE_PCI_SEGS - 1). A PCI-to-PCI bridge at
// seg:dev.0 leading to segment `behind`, with a 64-bit prefetchable
// window when pref64 and 32-bit I/O addressing. As on real hardware,
// nothing behind it answers until the kernel programs it: a configuration
// access reaches segment `behind` only at the bus number written as its
// secondary (and within secondary..subordinate of every bridge above),
// and a BAR there answers only inside the windows of every bridge above,
// with their I/O or memory forwarding on in Command.
#define FAKE_PCI_SEGS 12
struct fake_pci_fn *fake_pci_bridge(unsigned seg, unsigned dev, unsigned behind, bool pref64);
// The function whose BAR the CPU reaches at addr (through the bridges),
// or NULL.
struct fake_pci_fn *fake_pci_owner(uintptr_t addr, int *bar);
void fake_pci_bar(struct fake_pci_fn *f, int bar, enum fake_bar_kind kind, uint64_t size,
                  bool prefetch);
// Append a capability (body starts with its ID; the next pointer is
// filled in); returns its offset.
uint8_t fake_pci_cap(struct fake_pci_fn *f, const void *body, uint8_t len);
// The programmed BAR as the CPU sees it (0: unassigned or decoding off).
uint64_t fake_pci_bar_cpu(const struct fake_pci_fn *f, int bar);
uint16_t fake_pci_command(const struct fake_pci_fn *f);
void fake_pci_set16(struct fake_pci_fn *f, unsigned off, uint16_t v);
void fake_pci_set32(struct fake_pci_fn *f, unsigned off, uint32_t v);

// Virtio functions over fake virtio-mmio devices (which must be modern,
// version 2, for fake_pci_virtio_modern, and legacy, version 1, for
// fake_pci_virtio_legacy).
struct fake_pci_fn *fake_pci_virtio_modern(unsigned dev, struct fake_virtio *fv,
                                           uint32_t notify_mult);
struct fake_pci_fn *fake_pci_virtio_legacy(unsigned dev, struct fake_virtio *fv);

// Device tree options; zero means QEMU virt's values.
struct fake_fdt_opts {
	bool no_host;  // no pci-host-ecam-generic node
	bool no_mem64; // no 64-bit window in ranges
	uint64_t mem32_size;
	bool bad_ranges;  // a ranges length that is no whole number of entries
	bool bad_phandle; // interrupt-map names a phandle nobody has
	bool no_intx;     // no interrupt-map at all
};
// Build the tree into buf (at least 4 KiB); returns its size.
size_t fake_pci_fdt(void *buf, size_t cap, const struct fake_fdt_opts *o);

#endif
