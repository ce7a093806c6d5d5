"""Lab 3: the virtqueue. Queue 0 is sized within the device's and the
driver's limits, its three rings are allocated with the alignments of spec
2.7 (and the legacy layout of 2.7.2 / 4.2.4 on version 1), the device is
told where they are, and the driver sets DRIVER_OK."""

import re

from gradelib import Fail, Skip, make_disk, test

RAM = (0x80000000, 0x88000000)  # -m 128M
QEMU_QUEUE_MAX = 1024  # virtio-mmio's QueueNumMax, whatever queue-size says
QEMU_QUEUE_SIZE = 256  # virtio-blk's queue-size when the command line says none

QUEUE_LINE = (r"^virtio: {where}: queue 0: (\d+) entries \(device max (\d+)\), "
              r"desc 0x([0-9a-f]+) avail 0x([0-9a-f]+) used 0x([0-9a-f]+)$")
# the packed ring (spec 2.8, lab 11): one descriptor ring and two 4-byte
# event suppression structures
PACKED_LINE = (r"^virtio: {where}: queue 0: (\d+) entries \(device max (\d+)\), "
               r"packed ring: desc 0x([0-9a-f]+) driver 0x([0-9a-f]+) device 0x([0-9a-f]+)$")


def device_max(ctx, qsize=QEMU_QUEUE_SIZE):
    """The largest queue the device allows. QEMU's virtio-mmio says 1024
    whatever queue-size is; over PCI the queue_size register starts at the
    device's queue-size (spec 4.1.4.3)."""
    return qsize if ctx.pci else QEMU_QUEUE_MAX


def expected_size(ctx, vq_size, qsize=QEMU_QUEUE_SIZE):
    """The queue the driver must build when booted with vq_size=N: the
    largest power of two within both limits, except on a legacy PCI device,
    which has no register to shrink a queue (4.1.4.8): there it is the
    device's own size."""
    if ctx.pci and ctx.legacy:
        return qsize
    limit, num = min(device_max(ctx, qsize), vq_size), 1
    while num * 2 <= limit:
        num *= 2
    return num


def queue(ctx, run, want_size=None, qsize=QEMU_QUEUE_SIZE):
    """Parse and check the queue line; return (num, desc, avail, used).
    On the modern-packed transport avail and used are the driver and
    device areas of the packed ring. qsize: the device's queue-size."""
    if "packed=on" in run.cmdline:
        return packed_queue(ctx, run, want_size, qsize)
    m = run.expect(QUEUE_LINE.format(where=re.escape(ctx.where())),
                   f"`virtio: {ctx.where()}: queue 0: N entries (device max M), "
                   "desc 0x.. avail 0x.. used 0x..`")
    num, dmax = int(m.group(1)), int(m.group(2))
    desc, avail, used = (int(m.group(i), 16) for i in (3, 4, 5))
    if dmax != device_max(ctx, qsize):
        raise Fail(f"the device allows {device_max(ctx, qsize)} entries on {ctx.transport}, "
                   f"the kernel printed {dmax}")
    if num < 1 or num & (num - 1) or num > dmax:
        raise Fail(f"a split queue needs a power of two no larger than QueueNumMax, got {num}")
    if want_size is not None and num != want_size:
        raise Fail(f"queue 0 should have {want_size} entries, it has {num}")
    for name, addr, align in (("desc", desc, 16), ("avail", avail, 2), ("used", used, 4)):
        if addr % align:
            raise Fail(f"the {name} ring at 0x{addr:x} is not {align}-byte aligned (spec 2.7)")
    regions = [("desc", desc, 16 * num), ("avail", avail, 6 + 2 * num),
               ("used", used, 6 + 8 * num)]
    for name, addr, size in regions:
        if not (RAM[0] <= addr and addr + size <= RAM[1]):
            raise Fail(f"the {name} ring 0x{addr:x}..0x{addr + size:x} is not in RAM")
    for i, (n1, a1, s1) in enumerate(regions):
        for n2, a2, s2 in regions[i + 1:]:
            if a1 < a2 + s2 and a2 < a1 + s1:
                raise Fail(f"the {n1} ring (0x{a1:x}, {s1} bytes) overlaps the {n2} ring "
                           f"(0x{a2:x}, {s2} bytes)")
    return num, desc, avail, used, m


def packed_queue(ctx, run, want_size, qsize=QEMU_QUEUE_SIZE):
    m = run.expect(PACKED_LINE.format(where=re.escape(ctx.where())),
                   f"`virtio: {ctx.where()}: queue 0: N entries (device max M), "
                   "packed ring: desc 0x.. driver 0x.. device 0x..`")
    num, dmax = int(m.group(1), 10), int(m.group(2), 10)
    desc, drv, dev = (int(m.group(i), 16) for i in (3, 4, 5))
    if dmax != device_max(ctx, qsize):
        raise Fail(f"the device allows {device_max(ctx, qsize)} entries on {ctx.transport}, "
                   f"the kernel printed {dmax}")
    if num < 1 or num > dmax or num > 32768:
        raise Fail(f"a packed queue holds 1 to min(QueueNumMax, 32768) entries, got {num}")
    if want_size is not None and num != want_size:
        raise Fail(f"queue 0 should have {want_size} entries, it has {num}")
    regions = [("descriptor ring", desc, 16, 16 * num), ("driver area", drv, 4, 4),
               ("device area", dev, 4, 4)]
    for name, addr, align, size in regions:
        if addr % align:
            raise Fail(f"the {name} at 0x{addr:x} is not {align}-byte aligned (spec 2.8.10.1)")
        if not (RAM[0] <= addr and addr + size <= RAM[1]):
            raise Fail(f"the {name} 0x{addr:x}..0x{addr + size:x} is not in RAM")
    for i, (n1, a1, _, s1) in enumerate(regions):
        for n2, a2, _, s2 in regions[i + 1:]:
            if a1 < a2 + s2 and a2 < a1 + s1:
                raise Fail(f"the {n1} (0x{a1:x}, {s1} bytes) overlaps the {n2} "
                           f"(0x{a2:x}, {s2} bytes)")
    return num, desc, drv, dev, m


def legacy_layout(num, desc, avail, used):
    # spec 2.7.2 / 4.2.4: one block at QueuePFN * 4096; the available ring
    # right after the descriptors, the used ring at the next 4096 boundary
    if desc % 4096:
        raise Fail(f"legacy QueuePFN is a page number: desc 0x{desc:x} is not page aligned")
    if avail != desc + 16 * num:
        raise Fail(f"legacy layout: avail should be at desc + 16 * {num} = "
                   f"0x{desc + 16 * num:x}, it is at 0x{avail:x}")
    want = (avail + 6 + 2 * num + 4095) // 4096 * 4096
    if used != want:
        raise Fail(f"legacy layout: used should be at the first 4096 boundary after the "
                   f"available ring (0x{want:x}), it is at 0x{used:x}")


def disk(ctx, size=1 << 20, dev_opts=""):
    return {"file": make_disk(ctx.scratch("d.img"), size), "dev_opts": dev_opts}


def check_vq(run, num, indirect=True, event_idx=True):
    """`vq` agrees with the queue line and shows an idle queue."""
    out = run.section("vq")
    m = re.search(r"^vq 0: size (\d+), free descriptors (\d+), in flight (\d+)$", out, re.M)
    if not m:
        raise Fail("`vq` does not print `vq 0: size N, free descriptors N, in flight N`")
    size, free, busy = map(int, m.groups())
    if size != num:
        raise Fail(f"`vq` says size {size}, the queue line says {num}")
    if free != num or busy != 0:
        raise Fail(f"an idle {num}-entry queue should have {num} free descriptors and none in "
                   f"flight; `vq` says {free} free, {busy} in flight")
    m = re.search(r"^vq 0: avail idx (\d+), used idx (\d+), last used seen (\d+)", out, re.M)
    if not m:
        raise Fail("`vq` does not print `vq 0: avail idx N, used idx N, last used seen N`")
    if len(set(m.groups())) != 1:
        raise Fail(f"an idle queue's avail idx, used idx and last used seen are equal; `vq` "
                   f"says {', '.join(m.groups())}")
    m = re.search(r"^vq 0: indirect (on|off), event_idx (on|off)", out, re.M)
    if not m:
        raise Fail("`vq` does not print `vq 0: indirect on|off, event_idx on|off`")
    want = ("on" if indirect else "off", "on" if event_idx else "off")
    if m.groups() != want:
        raise Fail(f"the queue should use indirect {want[0]}, event_idx {want[1]} (what was "
                   f"negotiated); `vq` says indirect {m.group(1)}, event_idx {m.group(2)}")
    if "BROKEN" in out:
        raise Fail("`vq` says the queue is BROKEN")


@test(3, "queue 0: size and ring addresses with the alignments of spec 2.7", points=3)
def queue_line(ctx):
    r = ctx.boot(["vq"], disks=[disk(ctx)])
    num, desc, avail, used, _ = queue(ctx, r)
    if ctx.legacy:
        legacy_layout(num, desc, avail, used)
    check_vq(r, num)
    r.expect_exit(0)


@test(3, "DRIVER_OK after the queue, with the capacity read from the device", points=3)
def driver_ok(ctx):
    size = 3 << 20
    r = ctx.boot(disks=[disk(ctx, size)])
    *_, mq = queue(ctx, r)
    m = r.expect(rf"^virtio: {re.escape(ctx.where())}: DRIVER_OK, status 0x([0-9a-f]+)$",
                 f"`virtio: {ctx.where()}: DRIVER_OK, status 0x..`")
    status, want = int(m.group(1), 16), 0x7 if ctx.legacy else 0xF
    if status != want:
        raise Fail(f"after DRIVER_OK the {ctx.transport} status should be 0x{want:x} "
                   f"(ACKNOWLEDGE|DRIVER|{'FEATURES_OK|' if want == 0xF else ''}DRIVER_OK), "
                   f"it is 0x{status:x}")
    if m.start() < mq.start():
        raise Fail("DRIVER_OK is set before queue 0 is set up (spec 3.1.1 step 8)")
    sectors = size // 512
    r.expect(rf"^virtio-blk: capacity {sectors} sectors \({size // 1024} KiB\), block size 512",
             f"`virtio-blk: capacity {sectors} sectors ({size // 1024} KiB), block size 512` "
             "for a 3 MiB image")
    r.reject(r"initialisation failed|using the built-in ramdisk", "a failed initialisation")
    r.expect_exit(0)


@test(3, "a 64 KiB disk: capacity 128 sectors", points=1)
def small_disk(ctx):
    r = ctx.boot(disks=[disk(ctx, 64 << 10)])
    queue(ctx, r)
    r.expect(r"^virtio-blk: capacity 128 sectors \(64 KiB\)", "a capacity of 128 sectors")
    r.expect_exit(0)


def sizes(ctx, qsize):
    for arg in (16, 1024):
        r = ctx.boot(["vq"], disks=[disk(ctx, dev_opts=f",queue-size={qsize}")],
                     append=f"vq_size={arg}")
        num, desc, avail, used, _ = queue(ctx, r, want_size=expected_size(ctx, arg, qsize),
                                          qsize=qsize)
        if ctx.legacy:
            legacy_layout(num, desc, avail, used)
        check_vq(r, num)
        r.expect(rf"^virtio: {re.escape(ctx.where())}: DRIVER_OK", "DRIVER_OK")
        # legacy PCI cannot shrink a queue (4.1.4.8): a vq_size it cannot
        # obey is said, not silently ignored
        ignored = (rf"^virtio-blk: {re.escape(ctx.where())}: a legacy PCI queue has the "
                   rf"device's own size \({qsize} entries\); vq_size={arg} does not apply to it$")
        if ctx.pci and ctx.legacy and qsize > arg:
            r.expect(ignored, "the ignored vq_size said")
        else:
            r.reject(ignored, "a vq_size called ignored although it was obeyed")
        r.expect_exit(0)


@test(3, "device queue-size=16 with vq_size=16 and vq_size=1024", points=1)
def sizes_16(ctx):
    sizes(ctx, 16)


@test(3, "device queue-size=256 with vq_size=16 and vq_size=1024", points=1)
def sizes_256(ctx):
    sizes(ctx, 256)


@test(3, "device queue-size=1024 with vq_size=16 and vq_size=1024", points=1)
def sizes_1024(ctx):
    sizes(ctx, 1024)


@test(3, "vq_size that is not a power of two rounds down (1000 -> 512, 7 -> 4)", points=1)
def sizes_round(ctx):
    if ctx.pci and ctx.legacy:
        raise Skip("a legacy PCI queue has the device's own size: vq_size cannot change it")
    # over PCI the device's queue-size limits too: make it the largest
    qsize = 1024 if ctx.pci else QEMU_QUEUE_SIZE
    for arg, want in ((1000, 512), (7, 4)):
        r = ctx.boot(["vq"], disks=[disk(ctx, dev_opts=f",queue-size={qsize}")],
                     append=f"vq_size={arg}")
        r.expect(rf"^boot: vq_size={arg} is not a power of two; queues get at most {want} "
                 r"entries$", "the rounding said at boot")
        num, desc, avail, used, _ = queue(ctx, r, want_size=want, qsize=qsize)
        if ctx.legacy:
            legacy_layout(num, desc, avail, used)
        check_vq(r, num)
        r.expect_exit(0)


@test(3, "a vq_size too small for one request is refused at boot, and the disk is used",
      points=1)
def too_small(ctx):
    # vq_size=3 would round down to 2: no 3-descriptor chain fits, not
    # even through an indirect table (spec 2.7.5.3.1). The boot line's
    # check refuses it, so the disk gets the default queue rather than
    # being dropped for the built-in ramdisk.
    r = ctx.boot(["vq"], disks=[disk(ctx)], append="vq_size=3")
    r.expect(r'^boot: "vq_size=3": vq_size takes 0 \(the default\) or a number from 4 to '
             r"32768 \(.*2\.7\.5\.3\.1\); ignored, the default stands$",
             "the boot line's refusal of vq_size=3, with the reason")
    num, *_ = queue(ctx, r, want_size=expected_size(ctx, QEMU_QUEUE_SIZE))
    check_vq(r, num)
    r.reject(r"initialisation failed|using the built-in ramdisk|cannot hold",
             "the disk dropped for the ramdisk")
    r.expect_exit(0)


@test(3, "without indirect descriptors and EVENT_IDX the queue says so", points=1)
def vq_features(ctx):
    r = ctx.boot(["vq"], disks=[disk(ctx)], append="indirect=off event_idx=off vq_size=64")
    num, *_ = queue(ctx, r, want_size=expected_size(ctx, 64))
    check_vq(r, num, indirect=False, event_idx=False)
    r.expect(rf"^virtio: {re.escape(ctx.where())}: DRIVER_OK", "DRIVER_OK")
    r.expect_exit(0)
