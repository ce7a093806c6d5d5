#!/usr/bin/env python3
"""`make bench`: measure the driver in one run and print ratios.

Boots the kernel once with a 72 MiB EclipseFS disk (three 24 MiB files in
/bench: EclipseFS v2 caps a record, so a file, at 32 MiB), runs the shell's
`bench` command, which times every pattern inside the guest with the time
CSR, then boots U-Boot (Debian's u-boot-qemu) on the same QEMU and the same
image and times its `virtio read` of the same 64 MiB from the host, the same
way as our own `fsread`. Prints medians with min and max, then the ratios.

Figures are only compared within one run: QEMU under TCG varies 20-50%
between runs, so a ratio measured now means more than a number.
"""

import argparse
import os
import random
import re
import select
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"
MIB = 1 << 20


def make_image(reps):
    img = os.path.join(BUILD, "bench.img")
    src = os.path.join(BUILD, "bench-src")
    if not os.path.exists(img):
        os.makedirs(os.path.join(src, "bench"), exist_ok=True)
        rng = random.Random(2026)
        for i in range(3):
            with open(os.path.join(src, "bench", f"part{i}"), "wb") as f:
                f.write(rng.randbytes(24 * MIB))
        subprocess.run([os.path.join(BUILD, "tools", "mkfs-eclipsefs"), img, src], check=True)
    return img


def aio_mode(img):
    """io_uring where this QEMU and kernel support it, else threads."""
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-nographic", "-bios", "none",
           "-drive", f"file={img},if=none,format=raw,id=d0,aio=io_uring,readonly=on",
           "-device", "virtio-blk-device,drive=d0", "-S"]
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        time.sleep(1.0)
        alive = p.poll() is None
        p.kill()
        out = p.communicate()[0].decode(errors="replace")
        return "io_uring" if alive and "io_uring" not in out else "threads"
    except OSError:
        return "threads"


class Console:
    """A QEMU whose serial line we drive, timing commands from the host."""

    def __init__(self, cmd, prompt):
        self.prompt = prompt
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.out = bytearray()

    def wait_prompt(self, timeout=300, since=0):
        end = time.monotonic() + timeout
        while not (self.out.endswith(self.prompt) and self.out.rfind(self.prompt) >= since):
            left = end - time.monotonic()
            if left <= 0 or self.p.poll() is not None:
                raise RuntimeError("no prompt; output ends:\n" + self.out[-2000:].decode(errors="replace"))
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError("QEMU exited")
                self.out += chunk

    def run(self, line, timeout=300):
        """Send a command; return (seconds to the next prompt, its output)."""
        start_len = len(self.out)
        t0 = time.perf_counter()
        self.p.stdin.write(line.encode() + b"\r")
        self.p.stdin.flush()
        self.wait_prompt(timeout, since=start_len)
        return time.perf_counter() - t0, self.out[start_len:].decode(errors="replace")

    def close(self):
        self.p.kill()
        self.p.wait()


def qemu_cmd(kernel, img, aio, memory="512M", append=None):
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-smp", "1", "-m", memory, "-nographic",
           "-bios", "default", "-kernel", kernel,
           "-drive", f"file={img},if=none,format=raw,id=d0,aio={aio}",
           "-device", "virtio-blk-device,drive=d0"]
    if append:
        cmd += ["-append", append]
    return cmd


def host_timed(con, command, baseline, reps):
    """Median host-side time of `command`, less the median of `baseline`
    (the serial round trip), over reps runs each."""
    base = [con.run(baseline)[0] for _ in range(reps)]
    times = [con.run(command)[0] for _ in range(reps)]
    b = statistics.median(base)
    return [max(t - b, 1e-6) for t in times]


def fmt_rate(bytes_, secs):
    return f"{bytes_ / secs / MIB:9.1f} MiB/s"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--transport", default="legacy", choices=("legacy", "modern"))
    args = ap.parse_args()
    kernel = os.path.join(BUILD, "kernel.elf")
    img = make_image(args.reps)
    aio = aio_mode(img)
    append = "blk_max_kib=16384 blk_spin_us=30"
    cmd = qemu_cmd(kernel, img, aio, append=append)
    if args.transport == "modern":
        cmd[1:1] = ["-global", "virtio-mmio.force-legacy=false"]
    print(f"bench: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} host cores, "
          f"{subprocess.run(['qemu-system-riscv64', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print("bench: " + " ".join(cmd))

    con = Console(cmd, b"eclipse> ")
    con.wait_prompt(60)
    _, out = con.run(f"bench /bench 64 {args.reps}", timeout=600)
    figures = {}
    for m in re.finditer(r"^bench: (\w+) (\w+) rep \d+ bytes (\d+) ticks (\d+)", out, re.M):
        mode, test, b, t = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        figures.setdefault((mode, test), []).append(b / (t / 10_000_000))  # bytes/s
    for line in out.splitlines():
        if "failed" in line or "not found" in line:
            print(line)
    fs_host = host_timed(con, "fsread /bench", "echo", args.reps)
    con.close()

    uboot = None
    if os.path.exists(UBOOT):
        ucmd = qemu_cmd(UBOOT, img, aio)
        if args.transport == "modern":
            ucmd[1:1] = ["-global", "virtio-mmio.force-legacy=false"]
        u = Console(ucmd, b"=> ")
        u.wait_prompt(60)
        u.run("virtio scan")
        uboot = host_timed(u, "virtio read 0x84000000 0 0x20000", "true", args.reps)
        u.close()
    else:
        print(f"bench: {UBOOT} not found (apt-get install u-boot-qemu): no U-Boot figures")

    print(f"\nbench: {args.reps} repetitions, medians [min..max], aio={aio}, {args.transport}")
    for (mode, test), rates in sorted(figures.items()):
        med = statistics.median(rates)
        print(f"  {mode:4} {test:13} {med / MIB:9.1f} MiB/s  {med / 4096:9.0f} IOPS(4K) "
              f"[{min(rates) / MIB:.1f}..{max(rates) / MIB:.1f}]")
    fs_host_rate = 64 * MIB / statistics.median(fs_host)
    print(f"  host-timed fsread /bench (64 MiB)  {fs_host_rate / MIB:9.1f} MiB/s")
    if uboot:
        uboot_rate = 64 * MIB / statistics.median(uboot)
        print(f"  host-timed U-Boot virtio read 64 MiB {uboot_rate / MIB:9.1f} MiB/s")

    def med(mode, test):
        r = figures.get((mode, test))
        return statistics.median(r) if r else None

    mode = "irq" if ("irq", "fs_seq") in figures else "poll"
    ratios = [
        ("fs_seq/device_limit", med(mode, "fs_seq"), med(mode, "device_limit"), 0.8),
        ("fs_seq/uboot", fs_host_rate, 64 * MIB / statistics.median(uboot) if uboot else None, 1.0),
        ("rand_qd32/rand_qd1", med(mode, "rand4k_qd32"), med(mode, "rand4k_qd1"), 4.0),
        ("fs_seq/seed_design", med(mode, "fs_seq"), med("poll", "seq4k_qd1"), 20.0),
        ("irq/poll (rand4k_qd1)", med("irq", "rand4k_qd1"), med("poll", "rand4k_qd1"), 0.9),
        ("irq/poll (fs_seq)", med("irq", "fs_seq"), med("poll", "fs_seq"), 0.9),
    ]
    print(f"\nbench: ratios ({mode} mode unless named), target in brackets")
    for name, a, b, target in ratios:
        if a is None or b is None:
            print(f"ratio {name}: n/a")
            continue
        r = a / b
        print(f"ratio {name}: {r:.2f} (target >= {target}: {'met' if r >= target else 'MISSED'})")


if __name__ == "__main__":
    main()
