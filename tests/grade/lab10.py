"""Lab 10: virtio-pci. QEMU's virt board with virtio devices as PCI
functions behind the ECAM host bridge: the kernel must find them (ECAM
enumeration), give them addresses (BARs in the windows the device tree
gives), walk their capability lists, and drive the disk, the rng and the
network card over the modern and the legacy PCI interface, beside mmio
devices. Each test is one QEMU boot; they run in parallel."""

import re
import shutil

from gradelib import Fail, test, make_disk, sector_pattern

WINDOW = re.compile(r"^pci: (I/O|32-bit memory|64-bit memory) window 0x([0-9a-f]+)\.\.0x([0-9a-f]+)",
                    re.M)
BAR = re.compile(r"^pci (\w\w:\w\w\.\w): BAR (\d): (I/O|32-bit memory|32-bit prefetchable memory|"
                 r"64-bit memory|64-bit prefetchable memory) at 0x([0-9a-f]+).*, (\d+) (B|KiB|MiB|GiB)$",
                 re.M)
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
NO_TRANSPORT = (None,)


def sample(ctx, name="sample.img"):
    path = ctx.scratch(name)
    shutil.copy(ctx.path("build", "sample.img"), path)
    return path


def pci_disk(i, path, opts=""):
    return ["-drive", f"file={path},if=none,format=raw,id=p{i}",
            "-device", f"virtio-blk-pci,drive=p{i}{opts}"]


def check_bars(r):
    """Every BAR line: aligned to its size, inside the window of its kind,
    overlapping no other BAR. Returns the BARs found."""
    windows = {}
    for kind, lo, hi in WINDOW.findall(r.output):
        windows[kind] = (int(lo, 16), int(hi, 16))
    if "32-bit memory" not in windows or "I/O" not in windows:
        raise Fail("expected `pci: I/O window ...` and `pci: 32-bit memory window ...` lines "
                   "read from the device tree")
    bars = []
    for bdf, n, kind, addr, size, unit in BAR.findall(r.output):
        addr, size = int(addr, 16), int(size) * UNITS[unit]
        where = f"{bdf} BAR {n} at 0x{addr:x} ({size} bytes)"
        if size & (size - 1):
            raise Fail(f"{where}: a BAR's size is a power of two")
        wkind = "I/O" if kind == "I/O" else "64-bit memory" if kind.startswith("64") else \
            "32-bit memory"
        lo, hi = windows.get(wkind, (None, None))
        if wkind == "64-bit memory" and lo is None:
            lo, hi = windows["32-bit memory"]
        in_32 = windows["32-bit memory"][0] <= addr and addr + size - 1 <= windows["32-bit memory"][1]
        if not (lo <= addr and addr + size - 1 <= hi) and not (wkind == "64-bit memory" and in_32):
            raise Fail(f"{where}: outside the {wkind} window 0x{lo:x}..0x{hi:x}")
        base = addr - lo if wkind == "I/O" else addr
        if base % size:
            raise Fail(f"{where}: not aligned to its size")
        for other in bars:
            if addr < other[0] + other[1] and other[0] < addr + size:
                raise Fail(f"{where}: overlaps {other[2]}")
        bars.append((addr, size, where))
    if not bars:
        raise Fail("no `pci bb:dd.f: BAR n: ... at 0x...` lines: were the BARs placed?")
    return bars


@test(10, "enumeration: every function listed; BARs aligned, in their windows, disjoint",
      points=3, transports=NO_TRANSPORT)
def enumeration(ctx):
    r = ctx.boot(["pci", "pci 00:01.0", "pci 00:02.0", "pci 00:00.0", "devices",
                  "devices x", "pci 00:01.0 extra"],
                 extra=["-device", "virtio-rng-pci", "-device", "e1000",
                                 "-device", "virtio-gpu-pci,disable-legacy=on",
                                 "-device", "pci-testdev,multifunction=on,addr=06.0",
                                 "-device", "pci-testdev,addr=06.3",
                                 "-device", "virtio-balloon-device"],
                 timeout=15)
    r.expect(r"^pci: host bridge pci-host-ecam-generic, ECAM at 0x30000000, buses 00-ff$",
             "the host bridge line with the ECAM window from the device tree")
    r.expect(r"^pci 00:00\.0: 1b36:0008 class 06\.00 host bridge$", "the host bridge itself")
    r.expect(r"^pci 00:01\.0: 1af4:1005 class 00\.ff .*virtio entropy \(transitional\)$",
             "virtio-rng-pci at 00:01.0 as a transitional entropy device")
    r.expect(r"^pci 00:02\.0: 8086:100e class 02\.00 network controller$", "the e1000 at 00:02.0")
    r.expect(r"^pci 00:03\.0: 1af4:1050 class 03\.80 display controller, virtio gpu \(modern\)$",
             "virtio-gpu-pci at 00:03.0, modern, listed by name")
    r.expect(r"^pci 00:06\.0: 1b36:0005 ", "function 0 of the multi-function device at 06")
    r.expect(r"^pci 00:06\.3: 1b36:0005 ", "function 3 of the multi-function device at 06")
    r.expect(r"^pci 00:02\.0: 8086:100e network controller: no driver in this kernel, left alone$",
             "the e1000 named as a card nobody drives")
    if len(re.findall(r"^pci 00:..\..: [0-9a-f]{4}:[0-9a-f]{4} class", r.output, re.M)) != 6:
        raise Fail("expected exactly 6 functions (bridge, rng, e1000, gpu, 06.0, 06.3)")
    r.expect(r"^pci: 6 functions on bus 00$", "the count of functions")
    bars = check_bars(r)
    if not any(w.startswith("00:02.0 BAR 0") for _, _, w in bars):
        raise Fail("the e1000's 128 KiB memory BAR 0 was not placed")
    # decoding for every placed function, bus mastering (DMA into our
    # memory) only for the one a driver took
    for bdf, who, driven in (("01.0", "virtio-rng-pci", True), ("02.0", "e1000", False)):
        m = re.search(rf"^pci 00:{bdf[:2]}\.{bdf[3]}: [0-9a-f:]+, command 0x([0-9a-f]{{4}})",
                      r.output, re.M)
        if not m:
            raise Fail(f"`pci 00:{bdf}` printed no command register")
        cmd = int(m.group(1), 16)
        if cmd & 0x3 != 0x3:
            raise Fail(f"{who}: command 0x{cmd:04x}: I/O and memory decoding should be on")
        if bool(cmd & 0x4) != driven:
            raise Fail(f"{who}: command 0x{cmd:04x}: bus mastering should be "
                       + ("on: the driver's device reads its rings by DMA" if driven else
                          "off: no driver took it, so it may not touch memory"))
    driven_or_not(r)
    r.expect_exit(0)


def driven_or_not(r):
    """`devices` tells a function a driver drives from one only the virtio
    transport took; boot names, once, each virtio device nothing drives,
    on PCI and on mmio alike; the host bridge has no interrupt pin; and
    `devices` and `pci` refuse words they do not take."""
    out = r.section("devices")
    for line, what in (
            (r"^pci 00:01\.0: 1af4:1005 .*, driven by virtio-rng$", "the rng driven by virtio-rng"),
            (r"^pci 00:03\.0: 1af4:1050 display controller, virtio transport, no driver for "
             r"device type 16 \(gpu\)$", "the gpu taken by the transport but by no driver"),
            (r"^pci 00:02\.0: 8086:100e network controller, no driver$", "the e1000, no driver"),
            (r"^virtio: slot 7: virtio transport, no driver for device type 5 \(balloon\)$",
             "the mmio balloon, no driver")):
        if not re.search(line, out, re.M):
            raise Fail(f"`devices` should show {what}; it printed:\n{out}")
    if "driven\n" in out:
        raise Fail(f"`devices` calls a function plainly `driven`:\n{out}")
    for where, name, num in (("pci 00:03.0", "gpu", 16), ("slot 7", "balloon", 5)):
        pat = (rf"^virtio: {re.escape(where)}: {name} device \(type {num}\): no driver in this "
               r"kernel, left alone$")
        if len(re.findall(pat, r.output, re.M)) != 1:
            raise Fail(f"boot should say once that the {name} device at {where} has no driver")
    if not re.search(r"^pci 00:00\.0: 1b36:0008, command 0x[0-9a-f]{4}, no interrupt pin$",
                     r.section("pci 00:00.0"), re.M):
        raise Fail("`pci 00:00.0` should say the host bridge has no interrupt pin")
    for cmd, usage in (("devices x", "usage: devices"), ("pci 00:01.0 extra", "usage: pci ")):
        if usage not in r.section(cmd):
            raise Fail(f"`{cmd}` should print its usage, not ignore the extra word")


@test(10, "an empty bridge and a BAR too big for any window are reported, not fatal",
      transports=NO_TRANSPORT)
def odd_functions(ctx):
    r = ctx.boot(["ls /"], disks=[sample(ctx)],
                 extra=["-device", "pci-testdev,membar=32G", "-device", "pci-bridge,chassis_nr=1"],
                 timeout=15)
    r.expect(r"^pci 00:01\.0: BAR 2 \(64-bit prefetchable memory, 32 GiB\) does not fit any "
             r"window; function left disabled$", "the error naming the function and the BAR")
    r.expect(r"^pci 00:02\.0: PCI-to-PCI bridge to bus 01$", "the bridge given bus 01")
    r.expect(r"^pci 00:02\.0: bridge forwards nothing \(no BAR behind it\)$",
             "the empty bridge's windows left closed")
    if "readme.txt" not in r.section("ls /"):
        raise Fail("after the PCI errors the mmio disk should still work (`ls /`)")
    r.expect_exit(0)


@test(10, "modern virtio-blk-pci: capabilities at QEMU's offsets, files readable, INTx taken", points=3,
      transports=NO_TRANSPORT)
def modern_disk(ctx):
    r = ctx.boot(["pci 00:01.0", "ls /", "cat /readme.txt", "irq"],
                 extra=pci_disk(0, sample(ctx), ",disable-legacy=on"), timeout=15)
    r.expect(r"^pci 00:01\.0: 1af4:1042 class 01\.00 mass storage controller, virtio block "
             r"\(modern\)$", "the modern disk at 00:01.0 (device ID 0x1042)")
    r.expect(r"^virtio: pci 00:01\.0: common BAR 4\+0x0, notify BAR 4\+0x3000 \(x4\), "
             r"ISR BAR 4\+0x1000, device BAR 4\+0x2000$",
             "the four structures found by the capability walk where QEMU puts them")
    check_bars(r)
    r.reject(r"built-in ramdisk", "the ramdisk: the PCI disk should have been used")
    if "readme.txt" not in r.section("ls /"):
        raise Fail("`ls /` should list the PCI disk's files")
    if "Welcome to Eclipse RV" not in r.section("cat /readme.txt"):
        raise Fail("`cat /readme.txt` should print the file from the PCI disk")
    # device 1's INTA is PLIC source 32 + 1 by the tree's interrupt-map
    if not re.search(r"^irq: source 33: [1-9]", r.section("irq"), re.M):
        raise Fail("the disk's completions should arrive as INTx on PLIC source 33 "
                   "(`irq` should count some)")
    r.expect_exit(0)


@test(10, "legacy virtio-blk-pci (disable-modern=on) and -drive if=virtio beside an mmio disk",
      points=3, transports=NO_TRANSPORT)
def legacy_and_drive(ctx):
    pattern = make_disk(ctx.scratch("pattern.img"), 64 * 512, sector_pattern)
    r = ctx.boot(["ls /", "cat /readme.txt"], disks=[pattern],
                 extra=pci_disk(0, sample(ctx), ",disable-modern=on")
                 + ["-drive", f"file={sample(ctx, 'second.img')},if=virtio,format=raw"],
                 timeout=15, memory="2G")
    r.expect(r"^pci 00:01\.0: 1af4:1001 class 01\.00 mass storage controller, virtio block "
             r"\(transitional\)$", "the legacy disk at 00:01.0")
    r.expect(r"^pci 00:02\.0: 1af4:1001 ", "the -drive if=virtio disk at 00:02.0")
    r.expect(r"^virtio: pci 00:01\.0: block device, pci-legacy", "00:01.0 driven through the "
             "legacy interface (no capabilities with disable-modern=on)")
    r.expect(r"^virtio: pci 00:02\.0: block device, pci-modern", "00:02.0 (transitional, "
             "both interfaces) driven through the modern one")
    if "readme.txt" not in r.section("ls /"):
        raise Fail("`ls /` should list the files of the first disk holding EclipseFS")
    if "Welcome to Eclipse RV" not in r.section("cat /readme.txt"):
        raise Fail("`cat /readme.txt` should print the file")
    r.expect_exit(0)


@test(10, "virtio-rng-pci (modern-pio-notify=on) and virtio-net-pci with -smp 4: random "
      "bytes, ARP for the gateway", points=2, transports=NO_TRANSPORT)
def rng_net(ctx):
    # modern-pio-notify=on puts a second notify structure, in an I/O BAR,
    # first in the rng's capability list: the walk must skip it (4.1.4.1)
    r = ctx.boot(["random 32", "arp 10.0.2.2"], disks=[sample(ctx)],
                 extra=["-smp", "4",
                        "-device", "virtio-rng-pci,disable-legacy=on,modern-pio-notify=on",
                        "-netdev", "user,id=n0",
                        "-device", "virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56"],
                 timeout=20)
    text = r.section("random 32")
    digits = "".join(l.strip() for l in text.splitlines() if re.fullmatch(r"\s*[0-9a-f]+\s*", l))
    if len(digits) != 64 or len(set(digits)) < 6:
        raise Fail(f"`random 32` should print 32 varied bytes, printed {text.strip()[:100]!r}")
    if "52:55:0a:00:02:02" not in r.section("arp 10.0.2.2"):
        raise Fail("`arp 10.0.2.2` over virtio-net-pci should find the gateway's MAC "
                   "52:55:0a:00:02:02")
    r.expect_exit(0)


@test(10, "disks behind a PCIe root port and behind nested PCI bridges: found, read, by interrupt",
      points=2, transports=NO_TRANSPORT)
def behind_bridges(ctx):
    # libvirt puts every PCIe device behind a pcie-root-port; a pci-bridge
    # behind a pci-bridge needs bus numbers given depth first and windows
    # in both. The legacy disk's I/O BAR goes through two I/O windows, and
    # its INTx through two swizzles: INTA of slot 5 is INTB of the bridge in
    # slot 2, which is INTD of the bridge in slot 3: PLIC source 32 + (3 +
    # 3) % 4 (a kernel without the swizzles would wait on source 35 and
    # time out).
    pattern = make_disk(ctx.scratch("p.img"), 1 << 20, sector_pattern)
    r = ctx.boot(["ls /", "blk vdb read 5", "blk", "blk vdb"],
                 extra=["-device", "pcie-root-port,id=rp,chassis=1,addr=1",
                        "-drive", f"file={sample(ctx)},if=none,format=raw,id=p0",
                        "-device", "virtio-blk-pci,drive=p0,bus=rp,disable-legacy=on",
                        "-device", "pci-bridge,id=b1,chassis_nr=2,addr=3",
                        "-device", "pci-bridge,id=b2,chassis_nr=3,bus=b1,addr=2",
                        "-drive", f"file={pattern},if=none,format=raw,id=p1",
                        "-device", "virtio-blk-pci,drive=p1,bus=b2,addr=5,disable-modern=on"],
                 timeout=20)
    r.expect(r"^pci 00:01\.0: PCI-to-PCI bridge to bus 01$", "the root port given bus 01")
    r.expect(r"^pci 00:03\.0: PCI-to-PCI bridge to buses 02-03$",
             "the outer pci-bridge given buses 02-03 (its own and the nested bridge's)")
    r.expect(r"^pci 02:02\.0: PCI-to-PCI bridge to bus 03$", "the nested bridge given bus 03")
    r.expect(r"^pci 03:05\.0: INTA -> PLIC source 34 \(INTD of 00:03\.0 on the root bus\)$",
             "the nested disk's INTA swizzled to INTD of 00:03.0, PLIC source 34")
    check_bars(r)
    if "readme.txt" not in r.section("ls /"):
        raise Fail("`ls /` should list the files of the disk behind the root port")
    if r.hexdump("blk vdb read 5")[1] != sector_pattern(5):
        raise Fail("sector 5 of the disk behind the two bridges differs from the disk")
    for cmd, name, where in (("blk", "vda", "01:00.0"), ("blk vdb", "vdb", "03:05.0")):
        out = r.section(cmd)
        if f"blk: {name}: virtio-blk (pci {where})" not in out:
            raise Fail(f"`{cmd}` does not show {name} at pci {where}")
        if re.search(r" [1-9]\d* timeouts", out) or "completions by interrupt" not in out:
            raise Fail(f"{name}: every request should complete by interrupt, none by timeout: " +
                       " ".join(l for l in out.split("\n") if "timeouts" in l or "completions" in l))
    r.expect_exit(0)


@test(10, "sixteen disks over mmio and PCI are named and usable; a seventeenth is listed, not used",
      transports=NO_TRANSPORT)
def sixteen_disks(ctx):
    # 8 mmio slots, then PCI functions 00:01-00:09: vda-vdh, vdi-vdp, and
    # the ninth PCI disk is one too many. The sample image is the last one
    # used, so the root rule (the first disk that holds EclipseFS) walks
    # past fifteen empty disks to find it.
    empty = [make_disk(ctx.scratch(f"e{i}.img"), 64 << 10) for i in range(16)]
    extra = []
    for i, path in enumerate(empty[8:15] + [sample(ctx)] + [empty[15]]):
        extra += pci_disk(i, path, ",disable-legacy=on")
    r = ctx.boot(["ls /", "blk vdp", "blk vdh read 1", "blk vdq"],
                 disks=[{"file": p, "readonly": True} for p in empty[:8]], extra=extra,
                 timeout=20)
    r.expect(r"^virtio-blk: pci 00:09\.0: more than 16 disks; this one is not used$",
             "the seventeenth disk (pci 00:09.0) listed as one too many")
    r.expect(r"^fs: root is vdp \(virtio-blk \(pci 00:08\.0\)\): the first disk that holds "
             r"EclipseFS$", "the root file system found on vdp, the sixteenth disk")
    if "readme.txt" not in r.section("ls /"):
        raise Fail("`ls /` should list the sample image's files, from vdp")
    if "blk: vdp: virtio-blk (pci 00:08.0)" not in r.section("blk vdp"):
        raise Fail("`blk vdp` should describe the sixteenth disk")
    if r.hexdump("blk vdh read 1")[1] != bytes(512):
        raise Fail("`blk vdh read 1` should read the eighth (empty) disk")
    if not re.search(r'^blk: no block device named "vdq"; the devices are vda \(.*\), .*'
                     r'vdp \(.*\)$', r.section("blk vdq"), re.M):
        raise Fail("`blk vdq` should say there is no such disk and list vda to vdp: "
                   + r.section("blk vdq")[:160])
    r.expect_exit(0)

