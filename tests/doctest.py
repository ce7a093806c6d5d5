#!/usr/bin/env python3
"""Check the guides against the kernel: every fenced block whose info string
is `kernel-session` (or `kernel-session T`, T one of grade.py's transports:
modern, modern-packed, pci, pci-legacy) in lab-guides/*.md and README.md is
replayed on the solution kernel with the sample disk.

A block reads like a terminal:

    virtio: 1 device found          <- lines before the first prompt: boot output
    eclipse> devices                <- a command to type
    virtio: slot 7 @ 0x10008000: ...  <- lines it must print
    ...                             <- any lines may come here

Every expected line must appear, exactly, in order, in the output of its
command (or of the boot); `...` only documents that lines are left out.

Output that cannot be replayed (addresses, timings, a broken driver's
messages) goes in a block whose info string is `illustration`, which tells
the reader it shows the shape of the output, not the exact text. Any other
block that quotes the shell (`eclipse> ` lines) fails: a quote must be
either checked or marked.
Prints `PASS: file block N` / `FAIL: ...` lines for tests/run_all.py.
"""

import argparse
import os
import re
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "grade"))
import gradelib  # noqa: E402

# the transport names have hyphens (modern-packed, pci-legacy)
FENCE = re.compile(r"^```kernel-session(?:\s+([\w-]+))?\s*$")


def blocks(path):
    """(first line number, transport, lines) of each kernel-session block."""
    out, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if cur is None:
                m = FENCE.match(line)
                if m:
                    cur = (n, m.group(1) or "legacy", [])
            elif line.startswith("```"):
                out.append(cur)
                cur = None
            else:
                cur[2].append(line.rstrip())
    return out


def unmarked(path):
    """Line numbers of fenced blocks that quote the shell but are neither
    kernel-session nor illustration blocks."""
    bad, cur = [], None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if cur is None:
                m = re.match(r"^```\s*([\w-]*)", line)
                if m:
                    cur = (n, m.group(1), False)
            elif line.startswith("```"):
                if cur[2] and cur[1] not in ("kernel-session", "illustration"):
                    bad.append(cur[0])
                cur = None
            elif line.startswith("eclipse> "):
                cur = (cur[0], cur[1], True)
    return bad


def in_order(expected, text):
    """The first expected line that is not found in order in text, or None."""
    lines = [l.rstrip() for l in text.split("\n")]
    i = 0
    for want in expected:
        if want == "..." or not want.strip():
            continue
        while i < len(lines) and lines[i] != want:
            i += 1
        if i == len(lines):
            return want
        i += 1
    return None


def check_block(transport, lines, tmp):
    steps, boot = [], []
    for l in lines:
        if l.startswith("eclipse> "):
            steps.append((l[len("eclipse> "):], []))
        elif steps:
            steps[-1][1].append(l)
        else:
            boot.append(l)
    disk = os.path.join(tmp, "disk.img")
    shutil.copy(os.path.join(ROOT, "build", "sample.img"), disk)
    ctx = gradelib.Ctx(transport, ROOT, tmp)
    commands = [c for c, _ in steps]
    r = ctx.boot(commands, disks=[disk])
    first = r.output.find("eclipse> ")
    missing = in_order(boot, r.output[:first] if first >= 0 else r.output)
    if missing:
        return f"boot output lacks {missing!r}"
    # the output of each command, in the order they were typed, so a
    # command that appears twice is checked against its own output
    pieces = r.output.split("eclipse> ")[1:]
    for k, (cmd, want) in enumerate(steps):
        if cmd.startswith("poweroff"):
            continue
        if k >= len(pieces) or not pieces[k].startswith(cmd + "\n"):
            return f"the shell never ran {cmd!r}"
        missing = in_order(want, pieces[k][len(cmd) + 1:])
        if missing:
            return f"`{cmd}` did not print {missing!r}"
    return None


def replay(job):
    rel, line, transport, lines = job
    if transport not in gradelib.ALL_TRANSPORTS:
        return f"{rel}:{line} ({transport})", (
            f"no transport {transport!r}: one of {', '.join(gradelib.ALL_TRANSPORTS)}")
    tmp = gradelib.scratch_dir(ROOT, "doctest-")
    try:
        why = check_block(transport, lines, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return f"{rel}:{line} ({transport})", why


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-j", "--jobs", type=int, default=2, help="blocks replayed at once")
    args = ap.parse_args()
    files = [os.path.join(ROOT, "README.md")]
    gdir = os.path.join(ROOT, "lab-guides")
    files += sorted(os.path.join(gdir, f) for f in os.listdir(gdir) if f.endswith(".md"))
    jobs = []
    for path in files:
        if os.path.exists(path):
            rel = os.path.relpath(path, ROOT)
            jobs += [(rel, line, transport, lines) for line, transport, lines in blocks(path)]
    failed = 0
    for path in files:
        if os.path.exists(path):
            rel = os.path.relpath(path, ROOT)
            bad = unmarked(path)
            if bad:
                failed += 1
                print(f"FAIL: {rel}: the blocks at lines {', '.join(map(str, bad))} quote the "
                      "shell but are neither `kernel-session` (replayed) nor `illustration`")
            else:
                print(f"PASS: {rel}: every quote of the shell is replayed or marked")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for name, why in pool.map(replay, jobs):
            if why:
                failed += 1
                print(f"FAIL: {name}: {why}", flush=True)
            else:
                print(f"PASS: {name}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
