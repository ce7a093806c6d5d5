"""Lab 7: interrupts. Completions arrive through the PLIC, the data is the
same as with polling, polling can still be chosen, and an unexpected
exception is reported and ends QEMU with a failure status."""

import os
import re
from concurrent.futures import ThreadPoolExecutor

from gradelib import Fail, make_disk, sector_pattern, test

PLIC_SOURCE = 8  # QEMU puts one disk in slot 7: IRQ 1 + 7


def pattern_disk(ctx):
    return make_disk(ctx.scratch("p.img"), 1 << 20, sector_pattern)


def used_interrupts(text):
    m = re.findall(r"^blk: (\d+) interrupts \((\d+) with used buffers\), completions by (\w+)",
                   text, re.M)
    if not m:
        raise Fail("`blk` did not print its interrupt counters")
    return int(m[-1][1]), m[-1][2]


@test(7, "completions arrive by interrupt, one per request at depth 1", points=4)
def by_interrupt(ctx):
    r = ctx.boot(["blk", "blk read 1", "blk read 2", "blk read 3", "blk", "irq"],
                 disks=[pattern_disk(ctx)])
    r.expect(rf"^irq: virtio-blk on PLIC source {PLIC_SOURCE}, completions by interrupt$",
             "the interrupt checkpoint line")
    before, mode = used_interrupts(r.section("blk"))
    if mode != "interrupt":
        raise Fail(f"`blk` says completions by {mode}")
    after_text = r.output[r.output.find("eclipse> blk read 3"):]
    after, _ = used_interrupts(after_text)
    if after - before != 3:
        raise Fail(f"3 reads at depth 1 raised {after - before} used-buffer interrupts, expected 3")
    m = re.search(rf"^irq: source {PLIC_SOURCE}: (\d+)$", r.section("irq"), re.M)
    if not m or int(m.group(1)) < 3:
        raise Fail(f"`irq` does not count at least 3 interrupts from PLIC source {PLIC_SOURCE}")
    r.expect_exit(0)


@test(7, "interrupt and polling modes read the same bytes", points=3)
def same_data(ctx):
    r = ctx.boot(["blk read 9 2", "blk mode poll", "blk read 9 2"], disks=[pattern_disk(ctx)])
    _, irq_bytes = r.hexdump("blk read 9 2", 0)
    _, poll_bytes = r.hexdump("blk read 9 2", 1)
    want = sector_pattern(9) + sector_pattern(10)
    if irq_bytes != want:
        raise Fail("sectors 9-10 read by interrupt differ from the disk")
    if poll_bytes != want:
        raise Fail("sectors 9-10 read by polling differ from the disk")
    r.expect(r"^blk: completions by polling$", "`blk mode poll` to switch to polling")
    r.expect_exit(0)


@test(7, "irq=off on the command line keeps polling", points=2)
def irq_off(ctx):
    r = ctx.boot(["blk", "blk read 4", "blk read 5", "blk"], disks=[pattern_disk(ctx)],
                 append="irq=off")
    r.expect(r"^irq: irq=off: completions by polling$", "the irq=off checkpoint line")
    before, mode = used_interrupts(r.section("blk"))
    after, mode2 = used_interrupts(r.output[r.output.find("eclipse> blk read 5"):])
    if mode2 != "polling":
        raise Fail(f"`blk` says completions by {mode2} with irq=off")
    if after != before:
        raise Fail("with polling, reads still raised used-buffer interrupts")
    r.expect_exit(0)


@test(7, "an unexpected exception is reported and fails the run", points=2)
def exception_report(ctx):
    r = ctx.boot(["crash"], disks=[pattern_disk(ctx)])
    r.expect(r"^trap: unexpected exception 2 \(illegal instruction\)$", "the exception report")
    r.expect(r"^trap: sepc 0x8020[0-9a-f]{4} stval 0x[0-9a-f]+", "sepc and stval")
    if r.timed_out or r.status == 0:
        raise Fail(f"QEMU should exit with a failure status, got {r.status}")


OPENSBI_DIR = "/usr/lib/riscv64-linux-gnu/opensbi/generic"


def smp_boot(ctx, disk, bios):
    extra = ["-smp", "4"]
    if bios:
        extra += ["-bios", bios]
    # read-only: the parallel boots share the image
    return ctx.boot(["blk read 1", "blk read 2", "blk read 3", "blk", "irq"],
                    disks=[{"file": disk, "readonly": True}], extra=extra, timeout=60)


@test(7, "with -smp 4 interrupts reach whichever hart OpenSBI booted", points=3,
      transports=("legacy",))
def smp_any_hart(ctx):
    # OpenSBI starts the kernel on the hart that wins a race, so three
    # boots (two of them with the firmware files users pass with -bios),
    # two at a time, may land on several harts; hart 0 wins most races on
    # an idle host. Each must take its own PLIC context and complete every
    # request by interrupt, never by the 5 s timeout. -smp 4 boots are
    # slow on a loaded host: they get 60 s.
    disk = pattern_disk(ctx)
    firmwares = [None] + [os.path.join(OPENSBI_DIR, f) for f in ("fw_jump.elf", "fw_dynamic.bin")
                          if os.path.exists(os.path.join(OPENSBI_DIR, f))]
    while len(firmwares) < 3:
        firmwares.append(None)
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda fw: smp_boot(ctx, disk, fw), firmwares))
    harts = []
    for fw, r in zip(firmwares, runs):
        where = f"(-smp 4, -bios {fw or 'default'})"
        m = r.expect(r"^Eclipse RV: hart (\d+),", "the boot banner")
        hart = int(m.group(1))
        harts.append(hart)
        c = r.expect(r"^irq: hart (\d+) takes PLIC context (\d+) \(from the device tree\)$",
                     f"the PLIC context read from the device tree {where}")
        if int(c.group(1)) != hart or int(c.group(2)) != 2 * hart + 1:
            raise Fail(f"hart {hart} took PLIC context {c.group(2)}, expected {2 * hart + 1} "
                       f"{where}")
        out = r.section("blk")
        used, mode = used_interrupts(out)
        s = re.search(r"^blk: (\d+) requests, (\d+) errors, (\d+) timeouts", out, re.M)
        if not s:
            raise Fail(f"`blk` did not print its request counters {where}")
        if mode != "interrupt" or int(s.group(3)) != 0 or used < int(s.group(1)):
            raise Fail(f"on hart {hart} {where}: {s.group(1)} requests, {s.group(3)} timeouts, "
                       f"{used} used-buffer interrupts, completions by {mode}")
        # the race picks hart 0 most of the time, so every boot also checks
        # what the device tree gives each of the four harts
        got = re.findall(r"^irq: hart (\d+): S-mode PLIC context (-?\d+)( \(this hart\))?$",
                         r.section("irq"), re.M)
        want = [(str(h), str(2 * h + 1), " (this hart)" if h == hart else "") for h in range(4)]
        if got != want:
            raise Fail(f"`irq` should list the S-mode contexts {want}; it listed {got} {where}")
        if r.hexdump("blk read 3")[1] != sector_pattern(3):
            raise Fail(f"sector 3 read on hart {hart} differs from the disk {where}")
        r.expect_exit(0)
