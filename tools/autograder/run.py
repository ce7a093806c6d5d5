#!/usr/bin/env python3
"""Grade one submission with the bundle's pristine tree (Gradescope's
run_autograder calls this).

Directories, below AUTOGRADER_ROOT (default /autograder):

    source/autograder.json   {"lab": N, "student_files": [...]}
    source/tree/             the pristine course tree (the lab-N handout)
    submission/              what the student uploaded
    results/results.json     written here, in Gradescope's format
    work/tree/               scratch: the tree being built and graded
    work/shared/             the bundle's shared vectors, beside the tree
                             (where the graders look for them)

Only the student files listed in autograder.json are taken from the
submission, into a fresh copy of the pristine tree; so a submission that
edits tests/grade/, the Makefile or tools/ grades exactly as if it had
not. A listed file the submission lacks keeps its pristine stub.

Nothing here can hang: the build and the grading run under deadlines,
each QEMU boot is bounded by the graders themselves, and the whole run by
AUTOGRADER_TIMEOUT seconds (default 900). Whatever happens, results.json
is written.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.abspath(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
SOURCE = os.path.join(ROOT, "source")
SUBMISSION = os.path.join(ROOT, "submission")
RESULTS = os.path.join(ROOT, "results", "results.json")
WORK = os.path.join(ROOT, "work", "tree")
TOTAL_TIMEOUT = float(os.environ.get("AUTOGRADER_TIMEOUT", "900"))
BUILD_TIMEOUT = 300
MAX_FILE = 1 << 20  # a source file larger than 1 MiB is not a lab's work
START = time.monotonic()


def left():
    return TOTAL_TIMEOUT - (time.monotonic() - START)


def run(cmd, timeout, **kw):
    """Run cmd in its own process group; kill the whole group at the
    deadline. Returns (exit status or None on timeout, output)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         start_new_session=True, **kw)
    try:
        out, _ = p.communicate(timeout=max(1, timeout))
        return p.returncode, out.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return None, out.decode("utf-8", "replace")


def find_top(files):
    """The folder of the submission that holds the student's tree: the one
    (at most three levels down, e.g. a zip with a top folder) where most of
    the student files are found, the shallowest on a tie."""
    best, best_hits = SUBMISSION, -1
    for d, dirs, _ in os.walk(SUBMISSION):
        depth = os.path.relpath(d, SUBMISSION).count(os.sep) + (d != SUBMISSION)
        dirs[:] = sorted(x for x in dirs if x not in (".git", "__MACOSX", "build")
                         and depth < 3)
        hits = sum(os.path.isfile(os.path.join(d, f)) for f in files)
        if hits > best_hits:
            best, best_hits = d, hits
    return best


def take_student_files(top, files):
    """Copy the student files from `top` into WORK; return report lines."""
    notes = []
    for rel in files:
        src, dst = os.path.join(top, rel), os.path.join(WORK, rel)
        if os.path.islink(src) or (os.path.exists(src) and not os.path.isfile(src)):
            notes.append(f"  {rel}: not a regular file, ignored (the handout's stub is graded)")
        elif not os.path.exists(src):
            notes.append(f"  {rel}: not in the submission (the handout's stub is graded)")
        elif os.path.getsize(src) > MAX_FILE:
            notes.append(f"  {rel}: larger than {MAX_FILE} bytes, ignored")
        else:
            shutil.copyfile(src, dst)
            notes.append(f"  {rel}: taken from the submission")
    return notes


def write_results(res):
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    res["execution_time"] = round(time.monotonic() - START)
    res.setdefault("stdout_visibility", "visible")
    with open(RESULTS + ".part", "w") as f:
        json.dump(res, f, indent=2)
    os.replace(RESULTS + ".part", RESULTS)
    print(res.get("output", ""))
    print(f"score: {res['score']}")


# What make prints about its own work (the `  CC file` lines, the command
# lines of the host tools, directories made), as against what the
# compiler says: a failed build's log is mostly the former, with the
# error at its end.
BUILD_NOISE = re.compile(r"^\s+(CC|HOSTCC|LD|AR)\s|^(\S*ccache |\S*gcc |cc |mkdir |cp |mv |"
                         r"SOURCE_DATE_EPOCH=|make(\[\d+\])?: (Entering|Leaving|\*\*\* Waiting))")
DIAGNOSTIC = re.compile(r"error:|warning:|undefined reference|\*\*\*|Error \d")


def compiler_said(log, most=40):
    """The compiler's messages in a build log: each line with an error (or
    a warning -Werror made one) and the few lines around it, without make's
    progress lines; the log's last lines when nothing matches."""
    lines = [l for l in log.splitlines() if not BUILD_NOISE.search(l)]
    keep = set()
    for i, l in enumerate(lines):
        if DIAGNOSTIC.search(l):
            keep.update(range(max(0, i - 2), min(len(lines), i + 4)))
    picked = [lines[i] for i in sorted(keep)] or log.splitlines()[-15:]
    if len(picked) > most:
        picked = picked[:most] + [f"... ({len(picked) - most} more lines in the build log)"]
    return "\n".join(picked)


def failed_run(lab, title, output, notes, said=""):
    """Results for a submission that could not be graded at all; `said`,
    the compiler's messages, comes first, then the whole log."""
    head = [title] + (["  " + l for l in said.splitlines()] if said else [])
    body = (said + "\n\nthe whole build log (its end):\n" if said else "") + output[-8000:]
    return {"score": 0,
            "output": "\n".join(notes + [""] + head),
            "tests": [{"name": f"lab{lab}: {title.split('; ')[0]}", "score": 0, "max_score": 0,
                       "status": "failed", "output": body}]}


def main():
    with open(os.path.join(SOURCE, "autograder.json")) as f:
        config = json.load(f)
    lab, files = int(config["lab"]), list(config["student_files"])

    shutil.rmtree(os.path.dirname(WORK), ignore_errors=True)
    shutil.copytree(os.path.join(SOURCE, "tree"), WORK, symlinks=True)
    if os.path.isdir(os.path.join(SOURCE, "shared")):
        shutil.copytree(os.path.join(SOURCE, "shared"),
                        os.path.join(os.path.dirname(WORK), "shared"))
    top = find_top(files)
    notes = [f"Lab {lab}: files graded from your submission"
             f" ({os.path.relpath(top, SUBMISSION)}):"]
    notes += take_student_files(top, files)
    notes += ["Every other file (graders, Makefile, tools) is the course's own copy."]

    # the kernel for the QEMU checks, the unit tests for the lab's host tests
    status, out = run(["make", "-j2", "kernel", "build/sample.img", "build/unit-tests-ubsan"],
                      min(BUILD_TIMEOUT, left()), cwd=WORK)
    if status != 0:
        why = "the build timed out" if status is None else \
            "the code does not build (the kernel and the unit tests, -Wall -Wextra -Werror); the compiler said:"
        write_results(failed_run(lab, why, out, notes, "" if status is None else compiler_said(out)))
        return

    raw = os.path.join(WORK, "grade.json")
    status, out = run([sys.executable, os.path.join(WORK, "tests", "grade", "grade.py"),
                       "--root", WORK, "--lab", str(lab), "--json", raw, "-q"],
                      left() - 5)
    if status is None or not os.path.exists(raw):
        why = "grading did not finish in time (the run as a whole is bounded)" \
            if status is None else "the grader stopped without results"
        write_results(failed_run(lab, why, out, notes))
        return
    with open(raw) as f:
        res = json.load(f)
    # A test that could not run here (grade.py prints it as SKIP) costs
    # the student nothing: it is shown, but worth 0 points.
    skipped = set(re.findall(r"^SKIP  (.*) \(\d+/\d+ pts", out, re.M))
    # Commands to reproduce a failure name the kernel by its path here;
    # make it relative, so it runs from the top of the student's own tree.
    for t in res["tests"]:
        t["output"] = t.get("output", "").replace(WORK + os.sep, "")
        if t["name"] in skipped:
            t["max_score"], t["status"] = 0, "skipped"
            t["output"] = "not graded: this test cannot run here. " + t["output"]
    summary = [l for l in out.splitlines() if l.startswith(("Score:", "Reproduce"))
               or l.endswith(("failed", "skipped"))]
    notes += ["", "A failing test shows the last lines your kernel printed and the QEMU",
              "command that reproduces it (run it at the top of your tree after `make`;",
              "the disk images it names were the grader's scratch files: make one with",
              "`truncate -s 1M FILE`).", ""] + summary
    res["output"] = "\n".join(notes)
    write_results(res)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # results.json is written whatever happens
        write_results({"score": 0, "output": f"autograder error: {type(e).__name__}: {e}",
                       "tests": []})
        raise
