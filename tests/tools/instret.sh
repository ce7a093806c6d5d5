#!/bin/sh
# The driver's cost in guest instructions, checked on every `make test`.
#
# Boots the kernel once under `-icount shift=0`, where the instret CSR
# counts guest instructions exactly, and runs the shell's `instret` command
# twice: 256 random 4 KiB reads at depth 1 and at depth 32, through the
# driver, through the bench's bare loop (src/blk/bench_bare.c) and through
# its floor loop (src/virtio/blk_floor.c), with the instructions spent
# polling an empty ring left out. Checks that
#   - every figure is printed and no request failed,
#   - the depth-1 figures repeat exactly from one run to the next,
#   - the floor loop costs more than the bare loop and less than the
#     driver (it does what the driver must and the bare loop skips; if it
#     fell outside, the README's account of the gap would be wrong),
#   - the driver's depth-1 figure stays under DRIVER_QD1_MAX instructions a
#     request (347 since vblk_run takes the split ring's calls inline,
#     src/hotpath.h; 369 before, 364 before the stack of free request
#     slots, 384 with a frame pointer, 552 before the slot chains of issue
#     16; so about 4% of headroom): a commit that slows the hot path fails
#     here, and one that speeds it up should lower the bound,
#   - and within RATIO_MAX times the bare loop's (4.07 now, 4.34 before
#     the inlining; the bare loop fell from 93.12 to 84.11 when its publish
#     step became the inline one it shares with the floor loop, 3.98
#     before; issue 16 aims at 1.5, the
#     floor loop shows that no driver that checks what ours checks gets
#     below about 2.3, and README.md, "Measured", says what else bounds it).
# Depth 32 is printed, not checked: how many completions one look at the
# used ring finds depends on the device's timing, so its figure moves by a
# few instructions from run to run.
#
# Run from anywhere: tests/tools/instret.sh (BUILD=dir for another build).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
exec python3 - "$BUILD" <<'PY'
import os, re, sys, tempfile
sys.path.insert(0, "tests/grade")
sys.path.insert(0, "tests/tools/lib")
import gradelib
from check import check, failed, qemu_kernel, summary

DRIVER_QD1_MAX = 361.0
RATIO_MAX = 4.3
kernel = qemu_kernel(sys.argv[1], gradelib.QEMU, "instret")
with tempfile.TemporaryDirectory() as tmp:
    disk = gradelib.make_disk(os.path.join(tmp, "disk.img"), 4 << 20)
    cmd = [gradelib.QEMU, "-machine", "virt", "-smp", "1", "-m", "128M", "-nographic",
           "-bios", "default", "-kernel", kernel, "-icount", "shift=0",
           "-drive", f"file={disk},if=none,format=raw,id=d0",
           "-device", "virtio-blk-device,drive=d0"]
    run = gradelib.run_qemu(cmd, ["instret 256", "instret 256", "poweroff"], timeout=90)
runs = [{}, {}]
pat = r"^instret: (\w+) rand4k_qd(\d+) requests 256 instructions \d+ per_request ([\d.]+)$"
for m in re.finditer(pat, run.output, re.M):
    fig = runs[0] if len(runs[0]) < 6 else runs[1]
    fig[(m.group(1), int(m.group(2)))] = float(m.group(3))
check(len(runs[0]) == 6 and len(runs[1]) == 6 and "failed" not in run.output,
      "instret prints all six figures twice, no request failed")
if failed():
    print(run.output[-2000:])
else:
    for (who, depth), v in sorted(runs[0].items()):
        print(f"     {who:7} qd{depth:<2} {v:8.2f} {runs[1][(who, depth)]:8.2f} instructions/request")
    check(all(runs[0][(w, 1)] == runs[1][(w, 1)] for w in ("driver", "minimal", "floor")),
          "depth-1 figures repeat exactly")
    m1, f1, d1 = runs[0][("minimal", 1)], runs[0][("floor", 1)], runs[0][("driver", 1)]
    check(m1 < f1 < d1, f"bare loop < floor loop < driver at qd1: {m1:.2f} < {f1:.2f} < {d1:.2f}")
    d1 = runs[0][("driver", 1)]
    check(d1 <= DRIVER_QD1_MAX, f"driver qd1: {d1:.2f} <= {DRIVER_QD1_MAX} instructions/request")
    r = d1 / runs[0][("minimal", 1)]
    check(r <= RATIO_MAX, f"driver/bare loop at qd1: {r:.2f} <= {RATIO_MAX}")
summary()
PY
