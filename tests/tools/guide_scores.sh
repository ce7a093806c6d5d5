#!/bin/sh
# The score each guide says a finished lab ends with (`make grade LAB=N`:
# "Score: X/X" and "N passed, 0 failed") is the one the graders give the
# solution today: the QEMU tests the lab's grader registers, with their
# points, and the lab's unit tests at a point each. Counted, not run
# (make test runs the graders elsewhere), so that adding a test without
# updating the guide fails here. lab-guides/README.md's example is lab 1's.
set -eu
cd "$(dirname "$0")/../.."
exec python3 - <<'PY'
import glob, importlib, os, re, subprocess, sys
sys.path.insert(0, "tests/grade")
import gradelib

tally = [0, 0]


def check(name, cond, why=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + why))
    tally[not cond] += 1


for f in sorted(glob.glob("tests/grade/lab*.py")):
    m = re.fullmatch(r"tests/grade/(lab\d+)\.py", f)
    if m:
        importlib.import_module(m.group(1))
units = subprocess.run(["build/unit-tests-ubsan", "--list"], capture_output=True, text=True,
                       check=True).stdout
# (lab, points) of every unit test: a test of given code is worth 0
unit_tests = [(int(m.group(1)), gradelib.unit_points(m.group(0)))
              for m in re.finditer(r"(?<=── )lab(\d+)_\w+$", units, re.M)]


def score(lab, without=""):
    """(points, tests) of `make grade LAB=lab`; `without` leaves out the
    QEMU tests whose name contains it (they skip)."""
    qemu = [t for t in gradelib.TESTS if t.lab == lab and not (without and without in t.name)]
    unit = [pts for n, pts in unit_tests if n == lab]
    return sum(t.points for t in qemu) + sum(unit), len(qemu) + len(unit)


BLOCK = re.compile(r"```\nScore: (\d+)/(\d+)\n(\d+) passed, 0 failed\n```")
for p in sorted(glob.glob("lab-guides/*.md")):
    text = open(p, encoding="utf-8").read()
    blocks = list(re.finditer(r"A\s+finished\s+lab (\d+)\s+ends\s+with:\s*\n\s*" + BLOCK.pattern,
                              text))
    n = re.match(r"lab-guides/lab(\d+)-", p)
    if n and int(n.group(1)) <= 8:  # labs 0-8 say what a finished lab scores
        check(f"{p}: one \"A finished lab {n.group(1)} ends with\" score block",
              [int(m.group(1)) for m in blocks] == [int(n.group(1))],
              f"found {len(blocks)}")
    for m in blocks:
        lab = int(m.group(1))
        got = (int(m.group(2)), int(m.group(4)))
        want = score(lab)
        check(f"{p}: lab {lab} ends with Score {want[0]}/{want[0]}, {want[1]} passed",
              m.group(2) == m.group(3) and got == want,
              f"the guide says Score {m.group(2)}/{m.group(3)}, {m.group(4)} passed")
    for m in re.finditer(r"\(`Score: (\d+)/(\d+)` and `(\d+) passed, 0 failed, (\d+) skipped` "
                         r"without\s+the\s+shared", text):
        skipped = [t for t in gradelib.TESTS if t.lab == 6 and "shared vector" in t.name]
        pts, n = score(6, "shared vector")
        check(f"{p}: without ../shared, Score {pts}/{pts}, {n} passed, {len(skipped)} skipped",
              (int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))) ==
              (pts, pts, n, len(skipped)), m.group(0))
text = open("lab-guides/README.md", encoding="utf-8").read()
m = re.search(r"PASS  lab1: .*\n```\n\nthen a total and a count:\n\n" + BLOCK.pattern, text)
want = score(1)
check(f"lab-guides/README.md: the example total is lab 1's, Score {want[0]}/{want[0]}, "
      f"{want[1]} passed", bool(m) and (int(m.group(1)), int(m.group(3))) == want,
      m.group(0).split("\n")[-3:-1].__str__() if m else "no lab 1 example found")
print(f"{tally[0]} passed, {tally[1]} failed")
sys.exit(1 if tally[1] else 0)
PY
