#!/usr/bin/env python3
"""Write a Gradescope autograder bundle for one lab.

    bundle.py --lab N --out build/autograder-labN.zip

The zip holds, at its top (Gradescope unpacks it into /autograder/source):

    setup.sh         installs what tools/install-deps installs
    run_autograder   grades /autograder/submission (tools/autograder/run.py)
    autograder.json  the lab and the list of student files
    tree/            the pristine course tree: the lab-N handout
    shared/vectors/  the course's shared test vectors, where the graders look
                     for them (beside the tree), when ../shared is present

The pristine tree is the handout tools/handout.py writes for lab N (labs
before N solved, N and later stubbed), so the bundle carries no solution
of lab N or later. The student files are the src/ files that carry a lab
marker of lab N or earlier, as handout.py reads the markers: only those
are taken from a submission; everything else (graders, Makefile, tools)
comes from tree/.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import handout  # noqa: E402


def marked_labs(path):
    """The lab numbers of the SOLUTION and STUB markers in one file."""
    labs = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            for rx in (handout.BEGIN_SOL, handout.BEGIN_STUB):
                m = rx.match(line)
                if m:
                    labs.add(int(m.group(1)))
    return labs


def student_files(root, lab):
    """The src/ files a student of lab `lab` writes in: those with a marker
    of lab `lab` or earlier."""
    out = []
    for rel in handout.repo_files(root):
        if rel.startswith("src/") and rel.endswith(handout.MARKED_SUFFIXES) \
                and os.path.isfile(os.path.join(root, rel)):
            labs = marked_labs(os.path.join(root, rel))
            if labs and min(labs) <= lab:
                out.append(rel)
    return out


def add_tree(z, top, prefix):
    """Add the files below `top`, with their modes; a symlink stays a
    symlink (unzip recreates it), so disk/bin/sh is still a link and the
    sample image built from disk/ is the course's own."""
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(d, f)
            arc = os.path.join(prefix, os.path.relpath(p, top))
            info = zipfile.ZipInfo(arc, date_time=(2022, 1, 1, 0, 0, 0))
            info.create_system = 3  # Unix, so unzip honours the mode bits
            if os.path.islink(p):
                info.external_attr = 0o120777 << 16
                z.writestr(info, os.readlink(p))
                continue
            info.external_attr = (os.stat(p).st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(p, "rb") as fh:
                z.writestr(info, fh.read())


def needs_vectors(root, lab):
    """Whether lab's graders (tests/grade/labN.py, labN_*.py) read the
    course's shared vectors, which sit beside the tree in ../shared."""
    d = os.path.join(root, "tests", "grade")
    for f in os.listdir(d):
        if re.match(rf"lab{lab}(_\w+)?\.py$", f):
            with open(os.path.join(d, f), encoding="utf-8") as fh:
                if '"shared", "vectors"' in fh.read():
                    return True
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lab", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--root", default=REPO)
    args = ap.parse_args()

    if not os.path.exists(os.path.join(args.root, "tests", "grade", f"lab{args.lab}.py")):
        sys.exit(f"autograder: lab {args.lab} has no grader (tests/grade/lab{args.lab}.py)")
    files = student_files(args.root, args.lab)
    if not files:
        sys.exit(f"autograder: no src/ file carries a marker of lab {args.lab} or earlier")
    with tempfile.TemporaryDirectory(prefix="eclipse-bundle-") as tmp:
        tree = os.path.join(tmp, "tree")
        r = subprocess.run([sys.executable, os.path.join(REPO, "tools", "handout.py"),
                            "--root", args.root, "--lab", str(args.lab), "--out", tree],
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"autograder: handout failed: {r.stderr.strip()}")
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        part = args.out + ".part"
        with zipfile.ZipFile(part, "w") as z:
            for name in ("setup.sh", "run_autograder"):
                info = zipfile.ZipInfo(name, date_time=(2022, 1, 1, 0, 0, 0))
                info.create_system = 3
                info.external_attr = 0o100755 << 16
                with open(os.path.join(HERE, name), "rb") as fh:
                    z.writestr(info, fh.read())
            config = {"lab": args.lab, "student_files": files}
            z.writestr(zipfile.ZipInfo("autograder.json", date_time=(2022, 1, 1, 0, 0, 0)),
                       json.dumps(config, indent=2) + "\n")
            add_tree(z, tree, "tree")
            # lab 6 grades against the shared sample vector at ROOT/../shared
            vectors = os.path.join(os.path.dirname(os.path.abspath(args.root)), "shared",
                                   "vectors")
            if os.path.isdir(vectors):
                add_tree(z, vectors, os.path.join("shared", "vectors"))
            elif needs_vectors(args.root, args.lab):
                print(f"autograder: WARNING: {vectors} is not there, so the bundle has no "
                      f"shared/vectors/: lab {args.lab}'s tests that read them are skipped "
                      "for every student (worth 0 points). Build the bundle in a checkout "
                      "with the course's shared/ folder beside it.", file=sys.stderr)
        os.replace(part, args.out)
    print(f"autograder: {args.out} (lab {args.lab}; student files: {' '.join(files)})")


if __name__ == "__main__":
    main()
