#!/bin/sh
# `benchloop`, the command behind `make bench`'s look at QEMU's threads
# (tools/bench_threads.py), checked on every `make test`: one boot with a
# 4 MiB disk and one with a disk too small for it. Checks that
#   - a bad loop name, pass count, pause or extra argument gets the usage,
#   - each loop (driver, poll, floor, bare) prints the line
#     bench_threads.py reads, with at least a notification per batch of
#     32 reads (more when the device answers a batch in parts) and at most
#     one per read, and its gaps and notification times,
#   - a pause holds every notification back: 10 ms a notification makes
#     a pass at least that times its notifications (a pass without takes
#     under 2 ms a notification even under make test's load),
#   - a `faultinject kick` still pending is taken off rather than lost in
#     the floor loop (which has no second notification and would wait
#     5 s for a lost one, then fail),
#   - the queue comes back whole: `blkstress`, which checks what it reads
#     against the disk's pattern, passes after the loops that borrow it,
#   - a disk with room for fewer than 128 reads of 4 KiB is refused with
#     the reason, and so is a run whose memory cannot be had (`faultinject
#     dma`), after which the next one runs; on a packed ring the floor loop
#     (split only) says so while the bare loop runs.
# And, in the same boots, the two other commands that drive the disk hard:
#   - `bench` refuses a MIB or REPS out of range with the ranges (a REPS
#     of 0 or past 2^31 ran nothing and said "done"), and when MIB, not
#     the disk, keeps the run small, says so with the disk's own room,
#   - `blkstress` refuses a word it would not read, and on a disk without
#     its pattern (the zeroed one) says so once instead of a mismatch per
#     request,
#   - `fsread` (bench's file-system read) says no file system is mounted
#     on the zeroed disk, and gives its usage without a DIR.
#
# Run from anywhere: tests/tools/benchloop.sh (BUILD=dir for another build).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
exec python3 - "$BUILD" <<'PY'
import os, re, sys, tempfile
sys.path.insert(0, "tests/grade")
sys.path.insert(0, "tools")
sys.path.insert(0, "tests/tools/lib")
import gradelib
import bench_threads
from check import check, qemu_kernel, summary

kernel = qemu_kernel(sys.argv[1], gradelib.QEMU, "benchloop")


def boot(disk, commands, packed=False):
    cmd = [gradelib.QEMU, "-machine", "virt", "-smp", "1", "-m", "128M", "-nographic",
           "-bios", "default", "-kernel", kernel,
           "-drive", f"file={disk},if=none,format=raw,id=d0",
           "-device", "virtio-blk-device,drive=d0" + (",packed=on" if packed else "")]
    if packed:
        cmd[1:1] = ["-global", "virtio-mmio.force-legacy=false"]
    return gradelib.run_qemu(cmd, commands + ["poweroff"], timeout=90)


BAD = ["benchloop", "benchloop fast", "benchloop floor 0", "benchloop floor 1001",
       "benchloop floor 1 10001", "benchloop floor 1 2 3", "benchloop floor x"]
BENCH_BAD = ["bench / 1 0", "bench / 1 4294967296", "bench / 1 2147483648 4k",
             "bench bare 1 18446744073709551615", "bench / 0", "bench / 257", "bench / 1 101"]
LOOPS = ["benchloop driver 2", "benchloop poll 2", "benchloop floor 2", "benchloop bare 2"]
with tempfile.TemporaryDirectory() as tmp:
    disk = gradelib.make_disk(os.path.join(tmp, "disk.img"), 4 << 20, gradelib.sector_pattern)
    small = gradelib.make_disk(os.path.join(tmp, "small.img"), 256 << 10)
    run = boot(disk, BAD + LOOPS + ["benchloop floor 1 10000", "faultinject kick 1 disk",
                                    "benchloop floor 1", "blkstress 64", "echo still-alive"] +
               BENCH_BAD + ["bench / 1 1 4k", "blkstress 1 2 3"])
    tiny = boot(small, ["benchloop floor 1", "blkstress 8", "fsread /", "fsread"])
    nomem = boot(disk, ["faultinject dma 1", "benchloop bare 1", "benchloop bare 1"])
    packed = boot(disk, ["benchloop floor 1", "benchloop bare 1"], packed=True)


def section(r, command, nth=0):
    try:
        return r.section(command, nth)
    except gradelib.Fail:
        return ""


for c in BAD:
    check(section(run, c).startswith("usage: benchloop driver|poll|floor|bare"),
          f"`{c}` prints the usage", section(run, c))
figures = {}
for c in LOOPS + ["benchloop floor 1 10000"]:
    out = section(run, c)
    m = bench_threads.LOOP_LINE.search(out)
    check(m is not None and "failed" not in out, f"`{c}` prints the line bench_threads.py reads",
          out)
    if m:
        figures[c] = m
for c in LOOPS:
    m = figures.get(c)
    if m:
        passes, reads, notes = int(m.group(2)), int(m.group(3)), int(m.group(6))
        check(reads == 1024 and passes * reads // 32 <= notes <= passes * reads and
              float(m.group(7)) > 0 and float(m.group(9)) > 0,
              f"`{c}`: 1024 reads a pass, {notes} notifications for {passes} passes "
              f"(32 reads or fewer each), both times measured", m.group(0))
plain, paused = figures.get("benchloop floor 2"), figures.get("benchloop floor 1 10000")
if plain and paused:
    notes, ticks = int(paused.group(6)), int(paused.group(4))
    least = (notes - 1) * 10000 * 10  # the time CSR counts 10 MHz on QEMU virt
    check(ticks >= least, f"a 10 ms pause holds every notification back: {ticks} ticks a "
          f"pass, at least {least} (a pass without it: {plain.group(4)})", paused.group(0))
after = section(run, "benchloop floor 1")
check(bench_threads.LOOP_LINE.search(after) is not None and "failed" not in after,
      "a pending `faultinject kick` does not stall the floor loop", after)
stress = section(run, "blkstress 64")
check(re.search(r"^blkstress: 64 requests, \d+ bytes, 0 mismatched$", stress, re.M) is not None and
      "still-alive" in section(run, "echo still-alive"),
      "`blkstress` passes after the loops", stress)
check("benchloop: the disk has room for 64 4 KiB reads; benchloop needs 128" in
      section(tiny, "benchloop floor 1"), "a 256 KiB disk is refused with the reason",
      section(tiny, "benchloop floor 1"))
out = section(nomem, "benchloop bare 1")
check("benchloop: no memory for 1024 reads of 4 KiB" in out and
      bench_threads.LOOP_LINE.search(section(nomem, "benchloop bare 1", 1)) is not None,
      "with its DMA allocation failing, benchloop says it has no memory; the next run runs",
      out + section(nomem, "benchloop bare 1", 1))
out = section(packed, "benchloop floor 1")
check("benchloop: the floor loop drives a split ring; this disk's queue is packed" in out and
      bench_threads.LOOP_LINE.search(section(packed, "benchloop bare 1")) is not None,
      "on a packed ring the floor loop says it drives a split ring, the bare loop runs",
      out + section(packed, "benchloop bare 1"))
for c in BENCH_BAD:
    out = section(run, c)
    check(out.startswith("usage: bench [DIR] [MIB] [REPS] [4k]   (MIB 1..256, default 64; "
                         "REPS 1..100, default 5)") and "bench: done" not in out,
          f"`{c}` prints the usage with the ranges and runs nothing", out)
out = section(run, "bench / 1 1 4k")
check(re.search(r"^bench: 1 MiB, 1 repetition, ", out, re.M) is not None and
      "bench: MIB 1 gives 256 4 KiB reads (the disk has room for 1024)" in out and
      "the disk has room for 256" not in out and "bench: done" in out,
      "`bench / 1 1 4k` on a 4 MiB disk says MIB 1, not the disk, limits it to 256 reads", out)
out = section(run, "blkstress 1 2 3")
check(out.startswith("usage: blkstress") and "requests" not in out,
      "`blkstress 1 2 3` prints the usage and reads nothing", out)
out = section(tiny, "blkstress 8")
check("blkstress: this disk does not hold the test pattern blkstress checks" in out and
      re.search(r"^blkstress: 8 requests, \d+ bytes, not checked$", out, re.M) is not None and
      "differs" not in out and "mismatched" not in out,
      "`blkstress 8` on a zeroed disk says it does not hold the pattern, no mismatch", out)
check(section(tiny, "fsread /").strip() == "fsread: no file system mounted" and
      section(tiny, "fsread").strip() == "usage: fsread DIR",
      "`fsread /` with nothing mounted says so; `fsread` alone gives its usage",
      section(tiny, "fsread /") + section(tiny, "fsread"))
summary()
PY
