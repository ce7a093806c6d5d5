#!/usr/bin/env python3
"""Run the QEMU graders and score them.

    grade.py                  every lab
    grade.py --lab 4          one lab (repeat or comma-separate for more)
    grade.py --root DIR       grade the tree in DIR (e.g. a handout)
    grade.py --json out.json  also write Gradescope autograder results

Prints each test with its points, then `Score: X/Y` and last
`N passed, N failed` (`, N skipped` when some could not run here).
Exit status 0 only when nothing failed.
"""

import argparse
import importlib
import json
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gradelib  # noqa: E402


def load_labs(labs):
    for name in sorted(os.listdir(HERE)):
        if name.startswith("lab") and name.endswith(".py"):
            n = int(name[3:-3])
            if labs is None or n in labs:
                importlib.import_module(name[:-3])


def run_one(t, root):
    tmp = gradelib.scratch_dir()
    ctx = gradelib.Ctx(t.transport, root, tmp)
    start = time.monotonic()
    try:
        t.fn(ctx)
        outcome, message = "pass", ""
    except gradelib.Skip as e:
        outcome, message = "skip", str(e)
    except gradelib.Fail as e:
        outcome, message = "fail", str(e)
    except Exception as e:  # a grader bug must show, not pass
        outcome, message = "fail", f"grader error: {type(e).__name__}: {e}"
    detail = ""
    if outcome == "fail" and ctx.runs:
        # keep the scratch directory: the command below needs its disks
        last = ctx.runs[-1]
        status = "timed out" if last.timed_out else f"exit status {last.status}"
        detail = (f"last lines of the kernel's output ({status}):\n"
                  + "\n".join("  | " + l for l in last.tail().split("\n"))
                  + f"\nreproduce with (disks kept in {tmp}):\n  {last.cmdline}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return outcome, message, detail, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", action="append", help="lab number(s) to grade")
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--json", help="write Gradescope results.json here")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--transport", choices=gradelib.ALL_TRANSPORTS, help="grade one transport only")
    ap.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    args = ap.parse_args()

    labs = None
    if args.lab:
        labs = {int(x) for a in args.lab for x in a.split(",") if x}
    root = os.path.abspath(args.root)
    if not os.path.exists(os.path.join(root, "build", "kernel.elf")):
        sys.exit(f"grade: {root}/build/kernel.elf is missing: run `make` first")
    load_labs(labs)
    tests = [t for t in gradelib.TESTS
             if not args.transport or t.transport in (None, args.transport)]
    base = gradelib.VARIANTS.get(args.transport)
    if base:
        tests += [gradelib.Test(t.lab, t.name, t.points, args.transport, t.fn)
                  for t in gradelib.TESTS if t.transport == base]
    if not tests:
        sys.exit("grade: no tests for the labs asked for")

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda t: run_one(t, root), tests))

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
        line = f"{outcome.upper():4}  {t.title} ({got}/{t.points} pts, {secs:.1f}s)"
        if outcome != "pass" or not args.quiet:
            print(line)
        if message:
            print("      " + message)
        if detail:
            print("\n".join("      " + l for l in detail.split("\n")))
        json_tests.append({"name": t.title, "score": got, "max_score": t.points,
                           "status": "passed" if outcome == "pass" else "failed",
                           "output": "\n".join(x for x in (message, detail) if x)})
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
