#!/usr/bin/env python3
"""The guides' figures: each lab-guides/figures/NAME.dot has a rendered
NAME.svg beside it, committed, so a forge's markdown view shows the
picture. The SVG carries the SHA-256 of the .dot it was drawn from, in an
XML comment on its second line:

    <!-- drawn from NAME.dot sha256:HEX by tools/figures.py -->

    figures.py --render   redraw every SVG whose source changed (Graphviz's dot)
    figures.py --check    list figures whose SVG is missing or stale; exit 1 if any

--check needs no Graphviz: it only compares hashes.
"""

import argparse
import glob
import hashlib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STAMP = re.compile(r"<!-- drawn from (\S+) sha256:([0-9a-f]{64}) by tools/figures\.py -->")


def source_hash(dot):
    with open(dot, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def stamped_hash(svg):
    """The source hash an SVG says it was drawn from, or None."""
    try:
        with open(svg, encoding="utf-8") as f:
            head = f.read(4096)
    except OSError:
        return None
    m = STAMP.search(head)
    return m.group(2) if m else None


def stale(figdir):
    """(dot, svg, why) for each figure whose SVG does not match its source."""
    out = []
    for dot in sorted(glob.glob(os.path.join(figdir, "*.dot"))):
        svg = dot[:-4] + ".svg"
        got = stamped_hash(svg)
        if got is None:
            out.append((dot, svg, "no SVG with a source hash" if os.path.exists(svg)
                        else "no SVG"))
        elif got != source_hash(dot):
            out.append((dot, svg, "the .dot changed since the SVG was drawn"))
    return out


def render(dot, svg, dot_cmd):
    r = subprocess.run([dot_cmd, "-Tsvg", dot], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"figures: {dot}: {r.stderr.strip()}")
    text = r.stdout
    stamp = (f"<!-- drawn from {os.path.basename(dot)} sha256:{source_hash(dot)}"
             " by tools/figures.py -->\n")
    # after the XML declaration, which must stay the first thing in the file
    if text.startswith("<?xml"):
        end = text.index("?>") + 2
        text = text[:end] + "\n" + stamp + text[end:].lstrip("\n")
    else:
        text = stamp + text
    with open(svg + ".part", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(svg + ".part", svg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--render", action="store_true")
    g.add_argument("--check", action="store_true")
    ap.add_argument("--dir", default=os.path.join(ROOT, "lab-guides", "figures"))
    ap.add_argument("--dot", default=os.environ.get("DOT", "dot"))
    args = ap.parse_args()
    todo = stale(args.dir)
    if args.check:
        for dot, svg, why in todo:
            print(f"STALE {os.path.relpath(svg, ROOT)}: {why} (make figures redraws it)")
        n = len(glob.glob(os.path.join(args.dir, "*.dot")))
        print(f"figures: {n - len(todo)} of {n} SVGs match their source")
        sys.exit(1 if todo else 0)
    for dot, svg, _ in todo:
        print(f"  DOT     {os.path.relpath(svg, ROOT)}")
        render(dot, svg, args.dot)


if __name__ == "__main__":
    main()
