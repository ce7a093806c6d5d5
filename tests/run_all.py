#!/usr/bin/env python3
"""`make test` (and `make test-slow`, `make check`): the project's checks,
in one run, with one tally.

Two tiers. The fast one, `make test`, is what a developer runs after every
change and stays within 100 s on the 2-core machine:

  0. the build: kernel, host tools, the UBSan-only unit-test binary (make -j)
  1. every host unit test against the fake virtio device (on the full
     solution, the last tree of step 2)
  2. the handout proofs: for each lab N, the handout with labs < N solved
     builds with -Werror, fails lab N's grader and passes lab N - 1's
     grader. This is where every lab is graded in QEMU
     (legacy virtio-mmio), in the tree a student of the next lab starts
     from; the last "handout" is the full solution with its markers gone.
  3. the mutation proof (tests/mutants) of the graders: every classic bug
     that a QEMU grader test catches is caught by it in that same tree,
     by a test that passes there without the bug
  4. the guides' kernel-session blocks, replayed (tests/doctest.py)
  5. the quick host tool tests, the instruction bound, formatting

The slow tier, `make test-slow`, holds what costs minutes: every grader
on the full solution over modern virtio-mmio, then virtio-pci (modern and
legacy) and the packed ring; the unit tests under ASan, UBSan and
LeakSanitizer; `make unit LAB=N-1` on every lab-N handout, and there the
mutation proof of the unit tests (the classic bugs that lab N-1's unit
tests catch: 59 of the 72, 25 CPU-s that took make test past its budget
on a slow host); the EclipseFS
tool round trip; fuzzing; the Gradescope bundle run end to end; the course
web pages in a real browser; a gdb session. CI (.ci/run) runs both tiers.
`make check` runs both in one go.

The work is cut into jobs that run a few at a time (-j, default 3: the
machine has two cores, and a QEMU test spends part of its time waiting),
longest chains first. Each phase is printed when its last job ends, with
the time it took from its first job's start. The last line is
`N passed, N failed` (`, N skipped` where something could not run here);
exit status 0 only when nothing failed.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
GRADE = os.path.join(ROOT, "tests", "grade", "grade.py")
sys.path.insert(0, os.path.join(ROOT, "tests", "mutants"))
import run as mutation  # noqa: E402
from mutants import MUTANTS  # noqa: E402

from jobs import SUMMARY, Phase, Pool, failures, job, lock, run, tally  # noqa: E402
from checks import (SLOW_MATRIX, doc_tests, formatting, fuzzers, graders, lab_numbers,  # noqa: E402
                    tool_tests, unit_names, unit_tests)

# the mutation runner's commands go through jobs.run too, so the CPU they
# take is charged to the mutation phase
mutation.run = lambda cmd, cwd, timeout=None: run(cmd, cwd, timeout, raise_timeout=True)


# --- 0. the build ------------------------------------------------------------------------

# what each tier runs: the fast tier's unit tests are the UBSan-only build
# (handouts and mutants reuse its objects), the slow tier's the ASan one
PREREQS = {"fast": ["all", "build/sample.img", "build/unit-tests-ubsan"],
           "slow": ["all", "build/sample.img", "build/unit-tests", "build/unit-tests-ubsan"]}
PREREQS["all"] = PREREQS["slow"]


def build(ph, tier):
    # The solution's own compiles skip ccache: nothing later looks them
    # up. The handouts and mutants copy the solution's objects and
    # compile only the files they change, whose text the solution never
    # had (its marker comments are gone), so the cache serves them among
    # themselves. A cold cache cost the build 13% more CPU (25.8 against
    # 22.5 CPU-s), at the one point of the run where nothing else runs.
    r = run(["make", "-s", f"-j{os.cpu_count() or 2}", "NO_CCACHE=1"] + PREREQS[tier])
    if r.returncode == 0:
        ph.count("passed", "the kernel, the host tools and the unit tests build with -Werror")
        return True
    ph.count("failed", "the build", (r.stdout + r.stderr)[-3000:])
    return False


# --- 1. handout proofs, 2. mutants (the checks themselves: checks.py) ------------------------------------------------------------

def handout_dir(n):
    return os.path.join(BUILD, "proof", f"handout-lab{n}")


def in_qemu(mut):
    """Whether the mutant is caught by a QEMU grader test (CAUGHT_BY
    "qemu: ..."), or has no entry yet and so may need one. make test
    proves these; make test-slow proves those its lab's unit tests catch,
    on the whole handouts it builds anyway (CI runs both tiers)."""
    return not mutation.CAUGHT_BY.get(mut["id"], "").startswith("unit:")


def handout_targets(n, last):
    """What the handout proof of lab n builds. Its graders run with
    --no-unit, and its mutants are the ones caught in QEMU, so the unit
    tests are built only where they run: on the full solution, and under
    a mutant of lab n - 1 with no CAUGHT_BY entry (its full check runs
    the unit tests first)."""
    if n > last or any(m["lab"] == n - 1 and m["id"] not in mutation.CAUGHT_BY
                       for m in MUTANTS):
        return mutation.HANDOUT_TARGETS
    return [t for t in mutation.HANDOUT_TARGETS if t != "build/unit-tests-ubsan"]


def handout(ph, legacy, p_mut, pool, n, last, then=()):
    """The proof for the handout of lab n, where labs below n are solved.
    n == last + 1 is the full solution with its markers stripped: it has no
    lab to fail, and it is where the last lab is graded on legacy mmio and
    its mutants are made. Once the tree is known good (or not), the mutants
    of lab n - 1 are queued on it. `then`: jobs to queue once this tree is
    built (the other handouts wait for the full solution's, see fast_tier)."""
    out = handout_dir(n)
    ok = False
    try:
        try:
            built, log = mutation.build_handout(n, out, handout_targets(n, last))
        finally:
            for fn in then:
                pool.add(0, fn)
        if not built:
            ph.count("failed", f"handout lab {n}: builds with -Werror", log[-2000:])
            return
        ph.count("passed", f"handout lab {n}: builds with -Werror")
        if n <= last:
            # lab n's grader must fail on the stubs: the first failure is enough
            r = run([sys.executable, GRADE, "--root", out, "--lab", str(n), "--transport",
                     "legacy", "--no-unit", "--fail-fast", "-q", "-j2"])
            m = SUMMARY.search(r.stdout)
            if m and int(m.group(2)) > 0:
                ph.count("passed", f"handout lab {n}: lab {n} grader fails on the stubs")
            else:
                ph.count("failed", f"handout lab {n}: lab {n} grader should fail on the stubs",
                         r.stdout[-1500:])
        if n == 0:
            ok = True
            return
        # lab n - 1 graded with every later lab stubbed: its legacy mmio
        # grade (each test counted), and the baseline of its mutants
        where = f" (lab {n} handout)" if n <= last else " (solution)"
        res = graders(legacy, n - 1, "legacy", out, where)
        ok = bool(res and res[0] > 0 and res[1] == 0)
        if ok:  # its mutants need not run a grader test on it again
            mutation.graded.add((out, "legacy"))
        if n > last:  # every unit test, on the full solution
            ok = unit_tests(ph, out, "unit-tests-ubsan", ", on the full solution") and ok
    finally:
        for mut in (m for m in MUTANTS if m["lab"] == n - 1 and in_qemu(m)):
            # a mutant caught in QEMU mostly waits (a lost interrupt shows
            # as requests ending at their deadline): start those first, so
            # their waiting overlaps the rest instead of ending the run
            slow = mutation.CAUGHT_BY.get(mut["id"], "").startswith("qemu:")
            pool.add(0 if slow else 1, job(p_mut, mutant, mut, out if ok else None, n))


def mutant(ph, mut, base, n, work_root=os.path.join(BUILD, "proof")):
    name = f"lab{mut['lab']} {mut['id']}"
    if base is None:
        with lock:
            mutant_results.append((mut, "not run"))
        ph.count("failed", f"mutant {name}", f"not run: the lab {n} handout failed its proof")
        return
    start = time.monotonic()
    outcome, detail = mutation.check(mut, base, work_root, False)
    secs = time.monotonic() - start
    with lock:
        mutant_results.append((mut, outcome))
    if outcome == "caught":
        ph.count("passed", f"mutant {name} caught ({secs:.0f}s): {detail}")
    else:
        ph.count("failed", f"mutant {name} {outcome}", f"{mut['why']}\n{detail}")


mutant_results = []


def handout_units(ph, p_mut, pool, n, last):
    """The lab-n handout builds whole, with its own host tools, and `make
    unit LAB=n-1` is green on it (issue 14): the unit tests of every lab
    done so far pass with every later lab stubbed.
    (The fast tier runs lab n - 1's only: each test is a process, and over
    every handout that would be 1,800 of them.)
    n = last + 1 is the full solution with its markers stripped: only built
    (this tier's own unit tests cover the solution). On each tree, the
    mutants of lab n - 1 that its unit tests catch are then proved; the
    fast tier proves the ones caught in QEMU."""
    out = os.path.join(BUILD, "proof-slow", f"handout-lab{n}")
    ok = False
    try:
        targets = (["all", "build/sample.img", "build/unit-tests-ubsan"] if n <= last
                   else mutation.HANDOUT_TARGETS)
        built, log = mutation.build_handout(n, out, targets)
        if not built:
            ph.count("failed", f"handout lab {n}: builds whole (kernel, tools, unit tests)",
                     log[-2000:])
            return
        if n > last:
            ph.count("passed", f"handout lab {n} (the solution, markers stripped): the "
                               "kernel and the unit tests build")
            ok = True
            return
        r = run([sys.executable, GRADE, "--root", out, "--lab", ",".join(map(str, range(n))),
                 "--no-qemu", "--unit-binary", "unit-tests-ubsan", "-q"])
        sm = SUMMARY.search(r.stdout)
        ok = bool(sm and sm.group(2) == "0")
        if ok:
            ph.count("passed", f"handout lab {n}: the unit tests of labs 0-{n - 1} pass "
                               f"({sm.group(1)} tests)")
        else:
            ph.count("failed", f"handout lab {n}: the unit tests of labs 0-{n - 1} should pass",
                     r.stdout[-3000:])
    finally:
        muts = [m for m in MUTANTS if m["lab"] == n - 1 and not in_qemu(m)]
        for mut in muts:
            pool.add(1, job(p_mut, mutant, mut, out if ok else None, n,
                            os.path.join(BUILD, "proof-slow")))
        if not muts and ok:
            shutil.rmtree(out, ignore_errors=True)


def fast_tier(pool, labs):
    last, mutants = labs[-1], [m for m in MUTANTS if in_qemu(m)]
    p_hand = Phase("handout proofs: lab N's handout fails lab N's grader, passes lab N-1's",
                   last + 2)
    p_legacy = Phase("QEMU graders, legacy virtio-mmio (lab N on the lab N+1 handout)", 0)
    p_unit = Phase("host unit tests: each one says its lab", 1)
    p_mut = Phase("mutation proof: classic bugs, each caught by its lab's QEMU grader "
                  "(those its unit tests catch: make test-slow)", len(mutants))
    p_doc = Phase("guides: every kernel-session block replayed on the solution", 1)
    p_tools = Phase("host tool tests (quick ones)", 1)
    p_fmt = Phase("formatting", 1)
    # the handouts and their mutants are the longest chains: first, the
    # full solution (it runs every unit test), then those whose mutants are
    # caught in QEMU, then those with the most mutants waiting on them
    def waiting(n, kind=""):
        return sum(m["lab"] == n - 1 and mutation.CAUGHT_BY.get(m["id"], "").startswith(kind)
                   for m in mutants)

    # The full solution's handout is built first, alone: its files are the
    # solved ones of every other handout, so the compiler cache then has
    # them. Built side by side, the first three handouts each compiled the
    # same files (24 of the 43 CPU-s the handouts' builds took).
    order = sorted(range(last + 1), key=lambda n: (-waiting(n, "qemu:"), -waiting(n)))
    rest = [job(p_hand, handout, p_legacy, p_mut, pool, n, last) for n in order]
    pool.add(0, job(p_hand, handout, p_legacy, p_mut, pool, last + 1, last, rest))
    pool.add(3, job(p_unit, unit_names, "unit-tests-ubsan"))
    pool.add(3, job(p_doc, doc_tests))
    pool.add(3, job(p_tools, tool_tests, False))
    pool.add(3, job(p_fmt, formatting))
    return p_legacy, mutants


def slow_tier(pool, labs, fuzz_seconds):
    matrix = [(t, n) for t, ns in SLOW_MATRIX.items() for n in ns if n in labs]
    p_grade = Phase("QEMU graders on the solution: modern mmio, virtio-pci (modern, legacy), "
                    "the packed ring", len(matrix))
    p_unit = Phase("host unit tests (Criterion, ASan + UBSan + LeakSanitizer)", 2)
    p_fuzz = Phase("fuzzing (short bounded runs; `make fuzz FUZZ_SECONDS=300` for longer)", 1)
    p_tools = Phase("host tool tests (slow ones: Gradescope bundle, web pages, gdb)", 1)
    p_hand = Phase("handouts: each builds whole, `make unit LAB=N-1` is green on it",
                   labs[-1] + 1)
    mutants = [m for m in MUTANTS if not in_qemu(m)]
    p_mut = Phase("mutation proof: classic bugs, each caught by its lab's unit tests "
                  "(those its QEMU grader catches: make test)", len(mutants))
    pool.add(0, job(p_tools, tool_tests, True))
    for n in range(1, labs[-1] + 2):
        pool.add(1, job(p_hand, handout_units, p_mut, pool, n, labs[-1]))
    pool.add(0, job(p_fuzz, fuzzers, fuzz_seconds))
    pool.add(1, job(p_unit, unit_tests, ROOT, "unit-tests"))
    pool.add(3, job(p_unit, unit_names, "unit-tests"))
    for t, n in matrix:
        pool.add(2, job(p_grade, graders, n, t))
    return mutants


def handout_lab():
    """The lab this tree is the handout for (tools/handout.py writes
    HANDOUT.md at its top), or None in the course's own tree."""
    try:
        with open(os.path.join(ROOT, "HANDOUT.md"), encoding="utf-8") as f:
            m = re.match(r"# Eclipse RV: the handout for lab (\d+)$", f.readline().strip())
    except OSError:
        return None
    return int(m.group(1)) if m else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=3, help="jobs at once")
    ap.add_argument("--tier", choices=("fast", "slow", "all"), default="fast",
                    help="fast: `make test`; slow: `make test-slow`; all: `make check`")
    ap.add_argument("--fuzz-seconds", type=int, default=5)
    args = ap.parse_args()
    lab = handout_lab()
    if lab is not None:
        # A student's tree has stubs where the proofs need solutions: what
        # a student needs from `make test` is the grade of their lab
        print(f"This tree is the handout for lab {lab} (HANDOUT.md): the checks run here are "
              f"lab {lab}'s grader, as `make grade LAB={lab}` runs it.", flush=True)
        sys.exit(subprocess.run(["make", "-s", "--no-print-directory", "grade",
                                 f"LAB={lab}"], cwd=ROOT).returncode)
    start = time.monotonic()
    labs = lab_numbers()
    # one compiler cache for the solution, its handouts and its mutants
    os.environ.setdefault("CCACHE_DIR", os.path.join(BUILD, "ccache"))
    # the scripts' `python3` is this one (make test starts Debian's), not a
    # version manager's shim found first on PATH (a third of a second each)
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    # grade.py starts a few dozen times: its modules are compiled once, with
    # the bytecode kept in build/ rather than beside the sources (even where
    # PYTHONDONTWRITEBYTECODE is set, which made each start compile them)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(BUILD, "pycache")
    for d in ("proof", "proof-slow"):
        shutil.rmtree(os.path.join(BUILD, d), ignore_errors=True)

    job(Phase("build (make -j)", 1), build, args.tier)()
    ok = not tally["failed"]
    mutants, p_legacy = [], None
    if ok:
        pool = Pool(args.jobs)
        if args.tier in ("fast", "all"):
            p_legacy, mutants = fast_tier(pool, labs)
        if args.tier in ("slow", "all"):
            mutants = mutants + slow_tier(pool, labs, args.fuzz_seconds)
        pool.wait()
    if p_legacy is not None:  # its runs were the handouts' jobs: print it now
        p_legacy.jobs_left = 1
        p_legacy.job_done()

    if mutants:
        caught = sum(1 for _, o in mutant_results if o == "caught")
        escaped = [f"lab{m['lab']} {m['id']} ({o})" for m, o in mutant_results if o != "caught"]
        print(f"\nmutants: {caught} of {len(mutants)} caught"
              + (f"; not caught: {', '.join(escaped)}" if escaped else ""))
    name = {"fast": "make test", "slow": "make test-slow", "all": "make check"}[args.tier]
    print(f"{name} took {time.monotonic() - start:.0f}s")
    if failures:
        print("failed:")
        for f in failures:
            print("  - " + f.split("\n")[0])
    line = f"{tally['passed']} passed, {tally['failed']} failed"
    if tally["skipped"]:
        line += f", {tally['skipped']} skipped"
    print(line)
    if not tally["failed"]:
        for d in ("proof", "proof-slow"):
            shutil.rmtree(os.path.join(BUILD, d), ignore_errors=True)
    sys.exit(1 if tally["failed"] else 0)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # Ctrl-C: grade.py has said what it stopped
        print("\nmake test: interrupted (Ctrl-C): no tally", file=sys.stderr)
        sys.exit(130)
