"""The classic student bugs the graders must catch (the mutation proof).

Each mutant is one scripted edit of the solution: in `file`, the text
`old` (which must occur exactly once, or the proof stops with an error:
an anchor that moved must be fixed here, not skipped) becomes `new`. `lab`
is the lab whose grader and unit tests must catch it; the edit is applied
to the tree a student of that lab works in, the handout of lab + 1 (labs
up to `lab` solved, later labs stubbed). `transport` is the one the grader
runs on (the bug may show on one only). `why` says what the bug is, in the
words a student would recognise.

tests/mutants/run.py applies them; `make test` runs it.
"""

VQ = "src/virtio/virtq_split.c"
MMIO = "src/virtio/mmio.c"
DEV = "src/virtio/virtio_dev.c"
BLK = "src/virtio/blk.c"
REQ = "src/virtio/blk_req.c"
EFS = "src/fs/eclipsefs.c"
ENUM = "src/pci/pci_enum.c"
CAPS = "src/virtio/pci_caps.c"
PACKED = "src/virtio/virtq_packed.c"
RNG = "src/virtio/rng.c"
NET = "src/virtio/net.c"


def m(id, lab, file, old, new, why, transport="legacy"):
    return {"id": id, "lab": lab, "file": file, "old": old, "new": new, "why": why,
            "transport": transport}


MUTANTS = [
    # --- lab 0: booting, printing, leaving ------------------------------------------------
    m("zero-prints-nothing", 0, "src/lib/format.c",
      "\tdo {\n\t\ttmp[sizeof(tmp) - 1 - len++] = digits[v % base];\n\t\tv /= base;\n"
      "\t} while (v);",
      "\twhile (v) {\n\t\ttmp[sizeof(tmp) - 1 - len++] = digits[v % base];\n"
      "\t\tv /= base;\n\t}",
      "the digit loop tests before its first digit, so 0 prints as nothing"),
    m("digits-reversed", 0, "src/lib/format.c",
      "\t\ttmp[sizeof(tmp) - 1 - len++] = digits[v % base];\n\t\tv /= base;\n\t} while (v);\n"
      "\treturn emit_padded(putc, ctx, tmp + sizeof(tmp) - len, len, sp, negative);",
      "\t\ttmp[len++] = digits[v % base];\n\t\tv /= base;\n\t} while (v);\n"
      "\treturn emit_padded(putc, ctx, tmp, len, sp, negative);",
      "digits stored in the order they are computed, least significant first: 123 "
      "prints as 321"),
    m("exit-status-not-shifted", 0, "src/power.c",
      "mmio_write32(SIFIVE_TEST, code << 16 | SIFIVE_TEST_FAIL);",
      "mmio_write32(SIFIVE_TEST, code | SIFIVE_TEST_FAIL);",
      "the exit status written into the low half, where the command goes, not the high half"),

    # --- lab 1: finding devices ------------------------------------------------------
    m("magic-byte-swapped", 1, "src/virtio/scan.c",
      "if (s->magic != VIRTIO_MMIO_MAGIC) {", "if (s->magic != 0x76697274) {",
      "MagicValue compared with \"virt\" in the wrong byte order"),
    m("modern-version-refused", 1, "src/virtio/scan.c",
      "if (s->version != 1 && s->version != 2) {", "if (s->version != 1) {",
      "only the legacy Version 1 accepted", transport="modern"),
    m("empty-slot-is-a-device", 1, "src/virtio/scan.c",
      "if (s->device_id == VIRTIO_ID_NONE) {", "if (0) {",
      "DeviceID 0 (an empty slot) not recognised"),
    m("device-id-read-from-vendor", 1, "src/virtio/scan.c",
      "s->device_id = mmio_read32(base + VIRTIO_MMIO_DEVICE_ID);",
      "s->device_id = mmio_read32(base + VIRTIO_MMIO_VENDOR_ID);",
      "DeviceID read from the VendorID register"),

    # --- lab 2: initialisation and features ------------------------------------------
    m("no-reset-first", 2, DEV,
      "\tif ((err = vdev_reset(d)) < 0)\n\t\treturn err;\n\t// step 2",
      "\tif ((err = vdev_check_needs_reset(d)) < 0)\n\t\treturn err;\n\t// step 2",
      "the device is not reset before initialisation (only its status is checked)"),
    m("acknowledge-skipped", 2, DEV,
      "\tadd_status(d, VIRTIO_STATUS_ACKNOWLEDGE);\n\tadd_status(d, VIRTIO_STATUS_DRIVER);",
      "\tadd_status(d, VIRTIO_STATUS_DRIVER);",
      "ACKNOWLEDGE skipped"),
    m("all-offered-features-accepted", 2, DEV,
      "d->features = d->offered & wanted & ~VIRTIO_NEVER_ACCEPTED;",
      "d->features = d->offered;",
      "every feature the device offers is accepted"),
    m("features-ok-not-read-back", 2, DEV,
      "if (!(vdev_status(d) & VIRTIO_STATUS_FEATURES_OK)) {", "if (0) {",
      "FEATURES_OK is not read back", transport="modern"),
    m("low-feature-word-only", 2, MMIO,
      "\tvm_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);\n"
      "\tvm_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));\n", "",
      "only the low 32 bits of the driver features are written (VERSION_1 is bit 32)",
      transport="modern"),
    m("failed-not-set-on-refusal", 2, DEV,
      "\t\t\tvdev_print_features(\"refused\", d->features, d->device_id);\n\t\t\tvdev_fail(d);\n",
      "\t\t\tvdev_print_features(\"refused\", d->features, d->device_id);\n",
      "FAILED not set when the device refuses FEATURES_OK", transport="modern"),

    # --- lab 3: the virtqueue ------------------------------------------------------
    m("guest-page-size-never-written", 3, MMIO,
      "\tvm_write(d, VIRTIO_MMIO_GUEST_PAGE_SIZE, (uint32_t)PAGE_SIZE);\n", "",
      "GuestPageSize never written before the legacy queue is set up"),
    m("queue-ready-forgotten", 3, MMIO,
      "\t\tvm_write(d, VIRTIO_MMIO_QUEUE_READY, 1);\n", "",
      "QueueReady never set (modern)", transport="modern"),
    m("wrong-legacy-alignment", 3, MMIO,
      "vm_write(d, VIRTIO_MMIO_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);",
      "vm_write(d, VIRTIO_MMIO_QUEUE_ALIGN, 4);",
      "QueueAlign is not the alignment the rings were laid out with"),
    m("queue-num-not-written", 3, MMIO,
      "\tvm_write(d, VIRTIO_MMIO_QUEUE_NUM, num);\n", "\t(void)num;\n",
      "QueueNum never written"),
    m("queue-size-limit-ignored", 3, DEV,
      "while (num * 2 <= (uint32_t)max && num * 2 <= max_size && num * 2 <= 32768)",
      "(void)max_size;\n\twhile (num * 2 <= (uint32_t)max && num * 2 <= 32768)",
      "the driver's size limit (vq_size=) ignored"),
    m("free-list-skips-descriptor-0", 3, VQ,
      "for (uint16_t i = 0; i < num; i++)\n\t\tvq->shadow[i].next = (uint16_t)(i + 1);",
      "for (uint16_t i = 1; i < num; i++)\n\t\tvq->shadow[i].next = (uint16_t)(i + 1);",
      "the free list is not built from descriptor 0"),

    # --- lab 4: reading ------------------------------------------------------------
    m("avail-slot-not-wrapped", 4, VQ,
      "vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;",
      "vq->avail->ring[vq->avail_idx] = head;",
      "the available-ring slot is not wrapped (& (num - 1))"),
    m("avail-idx-before-entry", 4, VQ,
      "\tvq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;\n\tvq->avail_idx++;\n",
      "\tvq->avail_idx++;\n\tWRITE_ONCE(vq->avail->idx, vq->avail_idx);\n"
      "\tvq->avail->ring[(uint16_t)(vq->avail_idx - 1) & (vq->num - 1)] = head;\n",
      "avail->idx published before the ring entry is written"),
    m("no-write-barrier", 4, VQ,
      "\tvirt_wmb();\n\tWRITE_ONCE(vq->avail->idx, vq->avail_idx);",
      "\tWRITE_ONCE(vq->avail->idx, vq->avail_idx);",
      "no write barrier between the ring entry and avail->idx"),
    m("used-slot-not-wrapped", 4, VQ,
      "&vq->used->ring[vq->last_used & (vq->num - 1)];", "&vq->used->ring[vq->last_used];",
      "the used-ring slot is not wrapped"),
    m("used-id-not-validated", 4, VQ,
      "\tif (id >= vq->num)\n\t\treturn virtq_broken(vq, \"used id out of range\", id, vq->num);\n",
      "",
      "the used id is not checked against the queue size"),
    m("used-len-not-validated", 4, VQ,
      "\tif (written > h->writable) {\n", "\tif (0) {\n",
      "the used length is not checked against the chain's writable bytes",
      transport="modern"),
    m("chain-not-returned-to-free-list", 4, VQ,
      "\tvq->num_free += h->ndesc;\n", "",
      "a completed chain's descriptors are not counted free again"),
    m("read-data-device-readable", 4, REQ,
      "bool device_writes = io->type != VIRTIO_BLK_T_OUT;", "bool device_writes = false;",
      "the data descriptor of a read is device-readable (no WRITE flag)"),
    m("sector-in-block-units", 4, REQ,
      "? io->sector : 0;", "? io->sector / (v->blk_size / SECTOR_SIZE) : 0;",
      "the header's sector counted in logical blocks, not 512-byte sectors"),
    m("status-not-device-writable", 4, REQ,
      "(struct virtq_buf){virt_to_phys(&s->status), 1, true});",
      "(struct virtq_buf){virt_to_phys(&s->status), 1, false});",
      "the status byte is device-readable"),

    # --- lab 5: writing ------------------------------------------------------------
    m("write-flag-on-write-data", 5, REQ,
      "bool device_writes = io->type != VIRTIO_BLK_T_OUT;", "bool device_writes = true;",
      "the data descriptor of a write is device-writable (WRITE flag)"),
    m("write-sends-a-read", 5, BLK,
      "return vblk_rw(bd->priv, VIRTIO_BLK_T_OUT, sector, (void *)buf, len);",
      "return vblk_rw(bd->priv, VIRTIO_BLK_T_IN, sector, (void *)buf, len);",
      "blk_write sends an IN request"),
    m("flush-never-sent", 5, BLK,
      "\tstruct vblk_io io = {VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0};\n\treturn vblk_run(v, &io, 1, 1);",
      "\treturn 0;",
      "blk_flush returns without sending a FLUSH request"),
    m("flush-without-the-feature", 5, BLK,
      "\tif (!v->flush)\n\t\treturn 0;\n", "",
      "FLUSH sent to a device that did not offer VIRTIO_BLK_F_FLUSH"),

    # --- lab 6: EclipseFS ----------------------------------------------------------
    m("header-read-through-struct-cast", 6, EFS,
      "\tv->table_off = EFS_LE64(h, struct efs_header, inode_table_offset);\n"
      "\tv->table_size = EFS_LE64(h, struct efs_header, inode_table_size);\n"
      "\ttotal = EFS_LE32(h, struct efs_header, total_inodes);",
      # a struct without `packed` puts them at 16, 24 and 32 instead of 13, 21, 29
      "\tv->table_off = EFS_LE64(h + 3, struct efs_header, inode_table_offset);\n"
      "\tv->table_size = EFS_LE64(h + 3, struct efs_header, inode_table_size);\n"
      "\ttotal = EFS_LE32(h + 3, struct efs_header, total_inodes);",
      "the packed header read through a naturally aligned struct (fields at 16, 24, 32)"),
    m("unknown-tlv-tag-refused", 6, EFS,
      "\t\tdefault: break;\n\t\t}\n\t\tpos += len;",
      "\t\tdefault:\n\t\t\treturn efs_fail(v, -EBADMSG, ino, \"unknown TLV tag %u\", tag);\n"
      "\t\t}\n\t\tpos += len;",
      "an unknown TLV tag is an error instead of being skipped"),
    m("last-inode-refused", 6, EFS,
      "if (ino == 0 || ino > v->total_inodes)", "if (ino == 0 || ino >= v->total_inodes)",
      "the last inode (total_inodes) is refused"),
    m("read-not-clipped-to-size", 6, EFS,
      "\tif (len > file->size - off)\n\t\tlen = (size_t)(file->size - off);\n", "",
      "a read is not clipped to the file's size"),
    m("size-content-mismatch-accepted", 6, EFS,
      "} else if (out->size != out->content_len) {", "} else if (0) {",
      "a SIZE that disagrees with CONTENT is accepted"),

    # --- lab 7: interrupts ---------------------------------------------------------
    m("no-plic-complete", 7, "src/trap.c",
      "\t\tplic_complete(irq);\n", "",
      "a claimed source is never completed"),
    m("no-interrupt-ack", 7, MMIO,
      "\tif (bits)\n\t\tvm_write(d, VIRTIO_MMIO_INTERRUPT_ACK, bits);\n", "",
      "InterruptACK never written"),
    m("lost-wake-up", 7, REQ,
      "unsigned long was_on = cpu_intr_off();", "unsigned long was_on = 0;",
      "interrupts stay enabled between the used-ring check and wfi (lost wake-up)"),
    m("plic-priority-zero", 7, "src/plic.c",
      "mmio_write32(PLIC_PRIORITY(irq), 1);", "mmio_write32(PLIC_PRIORITY(irq), 0);",
      "the source keeps priority 0 (never delivered)"),
    m("plic-enabled-for-m-mode", 7, "src/plic.c",
      "uintptr_t word = PLIC_ENABLE(s_context) + 4 * (irq / 32);",
      "uintptr_t word = PLIC_ENABLE(0) + 4 * (irq / 32);",
      "the source enabled for context 0 (M mode) instead of S mode"),

    # --- lab 8: many requests in flight ----------------------------------------------
    m("depth-zero-not-defaulted", 8, REQ,
      "if (depth < 1 || depth > v->nslots)", "if (depth > v->nslots)",
      "depth 0 (\"as many as fit\") is taken literally"),
    m("in-flight-not-decremented", 8, REQ,
      "\t\tv->free_slots[v->nfree++] = slot;\n\t\tv->in_flight--;\n",
      "\t\tv->free_slots[v->nfree++] = slot;\n",
      "a completed request is still counted in flight"),
    m("depth-stays-one", 8, REQ,
      "\tif (depth < 1 || depth > v->nslots)\n\t\tdepth = v->nslots;",
      "\tif (depth < 1 || depth > v->nslots)\n\t\tdepth = 1;",
      "one request at a time whatever the depth"),
    m("busy-slot-reused", 8, REQ,
      "\tv->nfree--; // slot was the top of the free stack (vblk_run)\n", "",
      "a request slot still in flight is given to the next request"),
    # lab 4's slots written so that only one request in flight works: at
    # depth 1 the same slot comes back every time, so lab 4's grader cannot
    # see it; lab 8's, with requests side by side, must
    m("one-status-byte-for-every-slot", 8, REQ,
      "(struct virtq_buf){virt_to_phys(&s->status), 1, true});",
      "(struct virtq_buf){virt_to_phys(&v->slots[0].status), 1, true});",
      "every request slot's chain points at slot 0's status byte"),
    m("one-header-for-every-slot", 8, REQ,
      "err = virtq_slot_set(&v->vq, i, (struct virtq_buf){virt_to_phys(s), 16, false},",
      "err = virtq_slot_set(&v->vq, i, (struct virtq_buf){virt_to_phys(v->slots), 16, false},",
      "every request slot's chain points at slot 0's header, so requests side by side "
      "all read slot 0's sector"),
    m("token-not-cleared", 4, VQ,
      "\th->token = 0;\n\tvq->last_used++;", "\tvq->last_used++;",
      "a completed head keeps its token, so a repeated used id is taken twice"),

    # --- lab 9: entropy and network ---------------------------------------------------
    m("rng-buffer-device-readable", 9, RNG,
      "buf = (struct virtq_buf){virt_to_phys(vrng.chunk), want, true};",
      "buf = (struct virtq_buf){virt_to_phys(vrng.chunk), want, false};",
      "the entropy buffer is described as one the device reads, so it has nowhere to write"),
    m("rng-never-kicked", 9, RNG,
      "\t\treturn r;\n\tvirtq_kick(&vrng.vq);\n", "\t\treturn r;\n",
      "the request is put on the queue but the device is never notified"),
    m("net-header-10-bytes-with-version-1", 9, NET,
      "return vdev_has(d, VIRTIO_F_VERSION_1) || vdev_has(d, VIRTIO_NET_F_MRG_RXBUF) ? 12 : 10;",
      "return vdev_has(d, VIRTIO_NET_F_MRG_RXBUF) ? 12 : 10;",
      "the 10-byte legacy header on a VERSION_1 device, which always has num_buffers "
      "(spec 5.1.6): every frame is off by two bytes", transport="modern"),
    m("rx-chain-device-readable", 9, NET,
      "bufs[0] = (struct virtq_buf){virt_to_phys(b->hdr), vnet.hdr_len, true};\n"
      "\tbufs[1] = (struct virtq_buf){virt_to_phys(b->frame), VNET_FRAME_BUF, true};",
      "bufs[0] = (struct virtq_buf){virt_to_phys(b->hdr), vnet.hdr_len, false};\n"
      "\tbufs[1] = (struct virtq_buf){virt_to_phys(b->frame), VNET_FRAME_BUF, false};",
      "receive buffers the device may only read: it has nowhere to put a frame"),
    m("tx-frame-device-writable", 9, NET,
      "bufs[1] = (struct virtq_buf){virt_to_phys(b->frame), (uint32_t)n, false};",
      "bufs[1] = (struct virtq_buf){virt_to_phys(b->frame), (uint32_t)n, true};",
      "the frame to send is described as a buffer for the device to write"),

    # --- lab 10: virtio-pci ----------------------------------------------------------
    m("ecam-legacy-shifts", 10, ENUM,
      "probe.cfg = pci_ecam_addr(h, bus, dev, fn);",
      "probe.cfg = h->ecam + ((uintptr_t)(bus - h->bus_first) << 16 | dev << 11 | fn << 8);",
      "the ECAM address built with the 0xCF8 port's shifts (bus 16, device 11, function 8)"),
    m("scan-bus-ignores-its-bus", 10, ENUM,
      "probe.cfg = pci_ecam_addr(h, bus, dev, fn);",
      "probe.cfg = pci_ecam_addr(h, h->bus_first, dev, fn);",
      "every bus is read as the root bus: the disks behind bridges are never found"),
    m("functions-1-7-never-scanned", 10, ENUM,
      "if (fn == 0 && !(f->header_type & PCI_HEADER_MULTI))", "if (fn == 0)",
      "only function 0 of each device is looked at (multi-function devices lose the rest)"),
    m("enumeration-not-bounded", 10, ENUM,
      "\t\t\tif (n == max) {\n", "\t\t\tif (0) {\n",
      "more functions than the array holds are written past its end"),
    m("cap-walk-follows-next-twice", 10, CAPS,
      "while ((pos = pci_cap_next(f, pos, &steps)) > 0) {",
      "while ((pos = pci_cap_next(f, pos ? pci_cfg_read8(f, pos + 1) : 0, &steps)) > 0) {",
      "the walk hands pci_cap_next the next pointer instead of the current position"),
    m("notify-multiplier-not-read", 10, CAPS,
      "\t\tif (type == VIRTIO_PCI_CAP_NOTIFY_CFG)\n\t\t\tcaps->notify_mult = pci_cfg_read32(",
      "\t\tif (0)\n\t\t\tcaps->notify_mult = pci_cfg_read32(",
      "notify_off_multiplier never read (every queue notified at the first queue's address)"),
    m("last-capability-of-a-type-wins", 10, CAPS,
      "if (!r || r->addr)", "if (!r)",
      "a later capability of a type replaces the first (4.1.4: use the first)"),
    m("cap-walk-error-ignored", 10, CAPS,
      "\tif (pos < 0)\n\t\treturn pos;\n", "",
      "the walk's error (a looping or misplaced next pointer) is ignored"),

    # --- lab 11: the packed ring -----------------------------------------------------
    m("avail-wrap-not-flipped", 11, PACKED,
      "\tif ((vq->avail_idx & (vq->num - 1)) + need >= vq->num)\n"
      "\t\tvq->avail_wrap = !vq->avail_wrap;\n", "",
      "the driver's wrap counter never flips at the end of the ring"),
    m("avail-bits-ignore-wrap", 11, PACKED,
      "(k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | avail_bits(w));",
      "(k + 1 < n ? VIRTQ_DESC_F_NEXT : 0) | VIRTQ_DESC_F_AVAIL);",
      "AVAIL set and USED clear in every lap, whatever the wrap counter"),
    m("chain-wrap-bits-not-flipped", 11, PACKED,
      "\t\t\t\tslot = 0;\n\t\t\t\tw = !w;\n", "\t\t\t\tslot = 0;\n",
      "a chain that runs past the end of the ring keeps the first lap's bits in the next"),
    m("head-flags-written-first", 11, PACKED,
      "\t\t\tif (k == 0)\n\t\t\t\thead_flags = f; // written last, below\n"
      "\t\t\telse\n\t\t\t\tWRITE_ONCE(d->flags, f);\n",
      "\t\t\tWRITE_ONCE(d->flags, f);\n\t\t\tif (k == 0)\n\t\t\t\thead_flags = f;\n",
      "the head's flags written with the rest, before the chain's later slots"),
    m("no-barrier-before-head-flags", 11, PACKED,
      "\tvirt_wmb();\n\tWRITE_ONCE(vq->ring[head].flags, head_flags);",
      "\tWRITE_ONCE(vq->ring[head].flags, head_flags);",
      "no write barrier between the chain and the head's flags"),
    m("used-buffer-id-not-validated", 11, PACKED,
      "\tif (id >= vq->num)\n\t\treturn virtq_broken(vq, \"used buffer ID out of range\", id, "
      "vq->num);\n", "",
      "the used descriptor's buffer ID is not checked against the ring size"),
    m("used-wrap-not-tracked", 11, PACKED,
      "\t\tnext = (uint16_t)(next - vq->num);\n\t\tvq->used_wrap = !vq->used_wrap;\n",
      "\t\tnext = (uint16_t)(next - vq->num);\n",
      "used_wrap never flips: after the first lap no used descriptor is recognised"),
    m("used-skips-one-slot", 11, PACKED,
      "uint16_t next = (uint16_t)(vq->last_used + h->ndesc);",
      "uint16_t next = (uint16_t)(vq->last_used + 1);",
      "the next used descriptor looked for one slot on, not after the chain's slots"),
    m("used-bit-alone-means-used", 11, PACKED,
      "\tif (!is_used(flags, vq->used_wrap))\n\t\treturn 0;\n",
      "\tif (!(flags & VIRTQ_DESC_F_USED))\n\t\treturn 0;\n",
      "a slot counted used when its USED bit is set, whatever AVAIL and the wrap counter say"),
]

# The test that caught each mutant in the last full run, tried first: a
# mutant that fails it is caught in a second rather than after its lab's
# whole run. If it does not fail it (the test was renamed, or the mutant
# now shows elsewhere), run.py goes on to the lab's full unit tests and
# grader and says the entry is stale. "unit: suite/test" names a unit test,
# "qemu: text" the grader test whose name contains the text. Both must be
# the mutant's own lab's.
CAUGHT_BY = {
    "digits-reversed": "unit: format/lab0_decimal_signed_and_unsigned",
    "exit-status-not-shifted": "qemu: poweroff leaves QEMU with the status asked for",
    "zero-prints-nothing": "unit: format/lab0_decimal_signed_and_unsigned",
    "device-id-read-from-vendor": "unit: scan/lab1_full_scan_finds_two_devices_including_the_last_slot",
    "empty-slot-is-a-device": "unit: scan/lab1_full_scan_finds_two_devices_including_the_last_slot",
    "magic-byte-swapped": "unit: scan/lab1_full_scan_finds_two_devices_including_the_last_slot",
    "modern-version-refused": "unit: scan/lab1_full_scan_finds_two_devices_including_the_last_slot",
    "acknowledge-skipped": "unit: virtio_blk/lab2_features_refused_at_probe_fail_cleanly",
    "all-offered-features-accepted": "unit: virtio_init/lab2_accepted_features_are_the_offer_intersected_with_the_whitelist",
    "failed-not-set-on-refusal": "unit: virtio_blk/lab2_features_refused_at_probe_fail_cleanly",
    "features-ok-not-read-back": "unit: virtio_blk/lab2_features_refused_at_probe_fail_cleanly",
    "low-feature-word-only": "unit: virtio_init/lab2_accepted_features_are_the_offer_intersected_with_the_whitelist",
    "no-reset-first": "unit: virtio_init/lab2_acknowledge_then_driver_are_set_in_order",
    "free-list-skips-descriptor-0": "unit: virtqueue/lab3_free_list_holds_every_descriptor_once",
    "guest-page-size-never-written": "unit: virtio_blk/lab3_block_size_that_is_not_a_power_of_two_is_ignored",
    "queue-num-not-written": "unit: virtio_blk/lab3_block_size_that_is_not_a_power_of_two_is_ignored",
    "queue-ready-forgotten": "unit: virtqueue/lab3_live_queue_is_not_set_up_twice",
    "queue-size-limit-ignored": "unit: virtqueue/lab3_chain_longer_than_the_queue_is_einval_not_enospc",
    "wrong-legacy-alignment": "unit: virtqueue/lab3_legacy_setup_gives_page_size_alignment_and_pfn",
    "avail-idx-before-entry": "unit: virtqueue/lab4_chain_completed_twice_is_not_freed_twice",
    # lab 4's QEMU test of 2,500 requests sees it only when a completion
    # comes after the driver's first look at the used ring (a host under
    # load let it through 2 times in 4): the unit test sees it every time
    "avail-slot-not-wrapped": "unit: virtqueue/lab4_available_entries_stay_inside_the_ring",
    "chain-not-returned-to-free-list": "unit: virtqueue/lab4_chain_completed_twice_is_not_freed_twice",
    "no-write-barrier": "unit: virtqueue/lab4_chain_longer_than_an_indirect_table_goes_direct",
    "read-data-device-readable": "unit: virtio_blk/lab4_probe_reads_the_serial_number_with_get_id",
    "sector-in-block-units": "qemu: 4096-byte logical blocks",
    "status-not-device-writable": "unit: virtio_blk/lab4_probe_reads_the_serial_number_with_get_id",
    "token-not-cleared": "unit: virtqueue/lab4_chain_completed_twice_is_not_freed_twice",
    "used-id-not-validated": "unit: virtio_blk_errors/lab4_protocol_error_fails_the_request_and_recovers",
    "used-len-not-validated": "unit: virtqueue/lab4_legacy_used_length_over_the_writable_bytes_is_clamped",
    "used-slot-not-wrapped": "qemu: a 16-entry ring without indirect descriptors wraps around, 20 requests a read",
    "flush-never-sent": "unit: virtio_blk/lab5_flush_reaches_a_device_with_a_write_cache",
    "flush-without-the-feature": "unit: virtio_blk/lab5_flush_is_not_sent_to_a_device_without_flush",
    "write-flag-on-write-data": "unit: virtio_blk/lab5_logical_block_size_4096",
    "write-sends-a-read": "qemu: blk write changes exactly one block on the disk, and it reads back",
    "header-read-through-struct-cast": "unit: eclipsefs/lab6_an_error_sentence_never_outlives_its_call",
    "last-inode-refused": "unit: eclipsefs/lab6_check_accepts_a_valid_image",
    "read-not-clipped-to-size": "unit: eclipsefs/lab6_lookup_finds_nested_file_and_reads_it",
    "size-content-mismatch-accepted": "unit: eclipsefs/lab6_size_disagreeing_with_content_is_ebadmsg",
    "unknown-tlv-tag-refused": "unit: eclipsefs/lab6_unknown_tags_are_skipped",
    "rng-buffer-device-readable": "qemu: random 64 twice: 64 varied bytes, different each time",
    "rng-never-kicked": "qemu: random 64 twice: 64 varied bytes, different each time",
    "net-header-10-bytes-with-version-1": "qemu: arp 10.0.2.2 gets QEMU's gateway MAC",
    "rx-chain-device-readable": "qemu: arp 10.0.2.2 gets QEMU's gateway MAC",
    "tx-frame-device-writable": "qemu: arp 10.0.2.2 gets QEMU's gateway MAC",
    "one-header-for-every-slot": "unit: virtio_blk_errors/lab8_full_queue_waits_for_completions_instead_of_failing",
    "one-status-byte-for-every-slot": "unit: virtio_blk_errors/lab8_full_queue_waits_for_completions_instead_of_failing",
    "lost-wake-up": "unit: virtio_blk_errors/lab7_event_idx_and_interrupts_work_together",
    "no-interrupt-ack": "unit: virtio_blk_errors/lab7_interrupt_handler_acknowledges_what_the_device_raised",
    "no-plic-complete": "qemu: completions arrive by interrupt, one per request at depth 1",
    "plic-enabled-for-m-mode": "qemu: completions arrive by interrupt, one per request at depth 1",
    "plic-priority-zero": "qemu: completions arrive by interrupt, one per request at depth 1",
    "busy-slot-reused": "unit: virtio_blk_errors/lab8_full_queue_waits_for_completions_instead_of_failing",
    "depth-stays-one": "unit: virtio_blk_errors/lab8_full_queue_waits_for_completions_instead_of_failing",
    "depth-zero-not-defaulted": "unit: virtio_blk_errors/lab8_full_queue_waits_for_completions_instead_of_failing",
    "in-flight-not-decremented": "unit: virtio_blk_errors/lab8_depth_one_keeps_one_request_in_flight",
    "cap-walk-error-ignored": "unit: pci_virtio/lab10_capability_loop_is_an_error_not_a_hang",
    "cap-walk-follows-next-twice": "unit: pci_virtio/lab10_device_that_drops_features_ok_fails_cleanly",
    "ecam-legacy-shifts": "unit: pci/lab10_bar_larger_than_the_window_leaves_the_function_disabled",
    "enumeration-not-bounded": "unit: pci/lab10_enumeration_stops_at_the_array_size",
    "functions-1-7-never-scanned": "unit: pci/lab10_enumeration_finds_functions_bridges_and_multifunction",
    "scan-bus-ignores-its-bus": "unit: pci/lab10_enumeration_finds_functions_bridges_and_multifunction",
    "last-capability-of-a-type-wins": "unit: pci_virtio/lab10_first_capability_of_each_type_it_can_use_wins",
    "notify-multiplier-not-read": "unit: pci_virtio/lab10_first_capability_of_each_type_it_can_use_wins",
    "avail-bits-ignore-wrap": "unit: packed/lab11_buffers_completed_in_random_order_come_back_each_once",
    "avail-wrap-not-flipped": "unit: packed/lab11_buffers_completed_in_random_order_come_back_each_once",
    "chain-wrap-bits-not-flipped": "unit: packed/lab11_buffers_completed_in_random_order_come_back_each_once",
    "head-flags-written-first": "unit: packed/lab11_buffers_completed_in_random_order_come_back_each_once",
    "no-barrier-before-head-flags": "unit: packed/lab11_buffers_completed_in_random_order_come_back_each_once",
    "used-bit-alone-means-used": "unit: packed/lab11_buffers_completed_in_reverse_come_back_each_once",
    "used-buffer-id-not-validated": "unit: packed/lab11_used_buffer_id_out_of_range_breaks_the_queue",
    "used-skips-one-slot": "unit: packed/lab11_buffer_id_reported_twice_is_not_freed_twice",
    "used-wrap-not-tracked": "unit: packed/lab11_buffers_completed_in_random_order_come_back_each_once",
}
