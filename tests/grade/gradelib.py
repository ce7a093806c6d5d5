"""The grading library: boot the kernel in QEMU, talk to its shell over the
serial line, match what it prints, and score.

A lab's grader (tests/grade/labN.py) registers tests with @test. Each test
gets a Ctx that knows the transport under test and where the kernel is, and
boots QEMU through ctx.boot(). A test fails by raising Fail (the helpers
ctx.expect() and Run.expect() do that), and the runner (grade.py) prints its
message with the last lines of the kernel's output and the QEMU command
line that reproduces it.

Python 3 standard library only.
"""

import hashlib
import os
import re
import select
import shlex
import subprocess
import tempfile
import threading
import time

from procs import finished, started  # noqa: F401 (grade.py's Ctrl-C ends them)

PROMPT = b"eclipse> "
# a full line of `hexdump -C` output: offset, 8 + 8 bytes, ASCII
HEX_LINE = re.compile(
    r"^([0-9a-f]{8})  ((?:[0-9a-f]{2} ){7}[0-9a-f]{2}  (?:[0-9a-f]{2} ){7}[0-9a-f]{2})  \|.{16}\|$",
    re.M)
TRANSPORTS = ("legacy", "modern")
# For a test whose outcome does not depend on the transport (lab 0's,
# which uses no virtio device; lab 6's file-system checks, which read
# through whatever driver is below): once, with QEMU's default legacy
# virtio-mmio. Running it again on modern would check the same code.
ONCE = ("legacy",)
# Every transport a test or `grade.py --transport` can name: the default two,
# modern mmio with the packed ring (spec 2.8) on every virtio device, and
# every virtio device as a PCI function (lab 10), modern only or legacy only.
ALL_TRANSPORTS = TRANSPORTS + ("modern-packed", "pci", "pci-legacy", "pci-packed")
# `grade.py --transport modern-packed` runs each lab's modern tests again
# on the variant (the graders of labs 2, 3, 4, 5, 7 and 8 hold on either ring);
# `--transport pci` runs the modern tests and `pci-legacy` the legacy ones
# with every device moved to PCI; `pci-packed`, the modern tests on PCI
# devices with the packed ring.
VARIANTS = {"modern-packed": "modern", "pci": "modern", "pci-legacy": "legacy",
            "pci-packed": "modern"}
# the transports whose devices are told packed=on
PACKED_TRANSPORTS = ("modern-packed", "pci-packed")
QEMU = os.environ.get("QEMU", "qemu-system-riscv64")

TESTS = []


class Fail(Exception):
    """A check did not hold. The message says what was expected."""


class Skip(Exception):
    """The test cannot run here (e.g. a shared vector is absent)."""


def test(lab, name, points=1, transports=TRANSPORTS):
    """Register fn(ctx) as a test of `lab`, once per transport."""

    def register(fn):
        for t in transports:
            TESTS.append(Test(lab, name, points, t, fn))
        return fn

    return register


def unit_points(name):
    """The points a host unit test is worth: 1, or 0 for a test of code the
    handouts give working (named labN_given_...: the boot-argument parser,
    the block cache, CRC-32, SHA-256, GPT, the harts' start), which runs in
    every grade and must pass, but is no work of the student's."""
    return 0 if re.match(r"lab\d+_given_", name) else 1


class Test:
    def __init__(self, lab, name, points, transport, fn):
        self.lab, self.name, self.points = lab, name, points
        self.transport, self.fn = transport, fn

    @property
    def title(self):
        suffix = f" [{self.transport}]" if self.transport else ""
        return f"lab{self.lab}: {self.name}{suffix}"


class Run:
    """What one QEMU boot printed and how it ended."""

    def __init__(self, cmdline, output, status, timed_out, elapsed):
        self.cmdline, self.output = cmdline, output
        self.status, self.timed_out, self.elapsed = status, timed_out, elapsed
        # the command a check looked at last: a failure shows its output
        self.last_command, self.last_section = None, ""

    def expect(self, pattern, what=None):
        """The output has a line matching the regex; return the match."""
        m = re.search(pattern, self.output, re.M)
        if not m:
            raise Fail(f"expected {what or repr(pattern)} in the kernel's output")
        return m

    def reject(self, pattern, what=None):
        """No line of the output matches the regex."""
        m = re.search(pattern, self.output, re.M)
        if m:
            raise Fail(f"did not expect {what or repr(pattern)}, got: {m.group(0)!r}")

    def expect_exit(self, status=0):
        if self.timed_out:
            raise Fail("QEMU did not exit in time: the kernel hung or never powered off")
        if self.status != status:
            raise Fail(f"QEMU exit status {self.status}, expected {status}")

    def section(self, command, nth=0):
        """The output of one shell command, from its echo to the next
        prompt; nth picks a later run of the same command (0 = first),
        also given as command=(command, nth)."""
        if isinstance(command, tuple):
            command, nth = command
        marker = "eclipse> " + command + "\n"
        i = -1
        for _ in range(nth + 1):
            i = self.output.find(marker, i + 1)
            if i < 0:
                raise Fail(f"the shell never ran {command!r}")
        rest = self.output[i + len(marker):]
        j = rest.find("eclipse> ")
        self.last_command, self.last_section = command, rest if j < 0 else rest[:j]
        return self.last_section

    def alive(self, word="still-alive"):
        """`echo WORD`, typed after the commands under test, printed WORD:
        the shell survived them."""
        if word not in self.section(f"echo {word}"):
            raise Fail(f"the shell stopped answering (`echo {word}` printed nothing)")

    def hexdump(self, command, nth=0):
        """The bytes a `blk read` or `hexdump` command printed, checked to
        be one contiguous dump: (offset of the first byte, bytes)."""
        if isinstance(command, tuple):
            command, nth = command
        out = self.section(command, nth)
        lines = HEX_LINE.findall(out)
        if not lines:
            err = [l for l in out.split("\n") if l.strip()]
            raise Fail(f"`{command}` printed no hexdump" + (f": {err[0]!r}" if err else ""))
        base, data = int(lines[0][0], 16), bytearray()
        for off, hexes in lines:
            if int(off, 16) != base + len(data):
                raise Fail(f"`{command}`: the hexdump jumps to offset 0x{off} after "
                           f"0x{base + len(data):x}")
            data += bytes.fromhex(hexes)
        return base, bytes(data)

    def expect_sums(self, command, sector, want):
        """`command` (a `blk sum SECTOR COUNT`) printed one line per sector
        of `want` (its bytes, from `sector` on), each the SHA-256 of that
        sector: a long read checked without a long hexdump on the serial
        line."""
        out = self.section(command)
        got = re.findall(r"^sector (\d+): ([0-9a-f]{64})$", out, re.M)
        count = len(want) // 512
        if not got:
            err = [l for l in out.split("\n") if l.strip()]
            raise Fail(f"`{command}` printed no sector digests" + (f": {err[0]!r}" if err else ""))
        if [int(s) for s, _ in got] != list(range(sector, sector + count)):
            raise Fail(f"`{command}` should print sectors {sector} to {sector + count - 1}, one "
                       f"line each; it printed {len(got)} lines from sector {got[0][0]}")
        for i, (s, digest) in enumerate(got):
            if digest != hashlib.sha256(want[i * 512:(i + 1) * 512]).hexdigest():
                raise Fail(f"`{command}`: sector {s} differs from the disk (its SHA-256 is "
                           f"{digest[:16]}...; `blk read {s}` shows its bytes)")

    def tail(self, n=15):
        return "\n".join(self.output.rstrip("\n").split("\n")[-n:])


class Ctx:
    """One test's view: the transport, the kernel, a scratch directory."""

    def __init__(self, transport, root, tmpdir):
        self.transport = transport
        self.root = root
        self.kernel = os.path.join(root, "build", "kernel.elf")
        self.tmpdir = tmpdir
        self.runs = []

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def scratch(self, name):
        return os.path.join(self.tmpdir, name)

    @property
    def legacy(self):
        """The devices are legacy ones (mmio version 1, or pci-legacy)."""
        return self.transport in ("legacy", "pci-legacy")

    @property
    def pci(self):
        return self.transport in PCI_TRANSPORTS

    @property
    def fixed_queue_size(self):
        """Legacy PCI: a queue has the device's size, which the driver
        cannot change (spec 4.1.4.8); a test that wants a small queue asks
        QEMU for it with the device's queue-size option instead."""
        return self.transport == "pci-legacy"

    @property
    def interface(self):
        """The transport as the kernel names it: mmio-legacy, mmio-modern,
        pci-modern or pci-legacy (the packed ring is not a transport)."""
        if self.pci:
            return "pci-legacy" if self.legacy else "pci-modern"
        return "mmio-legacy" if self.legacy else "mmio-modern"

    def where(self, index=0):
        """How the kernel names the index-th virtio device of the boot's
        command line: QEMU fills the mmio slots from the top (slot 7, then
        6, ...) and gives PCI functions the next free device number after
        the host bridge (pci 00:01.0, then 00:02.0, ...)."""
        return f"pci 00:{index + 1:02x}.0" if self.pci else f"slot {7 - index}"

    def boot(self, commands=(), disks=(), devices=(), append=None, timeout=20,
             memory="128M", extra=(), wait_prompt=True, at_once=False, transport=None):
        """Boot QEMU, run shell commands one per prompt, then `poweroff`.
        at_once: write every command to the serial line as QEMU starts,
        before any prompt, the way `printf ... | qemu` or a script does.

        disks: paths of raw images, or dicts {file, readonly, opts, dev_opts,
        slot}; each becomes a virtio-blk device. devices: extra -device
        strings, e.g. "virtio-rng-device". commands: strings; `poweroff` is
        added unless the last command already ends the run. transport:
        boot with this one instead of the test's (one of ALL_TRANSPORTS).
        """
        cmd = [QEMU, "-machine", "virt", "-smp", "1", "-m", memory,
               "-nographic", "-bios", "default", "-kernel", self.kernel]
        transport = transport or self.transport
        if transport in ("modern", "modern-packed"):
            cmd += ["-global", "virtio-mmio.force-legacy=false"]
        # QEMU offers the packed ring only when a device is told packed=on
        packed = ",packed=on" if transport in PACKED_TRANSPORTS else ""
        for i, d in enumerate(disks):
            if isinstance(d, str):
                d = {"file": d}
            drive = d.get("drive") or (
                f"file={d['file']},if=none,format=raw,id=d{i}"
                + (",readonly=on" if d.get("readonly") else "")
                + d.get("opts", ""))
            dev = f"virtio-blk-device,drive=d{i}" + packed + d.get("dev_opts", "")
            if "slot" in d:
                dev += f",bus=virtio-mmio-bus.{d['slot']}"
            cmd += ["-drive", drive, "-device", dev]
        for dev in devices:
            if packed and dev.split(",")[0].startswith("virtio-"):
                dev = dev.split(",")[0] + packed + dev[len(dev.split(",")[0]):]
            cmd += ["-device", dev]
        if append:
            cmd += ["-append", append]
        cmd += list(extra)
        cmd = pci_cmdline(cmd, self.transport)
        commands = list(commands)
        if wait_prompt and (not commands or not commands[-1].startswith("poweroff")):
            commands.append("poweroff")
        run = run_qemu(cmd, commands, timeout * load_factor(), wait_prompt, at_once)
        self.runs.append(run)
        # a handout before lab 10 has no PCI enumeration: nothing to grade
        if self.transport in PCI_TRANSPORTS and "pci: 0 functions on bus" in run.output:
            raise Skip("no PCI function found: lab 10's enumeration is a stub in this tree")
        return run

    def expect(self, cond, message):
        if not cond:
            raise Fail(message)


# QEMU options for two NUMA nodes of 128 MiB and one hart each (boot with
# memory="256M"): each node gets its own memory node in the tree and its
# own PLIC.
NUMA2 = ["-smp", "2", "-object", "memory-backend-ram,id=m0,size=128M",
         "-object", "memory-backend-ram,id=m1,size=128M",
         "-numa", "node,memdev=m0,cpus=0", "-numa", "node,memdev=m1,cpus=1"]


# virtio-pci (lab 10): "pci" and "pci-legacy" run a test with each virtio
# device as a PCI function instead, modern only or legacy only.
PCI_TRANSPORTS = {"pci": ",disable-legacy=on", "pci-legacy": ",disable-modern=on",
                  "pci-packed": ",disable-legacy=on"}


def pci_cmdline(cmd, transport):
    """Rewrite `-device virtio-X-device,...` as `-device virtio-X-pci,...`
    (without the mmio bus= option) when transport is a PCI one."""
    if transport not in PCI_TRANSPORTS:
        return cmd
    out = list(cmd)
    for i in range(1, len(out)):
        m = re.fullmatch(r"virtio-(\w+)-device((?:,.*)?)", out[i])
        if out[i - 1] == "-device" and m:
            opts = ",".join(o for o in m.group(2).split(",") if o and not o.startswith("bus="))
            out[i] = f"virtio-{m.group(1)}-pci" + ("," + opts if opts else "") + \
                PCI_TRANSPORTS[transport]
    return out


# Set by grade.py --fail-fast after the first failure: a QEMU run still
# going stops at once instead of running to its end or its timeout (a
# mutant that loses interrupts would otherwise hold a job for the whole
# deadline of every request), and its test is reported as not run.
STOP = threading.Event()


class Stopped(Exception):
    """The run was cut short by STOP."""


# Criterion's runner talks to its test processes over a socket it names
# /tmp/criterion_<its pid>.sock, whatever TMPDIR says. A runner that ends
# by signal, as `--fail-fast` makes it end, leaves the file behind; on a
# machine with several users, a later runner of another user that gets
# the same pid cannot bind there and stops before running anything
# ("Could not initialize the message server: Address already in use").
# So the runner's own socket is removed after it, and a runner that
# could not start is started again, with a new pid.
CRITERION_BUSY = "Could not initialize the message server"


def run_criterion(cmd, cwd=None, env=None, timeout=None, tries=3):
    """Run a Criterion binary; returns (returncode, stdout, stderr)."""
    attempt = 0
    while True:
        attempt += 1
        proc = started(subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True))
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            finished(proc)
            try:
                os.unlink(f"/tmp/criterion_{proc.pid}.sock")
            except OSError:
                pass  # removed by the runner itself, or never made
        if CRITERION_BUSY not in out + err or attempt == tries:
            return proc.returncode, out, err


# QEMU's own start-up is most of a short boot's cost, and much of that is
# page faults as its allocator touches fresh heap pages one 4 KiB page at
# a time. glibc (2.35 on) can ask for transparent huge pages for its heap
# instead: on a 2-core host with THP in madvise mode that cut make grade's
# CPU from 48 to 42 s, for about 3 MiB more memory a QEMU. Where THP is
# off, or glibc is older, the setting is ignored; the guest sees no
# difference.
QEMU_ENV = dict(os.environ, GLIBC_TUNABLES=":".join(
    filter(None, [os.environ.get("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=1"])))


def run_qemu(cmd, commands, timeout, wait_prompt=True, at_once=False):
    """Start QEMU, feed one command each time the prompt appears (or all of
    them at once), and collect everything it prints until it exits or
    `timeout` seconds pass."""
    start = time.monotonic()
    proc = started(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, env=QEMU_ENV))
    out = bytearray()
    pending = list(commands)
    if at_once:
        # QEMU reads what the pipe holds as the guest takes it
        try:
            proc.stdin.write(b"".join(c.encode() + b"\r" for c in pending))
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        pending = []
    prompts_seen = 0
    timed_out = False
    try:
        while True:
            if STOP.is_set():
                raise Stopped()
            left = timeout - (time.monotonic() - start)
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([proc.stdout], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
                # QEMU passes the console on a byte at a time: while the
                # kernel is printing, let some gather before the next read
                # (a 32 KiB hexdump took 40,000 reads, and as much CPU in
                # this loop as in QEMU). A prompt is answered at once.
                if len(chunk) < 4096 and not out.endswith(PROMPT):
                    time.sleep(0.002)
            # a new prompt at the very end of the output asks for input
            if pending and out.endswith(PROMPT) and out.count(PROMPT) > prompts_seen:
                prompts_seen = out.count(PROMPT)
                try:
                    proc.stdin.write(pending.pop(0).encode() + b"\r")
                    proc.stdin.flush()
                except BrokenPipeError:
                    pass
    finally:
        if proc.poll() is None:
            proc.kill()
        status = proc.wait()
        finished(proc)
    text = out.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "")
    # the shell echoes what we type; keep the echo so a log reads naturally
    return Run(shlex.join(cmd), text, status, timed_out, time.monotonic() - start)


def load_factor():
    """How much longer than on an idle machine a run may take: the timeouts
    are there to end hangs, and on a machine whose cores are all busy with
    other work a healthy run is that much slower (at most 4 times)."""
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        return 1.0
    return min(4.0, max(1.0, load))


def lab_numbers(root):
    """The labs the tree at root has a grader for (tests/grade/labN.py),
    in order: what grade.py, run_all.py and handout.py take as the labs."""
    d = os.path.join(root, "tests", "grade")
    return sorted(int(f[3:-3]) for f in os.listdir(d) if re.match(r"lab\d+\.py$", f))


def make_disk(path, size, fill=None):
    """A raw disk image of `size` bytes; fill(sector) -> 512 bytes, or zeros."""
    with open(path, "wb") as f:
        if fill is None:
            f.truncate(size)
            return path
        for s in range(size // 512):
            f.write(fill(s))
    return path


_CYCLE = bytes(range(256)) * 4


def sector_pattern(sector):
    """A pattern a test can recognise: each sector says which one it is,
    then byte i of the rest is (sector * 7 + i) & 0xff. The kernel's
    blkstress command checks reads against the same pattern."""
    head = f"SECTOR {sector:08d} ".encode()
    start = (sector * 7) & 0xFF
    return head + _CYCLE[start:start + 512 - len(head)]


def scratch_dir(root, prefix="scratch-"):
    """A directory for a test's disks under ROOT/build/grade (not the
    system's temporary directory, where failed runs used to pile up)."""
    base = os.path.join(root, "build", "grade")
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=prefix, dir=base)
