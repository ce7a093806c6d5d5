"""Lab 11: the packed ring (spec 2.8). Every test boots modern virtio-mmio
devices told `packed=on`, so the kernel negotiates VIRTIO_F_RING_PACKED and
runs one descriptor ring with wrap counters instead of the split ring's
three parts. The same requests must give the same bytes: reads checked
against a pattern the grader wrote, a small ring that wraps many times
with chains split across its end, hundreds of requests completed out of
order, writes that reach the image, interrupts with event suppression,
and the other devices on packed rings too. `packed=off` must still give
the split ring."""

import re

from gradelib import Fail, make_disk, sector_pattern, test

PACKED = "modern-packed"
NET = ["-netdev", "user,id=n0", "-device", "virtio-net-device,netdev=n0,packed=on"]


def pattern(first, count):
    return b"".join(sector_pattern(s) for s in range(first, first + count))


def patterned(ctx, size=1 << 20):
    return make_disk(ctx.scratch("p.img"), size, sector_pattern)


def negotiated(run):
    m = run.expect(r"^virtio: features accepted 0x[0-9a-f]+: (.*)$", "the accepted feature line")
    if "RING_PACKED" not in m.group(1).split():
        raise Fail("a modern device offering RING_PACKED should get it accepted "
                   "(virtq_ring_features() in src/virtio/virtq.c asks for it, the last "
                   f"thing of the guide's Step 3): {m.group(0)!r}")
    run.expect(r"^virtio: slot 7: queue 0: \d+ entries \(device max \d+\), packed ring: ",
               "`virtio: slot 7: queue 0: N entries (device max M), packed ring: ...`")


def read_matches(run, command, sector, count):
    base, got = run.hexdump(command)
    want = pattern(sector, count)
    if base != sector * 512 or got != want:
        i = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
                 min(len(got), len(want)))
        raise Fail(f"`{command}` through the packed ring: {len(got)} bytes from 0x{base:x}, "
                   f"first difference at byte {i} (expected {len(want)} bytes from "
                   f"0x{sector * 512:x})")


def vq_state(run, nth=0):
    """(added, completed, avail idx, next avail slot, its wrap) from `vq`."""
    out = run.section("vq", nth)
    if "BROKEN" in out:
        raise Fail("`vq` says the queue is BROKEN: " + out.strip()[:300])
    m = re.search(r"^vq 0: size (\d+), free descriptors (\d+), in flight (\d+)$", out, re.M)
    a = re.search(r"^vq 0: avail idx (\d+), used idx (\d+), last used seen (\d+)", out, re.M)
    p = re.search(r"^vq 0: packed ring \(spec 2\.8\): next avail slot (\d+) wrap (\d), "
                  r"next used slot (\d+) wrap (\d)", out, re.M)
    c = re.search(r" (\d+) added, (\d+) completed", out)
    if not (m and a and p and c):
        raise Fail("`vq` should show the size, the indices, `packed ring (spec 2.8): next "
                   "avail slot N wrap W, next used slot N wrap W` and the counts: "
                   + out.strip()[:300])
    size, free, busy = map(int, m.groups())
    if free != size or busy != 0:
        raise Fail(f"an idle packed ring has all {size} slots free and nothing in flight; "
                   f"`vq` says {free} free, {busy} in flight")
    avail, used, seen = map(int, a.groups())
    if not avail == used == seen:
        raise Fail(f"idle: avail idx, used idx and last used seen should be equal: {a.group(0)}")
    slot, wrap, uslot, uwrap = map(int, p.groups())
    want_slot, want_wrap = avail % size, 1 - (avail // size) % 2
    if (slot, wrap) != (want_slot, want_wrap) or (uslot, uwrap) != (want_slot, want_wrap):
        raise Fail(f"after {avail} slots in a {size}-slot ring both sides should be at slot "
                   f"{want_slot} with wrap counter {want_wrap} (it starts at 1 and flips at "
                   f"every lap): {p.group(0)}")
    added, completed = map(int, c.groups())
    if added != completed:
        raise Fail(f"{added} chains added but {completed} completed")
    return added, avail, size


@test(11, "RING_PACKED is negotiated and reads through the packed ring are byte-exact",
      points=3, transports=(None,))
def packed_read(ctx):
    r = ctx.boot(["blk sum 300 40", "vq"], disks=[patterned(ctx)], transport=PACKED)
    negotiated(r)
    r.expect_sums("blk sum 300 40", 300, pattern(300, 40))
    vq_state(r)
    r.expect_exit(0)


@test(11, "a 16-slot ring without indirect descriptors wraps, chains split across its end",
      points=3, transports=(None,))
def small_ring_wraps(ctx):
    cmds = ["blk sum 300 40", "blk read 7 9", "vq"]
    r = ctx.boot(cmds, disks=[patterned(ctx)], transport=PACKED,
                 append="vq_size=16 indirect=off blk_max_kib=1")
    negotiated(r)
    r.expect_sums("blk sum 300 40", 300, pattern(300, 40))
    read_matches(r, "blk read 7 9", 7, 9)
    added, avail, size = vq_state(r)
    if size != 16:
        raise Fail(f"vq_size=16 should give a 16-slot ring, `vq` says {size}")
    if avail < 3 * added or avail < 4 * size:
        raise Fail(f"{added} chains of 3 slots each should have gone round the ring several "
                   f"times; avail idx is {avail}")


@test(11, "300 reads in flight, completed in any order, every byte right", points=3,
      transports=(None,))
def many_in_flight(ctx):
    disk = make_disk(ctx.scratch("s.img"), 8 << 20, sector_pattern)
    for append in ("vq_size=64 event_idx=off", None):
        r = ctx.boot(["blkstress 300 7", "blk"], disks=[disk], transport=PACKED, append=append,
                     timeout=60)
        negotiated(r)
        out = r.section("blkstress 300 7")
        m = re.search(r"^blkstress: (\d+) requests, (\d+) bytes, (\d+) mismatched$", out, re.M)
        if not m or int(m.group(1)) != 300 or int(m.group(3)) != 0:
            raise Fail(f"blkstress on the packed ring ({append or 'defaults'}): "
                       + (out.strip().splitlines() or ["(nothing)"])[-1])
        f = re.search(r"at most (\d+) in flight", r.output)
        if not f or int(f.group(1)) < 2:
            raise Fail("`blk` should show many requests in flight at once")
        r.expect_exit(0)


@test(11, "writes through the packed ring reach the disk image", points=2, transports=(None,))
def packed_write(ctx):
    path = patterned(ctx)
    with open(path, "rb") as f:
        before = f.read()
    r = ctx.boot(["blk write 100 Packed-Ring!", "blk write 3 wrap"], disks=[path],
                 transport=PACKED, append="vq_size=4 indirect=off")
    for cmd in ("blk write 100 Packed-Ring!", "blk write 3 wrap"):
        if not re.search(r"^blk write: done, flushed$", r.section(cmd), re.M):
            raise Fail(f"`{cmd}` should end with `blk write: done, flushed`: "
                       + r.section(cmd).strip()[-200:])
    want = bytearray(before)
    for sector, pat in ((100, b"Packed-Ring!"), (3, b"wrap")):
        want[sector * 512:(sector + 1) * 512] = (pat * (512 // len(pat) + 1))[:512]
    with open(path, "rb") as f:
        got = f.read()
    if got != bytes(want):
        i = next(k for k in range(len(got)) if got[k] != want[k])
        raise Fail(f"on the host, sector {i // 512} byte {i % 512} is 0x{got[i]:02x}, "
                   f"expected 0x{want[i]:02x}")
    r.expect_exit(0)


@test(11, "completions by interrupt, with and without EVENT_IDX", points=2, transports=(None,))
def packed_interrupts(ctx):
    for append in (None, "event_idx=off"):
        r = ctx.boot(["blk sum 0 64", "blk"], disks=[patterned(ctx)], transport=PACKED,
                     append=append)
        r.expect_sums("blk sum 0 64", 0, pattern(0, 64))
        m = re.search(r"^blk: (\d+) interrupts \((\d+) with used buffers\), completions by "
                      r"(\w+)", r.section("blk"), re.M)
        if not m or m.group(3) != "interrupt" or int(m.group(2)) == 0:
            raise Fail(f"with {append or 'defaults'} completions should come by interrupt: "
                       + (m.group(0) if m else r.section("blk").strip()[:200]))
        r.expect_exit(0)


@test(11, "virtio-rng and virtio-net run on packed rings too", points=2, transports=(None,))
def other_devices(ctx):
    r = ctx.boot(["random 64", "ping -i 0 10.0.2.2"], disks=[patterned(ctx)],
                 devices=["virtio-rng-device"], extra=NET, transport=PACKED, timeout=20)
    lines = re.findall(r"packed ring: desc", r.output)
    if len(lines) < 4:
        raise Fail(f"disk, rng and net's two queues should all be packed rings; {len(lines)} are")
    hexes = "".join(l.strip() for l in r.section("random 64").splitlines())
    if not re.fullmatch(r"[0-9a-f]{128}", hexes) or len(set(hexes)) < 8:
        raise Fail(f"`random 64` should print 64 random bytes in hex: {hexes[:140]!r}")
    if not re.search(r"^ping: \d+ sent, [1-9]\d* received, \d+ ms$",
                     r.section("ping -i 0 10.0.2.2"), re.M):
        raise Fail("`ping -i 0 10.0.2.2` over a packed ring got no reply: "
                   + r.section("ping -i 0 10.0.2.2").strip()[-200:])
    r.expect_exit(0)


@test(11, "packed=off keeps the split ring on the same device", points=1, transports=(None,))
def packed_off(ctx):
    r = ctx.boot(["blk read 5 3"], disks=[patterned(ctx)], transport=PACKED,
                 append="packed=off")
    m = r.expect(r"^virtio: features accepted 0x[0-9a-f]+: (.*)$", "the accepted feature line")
    if "RING_PACKED" in m.group(1).split():
        raise Fail("packed=off should keep RING_PACKED out of the accepted features")
    r.expect(r"^virtio: slot 7: queue 0: \d+ entries \(device max \d+\), desc 0x[0-9a-f]+ "
             r"avail 0x", "the split ring's queue line")
    read_matches(r, "blk read 5 3", 5, 3)
    r.expect_exit(0)
