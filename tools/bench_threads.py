"""QEMU's threads during each depth-32 loop, for `make bench` (tools/bench.py).

On virtio-mmio under TCG, QEMU 7.2 does the disk's work inside the guest's
notification, on the vCPU thread, holding QEMU's big lock (the BQL). After
each batch the completed reads also wake QEMU's main loop, another thread
(QEMU's io_uring code schedules a bottom half as it takes the completions,
which writes the main loop's event notifier; the bottom half is cancelled
at once, so the main loop wakes for nothing). Once awake the main loop
needs the BQL: if the vCPU thread still holds it, the main loop waits
again, and if the guest is busy between two notifications long enough for
the main loop to get it, the main loop runs a whole iteration, and the
guest's next notification may have to wait for the lock in turn.

This part counts, per notification (a batch of up to 32 reads), what each
thread does while one loop runs on its own (`benchloop LOOP PASSES
PAUSE_US`), with the kernel's syscall tracepoints and perf:
  main-loop polls   ppoll calls by the main thread: iterations of its loop
  main-loop waits   the main thread's mutex waits (FUTEX_WAIT_PRIVATE,
                    in practice the BQL)
  vCPU waits        the same for the vCPU thread
  vCPU switches     times the vCPU thread left its host CPU
for the driver (by interrupt), the floor loop and the bare loop, and for
the floor loop again with its notifications held back until PAUSE_US
after the previous one returned (so that its gaps are as long as the
driver's, and longer), with QEMU free to use both host CPUs and held to
one (taskset), in rounds of one boot per setup. The guest's own clock
gives the rest, as `benchloop` reports it: time per pass, the loop's own
time between two notifications (the pause not counted), and the time
inside one (on mmio, the device's work and any wait for the BQL).

Needs perf (Debian: linux-perf) with access to the syscalls tracepoints
(root, or kernel.perf_event_paranoid=-1 and a readable tracefs); without
it the part says why and is skipped.
"""

import os
import re
import select
import statistics
import subprocess
import tempfile

import bench_transports

# (loop, pause in us)
LOOPS = (("driver", 0), ("floor", 0), ("bare", 0), ("floor", 3), ("floor", 6), ("floor", 12))
PASSES = 60
# (tag, what QEMU's command line starts with)
SETUPS = (("two CPUs", []), ("one CPU", ["taskset", "-c", str(min(os.sched_getaffinity(0)))]))
# QEMU names its threads ("CPU 0/TCG") only when asked to
NAMED = ["-name", "bench,debug-threads=on"]
EVENTS = [
    ("polls", "syscalls:sys_enter_ppoll", None),
    ("waits", "syscalls:sys_enter_futex", "op == 128"),  # FUTEX_WAIT | FUTEX_PRIVATE_FLAG
    ("switches", "sched:sched_switch", None),
]
LOOP_LINE = re.compile(r"benchloop: (\w+)(?: \(.*?\))? (\d+) passes of (\d+) random 4 KiB reads "
                       r"at depth 32: ticks per pass (\d+), best (\d+); (\d+) notifications, "
                       r"([\d.]+) us apart \(pause (\d+) us\), ([\d.]+) us inside one")


def perf_why_not():
    """None if perf can count the tracepoints here, else why not."""
    try:
        r = subprocess.run(["perf", "stat", "-e", EVENTS[0][1], "true"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"perf not usable ({e}; Debian: apt-get install linux-perf)"
    if r.returncode != 0:
        said = [line for line in r.stderr.splitlines() if line.strip()]
        return "perf cannot count syscall tracepoints here: " + (said[0] if said else "no reason given")
    return None


class Counter:
    """perf stat on every thread of one process, counting only between
    start() and stop() (perf's control fifo), so the idle shell before and
    after a command is not counted."""

    def __init__(self, pid):
        self.dir = tempfile.TemporaryDirectory()
        ctl, ack = os.path.join(self.dir.name, "ctl"), os.path.join(self.dir.name, "ack")
        self.out = os.path.join(self.dir.name, "out")
        os.mkfifo(ctl)
        os.mkfifo(ack)
        cmd = ["perf", "stat", "-x,", "--per-thread", "-D", "-1", "--control",
               f"fifo:{ctl},{ack}", "-p", str(pid), "-o", self.out]
        for _, event, flt in EVENTS:
            cmd += ["-e", event] + (["--filter", flt] if flt else [])
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # read-write opens do not wait for perf to open its ends, so a
        # perf that never starts cannot hang the bench: _say times out
        self.ctl = os.open(ctl, os.O_RDWR)
        self.ack = os.open(ack, os.O_RDWR)

    def _say(self, word):
        os.write(self.ctl, word + b"\n")
        for _ in range(60):  # 30 s, or until perf is gone
            if select.select([self.ack], [], [], 0.5)[0]:
                os.read(self.ack, 16)
                return
            if self.p.poll() is not None:
                break
        self.p.kill()
        raise RuntimeError(f"perf did not take '{word.decode()}' (exit status "
                           f"{self.p.wait()})")

    def start(self):
        self._say(b"enable")

    def stop(self):
        """{(thread role, what): count}, the roles "main" and "vcpu"."""
        self._say(b"disable")
        self.p.send_signal(2)
        self.p.wait(timeout=30)
        os.close(self.ctl)
        os.close(self.ack)
        got = {}
        names = {event: what for what, event, _ in EVENTS}
        with open(self.out) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) < 4 or parts[3] not in names or not parts[1].isdigit():
                    continue
                comm = parts[0].rsplit("-", 1)[0]
                role = "vcpu" if comm.startswith("CPU ") else \
                    "main" if comm.startswith("qemu-system") else None
                if role:
                    key = (role, names[parts[3]])
                    got[key] = got.get(key, 0) + int(parts[1])
        self.dir.cleanup()
        if not got:
            raise RuntimeError("perf counted nothing on QEMU's threads")
        return got


def one_boot(cmd, console):
    """Each loop once in a boot: {(loop, pause): {figure: value}}, or a
    string saying why not."""
    con = console(cmd, b"eclipse> ")
    try:
        con.wait_prompt(60)
        got = {}
        for loop, pause in LOOPS:
            counter = Counter(con.p.pid)
            counter.start()
            _, out = con.run(f"benchloop {loop} {PASSES} {pause}", timeout=600)
            counts = counter.stop()
            m = LOOP_LINE.search(out)
            if not m:
                lines = [line for line in out.splitlines() if "benchloop" in line]
                return lines[-1].strip() if lines else f"benchloop {loop}: no figures"
            notes = int(m.group(6))
            fig = {"ms": int(m.group(4)) / 10_000, "apart": float(m.group(7)),
                   "inside": float(m.group(9))}
            fig.update({f"{role} {what}": n / notes for (role, what), n in counts.items()})
            got[(loop, pause)] = fig
        return got
    except RuntimeError as e:
        return str(e).splitlines()[0]
    finally:
        con.close()


def run(kernel, img, aio, append, transport, transport_cmd, console, rounds):
    """The rounds, on the mmio reference of bench_transports.py and with the
    main run's boot arguments: ({(setup, loop, pause): [figures of each
    round]}, None) or (None, why not)."""
    why = perf_why_not()
    if why:
        return None, why
    got = {}
    for _ in range(rounds):
        for tag, prefix in SETUPS:
            cmd = prefix + transport_cmd(kernel, img, aio,
                                         bench_transports.mmio_reference(transport),
                                         append=append, extra=NAMED)
            boot = one_boot(cmd, console)
            if isinstance(boot, str):
                return None, f"{tag}: {boot}"
            for (loop, pause), fig in boot.items():
                got.setdefault((tag, loop, pause), []).append(fig)
    return got, None


COLUMNS = (("ms", "ms/pass", "{:8.2f}"), ("apart", "us apart", "{:9.2f}"),
           ("inside", "us inside", "{:10.2f}"), ("main polls", "main-loop polls", "{:16.2f}"),
           ("main waits", "main-loop waits", "{:16.2f}"), ("vcpu waits", "vCPU waits", "{:11.2f}"),
           ("vcpu switches", "vCPU switches", "{:14.2f}"))


def report(got):
    """Print the table; return the reference ratios as (name, [values])."""
    print("\n  QEMU's threads during each depth-32 loop (benchloop; medians of the rounds; "
          "the counts are per notification):")
    head = "".join(f" {title:>{len(fmt.format(0))}}" for _, title, fmt in COLUMNS)
    print(f"    {'setup':9} {'loop':7} {'pause':>5}{head}")
    for (tag, loop, pause), runs in got.items():
        cols = "".join(" " + fmt.format(statistics.median(r.get(key, 0.0) for r in runs))
                       for key, _, fmt in COLUMNS)
        print(f"    {tag:9} {loop:7} {pause:5}{cols}")

    def speed(tag, a, b, pause=0):  # a's speed over b's, round by round
        return [rb["ms"] / ra["ms"] for ra, rb in zip(got[(tag, a, pause)], got[(tag, b, 0)])]

    out = []
    for tag, _ in SETUPS:
        if (tag, "driver", 0) not in got:
            continue
        out.append((f"driver/floor, benchloop, QEMU on {tag}", speed(tag, "driver", "floor")))
        out.append((f"floor/bare, benchloop, QEMU on {tag}", speed(tag, "floor", "bare")))
        for loop, pause in LOOPS:
            if loop == "floor" and pause:
                out.append((f"floor paused {pause} us/floor, QEMU on {tag}",
                            speed(tag, "floor", "floor", pause)))
    for loop, pause in LOOPS:
        two, one = got.get(("two CPUs", loop, pause)), got.get(("one CPU", loop, pause))
        if two and one and not pause:
            out.append((f"two host CPUs/one, {loop} loop's speed",
                        [r1["ms"] / r2["ms"] for r2, r1 in zip(two, one)]))
    return out
