#!/bin/sh
# make compile_commands.json covers every kernel source (with the cross
# compiler and the kernel's flags), every unit-test and portable source
# (with the host compiler and -DHOST_BUILD) and the host tools; and the
# commands it records really compile (a file of each build, checked with
# -fsyntax-only, so a wrong include path or flag fails here).
set -eu
cd "$(dirname "$0")/../.."
if ! out=$(make -s compile_commands.json 2>&1); then
	echo "FAIL make compile_commands.json: $out"
	echo "0 passed, 1 failed"
	exit 1
fi
exec python3 - <<'PY'
import glob, json, os, subprocess, sys
db = json.load(open("compile_commands.json"))
root = os.getcwd()
by = {}
for e in db:
    by.setdefault(os.path.relpath(e["file"], root), []).append(e["arguments"])
tally = [0, 0]


def check(name, cond, why=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + why))
    tally[not cond] += 1


def cross(a):
    return a[0].endswith("riscv64-unknown-elf-gcc")


kernel = sorted(glob.glob("src/*.[cS]") + glob.glob("src/*/*.[cS]"))
miss = [f for f in kernel if not any(cross(a) for a in by.get(f, []))]
check(f"every kernel source ({len(kernel)}) with the cross compiler", not miss, " ".join(miss))
portable = [f for d in ("lib", "virtio", "blk", "fs") for f in glob.glob(f"src/{d}/*.c")
            if not f.endswith(("_cmd.c", "_kern.c"))]
host = sorted(glob.glob("tests/unit/*.c") + portable)
miss = [f for f in host
        if not any("-DHOST_BUILD" in a and not cross(a) for a in by.get(f, []))]
check(f"every unit-test and portable source ({len(host)}) with the host build's flags",
      not miss, " ".join(miss))
tools = ["tools/mkfs-eclipsefs.c", "tools/eclipsefs-dump.c", "tools/efs_host.c"]
miss = [f for f in tools if f not in by]
check("the host tools", not miss, " ".join(miss))
for f, pick, what in (("src/virtio/virtq_split.c", cross, "kernel"),
                      ("src/virtio/virtq_split.c", lambda a: not cross(a), "host"),
                      (sorted(glob.glob("tests/unit/*.c"))[0], lambda a: True, "unit test"),
                      ("tools/mkfs-eclipsefs.c", lambda a: True, "host tool")):
    args = next((a for a in by.get(f, []) if pick(a)), None)
    if args is None:
        check(f"{f} ({what}) has an entry", False, "none")
        continue
    r = subprocess.run(args[:args.index("-o")] + ["-fsyntax-only"], capture_output=True,
                       text=True)
    check(f"{f} compiles as recorded ({what} build)", r.returncode == 0, r.stderr[-600:])
print(f"{tally[0]} passed, {tally[1]} failed")
sys.exit(1 if tally[1] else 0)
PY
