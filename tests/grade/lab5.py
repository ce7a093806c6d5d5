"""Lab 5: writing and flushing. `blk write S PATTERN` overwrites one block
and flushes; the grader then reads the image on the host: exactly that block
changed, to exactly the pattern. Read-only disks refuse writes, and errors
from the device on a write or a flush are reported, not swallowed."""

import re

from gradelib import HEX_LINE, Fail, Skip, make_disk, sector_pattern, test

IMAGE = 1 << 20
SECTORS = IMAGE // 512


def dumped(run, command):
    return run.hexdump(command)


def filled(pat, n):
    return (pat.encode() * (n // len(pat) + 1))[:n]


def patterned(ctx, size=IMAGE):
    path = make_disk(ctx.scratch("d.img"), size, sector_pattern)
    with open(path, "rb") as f:
        return path, f.read()


def wrote_ok(run, command):
    out = run.section(command)
    if not re.search(r"^blk write: done, flushed$", out, re.M):
        raise Fail(f"`{command}` should end with `blk write: done, flushed`; it printed "
                   f"{out.strip()[-200:]!r}")


def write_failed(run, command, what, why):
    out = run.section(command)
    if re.search(r"^blk write: done", out, re.M):
        raise Fail(f"`{command}` should fail ({why}), but it says it is done")
    if not re.search(r"^blk write: sector \d+: .*" + what, out, re.M):
        raise Fail(f"`{command}` should fail with a message containing {what!r} ({why}); "
                   f"it printed {out.strip()[-200:]!r}")


def image_is(path, want, what):
    """The image on the host equals `want`; name the first sector that differs."""
    with open(path, "rb") as f:
        got = f.read()
    if len(got) != len(want):
        raise Fail(f"the image changed size: {len(got)} bytes, was {len(want)}")
    if got != want:
        i = next(k for k in range(len(got)) if got[k] != want[k])
        raise Fail(f"{what}: on the host, sector {i // 512} byte {i % 512} is 0x{got[i]:02x}, "
                   f"expected 0x{want[i]:02x}")


def overwrite(image, sector, data):
    b = bytearray(image)
    b[sector * 512:sector * 512 + len(data)] = data
    return bytes(b)


@test(5, "blk write changes exactly one block on the disk, and it reads back", points=4)
def write_reaches_disk(ctx):
    path, before = patterned(ctx)
    last = SECTORS - 1
    writes = [(100, "Eclipse-RV"), (last, "end!"), (0, "x")]
    cmds = [f"blk write {s} {p}" for s, p in writes] + ["blk read 100"]
    r = ctx.boot(cmds, disks=[path])
    for c in cmds[:-1]:
        wrote_ok(r, c)
    base, got = dumped(r, "blk read 100")
    if base != 100 * 512 or got != filled("Eclipse-RV", 512):
        raise Fail("`blk read 100` right after `blk write 100 Eclipse-RV` does not show the "
                   "pattern repeated over the sector")
    r.expect_exit(0)
    want = before
    for s, p in writes:
        want = overwrite(want, s, filled(p, 512))
    image_is(path, want, "after the writes")
    # a fresh boot reads what the last one wrote
    r = ctx.boot([f"blk read {last}", "blk read 101"], disks=[path])
    base, got = dumped(r, f"blk read {last}")
    if got != filled("end!", 512):
        raise Fail(f"after a reboot `blk read {last}` does not show the pattern written to it")
    base, got = dumped(r, "blk read 101")
    if got != sector_pattern(101):
        raise Fail("sector 101, next to the one written, changed")
    r.expect_exit(0)


@test(5, "writes to 4096-byte blocks", points=2)
def write_big_blocks(ctx):
    path, before = patterned(ctx)
    dev = ",logical_block_size=4096,physical_block_size=4096"
    r = ctx.boot(["blk write 16 4KiB-block!", "blk read 23"], disks=[{"file": path, "dev_opts": dev}])
    wrote_ok(r, "blk write 16 4KiB-block!")
    block = filled("4KiB-block!", 4096)
    _, got = dumped(r, "blk read 23")
    if got != block[7 * 512:]:
        raise Fail("`blk read 23` after writing the 4096-byte block at sector 16 does not show "
                   "the block's last sector")
    r.expect_exit(0)
    image_is(path, overwrite(before, 16, block), "after writing one 4096-byte block at sector 16")


@test(5, "a read-only disk refuses writes, and its bytes stay the same", points=2)
def read_only(ctx):
    path, before = patterned(ctx)
    r = ctx.boot(["blk write 5 nope", "blk flush", "blk read 5"],
                 disks=[{"file": path, "readonly": True}])
    r.expect(r"^virtio-blk: capacity .*read-only", "`read-only` in the capacity line")
    write_failed(r, "blk write 5 nope", "read-only", "the disk is read-only")
    if "overwriting" in r.section("blk write 5 nope"):
        raise Fail("`blk write 5 nope` on a read-only disk says it is overwriting the sector: "
                   "it is refused before any request")
    if not re.search(r"^blk flush: success$", r.section("blk flush"), re.M):
        raise Fail("`blk flush` on a read-only disk should still succeed: nothing is dirty")
    _, got = dumped(r, "blk read 5")
    if got != sector_pattern(5):
        raise Fail("sector 5 of the read-only disk reads back changed")
    r.expect_exit(0)
    image_is(path, before, "a read-only disk")


# words blk does not take: the usage, and no flush or change made
BLK_BAD = ["blk flush 1", "blk vda vdb", "blk timeout", "blk timeout 0", "blk timeout 3600001"]


@test(5, "blk flush succeeds", points=1)
def flush(ctx):
    path, before = patterned(ctx)
    r = ctx.boot(["blk flush", "blk write 7 flushme", "blk flush"] + BLK_BAD, disks=[path])
    if not re.search(r"^blk flush: success$", r.section("blk flush"), re.M):
        raise Fail("`blk flush` should print `blk flush: success`")
    for c in BLK_BAD:
        out = r.section(c)
        want = "usage: blk timeout MS   (MS 1..3600000" if "timeout" in c else "usage: blk "
        if not out.startswith(want) or re.search(r"^blk( flush)?: ", out, re.M):
            raise Fail(f"`{c}` should print only the usage ({want!r}...); it printed "
                       f"{out.strip()[:200]!r}")
    wrote_ok(r, "blk write 7 flushme")
    r.reject(r"^virtio-blk: request type", "a failed request")
    r.expect_exit(0)
    image_is(path, overwrite(before, 7, filled("flushme", 512)), "after `blk write 7 flushme`")


BLKDEBUG = ("driver=raw,file.driver=blkdebug,file.config={cfg},file.image.filename={img},"
            "if=none,id=d0,rerror=report,werror=report")


def blkdebug_disk(ctx, path, rule):
    cfg = ctx.scratch("blkdebug.cfg")
    with open(cfg, "w") as f:
        f.write("[inject-error]\n" + "".join(f'{k} = "{v}"\n' for k, v in rule.items()))
    return {"drive": BLKDEBUG.format(cfg=cfg, img=path)}


@test(5, "a write the device fails is reported; other sectors are still written", points=2)
def write_error(ctx):
    path, before = patterned(ctx)
    d = blkdebug_disk(ctx, path, {"event": "write_aio", "errno": "5", "sector": "12"})
    r = ctx.boot(["blk write 12 bad", "blk write 13 good", "echo still-alive"], disks=[d])
    write_failed(r, "blk write 12 bad", "I/O error", "QEMU fails every write to sector 12")
    wrote_ok(r, "blk write 13 good")
    if "still-alive" not in r.section("echo still-alive"):
        raise Fail("the shell stopped answering")
    r.expect_exit(0)
    image_is(path, overwrite(before, 13, filled("good", 512)),
             "after a failed write to 12 and a good one to 13")


@test(5, "a flush the device fails is reported", points=2)
def flush_error(ctx):
    path, _ = patterned(ctx)
    d = blkdebug_disk(ctx, path, {"event": "flush_to_disk", "iotype": "flush", "errno": "5"})
    # QEMU skips the flush when nothing was written since the last one, so
    # write first: the write lands, its flush fails, and so does the next
    r = ctx.boot(["blk write 20 dirty", "blk flush", "echo still-alive"], disks=[d])
    write_failed(r, "blk write 20 dirty", "I/O error", "QEMU fails every flush")
    out = r.section("blk flush")
    if not re.search(r"^blk flush: .*I/O error", out, re.M):
        raise Fail("QEMU fails every flush here: `blk flush` should report an I/O error, it "
                   f"printed {out.strip()[-200:]!r}")
    if "still-alive" not in r.section("echo still-alive"):
        raise Fail("the shell stopped answering")
    r.expect_exit(0)


@test(5, "blk write without a pattern, misaligned or in a partial block writes nothing",
      points=2)
def write_refused(ctx):
    # 1 MiB + 2560 bytes in 4096-byte blocks: sectors 2048-2052 are a
    # partial block the device cannot write
    path = make_disk(ctx.scratch("d.img"), IMAGE + 2560, sector_pattern)
    with open(path, "rb") as f:
        before = f.read()
    dev = ",logical_block_size=4096,physical_block_size=4096"
    cmds = ['blk write 8 ""', "blk write 8", "blk write 3 x", f"blk write {SECTORS} x",
            "echo still-alive"]
    r = ctx.boot(cmds, disks=[{"file": path, "dev_opts": dev}])
    for c in ('blk write 8 ""', "blk write 8"):
        out = r.section(c)
        if "usage: blk write SECTOR PATTERN" not in out or "blk write: done" in out:
            raise Fail(f"`{c}` should be refused: there is no pattern to write")
    write_failed(r, "blk write 3 x", r"must be a multiple of 8 \(the block size is 4096",
                 "4096-byte blocks start at multiples of 8 sectors")
    out = r.section(f"blk write {SECTORS} x")
    if not re.search(rf"^blk write: sector {SECTORS} count 8: .*partial 4096-byte block", out,
                     re.M):
        raise Fail(f"`blk write {SECTORS} x` should say the block is partial; it printed "
                   f"{out.strip()[-200:]!r}")
    if "still-alive" not in r.section("echo still-alive"):
        raise Fail("the shell stopped answering")
    r.expect_exit(0)
    image_is(path, before, "after writes that should all have been refused")


# --- several disks: the blk command takes a device name ------------------------------


def second_pattern(sector):
    """The second disk's sectors name it, so a read of the wrong disk shows."""
    head = f"DISK-B {sector:08d} ".encode()
    return head + bytes((sector * 13 + i) & 0xFF for i in range(512 - len(head)))


@test(5, "two disks, one of them PCI: `blk DEV` reads and writes the disk named", points=2)
def named_disks(ctx):
    path_a, image_a = patterned(ctx)
    path_b = make_disk(ctx.scratch("b.img"), IMAGE, second_pattern)
    with open(path_b, "rb") as f:
        image_b = f.read()
    # the second disk as most QEMU guides attach one: `-drive if=virtio`,
    # a PCI function on the virt board. Disks are named in discovery order,
    # mmio slots before the PCI bus: the first disk is vda on every transport
    drive_b = ["-drive", f"file={path_b},if=virtio,format=raw"]
    b_at = "pci 00:02.0" if ctx.pci else "pci 00:01.0"
    cmds = ["blk vda read 3", "blk vdb read 3", "blk read 3", "blk vdb write 8 Named-B",
            "blk vdb", "blk vdz read 1", "blk vdb mode poll", "echo still-alive"]
    r = ctx.boot(cmds, disks=[path_a], extra=drive_b)
    if "pci: 0 functions on bus" in r.output:
        raise Skip("no PCI function found: lab 10's enumeration is a stub in this tree")
    for command, want in (("blk vda read 3", sector_pattern(3)),
                          ("blk vdb read 3", second_pattern(3)),
                          ("blk read 3", sector_pattern(3))):
        base, got = dumped(r, command)
        if base != 3 * 512 or got != want:
            raise Fail(f"`{command}` should show sector 3 of "
                       f"{'the second disk' if 'vdb' in command else 'the first disk (vda, the root)'}"
                       f"; it starts {got[:16]!r}")
    wrote_ok(r, "blk vdb write 8 Named-B")
    if f"of virtio-blk ({b_at})" not in r.section("blk vdb write 8 Named-B"):
        raise Fail(f"`blk vdb write` should say it writes virtio-blk ({b_at})")
    info = r.section("blk vdb")
    if not re.search(rf"^blk: device virtio-blk \({re.escape(b_at)}\): {SECTORS} sectors", info,
                     re.M):
        raise Fail(f"`blk vdb` should describe virtio-blk ({b_at}), {SECTORS} sectors; it "
                   f"printed {info.strip()[:200]!r}")
    out = r.section("blk vdz read 1")
    if HEX_LINE.search(out) or not re.search(
            r'^blk: no block device named "vdz"; the devices are vda \(.*\), vdb \(.*\)$', out,
            re.M):
        raise Fail("`blk vdz read 1` should be refused, naming the devices there are (vda, "
                   f"vdb); it printed {out.strip()[:200]!r}")
    if "applies to every virtio-blk device" not in r.section("blk vdb mode poll"):
        raise Fail("`blk vdb mode poll` should say the mode is the driver's, not one disk's")
    r.alive()
    r.expect_exit(0)
    image_is(path_b, overwrite(image_b, 8, filled("Named-B", 512)), "after `blk vdb write 8`")
    image_is(path_a, image_a, "the first disk, after a write to the second")
