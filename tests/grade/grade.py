#!/usr/bin/env python3
"""Run the graders and score them: each lab's QEMU checks and, beside them,
the lab's host unit tests against the strict fake device.

    grade.py                  every lab
    grade.py --lab 4          one lab (repeat or comma-separate for more)
    grade.py --root DIR       grade the tree in DIR (e.g. a handout)
    grade.py --json out.json  also write Gradescope autograder results
    grade.py --fail-fast      stop starting tests after the first failure

Prints each test with its points, then `Score: X/Y` and last
`N passed, N failed` (`, N skipped` when some could not run here).
Exit status 0 only when nothing failed.

A unit test belongs to lab N when its name starts with `labN_` (the lab
whose code it tests; `make unit LAB=n` runs labs 0 to n); each is a point.
A failing QEMU test keeps its disks in build/grade/ under the graded tree
and says where; a passing one removes them.
"""

import argparse
import glob
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
OWN_TREE = os.path.dirname(os.path.dirname(HERE))  # the tree these graders belong to
sys.path.insert(0, HERE)
import gradelib  # noqa: E402
import procs  # noqa: E402


def load_labs(labs):
    for n in gradelib.lab_numbers(OWN_TREE):
        if labs is None or n in labs:
            importlib.import_module(f"lab{n}")


def failure_detail(ctx, tmp):
    """What a student needs to see first: a timeout says so, then the
    output of the command the check was looking at (or the last lines)."""
    last = ctx.runs[-1]
    if last.timed_out:
        head = (f"QEMU TIMED OUT after {last.elapsed:.0f} s (the kernel hung, or never "
                "powered off); the last lines before the timeout:")
        body = last.tail()
    elif last.last_command is not None:
        head = f"the output of `{last.last_command}` (exit status {last.status}):"
        body = last.last_section.rstrip("\n") or "(nothing)"
        body = "\n".join(body.split("\n")[-15:])
    else:
        head = f"last lines of the kernel's output (exit status {last.status}):"
        body = last.tail()
    return (head + "\n" + "\n".join("  | " + l for l in body.split("\n"))
            + f"\nreproduce with (disks kept in {tmp}):\n  {last.cmdline}")


def run_one(t, root, stop):
    if stop.is_set():
        return "skip", "not run: an earlier test failed (--fail-fast)", "", 0.0
    tmp = gradelib.scratch_dir(root, f"lab{t.lab}-{t.fn.__name__}-")
    ctx = gradelib.Ctx(t.transport, root, tmp)
    start = time.monotonic()
    try:
        t.fn(ctx)
        outcome, message = "pass", ""
    except gradelib.Skip as e:
        outcome, message = "skip", str(e)
    except gradelib.Stopped:
        outcome, message = "skip", "stopped: an earlier test failed (--fail-fast)"
    except gradelib.Fail as e:
        outcome, message = "fail", str(e)
    except Exception as e:  # a grader bug must show, not pass
        outcome, message = "fail", f"grader error: {type(e).__name__}: {e}"
    detail = ""
    if outcome == "fail":
        stop.fail()
    if outcome == "fail" and ctx.runs:
        if ctx.runs[-1].timed_out:  # say it first: every other message follows from it
            message = "the run timed out: " + message
        detail = failure_detail(ctx, tmp)  # the disks stay for the command above
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return outcome, message, detail, time.monotonic() - start


class Stop:
    """Set after the first failure when --fail-fast is given."""

    def __init__(self, enabled):
        self.enabled, self.event = enabled, threading.Event()

    def fail(self):
        if self.enabled:
            self.event.set()
            gradelib.STOP.set()  # and end the QEMU runs still going

    def is_set(self):
        return self.event.is_set()


class UnitTest:
    """A host unit test, graded as one point of its lab; a test of code the
    handout gives (named labN_given_...) runs and must pass, for no point:
    the student wrote none of it (gradelib.unit_points)."""
    transport = None

    def __init__(self, lab, suite, name, status, messages):
        self.lab, self.suite, self.name = lab, suite, name
        self.status, self.messages = status, messages
        self.points = gradelib.unit_points(name)

    @property
    def title(self):
        return f"lab{self.lab}: unit: {self.suite}/{self.name}"


def unit_tests(root, labs, binary, stop, text=None, leaks=False):
    """Run the unit tests of `labs` (None = all), only those whose
    suite/name contains `text` if given, and return UnitTest results, or
    raise SystemExit when the binary cannot run. Without `leaks`,
    LeakSanitizer stays off (see main)."""
    exe = os.path.join(root, "build", binary)
    if not os.path.exists(exe):
        sys.exit(f"grade: {exe} is missing: run `make {os.path.join('build', binary)}` first")
    nums = sorted(labs) if labs is not None else None
    # Criterion's matcher takes most of a second over a pattern that starts
    # with `*` (as long as running 20 tests), so the suites are named
    suites = re.findall(r"^(\w+): \d+ tests?$", subprocess.run(
        [exe, "--list"], capture_output=True, text=True, cwd=root).stdout, re.M)
    names = "lab@(" + "|".join(map(str, nums)) + ")_*" if nums is not None else "lab*_*"
    any_suite = "@(" + "|".join(suites) + ")" if suites else "*"
    pattern = f"{any_suite}/{names}"
    if text:  # Criterion takes one pattern: the labs are checked below
        pattern = text if "/" in text else f"{any_suite}/*{text}*"
    out = os.path.join(root, "build", "grade", f"unit-{os.getpid()}.tap")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    # TAP rather than --json: Criterion 2.4 does not escape quotes in JSON
    cmd = [exe, "--filter", pattern, f"--tap={out}", "-j2", "--timeout", "60"]
    if stop.enabled:
        cmd.append("--fail-fast")
    env = dict(os.environ)
    if not leaks:
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                     "detect_leaks=0"]))
    r = subprocess.CompletedProcess(cmd, *gradelib.run_criterion(cmd, cwd=root, env=env))
    try:
        with open(out, errors="replace") as f:
            tap = f.read().split("\n")
    except OSError:
        tap = []
    finally:
        if os.path.exists(out):
            os.remove(out)
    results, cur = [], None
    for line in tap:
        m = re.match(r"^(ok|not ok) - (\w+)::(\w+)\s*(.*)$", line)
        if m:
            cur = None
            if "# SKIP" in m.group(4):
                continue  # filtered out, not run
            lab = re.match(r"lab(\d+)_", m.group(3))
            if not lab or (nums is not None and int(lab.group(1)) not in nums):
                continue
            cur = UnitTest(int(lab.group(1)), m.group(2), m.group(3),
                           "PASSED" if m.group(1) == "ok" else "FAILED",
                           [] if m.group(1) == "ok" else [m.group(4).strip()])
            results.append(cur)
        elif cur is not None and cur.status == "FAILED" and line.startswith("  ") and \
                line.strip() not in ("---", "...") and not re.match(r"\s+(assertions|failures):",
                                                                   line):
            cur.messages.append(line.strip())
    if not results and r.returncode == 0:
        return []  # this lab has no unit tests
    if not results:
        return [UnitTest(min(nums or [0]), "unit-tests", "run", "FAILED",
                         [f"{binary} ran no lab tests (exit status {r.returncode}):",
                          (r.stdout + r.stderr)[-1500:]])]
    # A test's worker exits after its result is in, so Criterion never sees
    # a leak found there: the report on stderr is the only sign of it.
    report = (r.stdout + r.stderr).find("ERROR: LeakSanitizer")
    if leaks and report >= 0:
        results.append(UnitTest(min(nums or [0]), "unit-tests", "leaks", "FAILED",
                                ["LeakSanitizer found memory a test never freed:",
                                 (r.stdout + r.stderr)[report:report + 1500]]))
    if r.returncode != 0 and all(u.status == "PASSED" for u in results):
        results.append(UnitTest(min(nums or [0]), "unit-tests", "exit", "FAILED",
                                [f"{binary} exited with status {r.returncode}:",
                                 (r.stdout + r.stderr)[-1500:]]))
    for u in results:
        if u.status == "FAILED" and len(u.messages) <= 1:
            # a crash (abort, sanitizer) leaves no assertion: its output says why
            u.messages += [l for l in (r.stdout + r.stderr).split("\n")
                           if l.startswith(("host", "fake-virtio")) or "ERROR" in l][:8]
    if stop.enabled and any(u.status not in ("PASSED", "SKIPPED") for u in results):
        stop.fail()
    return sorted(results, key=lambda u: (u.lab, u.suite, u.name))


def interrupted(signum, frame):
    """Ctrl-C (or a SIGTERM): the QEMUs the terminal's SIGINT killed would
    otherwise count as failures and the run go on to a score. End what the
    run started, say so, and give no score."""
    gradelib.STOP.set()  # the QEMU loops stop starting anything
    procs.kill_children()
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    sys.stdout.flush()
    print(f"\ngrade: interrupted ({name}): the run was stopped, no score", file=sys.stderr,
          flush=True)
    os._exit(128 + signum)


def main():
    signal.signal(signal.SIGINT, interrupted)
    signal.signal(signal.SIGTERM, interrupted)
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", action="append", help="lab number(s) to grade")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--json", help="write Gradescope results.json here")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--transport", choices=gradelib.ALL_TRANSPORTS, help="grade one transport only")
    ap.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    ap.add_argument("--fail-fast", action="store_true",
                    help="stop starting tests after the first failure (the proofs use it)")
    ap.add_argument("--no-unit", action="store_true", help="QEMU checks only")
    ap.add_argument("--no-qemu", action="store_true", help="unit tests only")
    ap.add_argument("--test", help="only the tests whose name (suite/name for a unit test) "
                    "contains this text")
    # The grade runs the unit tests built with UBSan alone (see the
    # Makefile): AddressSanitizer's start-up in every test process tripled
    # their cost. The kernel's memory is DMA pages, and the tests'
    # allocator guards them (an overrun faults at once) and counts them
    # (host_dma_outstanding, which the tests of teardown, reset and failed
    # set-up check). `make unit` runs the ASan build.
    ap.add_argument("--unit-binary", default="unit-tests-ubsan",
                    help="the unit-test binary under build/ (unit-tests: with AddressSanitizer)")
    # With the ASan build, LeakSanitizer stays off unless asked for: its
    # check at the end of every test process was 40% of their time, and it
    # sees only the tests' own malloc. make test-slow asks for it.
    ap.add_argument("--leaks", action="store_true",
                    help="keep LeakSanitizer on (make test-slow does)")
    args = ap.parse_args()

    labs = None
    if args.lab:
        words = [x for a in args.lab for x in a.split(",")]
        if not words or not all(x.isdigit() for x in words):
            ap.error(f"--lab {','.join(args.lab)}: expected lab numbers, such as 3 or 2,3")
        labs = {int(x) for x in words}
    if args.json and not os.path.isdir(os.path.dirname(os.path.abspath(args.json))):
        ap.error(f"--json {args.json}: the directory {os.path.dirname(os.path.abspath(args.json))}"
                 " does not exist")
    root = os.path.abspath(args.root)
    stop = Stop(args.fail_fast)
    # With --fail-fast the unit tests run first: they take seconds, and a
    # failure among them spares every QEMU boot. Otherwise they run beside
    # the QEMU checks, which spend part of each boot waiting.
    unit_run = ThreadPoolExecutor(max_workers=1)
    units = unit_run.submit(lambda: [] if args.no_unit else
                            unit_tests(root, labs, args.unit_binary, stop, args.test,
                                       args.leaks))
    if args.fail_fast:
        units.result()

    tests = []
    if not args.no_qemu:
        if not os.path.exists(os.path.join(root, "build", "kernel.elf")):
            sys.exit(f"grade: {root}/build/kernel.elf is missing: run `make` first")
        load_labs(labs)
        tests = [t for t in gradelib.TESTS
                 if not args.transport or t.transport in (None, args.transport)]
        base = gradelib.VARIANTS.get(args.transport)
        if base:
            tests += [gradelib.Test(t.lab, t.name, t.points, args.transport, t.fn)
                      for t in gradelib.TESTS if t.transport == base]
        tests = [t for t in tests if not args.test or args.test in t.name]
    if not tests and not units.result():
        known = gradelib.lab_numbers(OWN_TREE)
        sys.exit("grade: no tests for the labs asked for"
                 + (f" whose name contains {args.test!r}" if args.test else "")
                 + (f" (the labs are {known[0]} to {known[-1]})" if known else ""))

    results = []
    if tests and not stop.is_set():
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(lambda t: run_one(t, root, stop), tests))
    elif tests:
        results = [("skip", "not run: a unit test failed (--fail-fast)", "", 0.0)] * len(tests)
    for u in units.result():
        outcome = {"PASSED": "pass", "SKIPPED": "skip"}.get(u.status, "fail")
        tests.append(u)
        results.append((outcome, "" if outcome == "pass" else
                        "\n".join(u.messages) or u.status.lower(), "", 0.0))

    score = total = passed = failed = skipped = 0
    json_tests = []
    for t, (outcome, message, detail, secs) in zip(tests, results):
        got = t.points if outcome == "pass" else 0
        if outcome != "skip":
            total += t.points
        score += got
        passed += outcome == "pass"
        failed += outcome == "fail"
        skipped += outcome == "skip"
        took = f", {secs:.1f}s" if secs else ""
        line = f"{outcome.upper():4}  {t.title} ({got}/{t.points} pts{took})"
        if outcome == "fail" or (not args.quiet and outcome != "skip") or \
                (outcome == "skip" and not args.fail_fast):
            print(line)
            if message:
                print("\n".join("      " + l for l in message.split("\n")))
            if detail:
                print("\n".join("      " + l for l in detail.split("\n")))
        json_tests.append({"name": t.title, "score": got, "max_score": t.points,
                           "status": "passed" if outcome == "pass" else "failed",
                           "output": "\n".join(x for x in (message, detail) if x)})
    # every guide ends with the usual causes of its checks' failures
    for lab in sorted({t.lab for t, r in zip(tests, results) if r[0] == "fail"}):
        guide = sorted(glob.glob(os.path.join(root, "lab-guides", f"lab{lab}-*.md")))
        if guide:
            print(f"Lab {lab}'s failures: lab-guides/{os.path.basename(guide[0])}, "
                  "\"When things go wrong\", lists their usual causes.")
    print(f"Score: {score}/{total}")
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"score": score, "max_score": total, "tests": json_tests}, f, indent=2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
