// `pci`: the functions on the bus, and for one function its BARs and its
// capability list as the device presents it (lab 10's walk, printed).
#include "console.h"
#include "pci/pci.h"
#include "shell.h"
#include "virtio/pci_regs.h"

#include <stddef.h>

static const char *const vcap_names[] = {"?", "common", "notify", "ISR", "device", "pci-cfg"};

static int hexdigit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// "00:01.0" -> bus, dev, fn; -1 when it is not that shape
static int parse_bdf(const char *s, unsigned *bus, unsigned *dev, unsigned *fn)
{
	int d[5];
	for (int i = 0, j = 0; i < 7; i++) {
		if (i == 2 || i == 5) {
			if (s[i] != (i == 2 ? ':' : '.'))
				return -1;
			continue;
		}
		if ((d[j++] = hexdigit(s[i])) < 0)
			return -1;
	}
	if (s[7] != '\0')
		return -1;
	*bus = d[0] << 4 | d[1];
	*dev = d[2] << 4 | d[3];
	*fn = d[4];
	return *dev < 32 && *fn < 8 ? 0 : -1;
}

static void show(const struct pci_func *f)
{
	kprintf("pci %02x:%02x.%x: %04x:%04x, command 0x%04x, ", f->bus, f->dev, f->fn, f->vendor,
	        f->device, pci_cfg_read16(f, PCI_COMMAND));
	// pin 0: the function raises no INTx at all (PCI 3.0, 6.2.4)
	if (!f->pin)
		kprintf("no interrupt pin\n");
	else if (f->irq < 0)
		kprintf("interrupt pin %u, not routed\n", f->pin);
	else
		kprintf("interrupt pin %u -> %d\n", f->pin, f->irq);
	for (int i = 0; i < 6; i++)
		if (f->bar[i].size)
			kprintf("  BAR %d: 0x%lx, %lu bytes\n", i, (unsigned long)f->bar[i].cpu,
			        (unsigned long)f->bar[i].size);
	int steps = 0, pos = 0;
	while ((pos = pci_cap_next(f, pos, &steps)) > 0) {
		uint8_t id = pci_cfg_read8(f, pos);
		kprintf("  cap 0x%02x: id 0x%02x, next 0x%02x", pos, id, pci_cfg_read8(f, pos + 1));
		if (id == PCI_CAP_ID_VNDR && f->vendor == VIRTIO_PCI_VENDOR) {
			uint8_t t =
			    pci_cfg_read8(f, pos + offsetof(struct virtio_pci_cap, cfg_type));
			kprintf(", virtio %s: BAR %u + 0x%x, %u bytes", t < 6 ? vcap_names[t] : "?",
			        pci_cfg_read8(f, pos + offsetof(struct virtio_pci_cap, bar)),
			        pci_cfg_read32(f, pos + offsetof(struct virtio_pci_cap, offset)),
			        pci_cfg_read32(f, pos + offsetof(struct virtio_pci_cap, length)));
			if (t == VIRTIO_PCI_CAP_NOTIFY_CFG)
				kprintf(
				    ", multiplier %u",
				    pci_cfg_read32(f, pos + offsetof(struct virtio_pci_notify_cap,
				                                     notify_off_multiplier)));
		} else if (id == PCI_CAP_ID_MSIX) {
			kprintf(", MSI-X (%s)", pci_cfg_read16(f, pos + 2) >> 15 ? "on" : "off");
		}
		kprintf("\n");
	}
	if (pos < 0)
		kprintf("  the capability list is broken (a loop or a pointer into the header)\n");
}

static int cmd_pci(int argc, char **argv)
{
	unsigned bus, dev, fn;

	if (!shell_args_ok(argc, argv, 0, 1))
		return 1;
	if (argc < 2) {
		pci_print_map();
		return 0;
	}
	if (parse_bdf(argv[1], &bus, &dev, &fn) < 0) {
		kprintf("pci: %s: expected bus:device.function, e.g. 00:01.0\n", argv[1]);
		return 1;
	}
	for (int i = 0; i < pci_nfuncs; i++)
		if (pci_funcs[i].bus == bus && pci_funcs[i].dev == dev && pci_funcs[i].fn == fn) {
			show(&pci_funcs[i]);
			return 0;
		}
	kprintf("pci: no function %s\n", argv[1]);
	return 1;
}
SHELL_COMMAND("pci", "[bus:dev.fn]", "list the PCI functions, or show one's BARs and capabilities",
              cmd_pci);
