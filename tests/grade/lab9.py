"""Lab 9: two more devices on the same transport and the same virtqueue.
virtio-rng (one queue the device fills with random bytes) and virtio-net
(a receive queue kept full, a transmit queue, a header on every packet
whose size depends on the transport), next to the disk, which must keep
working. QEMU's user-mode network answers ARP and pings for its gateway
10.0.2.2 with the MAC 52:55:0a:00:02:02."""

import re
import shutil

from gradelib import Fail, test

RNG = "virtio-rng-device"
MAC = "52:54:00:12:34:56"
GATEWAY_MAC = "52:55:0a:00:02:02"  # libslirp's vhost MAC: 52:55 then 10.0.2.2
NET = ["-netdev", "user,id=n0", "-device", f"virtio-net-device,netdev=n0,mac={MAC}"]


def disk(ctx):
    """A private copy of the sample disk, so that a test may boot with it."""
    path = ctx.scratch("sample.img")
    shutil.copy(ctx.path("build", "sample.img"), path)
    return path


def hex_bytes(text):
    """The bytes printed by `random`: lines of hex digits only."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if not lines or not all(re.fullmatch(r"(?:[0-9a-f]{2})+", l) for l in lines):
        raise Fail(f"`random` should print only hex bytes, it printed {text.strip()[:120]!r}")
    return bytes.fromhex("".join(lines))


@test(9, "random 64 twice: 64 varied bytes, different each time", points=3)
def random_bytes(ctx):
    r = ctx.boot(["random 64", "random 64", "random"], disks=[disk(ctx)], devices=[RNG],
                 timeout=10)
    # the disk is the first device of the command line, the rng the second
    r.expect(rf"^virtio-rng: {re.escape(ctx.where(1))}, {ctx.interface} transport",
             f"the rng probe line (`virtio-rng: {ctx.where(1)}, {ctx.interface} transport`)")
    outs = r.output.split("eclipse> random 64\n")
    if len(outs) != 3:
        raise Fail("the shell did not run `random 64` twice")
    a = hex_bytes(outs[1].split("eclipse> ")[0])
    b = hex_bytes(outs[2].split("eclipse> ")[0])
    if len(a) != 64 or len(b) != 64:
        raise Fail(f"`random 64` printed {len(a)} and {len(b)} bytes, expected 64")
    if len(set(a)) < 8:
        raise Fail(f"64 random bytes with only {len(set(a))} distinct values: {a.hex()}")
    if a == b:
        raise Fail("two `random 64` printed the same bytes")
    if len(hex_bytes(r.section("random"))) != 16:
        raise Fail("`random` without N should print 16 bytes")
    r.expect_exit(0)


@test(9, "a rate-limited rng (QEMU's max-bytes, period; libvirt sets them): what it gives, "
      "and why not more, without a reset", points=1)
def rate_limited_rng(ctx):
    # 16 bytes a minute: `random 64` gets the first 16, then the device is
    # quiet for the rest of the boot. Slow is not broken: the driver says
    # how many bytes came and keeps its request with the device instead of
    # resetting it over and over.
    bad = ["random 0", "random 1025", "random 12x", "random stats now"]
    r = ctx.boot(["random 64", "random 8"] + bad + ["random stats", "echo still-alive"],
                 disks=[disk(ctx)],
                 devices=[RNG + ",rng=r0,max-bytes=16,period=60000"],
                 extra=["-object", "rng-builtin,id=r0"], timeout=15)
    out = r.section("random 64")
    got = hex_bytes("\n".join(l for l in out.splitlines() if not l.startswith("random:")))
    if len(got) != 16:
        raise Fail(f"`random 64` on a device that gives 16 bytes printed {len(got)} bytes")
    if not re.search(r"^random: 16 of 64 bytes: ", out, re.M):
        raise Fail("`random 64` should end with `random: 16 of 64 bytes: ...` (why not more)")
    if "random: the device gave no bytes" not in r.section("random 8"):
        raise Fail("`random 8` on the quiet device should say it gave no bytes")
    r.reject(r"resetting the device", "a reset of a device that was only slow")
    for c in bad:
        if "usage: random [N | stats], 1 <= N <= 1024" not in r.section(c):
            raise Fail(f"`{c}` should print the usage line; it printed "
                       + repr(r.section(c).strip()[:200]))
    # Two requests, since bad arguments ask the device for nothing: the
    # first answered with 16 bytes, the second still with the device when
    # both reads gave up on it (a driver that posts a new request every
    # read would count three)
    want = "random: 2 requests, 16 bytes, 1 short answers, 2 waits ran out, 0 resets"
    if want not in r.section("random stats"):
        raise Fail(f"`random stats` should say `{want}`; it printed "
                   + repr(r.section("random stats").strip()[:200]))
    r.alive()
    r.expect_exit(0)


@test(9, "a notification the rng never got is sent again: random still answers, every time",
      points=1)
def rng_lost_notification(ctx):
    # With EVENT_IDX a lost notification leaves the device's avail_event
    # behind, so every later kick is suppressed too: without the driver's
    # second notification every `random` after it gives nothing (README,
    # "Lost notifications")
    r = ctx.boot(["faultinject kick 1 rng", "random 16", "random 16", "random stats"],
                 disks=[disk(ctx)], devices=[RNG], timeout=15)
    outs = r.output.split("eclipse> random 16\n")
    if len(outs) != 3:
        raise Fail("the shell did not run `random 16` twice")
    for out in outs[1:]:
        got = hex_bytes(out.split("eclipse> ")[0])
        if len(got) != 16:
            raise Fail(f"`random 16` after a lost notification printed {len(got)} bytes")
    if not re.search(r"^random: 2 requests, 32 bytes, 0 short answers, 0 waits ran out, 0 resets",
                     r.section("random stats"), re.M):
        raise Fail("`random stats` should count 2 requests, 32 bytes and no wait that ran out; "
                   f"it printed {r.section('random stats').strip()[:200]!r}")
    r.expect_exit(0)


@test(9, "without the devices, random and net say so plainly", points=1)
def no_devices(ctx):
    r = ctx.boot(["random 8", "net", "arp 10.0.2.2"], disks=[disk(ctx)], timeout=10)
    r.expect(r"^virtio-rng: no entropy device$", "one boot line saying there is no rng")
    r.expect(r"^virtio-net: no network device$", "one boot line saying there is no nic")
    if "no virtio-rng device" not in r.section("random 8"):
        raise Fail("`random` without the device should say there is no virtio-rng device")
    if "no virtio-net device" not in r.section("net"):
        raise Fail("`net` without the device should say there is no virtio-net device")
    if "no virtio-net device" not in r.section("arp 10.0.2.2"):
        raise Fail("`arp` without the device should say there is no virtio-net device")
    r.expect_exit(0)


@test(9, "arp 10.0.2.2 gets QEMU's gateway MAC; our MAC comes from config; Ctrl-C stops "
      "a ping", points=3)
def arp_gateway(ctx):
    # 10.0.2.99 answers nothing: 1000 pings would wait 1000 s, unless the
    # Ctrl-C typed after the command stops them (what follows it still runs)
    # three pings 200 ms apart take 400 ms at least (the gap is a floor:
    # a loaded host only makes it longer); a gap or count out of range is
    # refused with the usage
    bad = ["ping -i 60001 10.0.2.2", "ping -c 0 10.0.2.2", "ping -x 1 10.0.2.2"]
    r = ctx.boot(["arp 10.0.2.2", "net", "ping -c 3 -i 200 10.0.2.2"] + bad +
                 ["ping -c 1000 10.0.2.99\r\x03echo after-ping"],
                 disks=[disk(ctx)], extra=NET, timeout=10)
    hdr = 10 if ctx.legacy else 12
    r.expect(rf"^virtio-net: {re.escape(ctx.where(1))}, {ctx.interface} transport, MAC {MAC}, "
             rf"header {hdr} bytes", f"the MAC {MAC} and a {hdr}-byte header on the "
             f"{ctx.interface} transport")
    out = r.section("arp 10.0.2.2")
    if f"arp: 10.0.2.2 is at {GATEWAY_MAC}" not in out:
        raise Fail(f"`arp 10.0.2.2` should answer {GATEWAY_MAC}, it printed {out.strip()!r}")
    net = r.section("net")
    if not re.search(rf"^net: MAC {MAC}, link up$", net, re.M):
        raise Fail(f"`net` should print 'net: MAC {MAC}, link up', it printed {net.strip()!r}")
    out = r.section("ping -c 3 -i 200 10.0.2.2")
    m = re.search(r"^ping: 3 sent, 3 received, (\d+) ms$", out, re.M)
    if not m or int(m.group(1)) < 400:
        raise Fail("`ping -c 3 -i 200 10.0.2.2` should get 3 replies over 400 ms or more; it "
                   f"printed {out.strip()[-200:]!r}")
    for c in bad:
        if not r.section(c).startswith("usage: ping [-c N] [-i MS] A.B.C.D"):
            raise Fail(f"`{c}` should print the usage; it printed {r.section(c).strip()[:200]!r}")
    ping = r.section("ping -c 1000 10.0.2.99")
    stopped = re.search(r"^ping: interrupted\nping: [01] sent, 0 received, \d+ ms$", ping, re.M)
    after = "after-ping" in r.section("echo after-ping")
    if not (stopped and after):
        raise Fail("Ctrl-C during `ping -c 1000` should stop it at once ('ping: interrupted' "
                   "and what it sent), and the command typed after it should run: "
                   f"{ping.strip()[-200:]!r}, then the echo {'ran' if after else 'did not'}")
    r.expect_exit(0)


@test(9, "a ping burst wraps the rx queue: buffers recycled, nothing dropped, the disk reads",
      points=3)
def ping_burst(ctx):
    with open(ctx.path("disk", "readme.txt")) as f:
        first = f.readline().rstrip("\n")
    # 50 replies wrap the driver's small rx queue; legacy PCI fixes it at
    # the device's size, 256 at least for virtio-net, so 300 pings there
    n = 300 if ctx.fixed_queue_size else 50
    # -i 0: back to back, a burst (one a second, the default, would take minutes)
    r = ctx.boot([f"ping -c {n} -i 0 10.0.2.2", "net", "cat /readme.txt"], disks=[disk(ctx)],
                 devices=[RNG], extra=NET, timeout=15)
    out = r.section(f"ping -c {n} -i 0 10.0.2.2")
    if f"ping: {n} sent, {n} received" not in out:
        raise Fail("QEMU's gateway answers every ping; got: " + out.strip()[-200:])
    net = r.section("net")
    q = re.search(r"^net: rx queue (\d+) entries, (\d+) buffers", net, re.M)
    c = re.search(r"^net: rx (\d+) packets, (\d+) bytes; tx (\d+) packets", net, re.M)
    d = re.search(r"^net: drops: (\d+) bad rx, (\d+) tx, rx ring empty (\d+) times", net, re.M)
    if not (q and c and d):
        raise Fail("`net` should print the rx queue, the counters and the drops")
    entries, rx = int(q.group(1)), int(c.group(1))
    if rx <= entries:
        raise Fail(f"{rx} frames received on a {entries}-entry queue: buffers were not reused")
    if int(c.group(3)) < n or any(int(x) for x in d.groups()):
        raise Fail(f"expected at least {n} frames sent and no drops: " + d.group(0))
    if first not in r.section("cat /readme.txt"):
        raise Fail("with the rng and the nic present, `cat /readme.txt` no longer reads")
    r.expect_exit(0)


@test(9, "three disks: `mount DEV` moves / to a disk with EclipseFS, refuses one without",
      points=2)
def mount_by_name(ctx):
    # vda holds no file system, vdb and vdc the sample volume: the root is
    # vdb, the first disk that holds EclipseFS
    blank = ctx.scratch("blank.img")
    with open(blank, "wb") as f:
        f.truncate(1 << 20)
    vdb, vdc = disk(ctx), ctx.scratch("copy.img")
    shutil.copy(vdb, vdc)
    with open(ctx.path("disk", "readme.txt")) as f:
        first = f.readline().rstrip("\n")
    cmds = ["mount vda", "cat /readme.txt", "mount vdc", "mount", "cat /readme.txt", "blk",
            "mount vdc", "mount vdz", "mount"]
    # disks are named in discovery order: mmio slots upwards from 0 (given
    # here, or QEMU would fill them from 7 down), PCI functions by number
    r = ctx.boot(cmds, disks=[{"file": f, "slot": i} for i, f in enumerate((blank, vdb, vdc))],
                 timeout=15)
    b, c = (ctx.where(i) if ctx.pci else f"slot {i}" for i in (1, 2))
    r.expect(rf"^fs: root is vdb \(virtio-blk \({re.escape(b)}\)\): the first disk that holds "
             "EclipseFS$", "the boot line choosing vdb as the root")
    out = r.section("mount vda")
    if not re.search(rf"^mount: vda not mounted; / is still vdb \(virtio-blk \({re.escape(b)}\)\)$",
                     out, re.M):
        raise Fail(f"`mount vda` (no EclipseFS there) should leave / on vdb; it printed "
                   f"{out.strip()[-200:]!r}")
    if first not in r.section("cat /readme.txt"):
        raise Fail("after the refused `mount vda`, / no longer reads")
    out = r.section("mount vdc")
    if not re.search(rf"^mount: vdc \(virtio-blk \({re.escape(c)}\)\) on /", out, re.M):
        raise Fail(f"`mount vdc` should mount the third disk; it printed {out.strip()[-200:]!r}")
    if not r.section(("mount", 0)).startswith(f"virtio-blk ({c}) on / type eclipsefs"):
        raise Fail(f"after `mount vdc`, `mount` should show virtio-blk ({c}) on /")
    if first not in r.section(("cat /readme.txt", 1)):
        raise Fail("`cat /readme.txt` does not read from the newly mounted vdc")
    if not re.search(rf"^blk: root device virtio-blk \({re.escape(c)}\):", r.section("blk"), re.M):
        raise Fail("after `mount vdc`, `blk` should name vdc as the root device")
    if "is mounted on / already" not in r.section(("mount vdc", 1)):
        raise Fail("a second `mount vdc` should say it is mounted already")
    out = r.section("mount vdz")
    if not re.search(r'^mount: no block device named "vdz"; the devices are vda .*vdb .*vdc ',
                     out, re.M):
        raise Fail(f"`mount vdz` should be refused, naming vda, vdb and vdc; it printed "
                   f"{out.strip()[-200:]!r}")
    if not r.section(("mount", 1)).startswith(f"virtio-blk ({c}) on /"):
        raise Fail("a refused `mount vdz` changed the mounted volume")
    r.expect_exit(0)
