"""Lab 1: discover. Every virtio-mmio slot is probed; devices are found in
whatever slot QEMU puts them; empty slots are skipped."""

from gradelib import Fail, Skip, make_disk, test

BASE = 0x10001000


def map_line(slot, version, device, name):
    kind = "legacy" if version == 1 else "modern"
    return (rf"^virtio: slot {slot} @ 0x{BASE + slot * 0x1000:x}: version {version} "
            rf"\({kind}\), device {device} \({name}\), vendor 0x554d4551$")


def version(ctx):
    return 1 if ctx.legacy else 2


def mmio_slots(ctx):
    """These tests place devices in given mmio slots and read the slot map:
    over PCI there are no slots, and lab 10's grader checks enumeration."""
    if ctx.pci:
        raise Skip(f"about virtio-mmio slots; on {ctx.transport} the devices are PCI "
                   "functions (lab 10 grades their enumeration)")


@test(1, "a disk in QEMU's first-filled slot (7) is found", points=2)
def disk_in_slot7(ctx):
    mmio_slots(ctx)
    disk = make_disk(ctx.scratch("d.img"), 1 << 20)
    r = ctx.boot(disks=[disk])
    r.expect(map_line(7, version(ctx), 2, "block"), "slot 7 listed as a block device")
    r.expect(r"^virtio: 1 device found$", "a count of 1 device")
    r.expect_exit(0)


@test(1, "a disk in slot 0 and an entropy device are both found", points=3)
def disk_slot0_and_rng(ctx):
    mmio_slots(ctx)
    disk = make_disk(ctx.scratch("d.img"), 1 << 20)
    r = ctx.boot(disks=[{"file": disk, "slot": 0}], devices=["virtio-rng-device"])
    r.expect(map_line(0, version(ctx), 2, "block"), "slot 0 listed as a block device")
    r.expect(map_line(7, version(ctx), 4, "entropy"), "slot 7 listed as an entropy device")
    r.expect(r"^virtio: 2 devices found$", "a count of 2 devices")
    r.reject(r"^virtio: slot [1-6] @", "an empty slot in the map")
    r.expect_exit(0)


@test(1, "no virtio device at all: an empty map, and the shell still works", points=2)
def no_devices(ctx):
    r = ctx.boot(["devices", "echo still-alive"])
    r.expect(r"^virtio: 0 devices found$", "a count of 0 devices")
    r.reject(r"^virtio: slot \d", "any slot in the map")
    if "still-alive" not in r.section("echo still-alive"):
        raise Fail("the shell stopped answering after an empty scan")
    r.expect_exit(0)


@test(1, "the devices command prints the same map", points=2)
def devices_command(ctx):
    mmio_slots(ctx)
    disk = make_disk(ctx.scratch("d.img"), 1 << 20)
    r = ctx.boot(["devices"], disks=[{"file": disk, "slot": 3}])
    out = r.section("devices")
    import re
    if not re.search(map_line(3, version(ctx), 2, "block"), out, re.M):
        raise Fail("`devices` does not list the disk in slot 3")
    r.expect_exit(0)
