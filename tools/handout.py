#!/usr/bin/env python3
"""Write the student handout: the repository with each lab's solution
replaced by its stub.

    handout.py --lab N --out DIR

Labs below N keep their solutions (the student has done them); labs N and
above get their stubs. --lab 0 is the term's first handout.

The markers (see lab-guides/README.md), always on lines of their own:

    /* BEGIN LAB 2 SOLUTION */
    ...solution code...
    /* END LAB 2 SOLUTION */
    /* BEGIN LAB 2 STUB
    ...code that replaces it in the handout: builds, and fails the grader...
    END LAB 2 STUB */

In the solution tree the stub is a comment, so it costs nothing; in the
handout the marker lines themselves disappear. A marker that is not closed,
nested, or closed with another lab's number is an error, so a typo cannot
leak a solution into a handout.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

BEGIN_SOL = re.compile(r"^\s*/\* BEGIN LAB (\d+) SOLUTION \*/\s*$")
END_SOL = re.compile(r"^\s*/\* END LAB (\d+) SOLUTION \*/\s*$")
BEGIN_STUB = re.compile(r"^\s*/\* BEGIN LAB (\d+) STUB\s*$")
END_STUB = re.compile(r"^\s*END LAB (\d+) STUB \*/\s*$")
MARKED_SUFFIXES = (".c", ".h", ".S")


class MarkerError(Exception):
    pass


def transform(lines, lab, name="<input>"):
    """Return the handout version of a file's lines."""
    out = []
    open_kind, open_lab, open_line = None, None, 0
    for i, line in enumerate(lines, 1):
        for kind, rx, is_begin in (("SOLUTION", BEGIN_SOL, True), ("SOLUTION", END_SOL, False),
                                   ("STUB", BEGIN_STUB, True), ("STUB", END_STUB, False)):
            m = rx.match(line)
            if not m:
                continue
            n = int(m.group(1))
            if is_begin:
                if open_kind:
                    raise MarkerError(f"{name}:{i}: BEGIN LAB {n} {kind} inside "
                                      f"LAB {open_lab} {open_kind} opened at line {open_line}")
                open_kind, open_lab, open_line = kind, n, i
            else:
                if open_kind != kind or open_lab != n:
                    raise MarkerError(f"{name}:{i}: END LAB {n} {kind} does not close "
                                      f"{'LAB %s %s' % (open_lab, open_kind) if open_kind else 'anything'}")
                open_kind = None
            break
        else:
            if open_kind == "SOLUTION" and open_lab >= lab:
                continue  # the student writes this
            if open_kind == "STUB" and open_lab < lab:
                continue  # already solved: no stub
            out.append(line)
    if open_kind:
        raise MarkerError(f"{name}:{open_line}: LAB {open_lab} {open_kind} is never closed")
    return out


def repo_files(root):
    """Tracked and untracked-but-not-ignored files: what a clone would hold
    plus work in progress, never build output. Outside a git checkout,
    every file but build/."""
    try:
        res = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard",
                              "-z"], cwd=root, capture_output=True, check=True)
        return sorted(p for p in res.stdout.decode().split("\0") if p)
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if x not in (".git", "build")]
            found += [os.path.relpath(os.path.join(d, f), root) for f in files]
        return sorted(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lab", type=int, default=0, help="labs below this keep their solutions")
    ap.add_argument("--out", required=True)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = ap.parse_args()

    # --lab one past the last is the whole solution with its markers gone
    # (make test proves it); a lab further on is a typo
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "grade"))
    import gradelib
    graded = gradelib.lab_numbers(args.root)
    if graded and not 0 <= args.lab <= max(graded) + 1:
        sys.exit(f"handout: there is no lab {args.lab}: the labs are 0 to {max(graded)} "
                 f"(--lab {max(graded) + 1}: every lab solved, the markers removed)")
    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    # a file with markers always changes (they are removed); it holds a stub
    # when it differs from the full solution with its markers removed
    stubbed, unmarked = set(), set()
    every_lab = (max(graded) + 1) if graded else 1 << 30
    for rel in repo_files(args.root):
        src = os.path.join(args.root, rel)
        if not os.path.isfile(src):
            continue  # deleted in the work tree
        dst = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if rel.endswith(MARKED_SUFFIXES):
            with open(src, encoding="utf-8") as f:
                lines = f.readlines()
            try:
                new = transform(lines, args.lab, rel)
            except MarkerError as e:
                sys.exit(f"handout: {e}")
            with open(dst, "w", encoding="utf-8") as f:
                f.writelines(new)
            if new != lines:
                (stubbed if new != transform(lines, every_lab, rel) else unmarked).add(rel)
                shutil.copymode(src, dst)
            else:
                # unchanged: keep its time too, so objects built from the
                # solution can be reused (make test builds handouts that way)
                shutil.copystat(src, dst)
        else:
            shutil.copy2(src, dst, follow_symlinks=False) if not os.path.islink(src) else \
                os.symlink(os.readlink(src), dst)
    with open(os.path.join(args.out, HANDOUT_NOTE), "w", encoding="utf-8") as f:
        f.write(handout_note(args.lab))
    print(f"handout: {args.out} (labs {args.lab} and later stubbed: {len(stubbed)} files hold "
          f"stubs; {len(unmarked)} more only had their lab markers removed)")


# What a student finds at the top of the tree: which lab it is for, and
# what the two commands of the README do here. tests/run_all.py reads the
# lab from its first line, so that `make test` grades it.
HANDOUT_NOTE = "HANDOUT.md"


def handout_note(lab):
    done = (f"Labs 0 to {lab - 1} are solved in this tree" if lab > 1 else
            "Lab 0 is solved in this tree" if lab == 1 else "No lab is solved in this tree yet")
    return f"""# Eclipse RV: the handout for lab {lab}

{done}; lab {lab} and the later ones are stubs, each marked
`TODO(lab N)` where your code goes. Start with `lab-guides/README.md`,
then the guide of lab {lab} in `lab-guides/`.

- `make qemu` boots the kernel into its shell with the sample disk.
- `make test` grades lab {lab}, as `make grade LAB={lab}` does: its unit
  tests and its QEMU checks, ending with `N passed, N failed`.
  `make grade LAB=N` grades another lab, `make unit LAB=N` runs the unit
  tests of labs 0 to N.

`README.md` describes the course's own tree, where the solutions live;
the checks its `make test` runs there (the handout and mutation proofs)
need that tree.
"""


if __name__ == "__main__":
    main()
