"""The transport comparison of `make bench` (tools/bench.py): the 4 KiB
patterns, driver and bare loop, on virtio-mmio and on virtio-pci three
ways, and the ratios that compare them.

Under TCG, QEMU 7.2 handles a notification differently on the two
transports. virtio-mmio turns ioeventfd off unless KVM provides it, so a
guest's write to QueueNotify runs the device's queue handler right there,
on the vCPU thread. virtio-pci keeps ioeventfd on (its default) and,
without KVM, its memory dispatch turns the write into an eventfd signal:
the vCPU thread returns to the guest at once and QEMU's main loop, another
thread, wakes up to run the handler. That hand-off costs time on every
notification, whatever the driver does, so the bare loop (the fastest
thing that can drive the device) pays it too. The setups:

  +mmio              the disk on virtio-mmio (the main run's transport
                     when that is mmio, else the modern interface)
  +pci               virtio-blk-pci, modern, as QEMU sets it up by default
  +pci-noioeventfd   the same with ioeventfd=off: notifications handled on
                     the vCPU thread, as on mmio
  +iothread          virtio-blk-pci with its queue in an iothread
                     (-object iothread,id=io0 ... iothread=io0). QEMU 7.2
                     refuses iothread= on virtio-blk-device under TCG
                     ("ioeventfd is required for iothread": see above) but
                     takes it on virtio-blk-pci.
  +mmio-1cpu         the mmio reference with QEMU held to one host CPU
                     (taskset), so its vCPU thread and its main loop never
                     run at the same time. On mmio the device's work runs
                     inside the notification, on the vCPU thread; what the
                     main loop still does (woken by the disk's completion
                     events) then cannot take the lock the vCPU thread
                     needs for its next notification. Set beside +mmio,
                     it says what the host's second CPU costs each loop.

Beside the timed figures, each boot's QEMU threads are read from /proc
before and after the `bench` command: host CPU time and context switches
per 4 KiB request, per thread (vCPU, main loop, iothread). Those count
the work the hand-off adds, and move far less with the host's load than
the time a request takes.

The setups run in rounds, one boot each per round and one repetition of
each pattern per boot, so a ratio compares figures taken seconds apart and
is the median of the rounds' own ratios: this host's load moves a run's
figures by a factor of two or more within a minute.
"""

import glob
import os
import re
import statistics

# QEMU names its threads ("CPU 0/TCG", "IO io0") only when asked to
NAMED = ["-name", "bench,debug-threads=on"]
ONE_CPU = ["taskset", "-c", str(min(os.sched_getaffinity(0)))]
SETUPS = [
    # (tag, transport or None for the mmio reference, extra QEMU arguments,
    # device options, what QEMU's command line starts with)
    ("+mmio", None, NAMED, "", []),
    ("+pci", "pci", NAMED, "", []),
    ("+pci-noioeventfd", "pci", NAMED, ",ioeventfd=off", []),
    ("+iothread", "pci", NAMED + ["-object", "iothread,id=io0"], ",iothread=io0", []),
    ("+mmio-1cpu", None, NAMED, "", ONE_CPU),
]
# thread name -> the column it is counted in; the main loop is the
# process's first thread, "other" is call_rcu and the thread pool's workers
THREAD_KIND = (("CPU ", "vCPU"), ("IO ", "iothread"))
KINDS = ("vCPU", "main loop", "iothread", "other")


def threads(pid):
    """{tid: (kind, CPU ticks, context switches)} of a process's threads."""
    got = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(task + "/stat") as f:
                stat = f.read()
            with open(task + "/status") as f:
                status = f.read()
        except OSError:
            continue  # the thread ended meanwhile
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        tid = task.rsplit("/", 1)[1]
        kind = "main loop" if tid == str(pid) else next(
            (k for prefix, k in THREAD_KIND if name.startswith(prefix)), "other")
        switches = sum(map(int, re.findall(r"ctxt_switches:\s+(\d+)", status)))
        got[tid] = (kind, int(fields[11]) + int(fields[12]), switches)
    return got


def host_probe(tag, host_cost):
    """A side_run probe: adds {kind: (us CPU, switches) per request} for
    this boot to host_cost[tag]."""
    before = {}

    def probe(pid, out):
        if out is None:
            before.update(threads(pid))
            return
        requests = sum(int(b) // 4096 for b in re.findall(r" bytes (\d+) ", out))
        if not requests:
            return
        tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
        per = {}
        for tid, (kind, ticks, switches) in threads(pid).items():
            _, t0, s0 = before.get(tid, (kind, 0, 0))
            cpu, sw = per.get(kind, (0.0, 0.0))
            per[kind] = (cpu + (ticks - t0) * tick_us / requests, sw + (switches - s0) / requests)
        host_cost.setdefault(tag, []).append(per)

    return probe


def print_host_cost(host_cost):
    """The /proc figures, median over the rounds."""
    if not host_cost:
        return
    print("\n  host cost per 4 KiB request (QEMU's threads from /proc, median of the rounds): "
          "CPU us / context switches")
    print("  " + " " * 17 + "".join(f"{k:>16}" for k in KINDS) + f"{'all':>16}")
    for tag, rounds in host_cost.items():
        cols = []
        for kind in KINDS + ("all",):
            def pick(per, i):
                return sum(v[i] for k, v in per.items() if kind in ("all", k))
            cpu = statistics.median(pick(per, 0) for per in rounds)
            sw = statistics.median(pick(per, 1) for per in rounds)
            cols.append(f"{cpu:8.2f} / {sw:5.2f}" if cpu or sw else f"{'-':>16}")
        print(f"  {tag[1:]:17}" + "".join(f"{c:>16}" for c in cols))


def mmio_reference(transport):
    """The mmio transport to compare PCI with: the main run's, or modern."""
    return transport if not transport.startswith("pci") else "modern"


def instret_runs(instret_run, kernel, img, aio, transport):
    """`instret` over both PCI interfaces (and mmio when the main run is
    on PCI), one boot each: the depth-1 figure is exact, so one run says
    it. Returns (figures, the name of the mmio driver figure)."""
    got = {}
    for tr in ("pci", "pci-legacy"):
        got.update(instret_run(kernel, img, aio, tr, runs=1, tag="+" + tr, boots=1))
    if transport.startswith("pci"):
        got.update(instret_run(kernel, img, aio, "modern", runs=1, tag="+mmio", boots=1))
        return got, "driver+mmio"
    return got, "driver"


def run_rounds(side_run, kernel, img, aio, append, transport, rounds):
    """Every setup once per round. Returns ({(mode+tag, test): {round:
    rate}}, [what could not run], {tag: [host cost of each round]})."""
    figures, missing, host_cost = {}, {}, {}
    if len(os.sched_getaffinity(0)) < 2:
        missing["+mmio-1cpu"] = "this host gives QEMU one CPU already"
    for rnd in range(1, rounds + 1):
        for tag, tr, extra, opts, prefix in SETUPS:
            if tag in missing:
                continue
            run = (tag, tr or mmio_reference(transport), extra, opts, "", None, prefix)
            got, why = side_run(kernel, img, aio, append, transport, 1, run,
                                probe=host_probe(tag, host_cost))
            if not got:
                missing[tag] = why
                continue
            for key, by_rep in got.items():
                for rate in by_rep.values():
                    figures.setdefault(key, {})[rnd] = rate
    why_not = [f"bench: no {tag[1:]} figures: {why}" for tag, why in missing.items()]
    return figures, why_not, host_cost


def ratios(mode, figures, ins, ins_mmio):
    """(name, ratios, target, "min"/"max"/None) for bench.py's ratio list.
    figures: {(mode, test): {round: rate}}; ins(who, depth): the `instret`
    figure or None; ins_mmio: the name of the mmio instret run ("driver"
    when the main run is on mmio)."""

    def by_round(a, b, test_a, test_b):
        ra, rb = figures.get((a, test_a), {}), figures.get((b, test_b or test_a), {})
        return {k: ra[k] / rb[k] for k in ra if k in rb}

    def p(a, b, test_a, test_b=None):
        return list(by_round(a, b, test_a, test_b).values())

    def over_bare(tag):
        """driver/bare loop at depth 32 in each round: both in one boot,
        back to back, so the host's load weighs on both alike"""
        return by_round(mode + tag, "bare" + tag, "rand4k_qd32", "minimal_qd32")

    m, pci, off, io = mode + "+mmio", mode + "+pci", mode + "+pci-noioeventfd", mode + "+iothread"
    m1 = mode + "+mmio-1cpu"
    return [
        ("pci/mmio (rand4k_qd32)", p(pci, m, "rand4k_qd32"), 0.95, "min"),
        ("pci/mmio bare loop (minimal_qd32), the device's own ratio",
         p("bare+pci", "bare+mmio", "minimal_qd32"), None, None),
        ("pci/mmio (rand4k_qd1)", p(pci, m, "rand4k_qd1"), None, None),
        ("pci/mmio of the driver's share of the bare loop (rand4k_qd32/minimal_qd32)",
         [a / b for k, a in over_bare("+pci").items()
          if (b := over_bare("+mmio").get(k))], None, None),
        ("pci/mmio bare loop (minimal_qd1)", p("bare+pci", "bare+mmio", "minimal_qd1"), None,
         None),
        ("pci ioeventfd=off/mmio (rand4k_qd32)", p(off, m, "rand4k_qd32"), None, None),
        ("pci ioeventfd=off/mmio bare loop (minimal_qd32)",
         p("bare+pci-noioeventfd", "bare+mmio", "minimal_qd32"), None, None),
        ("pci/mmio instret (rand4k_qd1)",
         [ins("driver+pci", 1) / ins(ins_mmio, 1)]
         if ins("driver+pci", 1) and ins(ins_mmio, 1) else [], None, None),
        ("pci-legacy/mmio instret (rand4k_qd1)",
         [ins("driver+pci-legacy", 1) / ins(ins_mmio, 1)]
         if ins("driver+pci-legacy", 1) and ins(ins_mmio, 1) else [], None, None),
        ("iothread/main-loop (rand4k_qd32), both PCI", p(io, pci, "rand4k_qd32"), None, None),
        ("iothread/main-loop (rand4k_qd1), both PCI", p(io, pci, "rand4k_qd1"), None, None),
        ("iothread/main-loop bare loop (minimal_qd32)",
         p("bare+iothread", "bare+pci", "minimal_qd32"), None, None),
        ("iothread/mmio (rand4k_qd32)", p(io, m, "rand4k_qd32"), None, None),
        ("iothread rand4k_qd32/rand4k_qd1", p(io, io, "rand4k_qd32", "rand4k_qd1"), None, None),
        ("pci main-loop rand4k_qd32/rand4k_qd1", p(pci, pci, "rand4k_qd32", "rand4k_qd1"), None,
         None),
        ("mmio rand4k_qd32/rand4k_qd1 (these rounds)", p(m, m, "rand4k_qd32", "rand4k_qd1"),
         None, None),
        ("iothread minimal_qd32/minimal_qd1 (the bare loop's scaling)",
         p("bare+iothread", "bare+iothread", "minimal_qd32", "minimal_qd1"), None, None),
        ("one host CPU/two, mmio (rand4k_qd32)", p(m1, m, "rand4k_qd32"), None, None),
        ("one host CPU/two, mmio bare loop (minimal_qd32)",
         p("bare+mmio-1cpu", "bare+mmio", "minimal_qd32"), None, None),
        ("rand4k_qd32/minimal_qd32, QEMU on one host CPU",
         list(over_bare("+mmio-1cpu").values()), None, None),
        ("rand4k_qd32/minimal_qd32, QEMU on two (these rounds)",
         list(over_bare("+mmio").values()), None, None),
        ("rand4k_qd32/floor_qd32, QEMU on one host CPU",
         p(m1, "bare+mmio-1cpu", "rand4k_qd32", "floor_qd32"), None, None),
        ("rand4k_qd32/floor_qd32, QEMU on two (these rounds)",
         p(m, "bare+mmio", "rand4k_qd32", "floor_qd32"), None, None),
    ]
