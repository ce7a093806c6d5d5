#!/usr/bin/env python3
"""`make test`: every check the project has, in one run, with one tally.

  1. host unit tests (Criterion, ASan + UBSan, the fake virtio device)
  2. host tool tests (mkfs-eclipsefs / eclipsefs-dump round trip)
  3. every QEMU grader on the solution, both transports
  4. the guides' kernel-session blocks, replayed (tests/doctest.py)
  5. the handout proof: for each lab N, the handout with labs < N solved
     builds with -Werror, fails lab N's grader, and passes lab N - 1's
     grader and the unit tests of labs 0 to N - 1
  6. the mutation proof (tests/mutants): every classic bug is caught by its
     lab's unit tests or grader
  7. short fuzz runs, when clang's libFuzzer is available
  8. formatting (clang-format --dry-run)

The work is cut into jobs that run a few at a time (-j, default 3): the
machine has two cores, and a QEMU test spends part of its time waiting.
Each phase is printed when its last job ends, with the time it took from
its first job's start. The last line is `N passed, N failed`
(`, N skipped` where something could not run here); exit status 0 only
when nothing failed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
GRADE = os.path.join(ROOT, "tests", "grade", "grade.py")
sys.path.insert(0, os.path.join(ROOT, "tests", "mutants"))
import run as mutation  # noqa: E402
from mutants import MUTANTS  # noqa: E402

SUMMARY = re.compile(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", re.M)
lock = threading.Lock()
tally = {"passed": 0, "failed": 0, "skipped": 0}
failures = []


def run(cmd, cwd=ROOT, timeout=900):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or "")
        return subprocess.CompletedProcess(cmd, -1, out + f"\n(killed after {timeout} s)", "")


class Phase:
    """A named group of jobs; collects their lines and counts."""

    def __init__(self, title, jobs):
        self.title, self.jobs_left = title, jobs
        self.lines, self.start, self.end = [], None, None

    def started(self):
        with lock:
            if self.start is None:
                self.start = time.monotonic()

    def count(self, outcome, name, why=""):
        with lock:
            tally[outcome] += 1
            if outcome == "failed":
                failures.append(f"{name}: {why}" if why else name)
            shown = f": {why}" if why and outcome != "passed" else ""
            self.lines.append(f"  {outcome.upper():7} {name}{shown}")

    def add(self, passed=0, failed=0, skipped=0, failure=None):
        with lock:
            tally["passed"] += passed
            tally["failed"] += failed
            tally["skipped"] += skipped
            if failure:
                failures.append(failure)

    def say(self, text):
        with lock:
            self.lines += text.rstrip("\n").split("\n")

    def job_done(self):
        with lock:
            self.jobs_left -= 1
            if self.jobs_left:
                return
            self.end = time.monotonic()
            print(f"\n== {self.title} ({self.end - self.start:.0f}s)", flush=True)
            for line in self.lines:
                print(line)
            sys.stdout.flush()


def job(phase, fn, *args):
    """A job of `phase`: a grader bug or a crash is a failure, never lost."""

    def go():
        phase.started()
        try:
            fn(phase, *args)
        except Exception as e:  # noqa: BLE001
            phase.count("failed", f"{fn.__name__}{args}", f"test harness error: {e!r}")
        finally:
            phase.job_done()

    return go


# --- 1. unit tests --------------------------------------------------------------------

def unit_tests(ph):
    exe = os.path.join(BUILD, "unit-tests")
    r = run([exe, "--jobs", "2"])
    out = r.stdout + r.stderr
    m = re.search(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)",
                  out)
    if not m:
        ph.say(out[-3000:])
        ph.count("failed", "unit tests", "no Criterion summary (did the binary crash?)")
        return
    tested, passing, failing, crashing = map(int, m.groups())
    for line in out.splitlines():
        if "[FAIL]" in line or "CRASH" in line or "ERROR" in line:
            ph.say("    " + line)
    ph.add(passing, failing + crashing,
           failure=f"unit tests: {failing} failing, {crashing} crashing"
           if failing or crashing else None)
    ph.say(f"  {tested} unit tests: {passing} passing, {failing} failing, {crashing} crashing")
    # every test says which lab's code it tests (grade.py and `make unit
    # LAB=n` select by that name)
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


# --- 2. tool tests --------------------------------------------------------------------

def tool_tests(ph):
    d = os.path.join(ROOT, "tests", "tools")
    scripts = sorted(f for f in os.listdir(d) if f.endswith(".sh")) if os.path.isdir(d) else []
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


# --- 3. graders on the solution ---------------------------------------------------------

def lab_numbers():
    d = os.path.join(ROOT, "tests", "grade")
    return sorted(int(f[3:-3]) for f in os.listdir(d) if re.match(r"lab\d+\.py$", f))


def graders(ph, lab, transport):
    r = run([sys.executable, GRADE, "--lab", str(lab), "--transport", transport, "--no-unit",
             "-j2", "-q"])
    for line in r.stdout.splitlines():
        mm = re.match(r"^(FAIL|SKIP)\s+(.*)$", line)
        if mm:
            outcome = {"FAIL": "failed", "SKIP": "skipped"}[mm.group(1)]
            if outcome == "failed":
                ph.add(failure=mm.group(2))
        if not line.startswith(("Score:", "PASS")) and not SUMMARY.match(line):
            ph.say("  " + line)
    m = SUMMARY.search(r.stdout)
    if not m:
        ph.count("failed", f"lab {lab} grader [{transport}]",
                 "grade.py printed no summary:\n" + r.stdout[-2000:] + r.stderr[-2000:])
        return
    ph.add(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    ph.say(f"  lab {lab} [{transport}]: {m.group(0)}")


# --- 4. doc tests -----------------------------------------------------------------------

def doc_tests(ph):
    r = run([sys.executable, "tests/doctest.py", "-j2"])
    for line in r.stdout.splitlines():
        m = re.match(r"^(PASS|FAIL): (.*)$", line)
        if m:
            ph.count("passed" if m.group(1) == "PASS" else "failed", "doc " + m.group(2))
    if r.returncode != 0 and "FAIL" not in r.stdout:
        ph.count("failed", "doc tests", (r.stdout + r.stderr)[-1500:])


# --- 5. handout proofs ---------------------------------------------------------------------

handouts = {}  # lab -> (threading.Event, path or None when it failed)


def handout_dir(n):
    return os.path.join(BUILD, "proof", f"handout-lab{n}")


def handout(ph, n):
    out = handout_dir(n)
    ok = False
    try:
        built, log = mutation.build_handout(n, out)
        if not built:
            ph.count("failed", f"handout lab {n}: builds with -Werror", log[-2000:])
            return
        ph.count("passed", f"handout lab {n}: builds with -Werror")
        # lab n's grader must fail on the stubs: the first failure is enough
        r = run([sys.executable, GRADE, "--root", out, "--lab", str(n), "--transport", "legacy",
                 "--no-unit", "--fail-fast", "-q", "-j2"])
        m = SUMMARY.search(r.stdout)
        if m and int(m.group(2)) > 0:
            ph.count("passed", f"handout lab {n}: lab {n} grader fails on the stubs")
        else:
            ph.count("failed", f"handout lab {n}: lab {n} grader should fail on the stubs",
                     r.stdout[-1500:])
        if n == 0:
            ok = True
            return
        # the lab just done passes its grader with every later lab stubbed,
        # and the unit tests of every lab done so far pass: the baseline of
        # the mutants of lab n - 1, and what `make unit LAB=n-1` promises
        r = run([sys.executable, GRADE, "--root", out, "--lab", str(n - 1), "--transport",
                 "legacy", "--no-unit", "-q", "-j2"])
        m = SUMMARY.search(r.stdout)
        if m and int(m.group(2)) == 0 and int(m.group(1)) > 0:
            ph.count("passed", f"handout lab {n}: lab {n - 1} grader passes ({m.group(1)} tests)")
            ok = True
        else:
            ph.count("failed", f"handout lab {n}: lab {n - 1} grader should pass",
                     r.stdout[-3000:])
        r = run([sys.executable, GRADE, "--root", out, "--lab",
                 ",".join(map(str, range(n))), "--no-qemu", "--unit-binary", "unit-tests-plain",
                 "-q"])
        m = SUMMARY.search(r.stdout)
        if m and int(m.group(2)) == 0:
            ph.count("passed", f"handout lab {n}: unit tests of labs 0-{n - 1} pass "
                               f"({m.group(1)} tests)")
        else:
            ok = False
            ph.count("failed", f"handout lab {n}: unit tests of labs 0-{n - 1} should pass",
                     r.stdout[-3000:])
    finally:
        handouts[n][1].append(out if ok else None)
        handouts[n][0].set()


# --- 6. mutants --------------------------------------------------------------------------

def mutant(ph, mut):
    ev, result = handouts.get(mut["lab"] + 1, (None, None))
    if ev is None:
        ph.count("failed", f"mutant lab{mut['lab']} {mut['id']}", "no handout for its lab")
        return
    ev.wait()
    if not result[0]:
        with lock:
            mutant_results.append((mut, "not run"))
        ph.count("failed", f"mutant lab{mut['lab']} {mut['id']}",
                 f"not run: the lab {mut['lab'] + 1} handout failed its proof")
        return
    start = time.monotonic()
    outcome, detail = mutation.check(mut, result[0], os.path.join(BUILD, "proof"), False)
    name = f"lab{mut['lab']} {mut['id']}"
    secs = time.monotonic() - start
    with lock:
        mutant_results.append((mut, outcome))
    if outcome == "caught":
        ph.count("passed", f"mutant {name} caught ({secs:.0f}s): {detail}")
    else:
        ph.count("failed", f"mutant {name} {outcome}", f"{mut['why']}\n{detail}")


mutant_results = []


# --- 7, 8. fuzzing, formatting ---------------------------------------------------------------

def fuzzers(ph, seconds):
    r = run(["make", "-s", "fuzz", f"FUZZ_SECONDS={seconds}"])
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=3, help="jobs at once")
    ap.add_argument("--fuzz-seconds", type=int, default=5)
    args = ap.parse_args()
    start = time.monotonic()
    labs = lab_numbers()
    shutil.rmtree(os.path.join(BUILD, "proof"), ignore_errors=True)
    # the mutants' trees are the handouts of lab + 1
    for n in labs:
        handouts[n] = (threading.Event(), [])

    mutants = MUTANTS
    p_unit = Phase("host unit tests (Criterion)", 1)
    p_tools = Phase("host tool tests", 1)
    p_grade = Phase("QEMU graders on the solution (both transports)", 2 * len(labs))
    p_doc = Phase("guides: every kernel-session block replayed on the solution", 1)
    p_hand = Phase("handout proofs: lab N's handout fails lab N's grader, passes lab N-1's",
                   len(labs))
    p_mut = Phase("mutation proof: classic bugs, each caught by its lab's tests", len(mutants))
    p_fuzz = Phase("fuzzing (short bounded runs; `make fuzz FUZZ_SECONDS=300` for longer)", 1)
    p_fmt = Phase("formatting", 1)

    # The slowest chains first (handout, then its mutants), so the pool
    # never ends waiting on one long job; the graders and everything else
    # fill the gaps.
    jobs = [job(p_hand, handout, n) for n in labs]
    jobs += [job(p_unit, unit_tests)]
    jobs += [job(p_grade, graders, n, t) for t in ("legacy", "modern") for n in labs]
    jobs += [job(p_mut, mutant, m) for m in sorted(mutants, key=lambda m: m["lab"])]
    jobs += [job(p_doc, doc_tests), job(p_tools, tool_tests), job(p_fmt, formatting),
             job(p_fuzz, fuzzers, args.fuzz_seconds)]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for f in [pool.submit(j) for j in jobs]:
            f.result()

    caught = sum(1 for _, o in mutant_results if o == "caught")
    escaped = [f"lab{m['lab']} {m['id']} ({o})" for m, o in mutant_results if o != "caught"]
    print(f"\nmutants: {caught} of {len(mutants)} caught"
          + (f"; not caught: {', '.join(escaped)}" if escaped else ""))
    print(f"make test took {time.monotonic() - start:.0f}s")
    if failures:
        print("failed:")
        for f in failures:
            print("  - " + f.split("\n")[0])
    line = f"{tally['passed']} passed, {tally['failed']} failed"
    if tally["skipped"]:
        line += f", {tally['skipped']} skipped"
    print(line)
    shutil.rmtree(os.path.join(BUILD, "proof"), ignore_errors=True) if not tally["failed"] else None
    sys.exit(1 if tally["failed"] else 0)


if __name__ == "__main__":
    main()
