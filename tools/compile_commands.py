#!/usr/bin/env python3
"""Write compile_commands.json (the compilation database clangd and other
editors read) from the Makefile's own variables, so it needs no tool
outside the project and cannot drift from the build.

    compile_commands.py --out FILE --group 'CC|FLAGS|SOURCES|OBJDIR' ...

Each group is one build: its compiler, its flags and its sources, separated
by '|'. A source in two builds (the portable files build for the kernel and
for the host tests) gets one entry per build, the first group's first.
"""

import argparse
import json
import os
import shlex

# flags that only write dependency files: an editor has no use for them
DROP = {"-MMD", "-MP"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--group", action="append", default=[])
    args = ap.parse_args()
    root = os.getcwd()
    entries = []
    for g in args.group:
        cc, flags, srcs, objdir = (x.strip() for x in g.split("|"))
        flags = [f for f in shlex.split(flags) if f not in DROP]
        for src in srcs.split():
            # the kernel's objects drop the leading src/ (build/kernel/main.c.o)
            rel = src[4:] if src.startswith("src/") and objdir.endswith("kernel") else src
            obj = os.path.join(objdir, rel + ".o")
            entries.append({"directory": root, "file": os.path.join(root, src),
                            "arguments": shlex.split(cc) + flags + ["-c", src, "-o", obj],
                            "output": os.path.join(root, obj)})
    with open(args.out + ".part", "w") as f:
        json.dump(entries, f, indent=1)
        f.write("\n")
    os.replace(args.out + ".part", args.out)
    print(f"compile_commands: {args.out}: {len(entries)} entries")


if __name__ == "__main__":
    main()
