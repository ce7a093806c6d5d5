#!/usr/bin/env python3
"""`make bench`: measure the driver in one run and print ratios.

Boots the kernel once with a 72 MiB EclipseFS disk (three 24 MiB files in
/bench: EclipseFS v2 caps a record, so a file, at 32 MiB), runs the shell's
`bench` command, which times every pattern inside the guest with the time
CSR, for the driver (polling and interrupts) and for the bare loop
(src/blk/bench_bare.c: the fastest the disk can be driven, the yardstick
for the driver) and for the floor loop (src/virtio/blk_floor.c: the least
a driver that checks requests and answers can do, which shows how much of
the distance to the bare loop any driver must keep). Then, in the same run: U-Boot (Debian's u-boot-qemu) on
the same QEMU and image, its `virtio read` of the same 64 MiB timed from
the host, the same way as our own `fsread`; the 4 KiB patterns (the bare
loop's minimal_qd1 and minimal_qd32 among them) again in
side runs (SIDE_RUNS: the packed ring against the split ring on the
modern transport) and in the transport comparison (bench_transports.py:
mmio against PCI with and without ioeventfd, and PCI in an iothread, in
interleaved rounds), each only where QEMU and the kernel allow it,
otherwise saying why not; and boots under `-icount shift=0` for the
`instret` command (guest instructions per 4 KiB read, exact), on the
main run's transport and on both PCI interfaces; and QEMU's threads
watched from the host while each depth-32 loop runs alone
(bench_threads.py, where perf can count syscalls). Prints medians with min
and max, then the ratios, each the median of the repetitions' own ratios.

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

import bench_threads
import bench_transports

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


def qemu_cmd(kernel, img, aio, memory="512M", append=None, extra=(), device_opts="",
             device="virtio-blk-device"):
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-smp", "1", "-m", memory, "-nographic",
           "-bios", "default", "-kernel", kernel, *extra,
           "-drive", f"file={img},if=none,format=raw,id=d0,aio={aio}",
           "-device", f"{device},drive=d0" + device_opts]
    if append:
        cmd += ["-append", append]
    return cmd


MODERN = ["-global", "virtio-mmio.force-legacy=false"]
# --transport: how the main run, U-Boot and `instret` attach the disk (the
# same names as `make qemu TRANSPORT=` and grade.py): global options, the
# device, its options
TRANSPORTS = {
    "legacy": ([], "virtio-blk-device", ""),
    "modern": (MODERN, "virtio-blk-device", ""),
    "modern-packed": (MODERN, "virtio-blk-device", ",packed=on"),
    "pci": ([], "virtio-blk-pci", ",disable-legacy=on"),
    "pci-legacy": ([], "virtio-blk-pci", ",disable-modern=on"),
    "pci-packed": ([], "virtio-blk-pci", ",disable-legacy=on,packed=on"),
}


def transport_cmd(kernel, img, aio, transport, device_opts="", **kw):
    """qemu_cmd with the disk attached over `transport`."""
    glob, device, opts = TRANSPORTS[transport]
    cmd = qemu_cmd(kernel, img, aio, device=device, device_opts=opts + device_opts, **kw)
    cmd[1:1] = glob
    return cmd


BENCH_LINE = re.compile(r"^bench: (\w+) (\w+) rep (\d+) bytes (\d+) ticks (\d+)", re.M)
INSTRET_LINE = re.compile(
    r"^instret: (\w+) rand4k_qd(\d+) requests (\d+) instructions (\d+) per_request ([\d.]+)", re.M)


def parse_bench(out, figures, tag=""):
    """bytes/s of every `bench:` line into figures[(mode, test)][rep]."""
    for m in BENCH_LINE.finditer(out):
        mode, test, rep, b, t = m.group(1), m.group(2), *map(int, m.group(3, 4, 5))
        figures.setdefault((mode + tag, test), {})[rep] = b / (t / 10_000_000)
    for line in out.splitlines():
        if "failed" in line or "not found" in line:
            print(f"{line} ({tag[1:]})" if tag else line)


# The side runs: the 4 KiB patterns and `instret` again in another setup,
# each in its own boot. (tag, transport or None for --transport, extra QEMU
# arguments, more device options, extra boot arguments, what `vq` must
# print for the run to count).
# The device in an iothread and the disk over PCI are compared in
# bench_transports.py.
SIDE_RUNS = [
    ("+packed", "modern", [], ",packed=on", "", "packed ring"),
    ("+split", "modern", [], ",packed=on", " packed=off", "split ring"),
]


def side_run(kernel, img, aio, append, transport, reps, run, probe=None):
    """One side run: ({(mode+tag, test): {rep: rate}}, None), or (None, why
    not). probe(QEMU's pid, None) is called just before the `bench`
    command, probe(pid, its output) just after."""
    tag, tr, extra, opts, more_args, must_say, *prefix = run
    cmd = transport_cmd(kernel, img, aio, tr or transport, append=append + more_args,
                        extra=extra, device_opts=opts)
    cmd = (prefix[0] if prefix else []) + cmd
    con = Console(cmd, b"eclipse> ")
    try:
        con.wait_prompt(60)
    except RuntimeError as e:
        con.close()
        said = con.out.decode(errors="replace").splitlines()
        lines = [line for line in said if "qemu-system" in line]
        return None, (lines[-1] if lines else str(e)).strip()
    boot_log = con.out.decode(errors="replace")
    _, vq = con.run("vq")
    if "virtio-blk: capacity" not in boot_log:
        con.close()
        return None, "the kernel found no virtio-blk disk on this transport"
    if must_say and must_say not in vq:
        con.close()
        return None, f"`vq` does not say \"{must_say}\" (not in this kernel?)"
    if probe:
        probe(con.p.pid, None)
    _, out = con.run(f"bench /bench 64 {reps} 4k", timeout=600)
    if probe:
        probe(con.p.pid, out)
    con.close()
    figures = {}
    parse_bench(out, figures, tag)
    for line in boot_log.splitlines():
        if "falling back" in line or "failed to set" in line:
            print(f"bench: {tag[1:]}: {line.strip()}")
    return figures, None


def instret_run(kernel, img, aio, transport, runs=2, tag="", device_opts="", append=None,
                boots=2):
    """`instret` under -icount shift=0, twice in one boot and once more in
    another (boots=1: the first boot only): {(who+tag, depth): [per-request
    figure of each run]}."""
    got = {}
    for boot in range(boots):
        cmd = transport_cmd(kernel, img, aio, transport, memory="128M",
                            extra=["-icount", "shift=0"], device_opts=device_opts,
                            append=append)
        con = Console(cmd, b"eclipse> ")
        con.wait_prompt(120)
        for _ in range(runs if boot == 0 else 1):
            _, out = con.run("instret 256", timeout=300)
            for m in INSTRET_LINE.finditer(out):
                got.setdefault((m.group(1) + tag, int(m.group(2))), []).append(
                    float(m.group(5)))
        con.close()
    return got


def host_timed(con, command, baseline, reps):
    """Median host-side time of `command`, less the median of `baseline`
    (the serial round trip), over reps runs each."""
    base = [con.run(baseline)[0] for _ in range(reps)]
    times = [con.run(command)[0] for _ in range(reps)]
    b = statistics.median(base)
    return [max(t - b, 1e-6) for t in times]


def idle_cpu(kernel, img, aio, smp, secs=2.0):
    """Host CPU seconds QEMU spends per second while the shell waits at
    its prompt with `-smp smp`: ~0 when the kernel and its spare harts
    sleep in wfi, 1 per hart that spins (the shell polling the UART, or a
    hart left in the firmware: src/harts.c)."""
    def cpu(pid):  # seconds, every thread's together
        ticks = sum(t for _, t, _ in bench_transports.threads(pid).values())
        return ticks / os.sysconf("SC_CLK_TCK")
    con = Console(qemu_cmd(kernel, img, aio, extra=("-smp", str(smp))), b"eclipse> ")
    con.wait_prompt(60)
    time.sleep(0.5)  # let the boot's last output drain
    c0, t0 = cpu(con.p.pid), time.monotonic()
    time.sleep(secs)
    used = (cpu(con.p.pid) - c0) / (time.monotonic() - t0)
    con.close()
    return used


def fmt_rate(bytes_, secs):
    return f"{bytes_ / secs / MIB:9.1f} MiB/s"


# What --only may choose: the main boot, U-Boot, the packed/split side
# runs, the transport comparison, the -icount boots, the idle boots, and
# QEMU's threads watched during each depth-32 loop (bench_threads.py).
PARTS = ("main", "uboot", "packed", "transports", "instret", "idle", "threads")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5,
                    help="repetitions of each pattern in the main boot and the side runs "
                    "(medians and [min..max] are over them; default 5)")
    ap.add_argument("--transport", default="legacy", choices=tuple(TRANSPORTS))
    ap.add_argument("--rounds", type=int, default=7,
                    help="rounds of the transport comparison (one boot per setup each)")
    ap.add_argument("--thread-rounds", type=int, default=3,
                    help="rounds of the threads part (two boots each)")
    ap.add_argument("--only", default=",".join(PARTS),
                    help="the parts to run, comma-separated (default: all of "
                    f"{','.join(PARTS)}); a ratio whose figures were not measured "
                    "prints n/a")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if not only <= set(PARTS):
        ap.error(f"--only: unknown part(s) {', '.join(sorted(only - set(PARTS)))}")
    kernel = os.path.join(BUILD, "kernel.elf")
    img = make_image(args.reps)
    aio = aio_mode(img)
    append = "blk_max_kib=16384 blk_spin_us=30"
    cmd = transport_cmd(kernel, img, aio, args.transport, append=append)
    print(f"bench: {time.strftime('%Y-%m-%d')}, {os.cpu_count()} host cores, "
          f"load average {os.getloadavg()[0]:.1f} at the start, "
          f"{subprocess.run(['qemu-system-riscv64', '--version'], capture_output=True, text=True).stdout.splitlines()[0]}")
    print("bench: " + " ".join(cmd))

    figures, fs_host = {}, None
    if "main" in only:
        con = Console(cmd, b"eclipse> ")
        con.wait_prompt(60)
        _, out = con.run(f"bench /bench 64 {args.reps}", timeout=900)
        parse_bench(out, figures)
        fs_host = host_timed(con, "fsread /bench", "echo", args.reps)
        con.close()

    uboot = None
    if "uboot" in only and os.path.exists(UBOOT):
        # U-Boot on the same transport, except PCI: its virtio-pci support
        # depends on how Debian built it, so it reads over mmio there
        utr = {"pci": "modern", "pci-legacy": "legacy",
               "pci-packed": "modern-packed"}.get(args.transport, args.transport)
        if utr != args.transport:
            print(f"bench: U-Boot reads over mmio ({utr}), not {args.transport}")
        ucmd = transport_cmd(UBOOT, img, aio, utr)
        u = Console(ucmd, b"=> ")
        u.wait_prompt(60)
        u.run("virtio scan")
        uboot = host_timed(u, "virtio read 0x84000000 0 0x20000", "true", args.reps)
        u.close()
    elif "uboot" in only:
        print(f"bench: {UBOOT} not found (apt-get install u-boot-qemu): no U-Boot figures")

    for run in SIDE_RUNS if "packed" in only else ():
        got, why = side_run(kernel, img, aio, append, args.transport, args.reps, run)
        if got:
            figures.update(got)
        else:
            print(f"bench: no {run[0][1:]} figures: {why}")
    if "transports" in only:
        got, why_not, host_cost = bench_transports.run_rounds(side_run, kernel, img, aio, append,
                                                              args.transport, args.rounds)
        figures.update(got)
        print("\n".join(why_not))
    instret, ins_mmio = {}, "driver"
    if "instret" in only:
        instret = instret_run(kernel, img, aio, args.transport)
        got, ins_mmio = bench_transports.instret_runs(instret_run, kernel, img, aio,
                                                      args.transport)
        instret.update(got)
    if "instret" in only and any(mode.endswith("+packed") for mode, _ in figures):
        for tag, more in (("+packed", None), ("+split", "packed=off")):
            instret.update(instret_run(kernel, img, aio, "modern", tag=tag,
                                       device_opts=",packed=on", append=more))

    idle = {smp: idle_cpu(kernel, img, aio, smp) for smp in (1, 4)} if "idle" in only else {}
    threads = None
    if "threads" in only:
        threads, why = bench_threads.run(kernel, img, aio, append, args.transport, transport_cmd,
                                         Console, args.thread_rounds)
        if why:
            print(f"bench: no threads figures: {why}")

    print(f"\nbench: {args.reps} repetitions ({args.rounds} rounds of the transport "
          f"comparison), medians [min..max], aio={aio}, {args.transport}, "
          f"host load average {os.getloadavg()[0]:.1f} at the end")
    width = max((len(mode) for mode, _ in figures), default=4)
    for (mode, test), by_rep in sorted(figures.items()):
        rates = list(by_rep.values())
        med = statistics.median(rates)
        print(f"  {mode:{width}} {test:13} {med / MIB:9.1f} MiB/s  {med / 4096:9.0f} IOPS(4K) "
              f"[{min(rates) / MIB:.1f}..{max(rates) / MIB:.1f}]")
    fs_host_rate = 64 * MIB / statistics.median(fs_host) if fs_host else None
    if fs_host:
        print(f"  host-timed fsread /bench (64 MiB)  {fs_host_rate / MIB:9.1f} MiB/s")
    if uboot:
        uboot_rate = 64 * MIB / statistics.median(uboot)
        print(f"  host-timed U-Boot virtio read 64 MiB {uboot_rate / MIB:9.1f} MiB/s")

    if "transports" in only:
        bench_transports.print_host_cost(host_cost)
    thread_ratios = bench_threads.report(threads) if threads else []
    if instret:  # (none with --only main, say: no heading over nothing)
        print("\n  instructions per 4 KiB random read (-icount shift=0; 3 runs in 2 boots each, "
              "one run on the other transports):")
    for (who, depth), runs in sorted(instret.items()):
        same = "repeats exactly" if len(set(runs)) == 1 else "varies with the device's timing"
        print(f"  {who:18} rand4k_qd{depth:<2} {statistics.median(runs):9.2f}  "
              f"[{' '.join(f'{r:.2f}' for r in runs)}] {same}")

    def paired(a, b):
        """a/b within each repetition (the two ran one after the other), or
        each round of the transport comparison (seconds apart)."""
        ra, rb = figures.get(a, {}), figures.get(b, {})
        return [ra[k] / rb[k] for k in ra if k in rb]

    def ins(who, depth):
        r = instret.get((who, depth))
        return statistics.median(r) if r else None

    mode = "irq" if any(m.startswith("irq") for m, _ in figures) else "poll"
    # (name, ratios, target, "min" or "max"; target None: for reference)
    ratios = [
        ("rand4k_qd1/minimal_qd1", paired((mode, "rand4k_qd1"), ("bare", "minimal_qd1")), 0.9,
         "min"),
        ("rand4k_qd32/minimal_qd32", paired((mode, "rand4k_qd32"), ("bare", "minimal_qd32")),
         0.9, "min"),
        ("fs_seq/device_limit", paired((mode, "fs_seq"), ("bare", "device_limit")), 0.95, "min"),
        ("rand4k_qd32/rand4k_qd1", paired((mode, "rand4k_qd32"), (mode, "rand4k_qd1")), 3.0,
         "min"),
        ("minimal_qd32/minimal_qd1 (the bare loop's scaling)",
         paired(("bare", "minimal_qd32"), ("bare", "minimal_qd1")), None, None),
        ("irq/poll (rand4k_qd1)", paired(("irq", "rand4k_qd1"), ("poll", "rand4k_qd1")), 0.9,
         "min"),
        ("irq/poll (fs_seq)", paired(("irq", "fs_seq"), ("poll", "fs_seq")), 0.9, "min"),
        ("poll rand4k_qd1/minimal_qd1", paired(("poll", "rand4k_qd1"), ("bare", "minimal_qd1")),
         None, None),
        ("packed/split (rand4k_qd32)",
         paired((mode + "+packed", "rand4k_qd32"), (mode + "+split", "rand4k_qd32")), None, None),
        ("packed/split (rand4k_qd1)",
         paired((mode + "+packed", "rand4k_qd1"), (mode + "+split", "rand4k_qd1")), None, None),
        ("packed/split bare loop (minimal_qd32)",
         paired(("bare+packed", "minimal_qd32"), ("bare+split", "minimal_qd32")), None, None),
        ("packed/split bare loop (minimal_qd1)",
         paired(("bare+packed", "minimal_qd1"), ("bare+split", "minimal_qd1")), None, None),
        ("packed rand4k_qd32/minimal_qd32",
         paired((mode + "+packed", "rand4k_qd32"), ("bare+packed", "minimal_qd32")), None, None),
        ("packed/split instret (rand4k_qd1)",
         [ins("driver+packed", 1) / ins("driver+split", 1)] if ins("driver+split", 1) else [],
         None, None),
        ("packed/split bare loop instret (minimal_qd1)",
         [ins("minimal+packed", 1) / ins("minimal+split", 1)]
         if ins("minimal+packed", 1) and ins("minimal+split", 1) else [], None, None),
        *bench_transports.ratios(mode, figures, ins, ins_mmio),
        ("instret_qd1/minimal_instret_qd1",
         [ins("driver", 1) / ins("minimal", 1)] if ins("minimal", 1) else [], 1.5, "max"),
        ("instret_qd32/minimal_instret_qd32",
         [ins("driver", 32) / ins("minimal", 32)] if ins("minimal", 32) else [], None, None),
        # the floor loop (src/virtio/blk_floor.c): what any driver that
        # checks the caller's request and the device's answer must spend,
        # so the part of the distance to the bare loop no driver can close
        ("floor_instret_qd1/minimal_instret_qd1 (what checking costs at the least)",
         [ins("floor", 1) / ins("minimal", 1)] if ins("floor", 1) and ins("minimal", 1) else [],
         None, None),
        ("instret_qd1/floor_instret_qd1 (this driver over the floor)",
         [ins("driver", 1) / ins("floor", 1)] if ins("floor", 1) else [], None, None),
        ("floor_qd32/minimal_qd32 (the floor, timed)",
         paired(("bare", "floor_qd32"), ("bare", "minimal_qd32")), None, None),
        ("rand4k_qd32/floor_qd32", paired((mode, "rand4k_qd32"), ("bare", "floor_qd32")), None,
         None),
        # the bare loop reads every request into one of its 32 prebuilt
        # buffers; the driver and the floor into the caller's, 16 MiB of
        # them: the same loop with the caller's buffers says what that
        # costs the device
        ("minimal_bufs_qd32/minimal_qd32 (where the data lands)",
         paired(("bare", "minimal_bufs_qd32"), ("bare", "minimal_qd32")), None, None),
        ("rand4k_qd32/minimal_bufs_qd32",
         paired((mode, "rand4k_qd32"), ("bare", "minimal_bufs_qd32")), None, None),
        # the same loops watched from the host one at a time, and the floor
        # with its gaps between notifications padded (bench_threads.py)
        *((name, rs, None, None) for name, rs in thread_ratios),
        ("fs_seq/uboot",
         [fs_host_rate / (64 * MIB / statistics.median(uboot))] if uboot and fs_host else [],
         None, None),
        ("fs_seq/seed_design", paired((mode, "fs_seq"), ("poll", "seq4k_qd1")), None, None),
        # host CPU seconds a second of waiting at the prompt costs (no
        # target in the spec: an idle machine should cost next to nothing)
        ("idle_cpu/wall (-smp 1)", [idle[1]] if 1 in idle else [], 0.1, "max"),
        ("idle_cpu/wall (-smp 4)", [idle[4]] if 4 in idle else [], 0.1, "max"),
    ]
    print(f"\nbench: ratios ({mode} mode unless named), median of the repetitions' own "
          f"ratios [min..max], target in brackets")
    for name, rs, target, kind in ratios:
        if not rs:
            print(f"ratio {name}: n/a")
            continue
        r = statistics.median(rs)
        spread = f" [{min(rs):.2f}..{max(rs):.2f}]" if len(rs) > 1 else ""
        if target is None:
            verdict = "(reference, no target)"
        else:
            met = r >= target if kind == "min" else r <= target
            verdict = f"(target {'>=' if kind == 'min' else '<='} {target}: " \
                      f"{'met' if met else 'MISSED'})"
        print(f"ratio {name}: {r:.2f}{spread} {verdict}")

if __name__ == "__main__":
    main()
