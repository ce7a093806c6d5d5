#!/usr/bin/env python3
"""The mutation proof: every classic bug in tests/mutants/mutants.py must be
caught by its lab's unit tests or its lab's QEMU grader.

    run.py                 every mutant (builds the handouts it needs)
    run.py --only ID,...   some of them
    run.py --keep          keep each mutant's tree in build/mutants/

For a mutant of lab N the tree is the handout of lab N + 1 (labs up to N
solved, later labs stubbed), built once and shared; for the last lab that
is the whole solution with its markers removed (handout.py --lab 12 after
lab 11). Each mutant gets a copy of it (sources hard-linked, the edited
file and every build output it changes written fresh), one edit, and an
incremental build. The test that caught it last time (mutants.CAUGHT_BY)
is tried first; if it does not fail, the unit tests of lab N (no
sanitizers, stopping at the first failure), and only if they all pass,
the kernel and lab N's grader on one transport, again stopping at the
first failure. A failure counts only if the same test passes in the tree
without the mutant. Prints a line per mutant and
`mutants: N of M caught`, naming any that escaped; exit status 1 if one
escaped or could not be applied.
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "grade"))
import gradelib  # noqa: E402
from mutants import CAUGHT_BY, MUTANTS  # noqa: E402

GRADE = os.path.join(ROOT, "tests", "grade", "grade.py")
# What a handout needs to grade and to run the UBSan-only unit tests. The host
# tools and the sample disk stay the solution's, copied with its objects
# (make -o keeps the disk, and so the tools, from being remade): they are
# the course's, not code a student writes, and a handout's stubs would
# remake them for nothing. `make test-slow` builds every handout whole.
HANDOUT_TARGETS = ["-o", "build/sample.img", "kernel", "build/unit-tests-ubsan"]
# A mutant's build, the same way: without -o, make saw the handout's
# freshly written tool sources, rebuilt mkfs-eclipsefs, remade the sample
# disk and with it the kernel's ramdisk, for every mutant caught in QEMU.
# Without ccache: the one file a mutant compiles has a text no other
# build has, so a look-up could only miss and store.
MAKE = ["make", "-s", "-o", "build/sample.img", "NO_CCACHE=1"]


class MutantError(Exception):
    """The mutant itself is wrong (anchor missing, does not build)."""


def run(cmd, cwd, timeout=None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def build_handout(n, out, targets=HANDOUT_TARGETS, root=ROOT):
    """Write the handout of lab n to `out` and build it, reusing the
    solution's objects for every file the handout does not change. Returns
    (ok, output)."""
    r = run([sys.executable, os.path.join(root, "tools", "handout.py"), "--lab", str(n),
             "--out", out], cwd=root)
    if r.returncode != 0:
        return False, r.stdout + r.stderr
    # objects keep their times: make rebuilds only what the stubs changed
    os.makedirs(os.path.join(out, "build"), exist_ok=True)
    for d in ("kernel", "host-ubsan", "tools", "sample.img"):
        src = os.path.join(root, "build", d)
        if os.path.exists(src):
            subprocess.run(["cp", "-a", src, os.path.join(out, "build", d)], check=True)
    r = run(["make", "-s", "-j2"] + targets, cwd=out)
    return r.returncode == 0, r.stdout + r.stderr


def apply(mut, tree):
    """Edit mut["file"] in `tree`: the anchor must occur exactly once."""
    path = os.path.join(tree, mut["file"])
    if not os.path.exists(path):
        raise MutantError(f"{mut['file']} does not exist in the handout")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    n = text.count(mut["old"])
    if n != 1:
        raise MutantError(f"the anchor occurs {n} times in {mut['file']} (must be once): "
                          f"{mut['old'][:80]!r}")
    tmp = path + ".mutant"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text.replace(mut["old"], mut["new"]))
    os.replace(tmp, path)  # a new file: the hard-linked original is untouched


def copy_tree(base, work, mut):
    """A copy of the built handout where nothing shared can be written:
    sources and unchanged objects are hard links; what make will rewrite
    (the edited file's objects and dependency files, the linked programs)
    is removed first, so it is created anew rather than overwritten."""
    if os.path.exists(work):
        shutil.rmtree(work)
    subprocess.run(["cp", "-al", base, work], check=True)
    rel = mut["file"][len("src/"):] if mut["file"].startswith("src/") else mut["file"]
    gone = [os.path.join("build", "kernel", rel + ".o"), os.path.join("build", "kernel", rel + ".d"),
            os.path.join("build", "host-ubsan", mut["file"][:-2] + ".o"),
            os.path.join("build", "host-ubsan", mut["file"][:-2] + ".d"),
            os.path.join("build", "kernel.elf"), os.path.join("build", "unit-tests-ubsan")]
    for g in gone:
        p = os.path.join(work, g)
        if os.path.exists(p):
            os.remove(p)
    shutil.rmtree(os.path.join(work, "build", "grade"), ignore_errors=True)


def summary(out):
    m = re.search(r"^(\d+) passed, (\d+) failed", out, re.M)
    return (int(m.group(1)), int(m.group(2))) if m else None


def first_failure(out):
    m = re.search(r"^FAIL\s+(.*?) \(\d+/\d+ pts", out, re.M)
    return m.group(1) if m else "?"


_build_lock = threading.Lock()


def unit_binary(tree):
    """`tree`'s unit-test binary, built first if it has none: make test
    builds its handouts' kernels only, and needs a handout's unit tests
    just when a unit test caught a mutant that its grader test missed."""
    path = os.path.join(tree, "build", "unit-tests-ubsan")
    with _build_lock:  # one make at a time in a tree several mutants share
        if not os.path.exists(path):
            r = run(MAKE + ["build/unit-tests-ubsan"], cwd=tree)
            if r.returncode != 0:
                raise MutantError(f"the unit tests of {tree} do not build:\n" +
                                  (r.stdout + r.stderr)[-1500:])
    return path


def one_test(tree, mut, kind, text):
    """Run one test of the mutant's lab in `tree`: kind "unit" (text is
    suite/name) or "qemu" (text is in the grader test's name). Returns
    "fail", "pass" or "missing" (no such test)."""
    lab = str(mut["lab"])
    if kind == "unit":  # straight from the binary
        _, out, err = gradelib.run_criterion([unit_binary(tree), "--filter", text], cwd=tree,
                                             timeout=120)
        m = re.search(r"Tested: (\d+) \| Passing: \d+ \| Failing: (\d+) \| Crashing: (\d+)",
                      out + err)
        if not m or m.group(1) != "1":
            return "missing"
        return "fail" if m.group(2) != "0" or m.group(3) != "0" else "pass"
    r = run([sys.executable, GRADE, "--root", tree, "--lab", lab, "--test", text, "--fail-fast",
             "-q", "--no-unit", "--transport", mut["transport"], "-j1"], cwd=tree, timeout=300)
    s = summary(r.stdout)
    return "missing" if not s or s == (0, 0) else "fail" if s[1] else "pass"


# (tree, transport) pairs whose whole grader is known to pass: make test's
# handout proofs grade each handout on legacy mmio before its mutants run
graded = set()
# (tree, kind, test, transport) -> [Event set once known, whether it passed]
_base_runs, _base_lock = {}, threading.Lock()


def passes_without(mut, base, kind, text):
    """one_test(base, ...) == "pass", run once per tree and test: several
    mutants of a lab are caught by the same test."""
    if kind == "qemu" and (base, mut["transport"]) in graded:
        return True
    key = (base, kind, text, mut["transport"] if kind == "qemu" else "")
    with _base_lock:
        ev = _base_runs.get(key)
        first = ev is None
        if first:
            ev = _base_runs[key] = [threading.Event(), None]
    if first:
        try:
            ev[1] = one_test(base, mut, kind, text) == "pass"
        finally:
            ev[0].set()
    ev[0].wait()
    return ev[1]


def caught_by(mut, base, title):
    """A failure counts when the same test passes in the tree without the
    mutant. `title` is grade.py's: "labN: unit: suite/name" or
    "labN: NAME [transport]". Returns the title, or raises MutantError."""
    m = re.fullmatch(r"lab\d+: (?:unit: (\S+)|(.*) \[[\w-]+\])", title)
    if m:
        kind, text = ("unit", m.group(1)) if m.group(1) else ("qemu", m.group(2))
        if passes_without(mut, base, kind, text):
            return title
    raise MutantError(f"{title} fails without the mutant too: it proves nothing")


def first_try(mut, base, work):
    """Run only the test in CAUGHT_BY. Returns its failure, or None when
    there is no entry or the test passed (the full check follows)."""
    kind, _, text = CAUGHT_BY.get(mut["id"], "").partition(": ")
    if kind not in ("unit", "qemu"):
        return None
    lab = str(mut["lab"])
    if kind == "unit" and not re.fullmatch(rf"\w+/lab{lab}_\w+", text):
        raise MutantError(f"CAUGHT_BY names {text!r}, not a unit test of lab {lab}")
    target = "build/unit-tests-ubsan" if kind == "unit" else "kernel"
    r = run(MAKE + [target], cwd=work)
    if r.returncode != 0:
        raise MutantError(f"the {target} build fails:\n" + (r.stdout + r.stderr)[-1500:])
    if one_test(work, mut, kind, text) != "fail":
        return None
    if not passes_without(mut, base, kind, text):
        raise MutantError(f"CAUGHT_BY's {text!r} fails without the mutant too")
    return f"lab{lab}: unit: {text}" if kind == "unit" else f"lab{lab}: {text}"


def check(mut, base, work_root, keep):
    """Returns (outcome, detail): outcome is caught, escaped or error."""
    work = os.path.join(work_root, f"lab{mut['lab']}-{mut['id']}")
    lab = str(mut["lab"])
    try:
        copy_tree(base, work, mut)
        apply(mut, work)
        caught = first_try(mut, base, work)
        if caught:
            return "caught", caught
        stale = f" (CAUGHT_BY[{mut['id']!r}] did not catch it: update mutants.py)" \
            if mut["id"] in CAUGHT_BY else ""
        r = run(MAKE + ["build/unit-tests-ubsan"], cwd=work)
        if r.returncode != 0:
            raise MutantError("the unit tests do not build:\n" + (r.stdout + r.stderr)[-1500:])
        r = run([sys.executable, GRADE, "--root", work, "--lab", lab, "--no-qemu",
                 "--unit-binary", "unit-tests-ubsan", "--fail-fast", "-q"], cwd=work,
                timeout=300)
        s = summary(r.stdout)
        if s is None and "no tests for the labs asked for" in r.stdout + r.stderr:
            s = (0, 0)  # the lab has no unit tests (lab 9): its grader decides
        if s is None:
            raise MutantError("the unit tests printed no summary:\n" + r.stdout[-1000:] +
                              r.stderr[-1000:])
        if s[1]:
            return "caught", caught_by(mut, base, first_failure(r.stdout)) + stale
        r = run(MAKE + ["kernel"], cwd=work)
        if r.returncode != 0:
            raise MutantError("the kernel does not build:\n" + (r.stdout + r.stderr)[-1500:])
        r = run([sys.executable, GRADE, "--root", work, "--lab", lab, "--no-unit",
                 "--transport", mut["transport"], "--fail-fast", "-q", "-j2"], cwd=work,
                timeout=600)
        s = summary(r.stdout)
        if s is None:
            raise MutantError("the grader printed no summary:\n" + r.stdout[-1000:] +
                              r.stderr[-1000:])
        if s[1]:
            return "caught", caught_by(mut, base, first_failure(r.stdout)) + stale
        return "escaped", f"lab {lab}'s unit tests and grader ({mut['transport']}) all pass"
    except MutantError as e:
        return "error", str(e)
    except subprocess.TimeoutExpired as e:
        return "caught", f"the tests did not finish in {e.timeout} s"
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def prove(mutants, bases, work_root, jobs=2, keep=False, out=print):
    """Check every mutant against bases[lab + 1]; print a line each and the
    tally. Returns (caught, total, problems) where problems names every
    mutant that escaped or is broken."""
    os.makedirs(work_root, exist_ok=True)

    def one(mut):
        start = time.monotonic()
        base = bases.get(mut["lab"] + 1)
        if base is None:
            return mut, "error", f"no built handout for lab {mut['lab'] + 1}", 0
        outcome, detail = check(mut, base, work_root, keep)
        return mut, outcome, detail, time.monotonic() - start

    caught, problems = 0, []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for mut, outcome, detail, secs in pool.map(one, mutants):
            name = f"lab{mut['lab']} {mut['id']}"
            if outcome == "caught":
                caught += 1
                out(f"  caught   {name} ({secs:.0f}s): {detail}")
            else:
                problems.append(f"{name} {outcome}: {mut['why']}")
                out(f"  {outcome.upper():8} {name}: {mut['why']}\n"
                    + "\n".join("           " + l for l in detail.split("\n")))
    line = f"mutants: {caught} of {len(mutants)} caught"
    if problems:
        line += "; not caught: " + ", ".join(p.split(":")[0] for p in problems)
    out(line)
    return caught, len(mutants), problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--keep", action="store_true", help="keep the mutated trees")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    args = ap.parse_args()
    mutants = MUTANTS
    if args.only:
        want = set(args.only.split(","))
        mutants = [m for m in MUTANTS if m["id"] in want]
        if len(mutants) != len(want):
            sys.exit(f"mutants: unknown ids: {sorted(want - {m['id'] for m in MUTANTS})}")
    # one compiler cache for the solution, its handouts and its mutants
    os.environ.setdefault("CCACHE_DIR", os.path.join(ROOT, "build", "ccache"))
    r = run(["make", "-s", "-j2", "kernel", "tools", "build/sample.img",
             "build/unit-tests-ubsan"], cwd=ROOT)
    if r.returncode != 0:
        sys.exit("mutants: the solution does not build:\n" + r.stdout + r.stderr)
    work_root = os.path.join(ROOT, "build", "mutants")
    bases = {}
    for n in sorted({m["lab"] + 1 for m in mutants}):
        out = os.path.join(work_root, f"handout-lab{n}")
        ok, log = build_handout(n, out)
        if not ok:
            sys.exit(f"mutants: the lab {n} handout does not build:\n{log[-2000:]}")
        bases[n] = out
    caught, total, problems = prove(mutants, bases, work_root, args.jobs, args.keep)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
