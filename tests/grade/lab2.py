"""Lab 2: initialise and negotiate (spec 3.1.1). The driver reads the
device's 64 feature bits, accepts exactly the ones it implements, and on a
modern device sets FEATURES_OK and checks that it held; a legacy device has
no FEATURES_OK step."""

import re
import subprocess

from gradelib import PACKED_TRANSPORTS, QEMU, Fail, make_disk, test

# Feature bits by the names the kernel prints (spec 5.2.3 and 6).
NAMES = {
    1: "SIZE_MAX", 2: "SEG_MAX", 4: "GEOMETRY", 5: "RO", 6: "BLK_SIZE", 7: "SCSI",
    9: "FLUSH", 10: "TOPOLOGY", 11: "CONFIG_WCE", 12: "MQ", 13: "DISCARD",
    14: "WRITE_ZEROES", 15: "LIFETIME", 16: "SECURE_ERASE", 17: "ZONED",
    24: "NOTIFY_ON_EMPTY", 27: "ANY_LAYOUT", 28: "RING_INDIRECT_DESC",
    29: "RING_EVENT_IDX", 32: "VERSION_1", 33: "ACCESS_PLATFORM", 34: "RING_PACKED",
    35: "IN_ORDER", 36: "ORDER_PLATFORM", 37: "SR_IOV", 38: "NOTIFICATION_DATA",
    40: "RING_RESET",
}
BIT = {name: bit for bit, name in NAMES.items()}

# What this driver implements: nothing else may ever be accepted.
WHITELIST = sum(1 << BIT[n] for n in ("VERSION_1", "SIZE_MAX", "SEG_MAX", "RO", "BLK_SIZE",
                                      "FLUSH", "RING_INDIRECT_DESC", "RING_EVENT_IDX"))

# What QEMU 7.2's virtio-blk offers by default on each transport. A legacy
# PCI function also offers bit 30 (BAD_FEATURE of the pre-1.0 interface):
# it is there to catch a driver that accepts everything, and the whitelist
# below keeps it out.
QEMU72_OFFERED = {"legacy": 0x31006ED4, "modern": (0x101 << 32) | 0x30006E54,
                  "pci-legacy": 0x71006ED4, "pci": (0x101 << 32) | 0x30006E54}
# packed=on (the packed transports' devices) adds RING_PACKED, which the
# virtqueue implements (spec 2.8) and accepts for every driver
PACKED = 1 << BIT["RING_PACKED"]
QEMU72_OFFERED["modern-packed"] = QEMU72_OFFERED["modern"] | PACKED
QEMU72_OFFERED["pci-packed"] = QEMU72_OFFERED["pci"] | PACKED
# What any QEMU virtio-blk offers: enough to tell a driver that reads the
# wrong word, or only one of the two, from one that reads both.
CORE = sum(1 << BIT[n] for n in ("SEG_MAX", "BLK_SIZE", "FLUSH", "RING_INDIRECT_DESC",
                                 "RING_EVENT_IDX"))

_qemu_version = []


def qemu_is_72():
    if not _qemu_version:
        try:
            out = subprocess.run([QEMU, "--version"], capture_output=True, text=True).stdout
        except OSError:
            out = ""
        m = re.search(r"version (\d+)\.(\d+)", out)
        _qemu_version.append((int(m.group(1)), int(m.group(2))) if m else None)
    return _qemu_version[0] == (7, 2)


def names_of(bits):
    return [NAMES.get(b, f"bit{b}") for b in range(64) if bits >> b & 1]


def features(run, label):
    """(value, match) of the first `virtio: features LABEL 0x...: NAMES` line,
    after checking that the names spell the value."""
    m = run.expect(rf"^virtio: features {label}\s+0x([0-9a-fA-F]{{16}}):(.*)$",
                   f"a `virtio: features {label} 0x<16 hex digits>: NAMES` line")
    value = int(m.group(1), 16)
    names = m.group(2).split()
    if names != names_of(value):
        raise Fail(f"the {label} line names {names}, but 0x{value:016x} is {names_of(value)}")
    return value, m


def negotiated(ctx, run, disabled=0, not_offered=0):
    """Check the offered and accepted lines; return (offered, accepted).
    disabled: bits the driver was told not to accept (boot arguments);
    not_offered: bits the device was told not to offer (device options)."""
    offered, mo = features(run, "offered")
    accepted, ma = features(run, "accepted")
    if ma.start() < mo.start():
        raise Fail("the accepted features are printed before the offered ones")
    if ctx.legacy and offered >> 32:
        raise Fail(f"a legacy device has only 32 feature bits, but offered is 0x{offered:016x}: "
                   "is DeviceFeaturesSel ignored on version 1?")
    if not ctx.legacy and not offered >> BIT["VERSION_1"] & 1:
        raise Fail(f"offered 0x{offered:016x} lacks VERSION_1 (bit 32): read the high word "
                   "with DeviceFeaturesSel = 1")
    core = CORE & ~not_offered
    if offered & core != core:
        raise Fail(f"offered 0x{offered:016x} lacks {names_of(core & ~offered)}, which QEMU "
                   "always offers: is DeviceFeaturesSel written before each read?")
    if extra := accepted & ~offered:
        raise Fail(f"accepted features the device never offered: {names_of(extra)}")
    implemented = WHITELIST | (PACKED if ctx.transport in PACKED_TRANSPORTS else 0)
    if ctx.transport in PACKED_TRANSPORTS and not offered & PACKED:
        raise Fail(f"offered 0x{offered:016x} lacks RING_PACKED, which a packed=on device "
                   "offers in the high word")
    if extra := accepted & ~implemented:
        raise Fail(f"accepted features this driver does not implement: {names_of(extra)}")
    want = offered & implemented & ~disabled
    if ctx.legacy:
        want &= ~(1 << BIT["VERSION_1"])
    if accepted != want:
        missing = names_of(want & ~accepted)
        raise Fail(f"accepted 0x{accepted:016x}, expected 0x{want:016x} (the offered features "
                   f"the driver implements); missing {missing}")
    return offered, accepted


def disk(ctx, **kw):
    return dict(file=make_disk(ctx.scratch("d.img"), 1 << 20), **kw)


@test(2, "offered and accepted features, by name and exactly", points=3)
def offered_accepted(ctx):
    r = ctx.boot(disks=[disk(ctx)])
    offered, _ = negotiated(ctx, r)
    if qemu_is_72() and offered != QEMU72_OFFERED[ctx.transport]:
        raise Fail(f"QEMU 7.2 offers 0x{QEMU72_OFFERED[ctx.transport]:016x} on the "
                   f"{ctx.transport} transport, the kernel printed 0x{offered:016x}")
    r.expect_exit(0)


@test(2, "FEATURES_OK on modern devices, none on legacy ones", points=2)
def features_ok(ctx):
    r = ctx.boot(disks=[disk(ctx)])
    _, ma = features(r, "accepted")
    where = re.escape(ctx.where())
    ok = rf"^virtio: {where}: FEATURES_OK held$"
    legacy = rf"^virtio: {where}: legacy device: no FEATURES_OK step$"
    if not ctx.legacy:
        m = r.expect(ok, f"`virtio: {ctx.where()}: FEATURES_OK held`")
        r.reject(legacy, "the legacy line on a modern device")
    else:
        m = r.expect(legacy, f"`virtio: {ctx.where()}: legacy device: no FEATURES_OK step`")
        r.reject(ok, "FEATURES_OK on a legacy device")
    if m.start() < ma.start():
        raise Fail("the FEATURES_OK step is printed before the features are accepted")
    r.reject(r"refused the features|lacks required features", "a refused negotiation")
    q = re.search(rf"^virtio: {where}: queue ", r.output, re.M)
    if q and q.start() < m.start():
        raise Fail("queue 0 was set up before the features were final")
    r.expect_exit(0)


@test(2, "boot arguments event_idx=off and indirect=off drop those features", points=2)
def bootarg_features(ctx):
    for arg, name in (("event_idx=off", "RING_EVENT_IDX"), ("indirect=off", "RING_INDIRECT_DESC")):
        r = ctx.boot(disks=[disk(ctx)], append=arg)
        offered, accepted = negotiated(ctx, r, disabled=1 << BIT[name])
        if not offered >> BIT[name] & 1:
            raise Fail(f"with `{arg}` the device should still offer {name}")
        r.expect_exit(0)


@test(2, "features the device does not offer are not accepted", points=2)
def device_options(ctx):
    for opt, name in ((",event_idx=off", "RING_EVENT_IDX"),
                      (",indirect_desc=off", "RING_INDIRECT_DESC")):
        r = ctx.boot(disks=[disk(ctx, dev_opts=opt)])
        offered, _ = features(r, "offered")
        if offered >> BIT[name] & 1:
            raise Fail(f"with the device option `{opt[1:]}` {name} is still in the offered line")
        negotiated(ctx, r, not_offered=1 << BIT[name])
        if not ctx.legacy:
            r.expect(rf"^virtio: {re.escape(ctx.where())}: FEATURES_OK held$", "FEATURES_OK held")
        r.expect_exit(0)


@test(2, "a read-only disk: RO is offered and accepted", points=1)
def read_only(ctx):
    r = ctx.boot(disks=[disk(ctx, readonly=True)])
    offered, accepted = negotiated(ctx, r)
    if not accepted >> BIT["RO"] & 1:
        raise Fail("a read-only drive must offer RO, and the driver must accept it")
    r.expect_exit(0)


@test(2, "QEMU's own checks (-d guest_errors) find nothing wrong with the device set-up",
      points=1)
def no_guest_errors(ctx):
    # QEMU validates what the guest does to its devices and, with -d
    # guest_errors, logs each misuse: a feature word a legacy device does
    # not have, a queue set up out of order, a register written with the
    # wrong width. A driver that works can still do these; this boot
    # (a disk and an entropy device, a read, a write and a flush) must
    # leave the log empty.
    log = ctx.scratch("guest-errors.log")
    r = ctx.boot(["blk read 1", "blk write 5 1", "blk flush", "random 8"],
                 disks=[disk(ctx)], devices=["virtio-rng-device"],
                 extra=["-d", "guest_errors", "-D", log])
    r.expect_exit(0)
    with open(log, errors="replace") as f:
        errors = [line.strip() for line in f if line.strip()]
    if errors:
        raise Fail(f"QEMU logged {len(errors)} guest error(s), the first: {errors[0]!r}")

