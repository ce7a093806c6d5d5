#!/usr/bin/env python3
"""`make test`: every check the project has, in one run, with one tally.

  1. host unit tests (Criterion, ASan + UBSan, the fake virtio device)
  2. host tool tests (mkfs-eclipsefs / eclipsefs-dump round trip)
  3. every QEMU grader on the solution, both transports
  4. the guides' kernel-session blocks, replayed (tests/doctest.py)
  5. the handout proof: for each lab N, the handout with labs < N solved
     builds with -Werror, passes the graders of labs < N and fails lab N's
  6. short fuzz runs, when clang's libFuzzer is available
  7. formatting (clang-format --dry-run)

The last line is `N passed, N failed` (`, N skipped` where something could
not run here). Exit status 0 only when nothing failed.
"""

import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
tally = {"passed": 0, "failed": 0, "skipped": 0}
failures = []


def count(outcome, name, why=""):
    tally[outcome] += 1
    if outcome == "failed":
        failures.append(f"{name}: {why}" if why else name)
    print(f"  {outcome.upper():7} {name}{(': ' + why) if why and outcome != 'passed' else ''}",
          flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=kw.pop("cwd", ROOT), capture_output=True, text=True, **kw)


_phase_start = [None]


def phase(title):
    now = time.monotonic()
    if _phase_start[0] is not None:
        print(f"  ({now - _phase_start[0]:.0f}s)", flush=True)
    _phase_start[0] = now
    print(f"\n== {title}", flush=True)


def unit_tests():
    phase("host unit tests (Criterion)")
    exe = os.path.join(BUILD, "unit-tests")
    r = run([exe, "--jobs", "2"])
    out = r.stdout + r.stderr
    m = re.search(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)",
                  out)
    if not m:
        print(out[-3000:])
        count("failed", "unit tests", "no Criterion summary (did the binary crash?)")
        return
    tested, passing, failing, crashing = map(int, m.groups())
    for line in out.splitlines():
        if "[FAIL]" in line or "CRASH" in line or "ERROR" in line:
            print("    " + line)
    tally["passed"] += passing
    tally["failed"] += failing + crashing
    if failing or crashing:
        failures.append(f"unit tests: {failing} failing, {crashing} crashing")
    print(f"  {tested} unit tests: {passing} passing, {failing} failing, {crashing} crashing")


def tool_tests():
    phase("host tool tests")
    scripts = sorted(f for f in os.listdir(os.path.join(ROOT, "tests", "tools"))
                     if f.endswith(".sh")) if os.path.isdir(os.path.join(ROOT, "tests", "tools")) else []
    for s in scripts:
        r = run(["bash", os.path.join("tests", "tools", s)])
        out = r.stdout + r.stderr
        # each script ends with its own `N passed, N failed[, N skipped]`
        m = re.search(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", out, re.M)
        for line in out.splitlines():
            if re.match(r"^(FAIL|not ok|SKIP|skip)\b", line):
                print("    " + line)
        if not m:
            count("failed", s, f"no summary line; exit status {r.returncode}\n{out[-1500:]}")
            continue
        tally["passed"] += int(m.group(1))
        tally["failed"] += int(m.group(2))
        tally["skipped"] += int(m.group(3) or 0)
        if int(m.group(2)) or r.returncode != 0:
            failures.append(f"{s}: {m.group(2)} failed, exit status {r.returncode}")
        print(f"  {s}: {m.group(0)}")


def grade(root, labs, transport=None, quiet=True):
    cmd = [sys.executable, os.path.join(ROOT, "tests", "grade", "grade.py"), "--root", root,
           "--lab", ",".join(map(str, labs))]
    if transport:
        cmd += ["--transport", transport]
    if quiet:
        cmd.append("-q")
    r = run(cmd)
    m = re.search(r"^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$", r.stdout, re.M)
    return r, m


def graders():
    phase("QEMU graders on the solution (both transports)")
    labs = lab_numbers()
    r, m = grade(ROOT, labs, quiet=False)
    for line in r.stdout.splitlines():
        mm = re.match(r"^(PASS|FAIL|SKIP)\s+(.*)$", line)
        if mm:
            outcome = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[mm.group(1)]
            tally[outcome] += 1
            if outcome == "failed":
                failures.append(mm.group(2))
        if not line.startswith("PASS"):
            print("  " + line)
    if not m:
        count("failed", "graders", "grade.py printed no summary:\n" + r.stdout[-2000:] + r.stderr[-2000:])
    else:
        print(f"  graders: {m.group(0)}")


def lab_numbers():
    d = os.path.join(ROOT, "tests", "grade")
    return sorted(int(f[3:-3]) for f in os.listdir(d) if re.match(r"lab\d+\.py$", f))


def handout_proofs():
    phase("handout proofs: lab N's handout fails lab N's grader, passes the labs before")
    for n in lab_numbers():
        out = os.path.join(BUILD, f"handout-lab{n}")
        r = run([sys.executable, "tools/handout.py", "--lab", str(n), "--out", out])
        if r.returncode != 0:
            count("failed", f"handout lab {n}: generate", r.stderr.strip())
            continue
        r = run(["make", "-j2", "kernel", "tools", "build/sample.img"], cwd=out)
        if r.returncode != 0:
            count("failed", f"handout lab {n}: builds with -Werror", (r.stdout + r.stderr)[-2000:])
            continue
        count("passed", f"handout lab {n}: builds with -Werror")
        g, m = grade(out, [n], transport="legacy")
        if m and int(m.group(2)) > 0:
            count("passed", f"handout lab {n}: lab {n} grader fails ({m.group(2)} tests fail)")
        else:
            count("failed", f"handout lab {n}: lab {n} grader should fail on the stubs",
                  g.stdout[-1500:])
        if n > 0:
            before = list(range(n))
            g, m = grade(out, before, transport="legacy")
            if m and int(m.group(2)) == 0 and int(m.group(1)) > 0:
                count("passed", f"handout lab {n}: labs 0-{n - 1} graders pass ({m.group(1)} tests)")
            else:
                count("failed", f"handout lab {n}: labs 0-{n - 1} graders should pass",
                      g.stdout[-3000:])
        shutil.rmtree(out, ignore_errors=True)


def doc_tests():
    phase("guides: every kernel-session block replayed on the solution")
    r = run([sys.executable, "tests/doctest.py"])
    for line in r.stdout.splitlines():
        m = re.match(r"^(PASS|FAIL): (.*)$", line)
        if m:
            count("passed" if m.group(1) == "PASS" else "failed", "doc " + m.group(2))
    if r.returncode != 0 and "FAIL" not in r.stdout:
        count("failed", "doc tests", (r.stdout + r.stderr)[-1500:])


def fuzzers():
    phase("fuzzing (short bounded runs; `make fuzz FUZZ_SECONDS=300` for longer)")
    r = run(["make", "-s", "fuzz", "FUZZ_SECONDS=10"])
    out = r.stdout + r.stderr
    if "no fuzzers" in out or "libFuzzer is not available" in out:
        count("skipped", "fuzzing", "clang with libFuzzer is not installed")
        return
    for line in out.splitlines():
        m = re.match(r"^(PASS|FAIL|SKIP)\b:?\s*(.*)$", line)
        if m:
            outcome = {"PASS": "passed", "FAIL": "failed", "SKIP": "skipped"}[m.group(1)]
            count(outcome, "fuzz " + m.group(2))
    if r.returncode != 0 and "FAIL" not in out:
        count("failed", "fuzzing", out[-2000:])


def formatting():
    phase("formatting")
    if not shutil.which("clang-format"):
        count("skipped", "clang-format", "clang-format is not installed")
        return
    r = run(["make", "-s", "format-check"])
    if r.returncode == 0:
        count("passed", "sources follow .clang-format")
    else:
        count("failed", "sources follow .clang-format", (r.stdout + r.stderr)[-1500:])


def main():
    start = time.monotonic()
    unit_tests()
    tool_tests()
    graders()
    doc_tests()
    handout_proofs()
    fuzzers()
    formatting()
    phase("summary")
    print(f"make test took {time.monotonic() - start:.0f}s")
    if failures:
        print("failed:")
        for f in failures:
            print("  - " + f.split("\n")[0])
    line = f"{tally['passed']} passed, {tally['failed']} failed"
    if tally["skipped"]:
        line += f", {tally['skipped']} skipped"
    print(line)
    sys.exit(1 if tally["failed"] else 0)


if __name__ == "__main__":
    main()
