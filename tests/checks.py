"""The checks tests/run_all.py runs, a function each: the unit tests and
their names, the host tool scripts, a lab's grader on one transport, the
guides' replayed sessions, the fuzzers and the formatting. Each counts what
it ran in the phase it is given (jobs.Phase); run_all.py decides what runs
when, and owns the handout and mutation proofs."""

import os
import re
import shutil
import sys

from jobs import SUMMARY, current, run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "grade"))
import gradelib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
GRADE = os.path.join(ROOT, "tests", "grade", "grade.py")

# --- 1. unit tests ------------------------------------------------------------------------

def unit_tests(ph, root, binary, where=""):
    """Every unit test of every lab in the tree `root`, each one counted.
    Criterion starts each test as a new process, which for the sanitized
    build (ASan, UBSan, LeakSanitizer) costs four times as much: the fast
    tier runs the UBSan-only build, the slow tier the ASan one, with
    LeakSanitizer on. Returns whether all passed."""
    leaks = ["--leaks"] if binary == "unit-tests" else []
    r = run([sys.executable, GRADE, "--root", root, "--no-qemu", "--unit-binary", binary, "-q"]
            + leaks)
    m = SUMMARY.search(r.stdout)
    for line in r.stdout.splitlines():
        if line.startswith("FAIL"):
            ph.say("    " + line)
    what = f"the unit tests of every lab{where} ({binary})"
    passed = bool(m) and m.group(2) == "0"
    ph.add(int(m.group(1)) if m else 0, int(m.group(2)) if m else 1,
           failure=None if passed else
           f"{what}: " + (m.group(0) if m else (r.stdout + r.stderr)[-500:]))
    ph.say(f"  {what}: " + (m.group(0) if m else "no summary"))
    return passed


def unit_names(ph, binary):
    """Every unit test says which lab's code it tests: grade.py and `make
    unit LAB=n` select by that name."""
    exe = os.path.join(BUILD, binary)
    r = run([exe, "--list"])
    untagged, suite = [], None
    for line in (r.stdout + r.stderr).splitlines():
        m = re.match(r"^(\w+): \d+ tests?$", line)
        if m:
            suite = m.group(1)
        m = re.match(r"^[├└]── (\w+)$", line)
        if m and not re.match(r"lab\d+_", m.group(1)):
            untagged.append(f"{suite}/{m.group(1)}")
    if untagged:
        ph.count("failed", "every unit test is named labN_...",
                 f"{len(untagged)} are not: " + ", ".join(untagged[:10]))
    else:
        ph.count("passed", "every unit test is named labN_... (its lab)")


# --- 2. tool tests --------------------------------------------------------------------------

# the tool tests of the slow tier: each takes from 5 s to over a minute
SLOW_TOOLS = {
    "autograder.sh",  # five Gradescope runs, each building its tree from scratch
    "autograder_messages.sh",  # a bundle built twice and a broken submission graded
    "docs.sh",  # the course site rendered in headless Chromium
    "gdb.sh",  # a debug build of the kernel and a gdb session
    "grade_interrupt.sh",  # Ctrl-C in the middle of a lab's grading run
    "install_deps.sh",  # tools/install-deps run a dozen times on a fake PATH
    "leaks.sh",  # two programs built with ASan, graded with and without --leaks
    "roundtrip.sh",  # mkfs and dump of many trees: the lab 6 grader runs mkfs anyway
}


def tool_tests(ph, slow):
    d = os.path.join(ROOT, "tests", "tools")
    scripts = sorted(f for f in os.listdir(d) if f.endswith(".sh") and (f in SLOW_TOOLS) == slow)
    for s in scripts:
        r = run(["bash", os.path.join("tests", "tools", s)])
        out = r.stdout + r.stderr
        # each script ends with its own `N passed, N failed[, N skipped]`
        m = SUMMARY.search(out)
        for line in out.splitlines():
            if re.match(r"^(FAIL|not ok|SKIP|skip)\b", line):
                ph.say("    " + line)
        if not m:
            ph.count("failed", s, f"no summary line; exit status {r.returncode}\n{out[-1500:]}")
            continue
        bad = int(m.group(2)) or r.returncode != 0
        ph.add(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0),
               failure=f"{s}: {m.group(2)} failed, exit status {r.returncode}" if bad else None)
        ph.say(f"  {s}: {m.group(0)}")


# --- 3. graders -----------------------------------------------------------------------------

def lab_numbers():
    return gradelib.lab_numbers(ROOT)


# Which labs each transport grades. Legacy mmio grades every lab in the
# handout proofs (fast tier). The slow tier grades every lab but 0 (its
# tests use no virtio device, and run once, on legacy mmio) on the full
# solution over modern mmio, and adds virtio-pci for the labs whose code
# runs over any transport (lab 10 is PCI itself; lab 0 boots with no
# device), legacy PCI for labs 2-9 (lab 1 is about the mmio slots; legacy
# queues keep the device's size, so tests that need a small one ask QEMU
# for it), and the
# packed ring, on mmio and on PCI, for the labs whose code drives a queue
# (issue 12, 13; lab 9's rng and net too on PCI) and for lab 2, whose
# negotiation must accept RING_PACKED there.
SLOW_MATRIX = {
    "modern": range(1, 99),
    "pci": range(1, 10),
    "pci-legacy": range(2, 10),
    "modern-packed": (2, 3, 4, 5, 7, 8),
    "pci-packed": (2, 3, 4, 5, 7, 8, 9),
}


def graders(ph, lab, transport, root=ROOT, where=""):
    """Run lab's grader on `transport`, counting each of its tests.
    Returns the (passed, failed) counts, or None without a summary."""
    ph.started()
    caller, current.phase = getattr(current, "phase", None), ph  # charge the CPU to ph
    r = run([sys.executable, GRADE, "--root", root, "--lab", str(lab), "--transport", transport,
             "--no-unit", "-j2", "-q"])
    current.phase = caller
    for line in r.stdout.splitlines():
        mm = re.match(r"^(FAIL|SKIP)\s+(.*)$", line)
        if mm and mm.group(1) == "FAIL":
            ph.add(failure=mm.group(2) + where)
        if not line.startswith(("Score:", "PASS")) and not SUMMARY.match(line):
            ph.say("  " + line)
    m = SUMMARY.search(r.stdout)
    if not m:
        ph.count("failed", f"lab {lab} grader [{transport}]{where}",
                 "grade.py printed no summary:\n" + r.stdout[-2000:] + r.stderr[-2000:])
        return None
    ph.add(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    ph.say(f"  lab {lab} [{transport}]{where}: {m.group(0)}")
    return int(m.group(1)), int(m.group(2))


# --- 4. doc tests ---------------------------------------------------------------------------

def doc_tests(ph):
    r = run([sys.executable, "tests/doctest.py", "-j2"])
    for line in r.stdout.splitlines():
        m = re.match(r"^(PASS|FAIL): (.*)$", line)
        if m:
            ph.count("passed" if m.group(1) == "PASS" else "failed", "doc " + m.group(2))
    if r.returncode != 0 and "FAIL" not in r.stdout:
        ph.count("failed", "doc tests", (r.stdout + r.stderr)[-1500:])


# --- 5. fuzzing, formatting --------------------------------------------------------------------

def fuzzers(ph, seconds):
    r = run(["make", "-s", f"-j{os.cpu_count() or 2}", "fuzz", f"FUZZ_SECONDS={seconds}"])
    out = r.stdout + r.stderr
    if "no fuzzers" in out or "libFuzzer is not available" in out:
        ph.count("skipped", "fuzzing", "clang with libFuzzer is not installed")
        return
    for line in out.splitlines():
        m = re.match(r"^(PASS|FAIL|SKIP)\b:?\s*(.*)$", line)
        if m:
            outcome = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[m.group(1)]
            ph.count(outcome, "fuzz " + m.group(2))
    if r.returncode != 0 and "FAIL" not in out:
        ph.count("failed", "fuzzing", out[-2000:])


def formatting(ph):
    if not shutil.which("clang-format"):
        ph.count("skipped", "clang-format", "clang-format is not installed")
        return
    r = run(["make", "-s", "format-check"])
    if r.returncode == 0:
        ph.count("passed", "sources follow .clang-format")
    else:
        ph.count("failed", "sources follow .clang-format", (r.stdout + r.stderr)[-1500:])
